"""A draft no user should read (an echo, a loop, the wrong language, too short, a pasted title) stops the
pipeline: the answerer retries once with a hint, then answers extractively (`chatbot/rag/degenerate.py`)."""
from __future__ import annotations

from chatbot.rag.degenerate import Diagnosis, diagnose
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import Draft
from chatbot.rag.draft.stages.base import Degenerate, Stage


class Diagnose(Stage):
    name = "diagnose"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        # judged on what the user would read: the model's prose, after the repairs above
        found = diagnose(render(draft), ctx.question, ctx.language, ctx.passages, ctx.titles)
        if found is not None and found.problem in ("too_short", "echo") and "cut_code" in draft.removed:
            found = Diagnosis("cut_in_code", "little more than a code block the length limit cut off")
        if found is not None:
            raise Degenerate(found)
