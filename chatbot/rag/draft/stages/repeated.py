"""A sentence the answer already said does not reach the user twice. The 1.5B model repeats a sentence word for
word, most often at the end of a list item that mirrors an earlier one ("这使得代码在运行时可以被优化，如算子融合、
常量折叠和内存复用。" closed both the trace and the script item of a TorchScript answer); the repeat adds nothing and
reads as a broken answer. The first occurrence stays; a list item left empty goes with the next DropHollow."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from chatbot.calibration import REPEATED_SENTENCE
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Sentence
from chatbot.rag.draft.stages.base import Stage
from indexer.text import LIST_MARKER

MIN_CHARS = 10  # shorter pieces ("是的。", "例如：") repeat without saying anything twice
_LABEL = re.compile(r"^(?:\*\*[^*]{1,30}\*\*|[^：:，,。*]{1,20})\s*[：:]\s*")  # "**CPU 核数**：", "Text generation:"
_NOISE = re.compile(r"[\W_]+")


def said(sentence: str) -> str:
    """What a sentence says, for comparing: without its list marker, its label and everything but words."""
    return _NOISE.sub("", _LABEL.sub("", LIST_MARKER.sub("", sentence), count=1)).lower()


class DropRepeated(Stage):
    name = "repeated"
    while_streaming = True  # shown and then taken back, a repeat would make the stream jump

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        earlier: list[str] = []
        drop: list[int] = []
        for i, seg in enumerate(draft.segments):
            if not isinstance(seg, Sentence) or len(words := said(seg.text)) < MIN_CHARS:
                continue
            if any(_same(words, e) for e in earlier):
                drop.append(i)
            else:
                earlier.append(words)
        draft.remove(drop, self.name)


def _same(a: str, b: str) -> bool:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # the two cheap upper bounds first: most pairs of an answer differ in length or characters enough to stop there
    threshold = REPEATED_SENTENCE.value
    return (matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
            and matcher.ratio() >= threshold)
