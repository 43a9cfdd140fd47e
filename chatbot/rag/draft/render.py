"""A draft as Markdown: the one renderer of answers, for the growing stream and for the final text."""
from __future__ import annotations

import re

from chatbot.rag.draft.markers import marker
from chatbot.rag.draft.segments import Code, Draft, Gap, Note, Segment, Sentence

# put right after a sentence that neither a passage holds nor the check confirmed (explained in a closing note)
UNCONFIRMED = " ⁽?⁾"
# blank lines a removed block leaves (also the indented ones of a block inside a list item)
_BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)*")


def render(draft: Draft) -> str:
    segments = _merged_gaps(draft.segments)
    out: list[str] = []
    for i, seg in enumerate(segments):
        if isinstance(seg, Sentence):
            out.append(seg.text + (UNCONFIRMED if seg.support == "marked" else ""))
            # one marker per run: a sentence followed by one citing the same id stays bare, so an answer
            # drawn from one passage is not peppered with the same id; a paragraph ends a run (the lead's last
            # sentence looked uncited when the model's first paragraph cited the same entry)
            if seg.citation and _next_citation(segments, i) != seg.citation:
                out.append(" " + marker(seg.citation))
        elif isinstance(seg, Gap):
            out.append(_BLANK_RUN.sub("\n\n", seg.text) if i and i < len(segments) - 1 else "")
        elif isinstance(seg, Code):
            out.append(seg.text + (f"\n{marker(seg.source)}" if seg.source and seg.origin == "model" else ""))
        else:
            out.append(seg.text)
    return "".join(out).strip()


def _merged_gaps(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for seg in segments:
        if isinstance(seg, Gap) and out and isinstance(out[-1], Gap):
            out[-1] = Gap(out[-1].text + seg.text)
        else:
            out.append(seg)
    return out


def _next_citation(segments: list[Segment], i: int) -> str | None:
    j = i + 1
    while j < len(segments) and isinstance(segments[j], Gap):
        if segments[j].text.count("\n") > 1:
            return None
        j += 1
    nxt = segments[j] if j < len(segments) else None
    return nxt.citation if isinstance(nxt, Sentence) else None


def note_block(kind: str, text: str) -> list[Segment]:
    """A note set off as its own paragraph."""
    return [Gap("\n\n"), Note(kind, text), Gap("\n\n")]
