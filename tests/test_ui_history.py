"""The Chat tab's memory through its handlers, on a temporary store: a conversation is saved after each answer and
listed newest first, re-opened with its turns (so follow-ups continue), deleted; a 👍/👎 is stored with the
question, the answer, its sources and the model; users never see each other's conversations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from chatbot.rag.followup import Turn
from chatbot.store.open import open_store
from chatbot.ui.chat import ChatView
from chatbot.ui.history import HistoryTab
from tests.fakes import FakeRequest

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class FakeLike:
    index: int
    liked: bool | str


ANN, BOB = FakeRequest("ann"), FakeRequest("bob")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path):
    opened = open_store("", tmp_path, T0)
    yield opened
    opened.close()


@pytest.fixture
def history(store) -> HistoryTab:
    return HistoryTab(lambda: store, clock=Clock())


def test_a_conversation_is_saved_after_each_answer_and_reopened_with_its_turns(history):
    turns = [Turn("什么是梯度累积？", "什么是梯度累积？", "把梯度累加 [Q73]。")]
    conversation, listing, note = history.save(turns, None, ANN)
    assert note == "" and listing["value"] == conversation
    turns.append(Turn("举个例子", "梯度累积 举个例子", "```python\nloss.backward()\n```"))
    again, _, _ = history.save(turns, conversation, ANN)
    assert again == conversation  # the same conversation, one more turn
    messages, _, reopened, opened_id, note = history.open(conversation, ANN)
    assert reopened == turns and opened_id == conversation and len(messages) == 4 and note == ""


def test_conversations_are_listed_newest_first_and_deleted(history):
    first, _, _ = history.save([Turn("first", "first", "a")], None, ANN)
    second, _, _ = history.save([Turn("second", "second", "b")], None, ANN)
    assert [cid for _, cid in history.choices(ANN)] == [second, first]
    listing, messages, _, turns, conversation = history.delete(second, ANN)
    assert [cid for _, cid in listing["choices"]] == [first] and messages == [] and turns == [] and conversation is None


def test_users_never_see_each_others_conversations(history):
    mine, _, _ = history.save([Turn("ann's question", "q", "a")], None, ANN)
    assert history.choices(BOB) == []
    assert history.open(mine, BOB).turns == [] and "no conversation" in history.open(mine, BOB).note
    history.delete(mine, BOB)  # not bob's to delete
    assert [cid for _, cid in history.choices(ANN)] == [mine]


def test_a_thumb_is_stored_with_question_answer_sources_and_model(history, store):
    turns = [Turn("Q1?", "Q1?", "first answer [Q4]"), Turn("Q2?", "Q2?", "second answer [Q73]")]
    info = {"sources": [{"id": "Q73"}, {"id": "Q10"}], "model": "qwen-1.5b"}
    conversation, _, _ = history.save(turns, None, ANN)
    assert history.feedback(turns, info, conversation, FakeLike(3, True), ANN) == ""  # the 2nd answer (message 3)
    assert history.feedback(turns, info, conversation, FakeLike(1, False), ANN) == ""  # the 1st: its own citations
    rows = store.feedback("ann")
    assert [(r.question, r.answer, r.sources, r.model, r.liked, r.conversation_id) for r in rows] == [
        ("Q2?", "second answer [Q73]", ["Q73", "Q10"], "qwen-1.5b", True, conversation),
        ("Q1?", "first answer [Q4]", ["Q4"], "", False, conversation)]
    history.feedback(turns, info, conversation, FakeLike(99, True), ANN)  # not a message of this conversation: ignored
    assert len(store.feedback("ann")) == 2 and store.feedback("bob") == []


def test_a_store_that_cannot_write_says_the_conversation_was_not_saved(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    broken = open_store("", blocker / "data", T0)
    history = HistoryTab(lambda: broken, clock=Clock())
    conversation, _, note = history.save([Turn("q", "q", "a")], None, ANN)
    assert conversation is None and "not saved" in note
    assert history.choices(ANN) == []


def test_the_warm_up_reads_every_users_recent_answers_and_nothing_from_a_broken_store(history, tmp_path):
    history.save([Turn("q1", "q1", "a1 [Q4]"), Turn("q2", "q2", "a2 [Q73, E5]")], None, ANN)
    history.save([Turn("q3", "q3", "a3 [Q73]")], None, BOB)
    assert history.recent_answers() == ["a3 [Q73]", "a1 [Q4]", "a2 [Q73, E5]"]  # the newest conversation first
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert HistoryTab(lambda: open_store("", blocker / "data", T0)).recent_answers() == []


class FakeChat:
    """The Chat tab's `ask`: a searching view, then the final one with the new turn."""

    def ask(self, message, turns):
        turns = list(turns or [])
        yield ChatView([], "searching", turns, "", None)
        yield ChatView([], "sources", turns + [Turn(message, message, f"answer to {message}")], "", {})


def test_asking_saves_the_conversation_on_the_server_when_the_answer_is_final(store):
    history = HistoryTab(lambda: store, FakeChat(), clock=Clock())  # type: ignore[arg-type]
    views = list(history.ask("什么是张量？", [], None, ANN))
    conversation = views[-1][-1]
    assert [v[-1] for v in views[:-1]] == [None, None] and conversation is not None
    follow_up = list(history.ask("举个例子", views[-1][2], conversation, ANN))
    assert follow_up[-1][-1] == conversation  # the same conversation goes on
    assert [t["question"] for t in store.conversation("ann", conversation).turns] == ["什么是张量？", "举个例子"]
