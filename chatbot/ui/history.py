"""The Chat tab's memory: each conversation saved for the request's user after every answer, listed newest first,
re-opened (follow-ups continue where they left off) or deleted; and the 👍/👎 given to an answer (Gradio's own
chatbot feedback), stored with the question, the answer, its sources and the model."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import gradio as gr

from chatbot.rag.draft.markers import citation_ids
from chatbot.rag.followup import Turn
from chatbot.store.conversations import ConversationStore
from chatbot.store.errors import StoreError
from chatbot.store.records import FeedbackRecord
from chatbot.ui.chat import ChatTab, chat_messages
from chatbot.ui.profile import profile_of
from chatbot.ui.rendering import escape_text
from chatbot.ui.texts import MSG

log = logging.getLogger(__name__)

class OpenedConversation(NamedTuple):
    """The outputs of re-opening a conversation, in this order."""

    messages: list[dict[str, str]]
    sources: str
    turns: list[Turn]
    conversation_id: int | None
    note: str


def _turns_json(turns: list[Turn]) -> list[dict[str, str]]:
    return [{"question": t.question, "resolved": t.resolved, "answer": t.answer} for t in turns]


def _turns(rows: list[dict[str, str]]) -> list[Turn]:
    return [Turn(str(r.get("question", "")), str(r.get("resolved", "")), str(r.get("answer", ""))) for r in rows]


class HistoryTab:
    def __init__(self, store: Callable[[], ConversationStore], chat: ChatTab | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._store = store  # opened on first use
        self.chat = chat
        self.clock = clock or (lambda: datetime.now(UTC))

    def ask(self, message: str, turns: list[Turn] | None, conversation_id: int | None,
            request: gr.Request | None = None) -> Iterator[tuple[Any, ...]]:
        """The Chat tab's answer (chatbot/ui/chat.py), each view followed by the conversation's id; once the answer
        is final the conversation is saved, on the server, so no client step can skip it."""
        assert self.chat is not None, "HistoryTab.ask needs the ChatTab"
        before, last = list(turns or []), None
        for view in self.chat.ask(message, turns):
            last = view
            yield (*view, conversation_id)
        if last is not None and last.turns and last.turns != before:
            saved, _, _ = self.save(last.turns, conversation_id, request)
            if saved != conversation_id:
                yield (*last, saved)

    def listing(self, request: gr.Request | None = None) -> Any:
        """The conversations dropdown's update: the user's conversations, newest first."""
        return gr.update(choices=self.choices(request))

    def choices(self, request: gr.Request | None = None) -> list[tuple[str, int]]:
        try:
            rows = self._store().conversations(profile_of(request))
        except StoreError:
            return []
        return [(f"{c.updated_at.astimezone():%m-%d %H:%M} · {c.title}", c.id) for c in rows]

    def save(self, turns: list[Turn] | None, conversation_id: int | None,
             request: gr.Request | None = None) -> tuple[int | None, Any, str]:
        """After an answer: (the conversation's id, the list's update, a note when it could not be saved)."""
        if not turns:
            return conversation_id, gr.update(), ""
        try:
            saved = self._store().save_conversation(profile_of(request), conversation_id, _turns_json(turns),
                                                    self.clock())
        except StoreError as exc:
            log.warning("conversation not saved: %s", exc)
            return conversation_id, gr.update(), MSG["conversation_not_saved"].format(why=escape_text(str(exc)))
        return saved, gr.update(choices=self.choices(request), value=saved), ""

    def open(self, conversation_id: int | str | None, request: gr.Request | None = None) -> OpenedConversation:
        if conversation_id in (None, ""):
            return OpenedConversation([], MSG["sources_idle"], [], None, "")
        try:
            record = self._store().conversation(profile_of(request), int(conversation_id))
        except (StoreError, TypeError, ValueError) as exc:
            return OpenedConversation([], MSG["sources_idle"], [], None, f"⚠️ {escape_text(str(exc))}")
        turns = _turns(record.turns)
        return OpenedConversation(chat_messages(turns), MSG["sources_idle"], turns, record.id, "")

    def delete(self, conversation_id: int | str | None, request: gr.Request | None = None) -> tuple[Any, ...]:
        """Deletes the conversation; the chat is cleared. Outputs: list update, messages, sources, turns, id."""
        if conversation_id not in (None, ""):
            try:
                self._store().delete_conversation(profile_of(request), int(conversation_id))
            except (StoreError, TypeError, ValueError) as exc:
                log.warning("conversation not deleted: %s", exc)
        return gr.update(choices=self.choices(request), value=None), [], MSG["sources_idle"], [], None

    def recent_answers(self) -> list[str]:
        """The recent answers of every profile (what the deployment is asked about), or none when the store
        cannot give them: the warm-up order is a guess, never a reason to fail."""
        try:
            store = self._store()
            return store.recent_answers() if store.available else []
        except StoreError as exc:
            log.warning("recent answers not read: %s", exc)
            return []

    def feedback(self, turns: list[Turn] | None, answer_json: dict | None, conversation_id: int | None,
                 like: gr.LikeData, request: gr.Request | None = None) -> str:
        """Stores a 👍/👎 on one answer; returns a note ("" when stored)."""
        turns = list(turns or [])
        index = like.index[0] if isinstance(like.index, tuple | list) else like.index
        position = int(index) // 2  # messages alternate: the user's question, then the answer
        if not 0 <= position < len(turns) or like.liked not in (True, False):
            return ""
        turn = turns[position]
        info = answer_json if position == len(turns) - 1 and answer_json else {}
        sources = [s["id"] for s in info.get("sources", []) if isinstance(s, dict) and "id" in s] \
            or list(dict.fromkeys(citation_ids(turn.answer)))
        record = FeedbackRecord(turn.question, turn.answer, sources, str(info.get("model") or ""), bool(like.liked),
                                conversation_id)
        try:
            self._store().add_feedback(profile_of(request), record, self.clock())
        except StoreError as exc:
            return MSG["conversation_not_saved"].format(why=escape_text(str(exc)))
        return ""
