"""Loads the shared, expensive parts once (index, embedder, LLM) and hands them to every front end."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from indexer.config import Config
from indexer.errors import ModelUnavailable
from indexer.index.build import KnowledgeIndex, open_index

if TYPE_CHECKING:
    from chatbot.llm.base import ChatModel
    from chatbot.rag.retriever import Retriever

log = logging.getLogger(__name__)


class Engine:
    """Lazily opens the index, builds the retriever and loads the LLM, each once; thread-safe.

    `index` and `chat_model` may be handed in (tests, or a second engine with other settings that
    shares the first one's index: `engine.with_config(...)`)."""

    def __init__(self, config: Config, *, progress: bool = True, index: KnowledgeIndex | None = None,
                 chat_model: ChatModel | None = None) -> None:
        self.config = config
        self.progress = progress
        self._lock = threading.RLock()
        self._index = index
        self._retriever: Retriever | None = None
        self._llm = chat_model
        self.llm_error = ""

    @property
    def index(self) -> KnowledgeIndex:
        with self._lock:
            if self._index is None:
                self._index = open_index(self.config, progress=self.progress)
                for warning in self._index.report.warnings:
                    log.warning("%s", warning)
                log.info("%s", self._index.report.summary())
            return self._index

    @property
    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                from chatbot.rag.retriever import Retriever

                self._retriever = Retriever(self.index)
            return self._retriever

    def with_config(self, config: Config) -> Engine:
        """An engine with other settings (model, limits) over this one's index and retriever."""
        other = Engine(config, progress=self.progress, index=self.index)
        other._retriever = self.retriever
        return other

    def chat_model(self) -> ChatModel | None:
        """The shared LLM, or None (reason in `llm_error`) so callers fall back to extractive answers."""
        if self._llm is not None:
            return self._llm
        if not self.config.llm_enabled:
            self.llm_error = "LLM disabled (--no-llm / backend none)"
            return None
        with self._lock:
            if self._llm is None and not self.llm_error:
                from chatbot.llm.registry import load_chat_model

                try:
                    self._llm = load_chat_model(self.config)
                except ModelUnavailable as exc:
                    self.llm_error = str(exc)
                except Exception as exc:  # an unexpected load failure must not take the app down
                    self.llm_error = f"{exc.__class__.__name__}: {exc}"
                if self.llm_error:
                    log.warning("LLM unavailable, answering extractively: %s", self.llm_error)
        return self._llm
