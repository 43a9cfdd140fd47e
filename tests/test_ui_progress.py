"""The web UI's interview progress, through the tab handlers with a fake engine (the knowledge base's questions, a
hash embedder, no model), a temporary store and a fake clock: the practice mode, the rating buttons, the note when
nothing could be saved, the Progress tab's figures and charts, re-opening a past session, and two logged-in users
kept apart (the login user is the profile, taken from the request)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chatbot.interview.config import InterviewConfig
from chatbot.interview.practice import Practice
from chatbot.interview.topics import topic_name
from chatbot.store.open import LOCAL_PROFILE, open_store
from chatbot.ui.interview import InterviewTab
from chatbot.ui.profile import profile_of
from chatbot.ui.progress import ProgressTab
from chatbot.ui.texts import MODE_CHOSEN
from indexer.kb.parser import parse_kb
from tests.fakes import FakeRequest, HashEmbedder

KB_DIR = Path(__file__).resolve().parent.parent / "kb"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class FakeIndex:
    questions: dict
    embedder: HashEmbedder = field(default_factory=HashEmbedder)


class FakeEngine:
    def __init__(self, questions) -> None:
        self.config = InterviewConfig(llm_grading=False)
        self.index = FakeIndex({q.id: q for q in questions})

    def chat_model(self):
        return None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def questions():
    return parse_kb(KB_DIR).questions


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tabs(tmp_path, questions, clock):
    practice = Practice(open_store("", tmp_path, T0), questions, clock=clock)
    return (InterviewTab(FakeEngine(questions), practice=practice, use_llm=False),  # type: ignore[arg-type]
            ProgressTab(lambda: practice, clock=clock))


ANN, BOB = FakeRequest("ann"), FakeRequest("bob")


def test_the_profile_is_the_login_user_or_the_local_one():
    assert profile_of(ANN) == "ann" and profile_of(FakeRequest(None)) == LOCAL_PROFILE and profile_of(None) == "local"


def test_starting_says_how_the_questions_were_chosen(tabs):
    interview, _ = tabs
    view = interview.start([], 2, "all", None, "new", ANN)
    assert view.session is not None and view.session.mode == "new" and view.session.profile == "ann"
    assert MODE_CHOSEN["new"] in view.feedback
    view = interview.start([], 2, "all", None, "due", ANN)
    assert "no question is due" in view.feedback and view.session is None  # a clear message, no session lost


def test_a_grade_shows_its_suggested_rating_and_a_button_changes_it(tabs):
    interview, _ = tabs
    session = interview.start([], 2, "all", None, "auto", ANN).session
    view = interview.answer("梯度累积：多个小批量累加梯度后再更新参数。", session)
    assert "/10" in view.feedback and "review rating" in view.feedback
    view = interview.rate("easy", view.session)
    assert "rated **简单 / Easy**" in view.feedback and "next review" in view.feedback
    stored = interview.practice.store.answers("ann")
    assert [a.rating for a in stored] == [4]


def test_rating_before_any_answer_is_a_message(tabs):
    interview, _ = tabs
    session = interview.start([], 2, "all", None, "auto", ANN).session
    assert "nothing answered" in interview.rate("good", session).feedback
    assert "还没有进行中的面试" in interview.rate("good", None).feedback


def test_a_store_that_cannot_write_shows_the_grade_with_a_not_saved_note(tmp_path, questions, clock):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    practice = Practice(open_store("", blocker / "data", T0), questions, clock=clock)
    interview = InterviewTab(FakeEngine(questions), practice=practice, use_llm=False)  # type: ignore[arg-type]
    view = interview.start([], 1, "all", None, "auto", ANN)
    assert "not saved" in view.feedback  # said up front
    view = interview.answer("an answer", view.session)
    assert "/10" in view.feedback and "未保存 / not saved" in view.feedback and "cannot create" in view.feedback


def test_the_progress_tab_shows_figures_charts_and_reopens_a_session(tabs, clock):
    interview, progress = tabs
    session = interview.start([], 2, "all", None, "new", ANN).session
    interview.answer("第一个回答", session)
    interview.skip(session)
    clock.now = T0 + timedelta(days=1)
    view = progress.show(ANN)
    assert "学习进度 / Progress · ann" in view.overview and "due today" in view.overview
    assert list(view.days.columns[:2]) == ["day", "score"] and view.days["day"].tolist() == ["2026-03-02"]
    assert len(view.topics) >= 1 and set(view.topics.columns) >= {"topic", "score"}
    choices = view.sessions["choices"]
    assert len(choices) == 1 and choices[0][1] == session.session_id
    detail = progress.open_session(session.session_id, ANN)
    first, second = (i.question.id for i in session.items)
    assert first in detail and second in detail and "skipped" in detail and "第一个回答" in detail


def test_two_users_are_kept_apart_in_the_web_tabs(tabs):
    interview, progress = tabs
    session = interview.start([], 1, "all", None, "new", ANN).session
    interview.answer("ann's answer", session)
    assert "0 次作答" in progress.show(BOB).overview and progress.show(BOB).sessions["choices"] == []
    assert "ann's answer" not in progress.open_session(session.session_id, BOB)  # bob cannot open ann's session
    assert "ann's answer" in progress.open_session(session.session_id, ANN)


def test_a_database_moved_aside_is_said_in_the_progress_tab(tmp_path, questions, clock):
    (tmp_path / "progress.sqlite3").write_bytes(b"not a database " * 100)
    practice = Practice(open_store("", tmp_path, T0), questions, clock=clock)
    overview = ProgressTab(lambda: practice, clock=clock).show(ANN).overview
    assert "moved to" in overview and "corrupt" in overview and "Progress · ann" in overview


def test_three_days_in_the_tabs_the_wrong_answer_comes_back_first_and_the_charts_show_it(tmp_path, questions, clock):
    # Read as a user would: three sessions on three days, graded by the embedding grader (hash vectors: the
    # reference answer itself scores 10, "不知道" 0), Q73 answered wrongly on day 1, Q2 and Q74 well.
    pool = [q for q in questions if q.id in {"Q2", "Q73", "Q74"}]
    practice = Practice(open_store("", tmp_path, T0), pool, clock=clock)
    interview = InterviewTab(FakeEngine(pool), practice=practice, use_llm=False)  # type: ignore[arg-type]
    progress = ProgressTab(lambda: practice, clock=clock)

    def session_of_the_day(day: int, mode: str, wrong: set[str]) -> list[tuple[str, float]]:
        clock.now = T0 + timedelta(days=day)
        session = interview.start([], 3, "all", None, mode, ANN).session
        assert session is not None
        done = []
        while (item := session.current()) is not None:
            q = item.question
            interview.answer("不知道" if q.id in wrong else q.answer, session)
            done.append((q.id, item.grade.score if item.grade else -1.0))
        return done

    day1 = session_of_the_day(0, "auto", wrong={"Q73"})  # nothing due yet: a random set of all three
    assert sorted(day1) == [("Q2", 10.0), ("Q73", 0.0), ("Q74", 10.0)]
    after_day1 = progress.show(ANN)
    bars = dict(zip(after_day1.topics["topic"], after_day1.topics["score"], strict=True))
    assert min(bars, key=bars.__getitem__) == topic_name("training_optimisation", "zh") and min(bars.values()) == 0.0

    clock.now = T0 + timedelta(days=1)
    assert "`Q73`" in progress.show(ANN).overview.split("due today:**")[1].split("\n")[0]  # only Q73 is due
    assert session_of_the_day(1, "auto", wrong=set()) == [("Q73", 10.0)]  # it comes back first, alone

    session_of_the_day(2, "random", wrong=set())
    view = progress.show(ANN)
    assert view.days.to_dict("list") == {"day": ["2026-03-02", "2026-03-03", "2026-03-04"],
                                         "score": [6.67, 10.0, 10.0], "answers": [3, 1, 3]}  # the line chart
    assert set(view.topics["score"]) == {10.0}  # the bar chart: Q73's topic has caught up
    assert len(view.sessions["choices"]) == 3
    cards = {c.card_key: c for c in practice.store.cards("ann")}
    assert cards["Q73"].due < min(cards["Q2"].due, cards["Q74"].due)  # still reviewed soonest
