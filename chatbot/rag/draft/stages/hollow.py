"""Structure with nothing in it does not reach the user: a list item left with only its marker ("1. Import the
libraries:" announced a block, and both went), a list item or heading that only labels what should follow it
when nothing follows (the DistributedDataParallel answer had four numbered headings, "1. **安装 PyTorch 和
torch.distributed**：", with nothing under them), and a label opening the answer with nothing before it (with
the model's code gone, the one-layer-net answer opened with a bare "解释：")."""
from __future__ import annotations

import re

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Code, Draft, Gap, Note, Sentence
from chatbot.rag.draft.stages.base import Stage

_LIST_MARKER = re.compile(r"^(?:\d{1,2}[.)]|[-*+])$")
_HEADING = re.compile(r"^(#{1,6})\s")
_LABEL = re.compile(r"^[#*\s]*(?:代码)?(?:解释|说明|解析|explanation|code explanation)[ \t*]*[：:][ \t*]*$", re.I)


def _lines(draft: Draft) -> list[range]:
    """The draft's lines of prose, in order (code blocks and notes are lines of their own)."""
    lines: list[range] = []
    i = 0
    while i < len(draft.segments):
        if isinstance(draft.segments[i], Gap):
            i += 1
            continue
        line = draft.line_of(i) if isinstance(draft.segments[i], Sentence) else range(i, i + 1)
        lines.append(line)
        i = line.stop
    return lines


def _indent(draft: Draft, line: range) -> int:
    before = draft.segments[line.start - 1] if line.start else None
    return len(before.text.rsplit("\n", 1)[-1].expandtabs(4)) if isinstance(before, Gap) else 0


def _item_level(draft: Draft, line: range) -> tuple[int, int] | None:
    """(kind, depth) of a list-item or heading line: headings by level (kind 0), items by indentation (kind 1)."""
    first = draft.segments[line.start]
    if not isinstance(first, Sentence):
        return None
    if m := _HEADING.match(first.text):
        return 0, len(m.group(1))
    if _LIST_MARKER.match(first.text) or re.match(r"^(?:\d{1,2}[.)]|[-*+])\s", first.text):
        return 1, _indent(draft, line)
    return None


def _is_label(draft: Draft, line: range) -> bool:
    last = draft.segments[line.stop - 1]
    return isinstance(last, Sentence) and (last.text.rstrip(" *").endswith((":", "：")) or
                                          bool(_HEADING.match(last.text)))


class DropHollow(Stage):
    name = "hollow"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        drop: set[int] = set()
        lines = _lines(draft)
        for n, line in enumerate(lines):
            words = [j for j in line if isinstance(draft.segments[j], Sentence)]
            if len(words) == 1 and _LIST_MARKER.match(draft.segments[words[0]].text):
                drop.add(words[0])
                continue
            # while streaming, the last line "1" is a marker not yet finished: shown, it became "1" and then, one
            # piece later, a separate "1. …" in the terminal
            if ctx.streaming and n == len(lines) - 1 and len(words) == 1 and draft.segments[words[0]].text.isdigit():
                drop.add(words[0])
                continue
            level = _item_level(draft, line)
            if level is None or not _is_label(draft, line) or ctx.streaming and n == len(lines) - 1:
                continue
            nxt = next((ln for ln in lines[n + 1:] if not set(ln) <= drop), None)
            nxt_level = _item_level(draft, nxt) if nxt is not None else None
            ends_prose = nxt is None or isinstance(draft.segments[nxt.start], Code | Note)
            if ends_prose or nxt_level is not None and nxt_level[0] == level[0] and nxt_level[1] <= level[1]:
                drop.update(line)
        first = next((i for i, s in enumerate(draft.segments) if not isinstance(s, Gap) and i not in drop), None)
        if first is not None and isinstance(s := draft.segments[first], Sentence) and _LABEL.match(s.text):
            drop.add(first)
        draft.remove(drop, self.name)
