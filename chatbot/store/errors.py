"""The store's errors (the project's base class is indexer.errors.KBChatError)."""
from __future__ import annotations

from indexer.errors import KBChatError


class StoreError(KBChatError, RuntimeError):
    """The progress store cannot do what was asked; the message says why (and that nothing was saved)."""


class StoreUnavailable(StoreError):
    """The database could not be opened (a read-only folder, a newer schema, an unreachable server)."""


class NewerSchemaError(StoreUnavailable):
    """The database was written by a newer version of the app: it is left untouched."""


class ImportLineError(StoreError, ValueError):
    """One line of an import file that cannot be read; the message names the file and line."""
