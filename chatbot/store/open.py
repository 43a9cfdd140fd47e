"""The one way the app, the CLI and the tests open the store."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from chatbot.store.conversations import ConversationStore
from chatbot.store.database import open_database

# The profile used when there is no login (and the terminal's default).
LOCAL_PROFILE = "local"


def open_store(database_url: str, data_dir: Path, now: datetime | None = None) -> ConversationStore:
    """The store over KBCHAT_DATABASE_URL, or the SQLite file in `data_dir`; never raises for a bad database:
    `store.available` / `store.problem` / `store.opened.notice` say what happened."""
    return ConversationStore(open_database(database_url, data_dir, now or datetime.now(UTC)))
