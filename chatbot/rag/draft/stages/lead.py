"""A Chinese answer opens with what the knowledge base says (chatbot/rag/lead.py): the best entry's statement,
verbatim and cited, from the first moment of the stream; the model's sentences that merely repeat it go.

English answers have no lead. Asked to open with the entry's words in English, the 1.5B model wrote "[T8]
states that model.eval() … also disables gradient tracking" (eval/facts_questions.jsonl f02: a false claim it
did not make without the cue); quoting the Chinese to an English reader was the other choice, and a translation
by the model costs a generation (~4 s on 2 cores) before the answer starts."""
from __future__ import annotations

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Gap, Sentence
from chatbot.rag.draft.stages.base import Stage
from indexer.index.keyword import tokenize

# Not calibration: what "repeats" means. A model sentence whose words the lead already holds (nearly) all of
# adds nothing but length; one with a few words of its own is an explanation and stays.
RESTATED_SHARE = 0.8


def _restates(sentence: str, lead_tokens: set[str]) -> bool:
    tokens = set(tokenize(sentence))
    return bool(tokens) and len(tokens & lead_tokens) >= RESTATED_SHARE * len(tokens)


class DropRestatedLead(Stage):
    """A Chinese answer's model sentences that only repeat the lead shown above them."""

    name = "drop_restated_lead"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if ctx.lead is None:
            return
        lead_tokens = set(tokenize(ctx.lead.text))
        draft.remove([i for i, s in enumerate(draft.segments)
                      if isinstance(s, Sentence) and _restates(s.text, lead_tokens)], "restated_lead")


class LeadWithEntry(Stage):
    name = "lead"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if ctx.lead is not None:
            opening = [Sentence(s, citation=ctx.lead.qid, support="cited") for s in ctx.lead.sentences]
            draft.segments[:0] = [*opening, Gap("\n\n")]
