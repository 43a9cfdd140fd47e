"""The answer pipeline: the model's reply is parsed once into a draft, the stages below change it in this
order, and `render` writes it. While the reply streams, the stages marked `while_streaming` run on the growing
draft, so what the user watches is what the final answer keeps."""
from __future__ import annotations

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import Draft, parse
from chatbot.rag.draft.stages.base import Stage
from chatbot.rag.draft.stages.check import CheckSentences
from chatbot.rag.draft.stages.cite import Cite
from chatbot.rag.draft.stages.diagnose import Diagnose
from chatbot.rag.draft.stages.hollow import DropHollow
from chatbot.rag.draft.stages.lead import DropCopiedLead, LeadWithEntry
from chatbot.rag.draft.stages.model_code import DropCutCode, DropModelCode
from chatbot.rag.draft.stages.notes import (
    AppendKBCode,
    ClosingNotes,
    MarkModelCode,
    PartialCoverage,
    TitleOnlyLead,
)
from chatbot.rag.draft.stages.prompt_echo import DropPromptEcho
from chatbot.rag.draft.stages.repeated import DropRepeated
from chatbot.rag.draft.stages.summary import DropSummary
from chatbot.rag.draft.stages.unfinished import DropUnfinished

STAGES: tuple[Stage, ...] = (
    DropPromptEcho(),  # lines repeating the prompt's cues
    DropUnfinished(),  # the sentence the length limit stopped in the middle
    DropCutCode(),  # a block the length limit cut off (while streaming: a block not finished yet)
    DropModelCode(),  # the model's code, where the KB's is shown instead
    DropHollow(),  # list items and labels left with nothing in them
    Diagnose(),  # a draft not worth showing stops here: retry, then the extractive answer
    DropSummary(),  # a closing "in summary" paragraph: it only restates, and is where the model conflates
    DropRepeated(),  # a sentence the answer already said (after Diagnose: a loop is a degenerate answer instead)
    DropCopiedLead(),  # the model's word-for-word copies of the entry's statements the answer opens with
    Cite(),  # each sentence cited with the passage that supports it, or left uncited
    CheckSentences(),  # an uncited sentence checked by the model: contradicted ones go, unconfirmed ones are marked
    DropHollow(),  # again: a list item whose only sentence the check dropped is left empty (3 of 48 near-KB answers)
    MarkModelCode(),  # "written by the model" above code that is not the KB's
    AppendKBCode(),  # the KB's code, verbatim, under a citing line
    LeadWithEntry(),  # the best entry's own statements first (verbatim; in an English answer translated)
    PartialCoverage(),  # most sentences unconfirmed: the answer says so first
    ClosingNotes(),  # code cut off, what the mark on unconfirmed sentences means
    TitleOnlyLead(),  # the best entry has only a title: said first
)


def run(draft: Draft, ctx: AnswerContext, stages: tuple[Stage, ...] = STAGES) -> Draft:
    """Applies the stages in order (only the streaming ones while `ctx.streaming`); raises `Degenerate`."""
    for stage in stages:
        if stage.while_streaming or not ctx.streaming:
            stage.apply(draft, ctx)
    return draft


def preview(raw: str, ctx: AnswerContext) -> str:
    """What the user sees of a reply still streaming."""
    return render(run(parse(raw), ctx))
