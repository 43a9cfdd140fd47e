"""The typed draft of an answer: the model's text parsed once into sentences, the gaps between them, code
blocks with their origin, and the product's own notes. Stages (`stages/`) change the draft; `render` turns
it into Markdown, once, for the stream and for the final answer alike."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from chatbot.rag.draft.markers import strip_model_markers
from indexer.text import fenced_code, split_fenced

# How far a sentence is backed by the knowledge base:
# "cited" — a passage holds it, and it carries that passage's id (the citation stage);
# "checked" — no passage holds it word for word, but the model judged it to agree with them (the check stage);
# "marked" — neither: shown with a mark where it stands;
# "uncited" — not held by a passage and not yet checked; "unchecked" — too short to check, or still streaming;
# "quoted" — not the model's: the entry's own sentence the product opens with, or its checked translation
# (stages/lead.py).
Support = Literal["unchecked", "cited", "checked", "marked", "uncited", "quoted"]


@dataclass
class Sentence:
    text: str  # one sentence of prose, no surrounding white space (a list marker or heading mark included)
    citation: str | None = None
    support: Support = "unchecked"


@dataclass
class Gap:
    text: str  # the white space between two segments, newlines included


@dataclass
class Code:
    text: str  # the whole fenced block, fences included, exactly as written
    closed: bool = True  # False: the text ended inside it (the length limit cut it off, or it is still streaming)
    origin: Literal["model", "kb"] = "model"
    source: str | None = None  # the entry whose code it is (KB code, or model code matching an entry's lines)

    @property
    def body(self) -> str:
        """The code without its fence lines."""
        return fenced_code(self.text)[1]


@dataclass
class Note:
    kind: str  # what it says: "title_only", "kb_code", "model_code", "code_cut", "uncited", ...
    text: str  # the product's own text (its citations, if any, written in)


Segment = Sentence | Gap | Code | Note


@dataclass
class Draft:
    segments: list[Segment]
    proposed: list[str] = field(default_factory=list)  # ids the model's own markers named (checked, not trusted)
    removed: list[str] = field(default_factory=list)  # what the stages took out, by kind ("cut_code", ...)
    # the sentence check's cost and outcome: statements put to the model, seconds spent, sentences dropped
    check_calls: int = 0
    check_seconds: float = 0.0
    contradicted: int = 0

    # -- reading
    def sentences(self) -> list[Sentence]:
        return [s for s in self.segments if isinstance(s, Sentence)]

    def codes(self) -> list[Code]:
        return [s for s in self.segments if isinstance(s, Code)]

    def line_of(self, i: int) -> range:
        """The segments on the same line as segment `i` (a newline, a code block or a note ends a line)."""
        start = i
        while start > 0 and _inline(self.segments[start - 1]):
            start -= 1
        end = i + 1
        while end < len(self.segments) and _inline(self.segments[end]):
            end += 1
        return range(start, end)

    def paragraph_after(self, i: int) -> range:
        """The prose paragraph that follows segment `i` (empty when code or a note comes first)."""
        start = i + 1
        if start < len(self.segments) and isinstance(self.segments[start], Gap):
            start += 1
        end = start
        while end < len(self.segments):
            seg = self.segments[end]
            if isinstance(seg, Code | Note) or isinstance(seg, Gap) and seg.text.count("\n") > 1:
                break
            end += 1
        return range(start, end)

    def text_of(self, indexes: range) -> str:
        """The segments' text as written, joined (citations and marks left out)."""
        return "".join(self.segments[i].text for i in indexes)

    # -- changing
    def remove(self, indexes, why: str) -> None:
        drop = set(indexes)
        if drop:
            self.segments = [s for n, s in enumerate(self.segments) if n not in drop]
            self.removed.append(why)


def _inline(seg: Segment) -> bool:
    return isinstance(seg, Sentence) or isinstance(seg, Gap) and "\n" not in seg.text


# After a Chinese or ASCII sentence end, or at a newline (the newline becomes a gap of its own).
_SENTENCE_END = re.compile(r"((?<=[。！？!?；;])|(?<=\.)(?=\s)|\n)")
_EDGE_SPACE = re.compile(r"^(\s*)(.*?)(\s*)$", re.S)


def parse(raw: str) -> Draft:
    """The model's raw reply as a draft: fenced blocks become `Code`, prose is cut into `Sentence`s and `Gap`s,
    and the citation markers the model wrote are taken out of the prose (and kept in `proposed`)."""
    segments: list[Segment] = []
    proposed: list[str] = []

    def gap(text: str) -> None:
        if not text:
            return
        if segments and isinstance(segments[-1], Gap):
            segments[-1].text += text
        else:
            segments.append(Gap(text))

    for piece, closed in split_fenced(raw):
        if closed is not None:
            segments.append(Code(piece, closed))
            continue
        prose, ids = strip_model_markers(piece)
        proposed.extend(ids)
        for part in _SENTENCE_END.split(prose):
            if not part:
                continue
            lead, core, trail = _EDGE_SPACE.match(part).groups()  # type: ignore[union-attr]
            gap(lead)
            if core:
                segments.append(Sentence(core))
            gap(trail)
    return Draft(segments, proposed)
