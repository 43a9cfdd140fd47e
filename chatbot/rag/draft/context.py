"""What every stage may read about the answer being written (the draft itself is what they change)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chatbot.rag.citations import CitationChecker
from chatbot.rag.kbcode import KBCode
from chatbot.rag.lead import Lead
from indexer.records import Question


@dataclass(frozen=True)
class AnswerContext:
    question: str
    language: str  # "zh" or "en": the answer's language
    passages: list[Question]  # what the model was given, best first
    retrieved: list[str]  # every retrieved id, best first: what a citation may name
    kb_code: list[KBCode] = field(default_factory=list)  # the KB's blocks the answer shows (chosen before generating)
    titles: list[str] = field(default_factory=list)  # every KB title: what a pasted title looks like
    checker: CitationChecker | None = None
    title_only: Question | None = None  # the best entry, when it has only a title
    lead: Lead | None = None  # the best entry's own statements the answer opens with (translated for English)
    streaming: bool = False  # the draft is still growing: only the cheap stages run, and nothing is concluded
    cut_off: bool = False  # the length limit stopped the model (the reply did not end by itself)
    # log-odds that each statement agrees with the passages (chatbot/rag/statements.py); None: no model can tell
    judge: Callable[[list[str]], list[float]] | None = None
    check_all: bool = False  # check every uncited sentence, not only those naming an API or a number

    @property
    def seen(self) -> list[str]:
        return [q.id for q in self.passages]
