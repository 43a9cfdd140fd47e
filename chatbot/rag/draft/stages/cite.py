"""Citations are attached by code, never trusted from the model's text: each prose sentence carries the id of
the retrieved passage that supports it (`chatbot/rag/citations.py` decides support), and the model's own code
is credited to the entry whose lines it repeats."""
from __future__ import annotations

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Code, Draft, Sentence
from chatbot.rag.draft.stages.base import Stage
from indexer.text import is_label

MIN_CHARS = 8  # shorter pieces ("1.", "例如：") say nothing to check


class Cite(Stage):
    name = "cite"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if ctx.checker is None:
            return
        # a label ("1. **数据复制**：") states nothing: left unchecked, never marked as unconfirmed
        checked = [s for s in draft.sentences() if len(s.text) >= MIN_CHARS and not is_label(s.text)]
        scores = ctx.checker.support([s.text for s in checked], ctx.retrieved, seen=ctx.seen, asked=ctx.question)
        for row, sentence in enumerate(checked):
            if ctx.retrieved and scores[row].max() >= 0:
                sentence.citation = ctx.retrieved[int(scores[row].argmax())]
                sentence.support = "cited"
            else:
                sentence.support = "uncited"
        for seg in draft.segments:
            if isinstance(seg, Code) and seg.origin == "model":
                seg.source = ctx.checker.code_source(seg.body, ctx.retrieved)

    @staticmethod
    def citations(draft: Draft) -> list[str]:
        """The ids the draft's sentences and code carry, in order of first use."""
        ids = [s.citation if isinstance(s, Sentence) else s.source for s in draft.segments
               if isinstance(s, Sentence | Code) and (s.citation if isinstance(s, Sentence) else s.source)]
        return list(dict.fromkeys(i for i in ids if i))
