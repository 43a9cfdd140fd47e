"""The answer pipeline's errors (the project's base class is indexer.errors.KBChatError)."""
from __future__ import annotations

from indexer.errors import KBChatError


class EmptyQueryError(KBChatError, ValueError):
    """A search or question with nothing in it."""
