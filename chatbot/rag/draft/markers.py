"""The one grammar of citation markers: what models write, what the answer carries, and ids inside them."""
from __future__ import annotations

import re

from indexer.ids import PREFIX, QID

_ID_ITEM = rf"(?:{PREFIX}\s?\d{{1,4}})"  # as models write ids: "Q73", "Q 73"
_LEAD = r"(?:(?:来源|source|sources|参考|ref)\s*[:：]?\s*)?"

# The markers models really write: `[Q73]`, `[Q73, E5]`, `【E5】`, `(Q73)`, `[来源: Q73]`, and bare numbers `[73]`.
# Only ever applied to prose, never to code (`nn.Linear(10, 1)`, `x[0]`); a bare number only where it cannot be
# an index (`a[1]`): not right after a word character or a closing bracket.
MODEL_MARKER = re.compile(
    rf"\s?[\[【]\s*{_LEAD}{_ID_ITEM}(?:\s*[,，、;]\s*(?:{_ID_ITEM}|\d{{1,3}}))*\s*[\]】]"
    rf"|\s?(?<![\w\])])[\[【]\s*{_LEAD}\d{{1,3}}(?:\s*[,，、;]\s*(?:{_ID_ITEM}|\d{{1,3}}))*\s*[\]】]"
    rf"|\s?[(（]\s*{_LEAD}{_ID_ITEM}(?:\s*[,，、;]\s*{_ID_ITEM})*\s*[)）]",  # (Q73): ids only, never (10, 1)
    re.I,
)
# What the answer itself carries once checked: `[Q73]`, `[Q73, E5]` (and `【Q73】` from older saved answers).
CITATION = re.compile(rf"[\[【]\s*((?:{QID})(?:\s*[,，、;]\s*{QID})*)\s*[\]】]")
ID = re.compile(rf"({PREFIX})\s?(\d{{1,4}})", re.I)
# The start of a marker at the very end of a growing text (`[Q7`): held back while streaming.
OPEN_MARKER = re.compile(r"[\[【(（][A-Za-z]?\d*$")


def marker(qid: str) -> str:
    return f"[{qid}]"


def ids_in(text: str) -> list[str]:
    """The question ids a marker (or any text) names, normalised: `q 73` → `Q73`."""
    return [f"{a.upper()}{int(b)}" for a, b in ID.findall(text)]


def citation_ids(answer: str) -> list[str]:
    """The ids an answer's citations name, in order, each as often as it is cited (`[Q73, E5]` names two)."""
    return [qid for m in CITATION.finditer(answer) for qid in ids_in(m.group(1))]


def strip_model_markers(prose: str) -> tuple[str, list[str]]:
    """Prose without the markers the model wrote, and the ids they named (inline code spans stay as written)."""
    ids: list[str] = []
    out: list[str] = []
    for part in re.split(r"(`[^`\n]+`)", prose):
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(part)
            continue
        for m in MODEL_MARKER.finditer(part):
            ids.extend(ids_in(m.group(0)))
        out.append(MODEL_MARKER.sub("", part))
    return "".join(out), ids
