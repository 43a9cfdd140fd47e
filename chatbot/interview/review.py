"""Spaced review with FSRS (the `fsrs` package, the scheduler Anki uses): a grade becomes a rating, a rating moves
the question's card on.

The rating of a graded answer (documented in docs/progress.md):

    skipped, or nothing to grade ("", "不知道", "pass")   Again
    score  < 4.0                                      Again   (the feedback's "far from the reference" band)
    4.0 <= score < 6.0                                Hard    (partly right, under a good answer)
    6.0 <= score < 9.0                                Good    (a good answer: eval-grading's good >= 6)
    score >= 9.0                                      Easy
    each hint used                                    one step lower, never below Again

The user may replace the suggestion with one click (Again / Hard / Good / Easy) before the next question."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fsrs import Card, Rating, Scheduler

# Not calibration: the rating bands follow the feedback's wording (chatbot/interview/feedback.py FAIR_FROM) and
# eval-grading's good line (6), with Easy kept for answers the grader finds (nearly) complete.
HARD_FROM, GOOD_FROM, EASY_FROM = 4.0, 6.0, 9.0

RATING_NAMES = {Rating.Again: "Again", Rating.Hard: "Hard", Rating.Good: "Good", Rating.Easy: "Easy"}
RATING_BY_NAME = {name.lower(): rating for rating, name in RATING_NAMES.items()}


def suggested_rating(score: float, *, skipped: bool = False, graded_by: str = "", hints: int = 0) -> Rating:
    """The rating a graded answer suggests (the table in this module's docstring)."""
    if skipped or graded_by == "none":
        return Rating.Again
    base = (Rating.Easy if score >= EASY_FROM else Rating.Good if score >= GOOD_FROM
            else Rating.Hard if score >= HARD_FROM else Rating.Again)
    return Rating(max(int(Rating.Again), int(base) - max(0, int(hints))))


def parse_rating(text: str | int | Rating) -> Rating:
    """A rating from its name (again/hard/good/easy, any case) or number 1–4; ValueError otherwise."""
    if isinstance(text, Rating):
        return text
    value = str(text).strip().lower()
    if value in RATING_BY_NAME:
        return RATING_BY_NAME[value]
    if value in {"1", "2", "3", "4"}:
        return Rating(int(value))
    raise ValueError(f"unknown rating {text!r}: choose Again, Hard, Good or Easy (or 1–4)")


def make_scheduler() -> Scheduler:
    """FSRS with its default parameters, without the minute-long learning steps (an interview question comes back
    after days, not within a session) and without fuzz, so a due date is the same on every machine and in tests."""
    return Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


class Reviewer:
    """Moves cards on: the store's `Schedule` (card state before or None, rating, time) -> (state after, due)."""

    def __init__(self, scheduler: Scheduler | None = None) -> None:
        self.scheduler = scheduler or make_scheduler()

    def __call__(self, state: dict[str, Any] | None, rating: int, when: datetime) -> tuple[dict[str, Any], datetime]:
        card = Card.from_dict(state) if state is not None else Card(due=when)  # type: ignore[arg-type]
        card, _log = self.scheduler.review_card(card, Rating(int(rating)), review_datetime=when)
        return dict(card.to_dict()), card.due

    def interval_days(self, state: dict[str, Any]) -> float:
        """Days from the card's last review to its due date (FSRS's interval; 21+ days counts as mastered)."""
        card = Card.from_dict(state)  # type: ignore[arg-type]
        if card.last_review is None:
            return 0.0
        return (card.due - card.last_review).total_seconds() / 86400
