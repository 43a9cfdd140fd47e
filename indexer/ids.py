"""Question ids ("Q73", "E5"): the one parser for what users type, and the ranges a knowledge base holds."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from indexer.records import Question

# A question id as the project writes it: a 1-3 letter series prefix and a number ("Q73", "E5"). Added documents
# get prefixes of the same shape (indexer/documents/naming.py), so their ids are cited and parsed like these.
MAX_PREFIX_LETTERS = 3
PREFIX = rf"[A-Z]{{1,{MAX_PREFIX_LETTERS}}}"
QID = rf"{PREFIX}\d{{1,4}}"
# "Q73", "q 73", "Q-73", or a bare number (the first series' prefix is assumed).
_ID = re.compile(r"^\s*([A-Za-z]{1,3})\s*-?\s*(\d{1,4})\s*$")
_NUMBER = re.compile(r"^\s*(\d{1,4})\s*$")
_PREFIX = re.compile(r"^[A-Z]+")


def is_question_id(text: str) -> bool:
    return re.fullmatch(QID, text or "") is not None


def is_prefix(text: str) -> bool:
    """Whether `text` can start an id ("Q", "IN"): what an added document's prefix must be."""
    return re.fullmatch(PREFIX, text or "") is not None


def prefix_of(qid: str) -> str:
    m = _PREFIX.match(qid)
    return m.group(0) if m else ""


def id_like(text: str, default_prefix: str = "Q") -> str | None:
    """The id `text` is written as ("q 73" -> "Q73", "73" -> "Q73"), known or not; None if it is no id."""
    m = _ID.match(text)
    if m:
        return f"{m.group(1).upper()}{int(m.group(2))}"
    m = _NUMBER.match(text)
    return f"{default_prefix}{int(m.group(1))}" if m else None


def default_prefix(questions: Mapping[str, Question]) -> str:
    """The prefix a bare number means: the first series' (the knowledge base's own order)."""
    first = next(iter(questions), "Q")
    return prefix_of(first) or "Q"


def parse_question_id(text: str, known: Mapping[str, Question], default: str | None = None) -> str | None:
    """'Q73', 'q 73', '73' (first series) or 'E5' -> a known id, else None."""
    qid = id_like(text, default or default_prefix(known))
    return qid if qid in known else None


def id_ranges(questions: Iterable[Question]) -> list[tuple[str, str, int, int]]:
    """(series, prefix, first number, last number) per series, in knowledge-base order."""
    ranges: dict[tuple[str, str], list[int]] = {}
    for q in questions:
        ranges.setdefault((q.series, prefix_of(q.id)), []).append(q.number)
    return [(series, prefix, min(nums), max(nums)) for (series, prefix), nums in ranges.items()]
