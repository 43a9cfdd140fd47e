"""The web UI's behaviour, one module per tab, as plain functions and generators (no Gradio layout: that is
app.py), so it can be unit-tested. Everything per-user travels in and out as explicit state values."""
from __future__ import annotations

from typing import cast

from chatbot.interview.config import InterviewConfig
from chatbot.interview.practice import Practice
from chatbot.rag.answerer import Answerer
from chatbot.rag.engine import Engine
from chatbot.store.conversations import ConversationStore
from chatbot.ui.chat import ChatTab
from chatbot.ui.documents import DocumentsTab
from chatbot.ui.history import HistoryTab
from chatbot.ui.interview import InterviewTab
from chatbot.ui.lookup import LookupTab, series_choices
from chatbot.ui.progress import ProgressTab
from chatbot.ui.rendering import escape_text


class Handlers:
    """The tabs over one shared `Engine` (index, embedder, LLM loaded once per process), plus the status line."""

    def __init__(self, engine: Engine[InterviewConfig], *, answerer: Answerer | None = None, use_llm: bool = True,
                 login: bool = False, share: bool = False, practice: Practice | None = None) -> None:
        self.engine = engine
        self.use_llm = use_llm
        self.chat = ChatTab(answerer or Answerer(engine), use_llm=use_llm)
        self.lookup = LookupTab(engine)
        self.interview = InterviewTab(engine, practice=practice, use_llm=use_llm)
        self.progress = ProgressTab(lambda: self.interview.practice)
        # conversations live in the interview's store (one database); the app opens a ConversationStore
        self.history = HistoryTab(lambda: cast(ConversationStore, self.interview.practice.store), self.chat)
        self.documents = DocumentsTab(engine, login=login, share=share)

    def series_choices(self) -> list[tuple[str, str]]:
        return series_choices(self.engine)

    def model_status(self) -> str:
        """One line: the LLM's name, backend and device, or why answers are extractive."""
        try:
            model = self.engine.chat_model() if self.use_llm else None
        except Exception as exc:
            model, self.engine.llm_error = None, f"model failed to load: {exc}"
        if model is not None:
            states, translations = self.engine.warmer, self.chat.answerer.translation_warmer
            # the states first; once they are built, the translations that follow them
            warmer = translations if states is not None and states.done and translations is not None else states
            warming = f" · <sub>{escape_text(warmer.status())}</sub>" if warmer is not None else ""
            return (f"🟢 模型 / model: **{escape_text(model.name)}** ({escape_text(model.backend)}) · "
                    f"设备 / device: **{escape_text(model.device)}**{warming}")
        return f"🟡 抽取模式 / extractive mode: {escape_text(self.engine.llm_error or 'LLM disabled')}"

    def status_markdown(self) -> str:
        embedder = self.engine.index.embedder
        changed = self.engine.kb_changed_notice()
        return (f"{self.model_status()}  \n"
                + (f"⚠️ {escape_text(changed)}  \n" if changed else "")
                + f"<sub>嵌入 / embeddings: {escape_text(getattr(embedder, 'name', '?'))} on "
                f"{escape_text(getattr(embedder, 'device', '?'))} · "
                f"{escape_text(self.engine.index.report.summary())}</sub>")


__all__ = ["ChatTab", "DocumentsTab", "Handlers", "HistoryTab", "InterviewTab", "LookupTab", "ProgressTab"]
