"""An answer opens with what the knowledge base says (chatbot/rag/lead.py): the best entry's statements, cited,
from the first moment of the stream; verbatim in a Chinese answer, translated in an English one
(chatbot/rag/translation.py).

The model is not told about the lead: its prompt, and so its answer, is the one it would write without it.
Told "the answer already opens with [Q4]'s words: … go on from there", the 1.5B model copied the lead and
stopped ("PyTorch中的autograd是什么？", eval/facts_questions.jsonl f06); told also not to repeat it, it wrote
sentences that only repeated it, and a stage dropping those left the lead alone (1 of 4 facts, against 4 of 4
without a lead)."""
from __future__ import annotations

import re

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Gap, Segment, Sentence
from chatbot.rag.draft.stages.base import Stage


def _same(a: str, b: str) -> bool:
    """The same sentence, punctuation and spacing aside."""
    return _PLAIN.sub("", a) == _PLAIN.sub("", b)


_PLAIN = re.compile(r"[\W_]+")


class DropCopiedLead(Stage):
    """The model's copies of the lead's sentences (it often opens with the entry's first sentence word for word):
    shown once, at the top. Only copies go; a sentence with a word of its own stays."""

    name = "drop_copied_lead"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if ctx.lead is not None:
            draft.remove([i for i, seg in enumerate(draft.segments) if isinstance(seg, Sentence)
                          and any(_same(seg.text, lead.text) for lead in ctx.lead.sentences)], "copied_lead")


class LeadWithEntry(Stage):
    name = "lead"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if ctx.lead is not None:
            space = " " if ctx.language == "en" else ""  # Chinese sentences follow each other without one
            opening: list[Segment] = []
            for s in ctx.lead.sentences:
                opening += [Gap(space)] if opening else []
                opening.append(Sentence(s.text, citation=s.qid, support="quoted"))
            if opening:
                draft.segments[:0] = [*opening, Gap("\n\n")]
