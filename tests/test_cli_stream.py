"""`python -m chatbot ask` prints the answer as it grows: only what no later version changes, never a piece
of text spliced onto another (the growing answer's end changes as a citation marker moves along or a retry
starts over). No index and no model: a fake answerer yields the versions."""
from __future__ import annotations

import io

from chatbot.cli import _ask_one
from chatbot.records import Delta, Final


class VersionsAnswerer:
    def __init__(self, versions: list[str]) -> None:
        self.versions = versions

    def prepare(self, question, history):
        return question

    def stream(self, prepared, history, *, use_llm):
        for text in self.versions:
            yield Delta(text)
        yield Final(self.versions[-1])  # type: ignore[arg-type]


def printed(versions: list[str]) -> str:
    out = io.StringIO()
    _ask_one(VersionsAnswerer(versions), "q", [], use_llm=True, stream_to=out)
    return out.getvalue()


def test_a_moving_citation_marker_is_not_printed_until_it_settles():
    shown = printed(["Cross [Q26]", "Cross-entropy [Q26]", "Cross-entropy measures [Q26]", "Cross-entropy measures [Q26]"])
    assert shown == "Cross-entropy measures [Q26]"


def test_a_retry_that_starts_over_is_not_spliced_onto_what_was_printed():
    shown = printed(["First try, ", "First try, cut", "⏳ Writing it again… ", "⏳ Writing it again… Second"])
    assert shown == "First try, " and "Second" not in shown
