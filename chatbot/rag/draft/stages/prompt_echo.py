"""A line repeating the prompt's own cues goes. The 1.5B model once ended an eval()-vs-no_grad() answer with
"What is Dropout? (Answer in English.) [code attached]": a question of its own, in the shape of the user turn."""
from __future__ import annotations

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Sentence
from chatbot.rag.draft.stages.base import Stage
from chatbot.rag.prompts import CODE_CUE, LANGUAGE_CUE

_CUES = tuple(c.strip() for c in (*LANGUAGE_CUE.values(), CODE_CUE))


class DropPromptEcho(Stage):
    name = "prompt_echo"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        drop: set[int] = set()
        for i, seg in enumerate(draft.segments):
            if isinstance(seg, Sentence) and i not in drop:
                line = draft.line_of(i)
                if any(c in draft.text_of(line) for c in _CUES):
                    drop.update(line)
        draft.remove(drop, self.name)
