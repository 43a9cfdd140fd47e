"""Every prose sentence is supported, checked or dropped. A sentence no passage holds (the citation stage left
it uncited) is put to the model as a yes/no question beside the passage sentence nearest to it
(`chatbot/rag/statements.py`): one the passages contradict is dropped, one they confirm is kept as checked, and
one the check cannot settle, or that was not checked, is marked where it stands."""
from __future__ import annotations

import logging
import time

from chatbot.calibration import SENTENCE_AGREES, SENTENCE_CONTRADICTED
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Sentence
from chatbot.rag.draft.stages.base import Stage
from indexer.text import CODE_IDENTIFIER, LIST_MARKER

log = logging.getLogger(__name__)


# Not calibration: which sentences are worth a check (each costs ~1.5 s on 2 cores). The false statements of
# real answers name an API or a number ("CrossEntropyLoss assumes … probabilities", "GPU 的性能为 1000 MHz");
# a sentence with neither is marked unchecked rather than paid for.
def worth_checking(sentence: str) -> bool:
    said = LIST_MARKER.sub("", sentence)  # a list item's number is not a number the sentence states
    return bool(CODE_IDENTIFIER.search(said) or any(c.isdigit() for c in said))


class CheckSentences(Stage):
    name = "check"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        uncited = [s for s in draft.sentences() if s.support == "uncited"]
        asked = [s for s in uncited if ctx.judge is not None and (ctx.check_all or worth_checking(s.text))]
        odds: list[float] = []
        if asked and ctx.judge is not None:
            started = time.perf_counter()
            try:
                odds = ctx.judge([s.text for s in asked])
            except Exception as exc:  # a judge that fails leaves the sentences marked, never the answer lost
                log.warning("sentence check failed, sentences marked unconfirmed: %s", exc)
            draft.check_calls += len(asked)
            draft.check_seconds += time.perf_counter() - started
        verdict = dict(zip(map(id, asked), odds))
        contradicted: list[int] = []
        for i, seg in enumerate(draft.segments):
            if not isinstance(seg, Sentence) or seg.support != "uncited":
                continue
            value = verdict.get(id(seg))
            if value is not None and value <= SENTENCE_CONTRADICTED.value:
                contradicted.append(i)
            elif value is not None and value >= SENTENCE_AGREES.value:
                seg.support = "checked"
            else:
                seg.support = "marked"
        draft.contradicted += len(contradicted)
        draft.remove(contradicted, "contradicted")
