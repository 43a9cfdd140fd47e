"""A Chinese answer opens with what the knowledge base says (chatbot/rag/lead.py): the best entry's statement,
verbatim and cited, from the first moment of the stream.

The model is not told about the lead: its prompt, and so its answer, is the one it would write without it.
Told "the answer already opens with [Q4]'s words: … go on from there", the 1.5B model copied the lead and
stopped ("PyTorch中的autograd是什么？", eval/facts_questions.jsonl f06); told also not to repeat it, it wrote
sentences that only repeated it, and a stage dropping those left the lead alone (1 of 4 facts, against 4 of 4
without a lead).

English answers have no lead. Asked to open with the entry's words in English, the 1.5B model wrote "[T8]
states that model.eval() … also disables gradient tracking" (eval/facts_questions.jsonl f02: a false claim it
did not make without the cue); quoting the Chinese to an English reader was the other choice, and a translation
by the model costs a generation (~4 s on 2 cores) before the answer starts."""
from __future__ import annotations

import re

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Gap, Sentence
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
                          and any(_same(seg.text, lead) for lead in ctx.lead.sentences)], "copied_lead")


class LeadWithEntry(Stage):
    name = "lead"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if ctx.lead is not None:
            opening = [Sentence(s, citation=ctx.lead.qid, support="quoted") for s in ctx.lead.sentences]
            draft.segments[:0] = [*opening, Gap("\n\n")]
