"""The answer opens with what the knowledge base says (chatbot/rag/lead.py). A Chinese answer shows the best
entry's statement verbatim from the first moment of the stream, cited, and the model's sentences that merely
repeat it go; an English answer was asked to open with its translation, and when the model did not (no sentence
near the top cites that entry) the entry's words are quoted first, in Chinese, rather than not at all."""
from __future__ import annotations

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Gap, Note, Sentence
from chatbot.rag.draft.stages.base import Stage
from indexer.index.keyword import tokenize

# Not calibration: what "repeats" means. A model sentence whose words the lead already holds (nearly) all of
# adds nothing but length; one with a few words of its own is an explanation and stays.
RESTATED_SHARE = 0.8
OPENING_SENTENCES = 2  # where an English answer's translation of the lead must stand

TEXT = {"en": "The knowledge base [{qid}] says (in Chinese): “{text}”"}


def _restates(sentence: str, lead_tokens: set[str]) -> bool:
    tokens = set(tokenize(sentence))
    return bool(tokens) and len(tokens & lead_tokens) >= RESTATED_SHARE * len(tokens)


class DropRestatedLead(Stage):
    """A Chinese answer's model sentences that only repeat the lead shown above them."""

    name = "drop_restated_lead"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if ctx.lead is None or ctx.language != "zh":
            return
        lead_tokens = set(tokenize(ctx.lead.text))
        draft.remove([i for i, s in enumerate(draft.segments)
                      if isinstance(s, Sentence) and _restates(s.text, lead_tokens)], "restated_lead")


class LeadWithEntry(Stage):
    name = "lead"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        lead = ctx.lead
        if lead is None:
            return
        if ctx.language == "zh":
            opening = [Sentence(s, citation=lead.qid, support="cited") for s in lead.sentences]
            draft.segments[:0] = [*opening, Gap("\n\n")]
            return
        if ctx.streaming:
            return  # whether the model opened with the translation is known only once it has written it
        top = [s for s in draft.sentences() if s.support != "unchecked"][:OPENING_SENTENCES]
        if not any(s.citation == lead.qid for s in top):
            draft.segments[:0] = [Note("kb_lead", TEXT["en"].format(qid=lead.qid, text=lead.text)), Gap("\n\n")]
