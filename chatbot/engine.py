"""Loads the shared, expensive parts once (index, embedder, LLM) and hands them to every front end."""
from __future__ import annotations

import logging
import threading
from functools import cached_property

from indexer.build import KnowledgeIndex, open_index
from indexer.config import Config

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, config: Config, *, progress: bool = True):
        self.config = config
        self.progress = progress
        self._lock = threading.Lock()
        self._llm = None
        self.llm_error = ""

    @cached_property
    def index(self) -> KnowledgeIndex:
        index = open_index(self.config, progress=self.progress)
        for warning in index.report.warnings:
            log.warning("%s", warning)
        log.info("%s", index.report.summary())
        return index

    @cached_property
    def retriever(self):
        from chatbot.retriever import Retriever

        return Retriever(self.index)

    def chat_model(self):
        """The shared LLM, or None (reason in `llm_error`) so callers fall back to extractive answers."""
        if not self.config.llm_enabled:
            self.llm_error = "LLM disabled (--no-llm / backend none)"
            return None
        with self._lock:
            if self._llm is None and not self.llm_error:
                from chatbot.llm import load_chat_model
                from chatbot.llm.base import ModelUnavailable

                try:
                    self._llm = load_chat_model(self.config)
                except ModelUnavailable as exc:
                    self.llm_error = str(exc)
                except Exception as exc:  # an unexpected load failure must not take the app down
                    self.llm_error = f"{exc.__class__.__name__}: {exc}"
                if self.llm_error:
                    log.warning("LLM unavailable, answering extractively: %s", self.llm_error)
        return self._llm
