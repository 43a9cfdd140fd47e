"""Chat conversations and the 👍/👎 given to answers, per profile, in the progress database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from chatbot.store import schema
from chatbot.store.errors import StoreError
from chatbot.store.progress import ProgressStore, new_id
from chatbot.store.records import ConversationRecord, FeedbackRecord

TITLE_CHARS = 80  # a conversation is listed by the start of its first question


class ConversationStore(ProgressStore):
    """The progress store's conversation and feedback tables (same database, same guarantees)."""

    def save_conversation(self, profile: str, conversation_id: int | None, turns: list[dict[str, str]],
                          now: datetime) -> int:
        """Writes the whole conversation (its turns replace the stored ones); returns its id, new or given."""
        c = schema.conversations
        title = (turns[0].get("question", "") if turns else "")[:TITLE_CHARS]
        with self._write() as conn:
            if conversation_id is not None:
                changed = conn.execute(update(c).where(c.c.profile == profile, c.c.id == conversation_id)
                                       .values(turns=turns, updated_at=now)).rowcount
                if changed:
                    return conversation_id
            result = conn.execute(insert(c).values(profile=profile, title=title, created_at=now, updated_at=now,
                                                   turns=turns))
            return new_id(result)

    def conversations(self, profile: str, limit: int = 100) -> list[ConversationRecord]:
        """Newest first."""
        c = schema.conversations
        query = select(c).where(c.c.profile == profile).order_by(c.c.updated_at.desc(), c.c.id.desc()).limit(limit)
        with self._read() as conn:
            return [ConversationRecord(r.id, r.title, r.created_at, r.updated_at, list(r.turns))
                    for r in conn.execute(query)]

    def conversation(self, profile: str, conversation_id: int) -> ConversationRecord:
        c = schema.conversations
        with self._read() as conn:
            r = conn.execute(select(c).where(c.c.profile == profile, c.c.id == conversation_id)).first()
        if r is None:
            raise StoreError(f"no conversation {conversation_id} in this profile")
        return ConversationRecord(r.id, r.title, r.created_at, r.updated_at, list(r.turns))

    def recent_answers(self, limit: int = 2000) -> list[str]:
        """The answers of the most recently updated conversations, every profile's (what the deployment's users
        ask about: the prompt-state warmer builds their passages first), at most `limit`."""
        c = schema.conversations
        answers: list[str] = []
        with self._read() as conn:
            for r in conn.execute(select(c.c.turns).order_by(c.c.updated_at.desc(), c.c.id.desc())):
                answers.extend(str(t.get("answer", "")) for t in r.turns if isinstance(t, dict))
                if len(answers) >= limit:
                    break
        return answers[:limit]

    def delete_conversation(self, profile: str, conversation_id: int) -> bool:
        c = schema.conversations
        with self._write() as conn:
            return bool(conn.execute(delete(c).where(c.c.profile == profile, c.c.id == conversation_id)).rowcount)

    def add_feedback(self, profile: str, record: FeedbackRecord, now: datetime) -> int:
        f = schema.feedback
        with self._write() as conn:
            result = conn.execute(insert(f).values(
                profile=profile, conversation_id=record.conversation_id, created_at=now, question=record.question,
                answer=record.answer, sources=list(record.sources), model=record.model, liked=bool(record.liked)))
            return new_id(result)

    def feedback(self, profile: str | None = None) -> list[FeedbackRecord]:
        """Oldest first; every profile's when `profile` is None (the labelled set is the deployment's)."""
        f = schema.feedback
        query = select(f).order_by(f.c.created_at, f.c.id)
        if profile is not None:
            query = query.where(f.c.profile == profile)
        with self._read() as conn:
            return [FeedbackRecord(r.question, r.answer, list(r.sources), r.model, bool(r.liked), r.conversation_id,
                                   r.created_at, r.profile) for r in conn.execute(query)]
