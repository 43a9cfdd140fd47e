"""The web app's errors (the project's base class is indexer.errors.KBChatError)."""
from __future__ import annotations

from indexer.errors import KBChatError


class AuthConfigError(KBChatError, ValueError):
    """A login setting (--auth, KBCHAT_AUTH_FILE) that cannot be used; the message names the file and line."""
