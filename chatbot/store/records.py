"""What the store keeps, as plain records (no database types leak out)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class GradedAnswer:
    """One graded (or skipped) answer, as written the moment it is graded."""

    question_id: str
    card_key: str  # the review card it counts for (twins share one)
    topic: str
    answer: str
    score: float
    covered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    graded_by: str = "none"
    feedback: str = ""
    seconds: float = 0.0  # the grader's time
    answer_seconds: float = 0.0  # the user's time
    hints: int = 0
    skipped: bool = False


@dataclass
class StoredAnswer(GradedAnswer):
    id: int = 0
    session_id: int | None = None
    answered_at: datetime | None = None
    suggested_rating: int = 0
    rating: int = 0


@dataclass
class CardRecord:
    """A review card: the scheduler's state (opaque here), when it is due, and the latest result."""

    card_key: str
    topic: str
    state: dict[str, Any]
    due: datetime
    reviews: int
    last_score: float
    last_answer_id: int


@dataclass
class SessionRecord:
    id: int
    started_at: datetime
    mode: str
    topics: list[str]
    series: str
    question_ids: list[str]
    answered: int = 0  # graded answers (skips included)
    mean_score: float | None = None  # over graded, not skipped, answers


@dataclass
class ConversationRecord:
    id: int
    title: str
    created_at: datetime
    updated_at: datetime
    turns: list[dict[str, str]]  # {"question", "resolved_query", "answer"}


@dataclass
class FeedbackRecord:
    question: str
    answer: str
    sources: list[str]
    model: str
    liked: bool
    conversation_id: int | None = None
    created_at: datetime | None = None
    profile: str = ""
