"""Structure with nothing in it does not reach the user: a list item left with only its marker ("1. Import the
libraries:" announced a block, and both went), and a label opening the answer with nothing before it (with the
model's code gone, the one-layer-net answer opened with a bare "解释：")."""
from __future__ import annotations

import re

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Gap, Sentence
from chatbot.rag.draft.stages.base import Stage

_LIST_MARKER = re.compile(r"^(?:\d{1,2}[.)]|[-*+])$")
_LABEL = re.compile(r"^[#*\s]*(?:代码)?(?:解释|说明|解析|explanation|code explanation)[ \t*]*[：:][ \t*]*$", re.I)


class DropHollow(Stage):
    name = "hollow"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        drop: set[int] = set()
        for i, seg in enumerate(draft.segments):
            if isinstance(seg, Sentence) and _LIST_MARKER.match(seg.text):
                line = draft.line_of(i)
                if all(j == i or isinstance(draft.segments[j], Gap) for j in line):
                    drop.add(i)
        first = next((i for i, s in enumerate(draft.segments) if not isinstance(s, Gap) and i not in drop), None)
        if first is not None and isinstance(s := draft.segments[first], Sentence) and _LABEL.match(s.text):
            drop.add(first)
        draft.remove(drop, self.name)
