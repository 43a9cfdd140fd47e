"""The progress store: what is written comes back, per profile, on SQLite and PostgreSQL alike; concurrent
writes lose nothing; the schema is versioned. Faults of the database file are in test_store_faults.py."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from chatbot.store import schema
from chatbot.store.errors import StoreError
from chatbot.store.migrations import recorded_version
from chatbot.store.open import open_store
from chatbot.store.records import FeedbackRecord, GradedAnswer
from tests.store_backends import *  # noqa: F403  (the store, backend and profile fixtures)
from tests.store_backends import T0


def counting_schedule(state, rating, when):
    """A stand-in scheduler: the state counts reviews and keeps the ratings; due = when + rating days."""
    state = dict(state or {"n": 0, "ratings": []})
    return {"n": state["n"] + 1, "ratings": [*state["ratings"], rating]}, when + timedelta(days=rating)


def graded(qid: str = "Q73", score: float = 7.0, **kw) -> GradedAnswer:
    return GradedAnswer(question_id=qid, card_key=kw.pop("card_key", qid), topic=kw.pop("topic", "training"),
                        answer=kw.pop("answer", "累积梯度"), score=score, covered=["a"], missing=["b"], **kw)


def test_a_graded_answer_is_kept_with_everything_about_it(store, profile):
    sid = store.start_session(profile, mode="new", topics=["training"], series="all", question_ids=["Q73"], now=T0)
    stored, card = store.record_answer(profile, sid, graded(hints=1, seconds=0.5, answer_seconds=42.0,
                                                            wrong=["x"], graded_by="embedding"),
                                       suggested=2, rating=2, now=T0, schedule=counting_schedule)
    back = store.answers(profile)
    assert [a.id for a in back] == [stored.id]
    a = back[0]
    assert (a.question_id, a.score, a.covered, a.missing, a.wrong, a.graded_by, a.hints, a.answer_seconds,
            a.session_id, a.answered_at, a.rating) == ("Q73", 7.0, ["a"], ["b"], ["x"], "embedding", 1, 42.0, sid,
                                                       T0, 2)
    assert card.reviews == 1 and card.due == T0 + timedelta(days=2) and card.last_answer_id == stored.id
    assert store.sessions(profile)[0].answered == 1 and store.sessions(profile)[0].mean_score == 7.0


def test_each_review_moves_the_card_on_from_its_last_state(store, profile):
    for day, rating in enumerate([1, 3, 4]):
        store.record_answer(profile, None, graded(), suggested=rating, rating=rating, now=T0 + timedelta(days=day),
                            schedule=counting_schedule)
    (card,) = store.cards(profile)
    assert card.state == {"n": 3, "ratings": [1, 3, 4]} and card.reviews == 3
    assert card.due == T0 + timedelta(days=2 + 4)


def test_twins_share_one_card(store, profile):
    store.record_answer(profile, None, graded("Q17"), suggested=3, rating=3, now=T0, schedule=counting_schedule)
    store.record_answer(profile, None, graded("Q35", card_key="Q17"), suggested=1, rating=1, now=T0,
                        schedule=counting_schedule)
    assert [(c.card_key, c.reviews) for c in store.cards(profile)] == [("Q17", 2)]


def test_rerating_reschedules_from_the_state_before_that_answer(store, profile):
    store.record_answer(profile, None, graded(), suggested=3, rating=3, now=T0, schedule=counting_schedule)
    later = T0 + timedelta(days=3)
    stored, _ = store.record_answer(profile, None, graded(), suggested=3, rating=3, now=later,
                                    schedule=counting_schedule)
    card = store.rerate(profile, stored.id, 1, counting_schedule)
    assert card.state["ratings"] == [3, 1] and card.due == later + timedelta(days=1)
    assert store.answers(profile)[-1].rating == 1 and store.answers(profile)[-1].suggested_rating == 3


def test_only_the_latest_answer_of_a_card_can_be_rerated(store, profile):
    first, _ = store.record_answer(profile, None, graded(), suggested=3, rating=3, now=T0,
                                   schedule=counting_schedule)
    store.record_answer(profile, None, graded(), suggested=3, rating=3, now=T0 + timedelta(days=1),
                        schedule=counting_schedule)
    with pytest.raises(StoreError, match="latest"):
        store.rerate(profile, first.id, 1, counting_schedule)


def test_profiles_are_kept_apart(store, profile):
    other = profile + "-other"
    store.record_answer(profile, None, graded("Q1"), suggested=3, rating=3, now=T0, schedule=counting_schedule)
    stored, _ = store.record_answer(other, None, graded("Q2"), suggested=3, rating=3, now=T0,
                                    schedule=counting_schedule)
    assert [a.question_id for a in store.answers(profile)] == ["Q1"]
    assert [c.card_key for c in store.cards(other)] == ["Q2"]
    with pytest.raises(StoreError, match="no answer"):
        store.rerate(profile, stored.id, 1, counting_schedule)  # another user's answer id is not found
    store.reset(profile)
    assert store.answers(profile) == [] and len(store.answers(other)) == 1


def test_text_that_looks_like_sql_is_stored_as_text(store, profile):
    evil = "x'); DROP TABLE graded_answers; --"
    store.record_answer(evil, None, graded(answer=evil), suggested=1, rating=1, now=T0, schedule=counting_schedule)
    assert store.answers(evil)[0].answer == evil and store.answers(profile) == []


def test_concurrent_writers_lose_no_row_and_no_review(store, profile):
    threads, per_thread = 6, 15
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for k in range(per_thread):
                store.record_answer(profile, None, graded(f"Q{k % 3}"), suggested=3, rating=3,
                                    now=T0 + timedelta(seconds=n * 100 + k), schedule=counting_schedule)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert len(store.answers(profile)) == threads * per_thread
    # every review moved its card on: none was lost to a read-then-write race
    assert sorted(c.reviews for c in store.cards(profile)) == [30, 30, 30]
    assert sum(c.state["n"] for c in store.cards(profile)) == threads * per_thread


def test_two_store_objects_on_one_database_see_each_other(store, backend, profile):
    second = open_store(backend[0], backend[1], T0)
    second.record_answer(profile, None, graded(), suggested=3, rating=3, now=T0, schedule=counting_schedule)
    assert len(store.answers(profile)) == 1
    second.close()


def test_the_schema_version_is_recorded(store):
    with store.opened.engine.connect() as conn:
        assert recorded_version(conn) == schema.SCHEMA_VERSION


def test_conversations_are_saved_listed_newest_first_reopened_and_deleted(store, profile):
    first = store.save_conversation(profile, None, [{"question": "什么是张量？", "answer": "…"}], T0)
    second = store.save_conversation(profile, None, [{"question": "What is autograd?", "answer": "…"}],
                                     T0 + timedelta(minutes=1))
    store.save_conversation(profile, first, [{"question": "什么是张量？", "answer": "…"},
                                             {"question": "举个例子", "answer": "…"}], T0 + timedelta(minutes=2))
    assert [c.id for c in store.conversations(profile)] == [first, second]
    assert len(store.conversation(profile, first).turns) == 2
    assert store.conversations(profile + "-other") == []
    assert store.delete_conversation(profile, second) and [c.id for c in store.conversations(profile)] == [first]
    with pytest.raises(StoreError):
        store.conversation(profile, second)


def test_feedback_is_kept_with_question_answer_sources_and_model(store, profile):
    store.add_feedback(profile, FeedbackRecord("Q?", "A.", ["Q73"], "qwen", True), T0)
    store.add_feedback(profile, FeedbackRecord("Q2?", "B.", [], "qwen", False), T0 + timedelta(seconds=1))
    rows = store.feedback(profile)
    assert [(r.question, r.sources, r.liked) for r in rows] == [("Q?", ["Q73"], True), ("Q2?", [], False)]


def test_an_older_database_is_migrated_on_opening(backend, profile):
    # a database recorded at version 0 with our marker: every migration runs again (create_all is idempotent)
    url, folder = backend
    store = open_store(url, folder, T0)
    with store.opened.engine.begin() as conn:
        conn.execute(update(schema.meta).where(schema.meta.c.key == "schema_version").values(value="0"))
    store.close()
    reopened = open_store(url, folder, T0)
    with reopened.opened.engine.connect() as conn:
        version = conn.execute(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")).scalar()
    assert reopened.available and version == str(schema.SCHEMA_VERSION)
    reopened.close()


WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from chatbot.store.open import open_store
from chatbot.store.records import GradedAnswer
url, folder, profile, n = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
schedule = lambda state, rating, when: ({"n": (state or {"n": 0})["n"] + 1}, when + timedelta(days=1))
store = open_store(url, folder)
for k in range(n):
    store.record_answer(profile, None, GradedAnswer("Q1", "Q1", "t", "a", 5.0), suggested=2, rating=2,
                        now=datetime(2026, 3, 2, tzinfo=UTC) + timedelta(seconds=k), schedule=schedule)
"""


def test_several_processes_writing_at_once_lose_no_row(store, backend, profile):
    import subprocess
    import sys
    from pathlib import Path

    url, folder = backend
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(folder), profile, "20"],
                              cwd=Path(__file__).resolve().parent.parent) for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert len(store.answers(profile)) == 80
    (card,) = store.cards(profile)
    assert card.reviews == 80 and card.state == {"n": 80}
