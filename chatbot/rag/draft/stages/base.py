"""One stage of the answer pipeline: it reads the context and changes the draft, for one reason."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from chatbot.rag.degenerate import Diagnosis
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft


class Degenerate(Exception):
    """The draft should not be shown at all: the answerer retries with a corrected prompt, then answers
    extractively."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(f"{diagnosis.problem}: {diagnosis.detail}")
        self.diagnosis = diagnosis


class Stage(ABC):
    name: ClassVar[str]
    # Also run on the growing draft, so the stream never shows what the final answer removes. Stages that
    # need the whole reply (judging, citing) or that add the product's notes run on the final draft only.
    while_streaming: ClassVar[bool] = False

    @abstractmethod
    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        """Changes `draft` in place; raises `Degenerate` when the draft must not be shown."""
