"""The tables, one definition for SQLite and PostgreSQL. Every row belongs to a profile (the login user, or the
single local profile); every query filters on it, so users never see each other's rows."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text

from chatbot.store.times import UTCDateTime

# Raised with a migration in chatbot/store/migrations.py; a database with a higher one is refused, not changed.
SCHEMA_VERSION = 1
# Written into `kbchat_meta` so a database file of another program is recognised as foreign, not reused.
APPLICATION = "pytorch-kb-chat progress"

metadata = MetaData()

meta = Table(
    "kbchat_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

sessions = Table(
    "interview_sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile", String(200), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("mode", String(16), nullable=False),  # due / new / weak / random
    Column("topics", JSON, nullable=False),
    Column("series", String(32), nullable=False),
    Column("question_ids", JSON, nullable=False),  # in the order drawn
    Index("ix_sessions_profile", "profile", "started_at"),
)

answers = Table(
    "graded_answers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile", String(200), nullable=False),
    Column("session_id", Integer, ForeignKey("interview_sessions.id", ondelete="SET NULL"), nullable=True),
    Column("question_id", String(16), nullable=False),
    Column("card_key", String(16), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("answered_at", UTCDateTime, nullable=False),
    Column("answer", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("covered", JSON, nullable=False),
    Column("missing", JSON, nullable=False),
    Column("wrong", JSON, nullable=False),
    Column("graded_by", String(16), nullable=False),
    Column("feedback", Text, nullable=False),
    Column("seconds", Float, nullable=False),  # time the grader took
    Column("answer_seconds", Float, nullable=False),  # time the user took, from the question shown to the answer
    Column("hints", Integer, nullable=False),
    Column("skipped", Boolean, nullable=False),
    Column("suggested_rating", Integer, nullable=False),  # 1 Again .. 4 Easy (fsrs.Rating)
    Column("rating", Integer, nullable=False),  # the suggestion, or the user's override
    Column("card_before", JSON, nullable=True),  # the card as it was, so an override re-schedules from it
    Index("ix_answers_profile_time", "profile", "answered_at"),
    Index("ix_answers_profile_card", "profile", "card_key"),
    Index("ix_answers_session", "session_id"),
)

cards = Table(
    "review_cards", metadata,
    Column("profile", String(200), primary_key=True),
    Column("card_key", String(16), primary_key=True),  # twins share one card: the key is the first twin's id
    Column("topic", String(64), nullable=False),
    Column("state", JSON, nullable=False),  # fsrs.Card.to_dict()
    Column("due", UTCDateTime, nullable=False),
    Column("reviews", Integer, nullable=False),
    Column("last_score", Float, nullable=False),
    Column("last_answer_id", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_cards_profile_due", "profile", "due"),
)

conversations = Table(
    "conversations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("turns", JSON, nullable=False),  # [{question, resolved_query, answer}]
    Index("ix_conversations_profile", "profile", "updated_at"),
)

feedback = Table(
    "answer_feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile", String(200), nullable=False),
    Column("conversation_id", Integer, ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("sources", JSON, nullable=False),  # knowledge-base ids shown with the answer
    Column("model", String(200), nullable=False),
    Column("liked", Boolean, nullable=False),
    Index("ix_feedback_profile", "profile", "created_at"),
)
