"""A mock interview that remembers: sessions chosen from the user's review cards, and every graded or skipped
answer written to the progress store the moment it is graded, its card moved on by FSRS.

A store that cannot write (read-only folder, full disk, newer schema) never stops the interview: the grade is
shown as usual and the item carries `not_saved`, the reason to show beside it."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from chatbot.interview import session as iv
from chatbot.interview.choose import default_mode
from chatbot.interview.grade import Grade
from chatbot.interview.grading import grade_answer
from chatbot.interview.review import Reviewer, parse_rating, suggested_rating
from chatbot.interview.topics import topic_of
from chatbot.interview.twins import card_keys
from chatbot.store.errors import StoreError
from chatbot.store.progress import ProgressStore
from chatbot.store.records import CardRecord, GradedAnswer
from indexer.records import Question

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_PROFILE_CHARS = 200  # the store's column


def system_clock() -> datetime:
    return datetime.now(UTC)


def check_profile(name: str) -> str:
    """A profile name as given (stripped); ValueError for an empty or over-long one. Any other text is fine:
    it only ever reaches SQL as a bound parameter."""
    text = (name or "").strip()
    if not text:
        raise ValueError("the profile name is empty")
    if len(text) > MAX_PROFILE_CHARS:
        raise ValueError(f"the profile name is longer than {MAX_PROFILE_CHARS} characters")
    return text


class Practice:
    def __init__(self, store: ProgressStore, questions: Iterable[Question], *, clock: Clock = system_clock,
                 reviewer: Reviewer | None = None) -> None:
        self.store = store
        self.questions = list(questions)
        self.key_of = card_keys(self.questions)
        self.clock = clock
        self.reviewer = reviewer or Reviewer()

    # ------------------------------------------------------------------ starting
    def cards(self, profile: str) -> list[CardRecord]:
        """The profile's review cards ([] when the store cannot be read: the interview then draws as if new)."""
        try:
            return self.store.cards(profile)
        except StoreError as exc:
            log.warning("review cards not read: %s", exc)
            return []

    def start(self, profile: str, topics: list[str] | None, n: int, series: str = "all", mode: str | None = None,
              seed: int | None = None) -> iv.InterviewSession:
        """A new session for `profile`; `mode` None = due when anything is due, else random. Recorded as a
        session when the store can write (a failure leaves it unrecorded; the answers then say not saved)."""
        now = self.clock()
        cards = self.cards(profile)
        chosen = mode or default_mode(cards, now)
        session = iv.start_interview(self.questions, topics, n, series, seed, mode=chosen, cards=cards, now=now)
        session.profile = profile
        try:
            session.session_id = self.store.start_session(
                profile, mode=chosen, topics=session.topics, series=series,
                question_ids=[i.question.id for i in session.items], now=now)
        except StoreError as exc:
            log.warning("interview session not recorded: %s", exc)
        session.shown_at = now
        return session

    # ------------------------------------------------------------------ answering
    def answer(self, session: iv.InterviewSession, embedder, text: str, chat_model=None) -> Grade:
        """Grades the current question (chatbot/interview/session.py) and saves the grade at once."""
        item = iv.require_current(session)
        return self.answer_graded(session, text, grade_answer(embedder, item.question, text, chat_model))

    def answer_graded(self, session: iv.InterviewSession, text: str, grade: Grade) -> Grade:
        """Records an answer graded elsewhere (`grade` of `text` for the current question) and saves it."""
        item = iv.require_current(session)
        iv.record_grade(session, text, grade)
        self._save(session, item)
        return grade

    def skip(self, session: iv.InterviewSession) -> iv.InterviewItem | None:
        """Skips the current question and saves the skip (rated Again); the skipped item, or None when over."""
        item = session.current()
        if item is None:
            return None
        iv.skip(session)
        self._save(session, item)
        return item

    def _save(self, session: iv.InterviewSession, item: iv.InterviewItem) -> None:
        now = self.clock()
        shown = session.shown_at or now
        session.shown_at = now
        q, grade = item.question, item.grade
        graded = GradedAnswer(
            question_id=q.id, card_key=self.key_of.get(q.id, q.id), topic=topic_of(q), answer=item.answer,
            score=grade.score if grade is not None else 0.0,
            covered=list(grade.covered) if grade else [], missing=list(grade.missing) if grade else [],
            wrong=[grade.wrong] if grade and grade.wrong else [], graded_by=grade.graded_by if grade else "none",
            feedback=grade.feedback if grade else "", seconds=round(grade.seconds, 3) if grade else 0.0,
            answer_seconds=round(max(0.0, (now - shown).total_seconds()), 3), hints=item.hints,
            skipped=item.skipped)
        rating = int(suggested_rating(graded.score, skipped=item.skipped, graded_by=graded.graded_by,
                                      hints=item.hints))
        item.suggested = item.rating = rating
        if not session.profile:
            item.not_saved = "no profile"
            return
        try:
            stored, _card = self.store.record_answer(session.profile, session.session_id, graded, suggested=rating,
                                                     rating=rating, now=now, schedule=self.reviewer)
            item.answer_id, item.not_saved = stored.id, ""
        except StoreError as exc:
            log.warning("grade of %s not saved: %s", q.id, exc)
            item.not_saved = str(exc)

    # ------------------------------------------------------------------ the user's rating
    def rerate(self, session: iv.InterviewSession, rating: str | int) -> tuple[iv.InterviewItem, CardRecord]:
        """Replaces the suggested rating of the last answered item (before the next question is answered) and
        re-schedules its card; ValueError when there is nothing to re-rate, StoreError when it cannot be saved."""
        value = parse_rating(rating)
        done = session.items[:session.position]
        if not done:
            raise ValueError("nothing answered yet to rate")
        item = done[-1]
        if item.answer_id is None:
            raise ValueError("this answer was not saved, so its rating cannot be changed")
        card = self.store.rerate(session.profile, item.answer_id, int(value), self.reviewer)
        item.rating = int(value)
        return item, card
