"""The progress store's interface: interview sessions, graded answers and review cards, per profile.

Every method filters on the profile it is given, and only bound parameters reach SQL (SQLAlchemy Core builds
every statement). A write happens in one transaction that takes the write lock first (SQLite: BEGIN IMMEDIATE;
PostgreSQL: SELECT … FOR UPDATE on the card), so concurrent tabs and processes lose no row and no card update.
Database failures come out as StoreError with a one-line reason; nothing is half-written."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from chatbot.store import schema
from chatbot.store.database import Opened
from chatbot.store.errors import StoreError, StoreUnavailable
from chatbot.store.records import CardRecord, GradedAnswer, SessionRecord, StoredAnswer

# (card state before or None, rating, review time) -> (card state after, due): the scheduler, kept out of the store
Schedule = Callable[[dict[str, Any] | None, int, datetime], tuple[dict[str, Any], datetime]]


class ProgressStore:
    def __init__(self, opened: Opened) -> None:
        self.opened = opened

    @property
    def available(self) -> bool:
        return self.opened.engine is not None

    @property
    def problem(self) -> str:
        return self.opened.problem

    def close(self) -> None:
        if self.opened.engine is not None:
            self.opened.engine.dispose()

    # ------------------------------------------------------------------ transactions
    def _engine(self):
        if self.opened.engine is None:
            raise StoreUnavailable(self.opened.problem or "the progress store is not open")
        return self.opened.engine

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._engine().connect() as conn:
                conn = conn.execution_options(kbchat_write=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise StoreError(_reason(exc)) from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine().connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"progress could not be read: {_reason(exc)}") from exc

    # ------------------------------------------------------------------ sessions
    def start_session(self, profile: str, *, mode: str, topics: list[str], series: str, question_ids: list[str],
                      now: datetime) -> int:
        with self._write() as conn:
            result = conn.execute(insert(schema.sessions).values(
                profile=profile, started_at=now, mode=mode, topics=list(topics), series=series,
                question_ids=list(question_ids)))
            return new_id(result)

    def sessions(self, profile: str, limit: int = 50) -> list[SessionRecord]:
        """Newest first, with how many answers each holds and their mean score (skips left out of the mean)."""
        s, a = schema.sessions, schema.answers
        graded = select(a.c.session_id, func.count().label("n"),
                        func.avg(a.c.score).filter(a.c.skipped.is_(False)).label("mean")) \
            .where(a.c.profile == profile).group_by(a.c.session_id).subquery()
        query = select(s, graded.c.n, graded.c.mean).outerjoin(graded, graded.c.session_id == s.c.id) \
            .where(s.c.profile == profile).order_by(s.c.started_at.desc(), s.c.id.desc()).limit(limit)
        with self._read() as conn:
            return [SessionRecord(r.id, r.started_at, r.mode, list(r.topics), r.series, list(r.question_ids),
                                  int(r.n or 0), None if r.mean is None else round(float(r.mean), 1))
                    for r in conn.execute(query)]

    # ------------------------------------------------------------------ answers and cards
    def record_answer(self, profile: str, session_id: int | None, graded: GradedAnswer, *, suggested: int,
                      rating: int, now: datetime, schedule: Schedule) -> tuple[StoredAnswer, CardRecord]:
        """Writes a graded answer and moves its card on by `schedule`, in one transaction."""
        for attempt in range(2):
            try:
                with self._write() as conn:
                    before = self._card_row(conn, profile, graded.card_key, lock=True)
                    state_before = dict(before.state) if before is not None else None
                    state, due = schedule(state_before, rating, now)
                    answer_id = new_id(conn.execute(insert(schema.answers).values(
                        profile=profile, session_id=session_id, answered_at=now, suggested_rating=suggested,
                        rating=rating, card_before=state_before, **_answer_values(graded))))
                    card = CardRecord(graded.card_key, graded.topic, state, due,
                                      (before.reviews if before is not None else 0) + 1, graded.score, answer_id)
                    self._put_card(conn, profile, card, now, exists=before is not None)
                stored = StoredAnswer(**vars(graded), id=answer_id, session_id=session_id, answered_at=now,
                                      suggested_rating=suggested, rating=rating)
                return stored, card
            except StoreError as exc:
                # two first reviews of one card at once (PostgreSQL has no row to lock yet): the loser retries
                if attempt == 0 and isinstance(exc.__cause__, IntegrityError):
                    continue
                raise
        raise AssertionError("unreachable")

    def rerate(self, profile: str, answer_id: int, rating: int, schedule: Schedule) -> CardRecord:
        """The user's rating instead of the suggested one: the card is re-scheduled from its state before that
        answer. Only the latest answer of a card can be re-rated (a later review already built on it)."""
        a = schema.answers
        with self._write() as conn:
            row = conn.execute(select(a).where(a.c.profile == profile, a.c.id == answer_id)).first()
            if row is None:
                raise StoreError(f"no answer {answer_id} in this profile")
            card = self._card_row(conn, profile, row.card_key, lock=True)
            if card is None or card.last_answer_id != answer_id:
                raise StoreError("only the latest answer of a question can be re-rated")
            state, due = schedule(dict(row.card_before) if row.card_before is not None else None, rating,
                                  row.answered_at)
            conn.execute(update(a).where(a.c.profile == profile, a.c.id == answer_id).values(rating=rating))
            record = CardRecord(card.card_key, card.topic, state, due, card.reviews, card.last_score, answer_id)
            self._put_card(conn, profile, record, row.answered_at, exists=True)
            return record

    @staticmethod
    def _card_row(conn: Connection, profile: str, card_key: str, *, lock: bool) -> Row | None:
        c = schema.cards
        query = select(c).where(c.c.profile == profile, c.c.card_key == card_key)
        return conn.execute(query.with_for_update() if lock else query).first()

    @staticmethod
    def _put_card(conn: Connection, profile: str, card: CardRecord, now: datetime, *, exists: bool) -> None:
        c = schema.cards
        values = dict(topic=card.topic, state=card.state, due=card.due, reviews=card.reviews,
                      last_score=card.last_score, last_answer_id=card.last_answer_id, updated_at=now)
        if exists:
            conn.execute(update(c).where(c.c.profile == profile, c.c.card_key == card.card_key).values(**values))
        else:
            conn.execute(insert(c).values(profile=profile, card_key=card.card_key, **values))

    def cards(self, profile: str) -> list[CardRecord]:
        c = schema.cards
        with self._read() as conn:
            return [CardRecord(r.card_key, r.topic, dict(r.state), r.due, r.reviews, r.last_score, r.last_answer_id)
                    for r in conn.execute(select(c).where(c.c.profile == profile).order_by(c.c.due, c.c.card_key))]

    def answers(self, profile: str, *, session_id: int | None = None) -> list[StoredAnswer]:
        """Oldest first; one session's when `session_id` is given."""
        a = schema.answers
        query = select(a).where(a.c.profile == profile)
        if session_id is not None:
            query = query.where(a.c.session_id == session_id)
        with self._read() as conn:
            return [_stored(r) for r in conn.execute(query.order_by(a.c.answered_at, a.c.id))]

    def score_history(self, profile: str) -> list[tuple[datetime, str, float]]:
        """(time, topic, score) of every graded, not skipped, answer, oldest first: what the charts are drawn
        from, without the answers' text."""
        a = schema.answers
        query = select(a.c.answered_at, a.c.topic, a.c.score) \
            .where(a.c.profile == profile, a.c.skipped.is_(False)).order_by(a.c.answered_at)
        with self._read() as conn:
            return [(r.answered_at, r.topic, float(r.score)) for r in conn.execute(query)]

    def profiles(self) -> list[str]:
        a = schema.answers
        with self._read() as conn:
            return [r[0] for r in conn.execute(select(a.c.profile).distinct().order_by(a.c.profile))]

    # ------------------------------------------------------------------ import and reset
    def import_answers(self, profile: str, rows: list[StoredAnswer], *, schedule: Schedule) -> int:
        """Adds exported answers to `profile` (oldest first) and replays them through `schedule`, so the cards
        come out as if the answers had been given here; returns how many were added."""
        rows = sorted(rows, key=lambda r: (r.answered_at or datetime.min, r.id))
        for row in rows:
            when = row.answered_at
            if when is None:
                raise StoreError(f"answer to {row.question_id} has no time")
            graded = GradedAnswer(**{k: getattr(row, k) for k in GradedAnswer.__dataclass_fields__})
            self.record_answer(profile, None, graded, suggested=row.suggested_rating or row.rating,
                               rating=row.rating, now=when, schedule=schedule)
        return len(rows)

    def reset(self, profile: str) -> int:
        """Deletes the profile's interview history (answers, cards, sessions); returns the answers deleted.
        Conversations and answer feedback are kept."""
        with self._write() as conn:
            n = conn.execute(delete(schema.answers).where(schema.answers.c.profile == profile)).rowcount
            conn.execute(delete(schema.cards).where(schema.cards.c.profile == profile))
            conn.execute(delete(schema.sessions).where(schema.sessions.c.profile == profile))
            return int(n or 0)


def new_id(result: CursorResult) -> int:
    """The primary key an INSERT just made."""
    key = result.inserted_primary_key
    if key is None:
        raise StoreError("the database returned no id for a new row")
    return int(key[0])


def _answer_values(graded: GradedAnswer) -> dict[str, Any]:
    return dict(question_id=graded.question_id, card_key=graded.card_key, topic=graded.topic, answer=graded.answer,
                score=float(graded.score), covered=list(graded.covered), missing=list(graded.missing),
                wrong=list(graded.wrong), graded_by=graded.graded_by, feedback=graded.feedback,
                seconds=float(graded.seconds), answer_seconds=float(graded.answer_seconds), hints=int(graded.hints),
                skipped=bool(graded.skipped))


def _stored(r: Row) -> StoredAnswer:
    return StoredAnswer(r.question_id, r.card_key, r.topic, r.answer, float(r.score), list(r.covered),
                        list(r.missing), list(r.wrong), r.graded_by, r.feedback, float(r.seconds),
                        float(r.answer_seconds), int(r.hints),
                        bool(r.skipped), id=int(r.id), session_id=r.session_id, answered_at=r.answered_at,
                        suggested_rating=int(r.suggested_rating), rating=int(r.rating))


def _reason(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return f"the progress database cannot be written ({text}); check the data folder's permissions"
    if "disk is full" in lowered or "no space" in lowered:
        return f"the disk is full ({text})"
    return text
