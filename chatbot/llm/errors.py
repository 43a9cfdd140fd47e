"""The chat model's errors (the project's base class is indexer.errors.KBChatError)."""
from __future__ import annotations

from indexer.errors import KBChatError


class ModelUnavailable(KBChatError):
    """The LLM cannot be used; callers fall back to extractive (no-LLM) answers."""


class PartMissing(KBChatError, LookupError):
    """A part package of a packaged GGUF is absent or another version."""

    def __init__(self, package: str, installed: str | None) -> None:
        super().__init__(package if installed is None else f"{package} is {installed}")
        self.package = package
        self.installed = installed
