"""An answer ends at the end of a sentence. When the length limit stops the model mid-sentence ("从而实现模型微",
"By using the cell state and forget gate"), the unfinished sentence goes; the model is also told the budget
(chatbot/rag/prompts.py), so this is the exception."""
from __future__ import annotations

import re

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Gap, Sentence
from chatbot.rag.draft.stages.base import Stage

# a sentence end: punctuation, optionally closed by a quote, bracket or emphasis; or a label's colon
FINISHED = re.compile(r"""[。！？!?.；;:：…)）」』"'”’*`]\s*$""")


class DropUnfinished(Stage):
    name = "unfinished"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if not ctx.cut_off:
            return
        last = next((i for i in reversed(range(len(draft.segments)))
                     if not isinstance(draft.segments[i], Gap)), None)
        if last is not None and isinstance(s := draft.segments[last], Sentence) and not FINISHED.search(s.text):
            draft.remove([last], self.name)
