"""The indexer's errors, and the base class of every error the project raises on purpose (each layer keeps its
own: chatbot/llm/errors.py, chatbot/rag/errors.py, chatbot/ui/errors.py). ``str(exc)`` is a one-line message
fit for a user."""
from __future__ import annotations


class KBChatError(Exception):
    """Base class: a failure the user can act on (the message says how)."""


class DeviceError(KBChatError, ValueError):
    """An unknown device, or CUDA requested where there is none."""


class EmbedderError(KBChatError, RuntimeError):
    """An embedding model could not be loaded."""


class ModelNotFoundError(EmbedderError, FileNotFoundError):
    """The requested embedding model is not available locally."""



class DocumentError(KBChatError, ValueError):
    """A document the user added cannot be used (empty, not text, encrypted, too large ...); the message names
    the file and, where there is one, the line."""
