"""A mock interview that remembers, read as a user would, with a fake clock and grades given by hand (the graders
have their own tests): the rating a grade suggests, due dates as FSRS computes them, the user's override, twins
sharing a card, choosing due / new / weak / random, and a store that cannot write never hiding a grade."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Card, Rating

from chatbot.interview.grade import Grade
from chatbot.interview.practice import Practice, check_profile
from chatbot.interview.progress import build_progress
from chatbot.interview.review import make_scheduler, parse_rating, suggested_rating
from chatbot.interview.topics import topic_of
from chatbot.interview.twins import card_keys
from chatbot.store.open import open_store
from indexer.kb.parser import parse_kb
from indexer.records import Question

KB_DIR = Path(__file__).resolve().parent.parent / "kb"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return parse_kb(KB_DIR).questions


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def practice(tmp_path, questions, clock) -> Practice:
    return Practice(open_store("", tmp_path, T0), questions, clock=clock)


def grade(score: float, graded_by: str = "embedding") -> Grade:
    return Grade(score, ["p"], ["p"] if score >= 6 else [], [] if score >= 6 else ["p"], graded_by)  # type: ignore[arg-type]


def answer_all(practice: Practice, session, scores: dict[str, float], default: float = 9.5) -> None:
    while (item := session.current()) is not None:
        practice.answer_graded(session, "my answer", grade(scores.get(item.question.id, default)))


def practice_question(questions: list[Question], qid: str) -> Question:
    return next(q for q in questions if q.id == qid)


# ------------------------------------------------------------------------------ the rating a grade suggests
@pytest.mark.parametrize("score, skipped, graded_by, hints, expected", [
    (0.0, False, "none", 0, Rating.Again),  # nothing to grade ("不知道")
    (9.9, True, "embedding", 0, Rating.Again),  # skipped
    (3.9, False, "embedding", 0, Rating.Again),
    (4.0, False, "embedding", 0, Rating.Hard),
    (5.9, False, "llm", 0, Rating.Hard),
    (6.0, False, "llm", 0, Rating.Good),
    (8.9, False, "embedding", 0, Rating.Good),
    (9.0, False, "embedding", 0, Rating.Easy),
    (9.0, False, "embedding", 1, Rating.Good),  # a hint lowers it one step
    (6.0, False, "embedding", 2, Rating.Again),
    (4.5, False, "embedding", 5, Rating.Again),  # never below Again
])
def test_a_grade_suggests_a_rating(score, skipped, graded_by, hints, expected):
    assert suggested_rating(score, skipped=skipped, graded_by=graded_by, hints=hints) == expected


@pytest.mark.parametrize("text, expected", [("again", Rating.Again), ("Hard", Rating.Hard), ("3", Rating.Good),
                                            (" EASY ", Rating.Easy), (4, Rating.Easy)])
def test_a_rating_is_read_from_its_name_or_number(text, expected):
    assert parse_rating(text) == expected


@pytest.mark.parametrize("text", ["", "great", "5", "0"])
def test_an_unknown_rating_is_refused(text):
    with pytest.raises(ValueError, match="Again, Hard, Good or Easy"):
        parse_rating(text)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_bad_profile_name_is_refused(name):
    with pytest.raises(ValueError):
        check_profile(name)


# ------------------------------------------------------------------------------ due dates
def test_the_due_date_is_the_one_fsrs_computes(practice, clock):
    session = practice.start("ann", None, 1, mode="new", seed=1)
    qid = session.items[0].question.id
    practice.answer_graded(session, "ok", grade(7.0))  # Good
    (card,) = practice.store.cards("ann")
    expected, _ = make_scheduler().review_card(Card(due=T0), Rating.Good, review_datetime=T0)
    assert card.due == expected.due and card.card_key == card_keys(practice.questions)[qid]
    assert session.items[0].rating == int(Rating.Good) and session.items[0].answer_id is not None


def test_a_wrong_answer_comes_back_sooner_than_a_good_one(practice, clock):
    session = practice.start("ann", None, 2, mode="new", seed=2)
    wrong, right = (i.question.id for i in session.items)
    answer_all(practice, session, {wrong: 1.0, right: 9.5})
    due = {c.card_key: c.due for c in practice.store.cards("ann")}
    keys = card_keys(practice.questions)
    assert due[keys[wrong]] < due[keys[right]]
    # and again after a second review a day later: Again keeps it short, Easy stretches it
    clock.advance(days=1)
    again = practice.start("ann", None, 5)
    assert again.mode == "due" and [i.question.id for i in again.items] == [wrong]


def test_the_user_overrides_the_suggested_rating_before_the_next_question(practice, clock):
    session = practice.start("ann", None, 2, mode="new", seed=3)
    practice.answer_graded(session, "ok", grade(9.5))  # Easy suggested
    easy_due = practice.store.cards("ann")[0].due
    item, card = practice.rerate(session, "again")
    assert item.suggested == int(Rating.Easy) and item.rating == int(Rating.Again)
    assert card.due < easy_due
    assert practice.store.answers("ann")[0].rating == int(Rating.Again)
    assert practice.store.cards("ann")[0].due == card.due


def test_rerating_with_nothing_answered_is_a_clear_error(practice):
    session = practice.start("ann", None, 2, mode="new", seed=3)
    with pytest.raises(ValueError, match="nothing answered"):
        practice.rerate(session, "good")


def test_a_skip_is_saved_as_again(practice):
    session = practice.start("ann", None, 1, mode="new", seed=4)
    practice.skip(session)
    (stored,) = practice.store.answers("ann")
    assert stored.skipped and stored.rating == int(Rating.Again) and stored.score == 0.0


def test_hints_and_the_users_time_are_saved(practice, clock):
    from chatbot.interview.session import hint

    session = practice.start("ann", None, 1, mode="new", seed=5)
    hint(session, "en")
    clock.advance(seconds=95)
    practice.answer_graded(session, "ok", grade(9.5))
    (stored,) = practice.store.answers("ann")
    assert stored.hints == 1 and stored.answer_seconds == 95.0 and stored.rating == int(Rating.Good)


# ------------------------------------------------------------------------------ twins and choosing
def test_twins_share_one_card(practice, questions):
    keys = card_keys(questions)
    assert keys["Q17"] == keys["Q35"] == keys["Q45"] == keys["E18"] == "Q17"
    session = practice.start("ann", ["training_optimisation"], 200, series="interview", mode="new", seed=6)
    asked = [i.question.id for i in session.items]
    assert "E18" in asked or "E19" in asked
    answer_all(practice, session, {})
    assert "Q17" in {c.card_key for c in practice.store.cards("ann")}
    main = practice.start("ann", ["training_optimisation"], 200, series="main", mode="new", seed=6)
    assert not {"Q17", "Q35", "Q45"} & {i.question.id for i in main.items}  # already answered as E18/E19


def test_due_is_the_default_only_when_something_is_due(practice, clock):
    first = practice.start("ann", None, 3, seed=7)
    assert first.mode == "random"
    answer_all(practice, first, {})
    assert practice.start("ann", None, 3, seed=7).mode == "random"  # nothing due yet
    clock.advance(days=40)
    assert practice.start("ann", None, 3, seed=7).mode == "due"


def test_new_leaves_out_answered_questions_and_weak_starts_with_the_weakest_topic(practice, questions):
    session = practice.start("ann", None, 6, mode="new", seed=8)
    scores = {i.question.id: s for i, s in zip(session.items, [1.0, 9.5, 9.5, 5.0, 9.5, 9.5])}
    answer_all(practice, session, scores)
    answered = set(scores)
    fresh = practice.start("ann", None, 200, mode="new", seed=9)
    assert not answered & {i.question.id for i in fresh.items}
    weak = practice.start("ann", None, 6, mode="weak")
    by_topic: dict[str, list[float]] = {}
    for qid, score in scores.items():
        by_topic.setdefault(topic_of(practice_question(questions, qid)), []).append(score)
    weakest = min(by_topic, key=lambda t: sum(by_topic[t]) / len(by_topic[t]))
    first = weak.items[0].question
    assert topic_of(first) == weakest and scores[first.id] == min(by_topic[weakest])
    assert {i.question.id for i in weak.items} == answered  # answered ones only


def test_nothing_due_is_a_clear_message(practice):
    with pytest.raises(ValueError, match="no question is due"):
        practice.start("ann", None, 3, mode="due")
    with pytest.raises(ValueError, match="unknown practice mode"):
        practice.start("ann", None, 3, mode="sometimes")


# ------------------------------------------------------------------------------ users and faults
def test_two_users_are_kept_apart(practice):
    session = practice.start("ann", None, 2, mode="new", seed=10)
    answer_all(practice, session, {})
    assert practice.store.answers("bob") == [] and practice.cards("bob") == []
    assert practice.start("bob", None, 2, seed=10).mode == "random"


def test_a_store_that_cannot_write_still_shows_the_grade_and_says_not_saved(tmp_path, questions, clock):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    practice = Practice(open_store("", blocker / "data", T0), questions, clock=clock)
    session = practice.start("ann", None, 1, mode="new", seed=11)
    shown = practice.answer_graded(session, "ok", grade(8.0))
    item = session.items[0]
    assert shown.score == 8.0 and item.grade is shown and item.answer_id is None
    assert "cannot create the data folder" in item.not_saved and session.finished


# ------------------------------------------------------------------------------ three days, read as a user would
def test_three_days_the_wrong_answer_comes_back_first_and_the_charts_show_it(practice, clock, questions):
    day1 = practice.start("ann", None, 5, mode="new", seed=12)
    wrong = day1.items[0].question.id
    answer_all(practice, day1, {wrong: 1.0}, default=9.5)

    clock.advance(days=1)
    day2 = practice.start("ann", None, 5)  # due by default
    assert day2.mode == "due" and day2.items[0].question.id == wrong and len(day2.items) == 1
    answer_all(practice, day2, {wrong: 6.5})

    clock.advance(days=1)
    day3 = practice.start("ann", None, 5, mode="random", seed=13)
    answer_all(practice, day3, {}, default=8.0)

    report = build_progress(practice.store, "ann", questions, clock(), zone=UTC)
    assert [d.day for d in report.days] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert report.days[0].mean == round((1.0 + 4 * 9.5) / 5, 2) and report.days[1].mean == 6.5
    assert [s.id for s in report.sessions] == [day3.session_id, day2.session_id, day1.session_id]
    assert report.sessions[-1].answered == 5
    keys = card_keys(questions)
    row = next(c for c in report.cards if c.id == keys[wrong])
    assert row.reviews == 2 and row.latest_score == 6.5
    seen = sum(t.seen for t in report.topics)
    assert seen == len({c.card_key for c in practice.store.cards("ann")})
    assert report.to_json()["cards"][0].keys() >= {"id", "latest_score", "reviews", "due"}
