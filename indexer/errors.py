"""Every error the project raises on purpose, in one place. ``str(exc)`` is a one-line message fit for a user."""
from __future__ import annotations


class KBChatError(Exception):
    """Base class: a failure the user can act on (the message says how)."""


class DeviceError(KBChatError, ValueError):
    """An unknown device, or CUDA requested where there is none."""


class EmbedderError(KBChatError, RuntimeError):
    """An embedding model could not be loaded."""


class ModelNotFoundError(EmbedderError, FileNotFoundError):
    """The requested embedding model is not available locally."""


class EmptyQueryError(KBChatError, ValueError):
    """A search or question with nothing in it."""


class ModelUnavailable(KBChatError):
    """The LLM cannot be used; callers fall back to extractive (no-LLM) answers."""


class PartMissing(KBChatError, LookupError):
    """A part package of a packaged GGUF is absent or another version."""

    def __init__(self, package: str, installed: str | None) -> None:
        super().__init__(package if installed is None else f"{package} is {installed}")
        self.package = package
        self.installed = installed


class AuthConfigError(KBChatError, ValueError):
    """A login setting (--auth, KBCHAT_AUTH_FILE) that cannot be used; the message names the file and line."""
