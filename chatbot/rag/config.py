"""The answer pipeline's settings: how many questions are retrieved, how much of a conversation is read (on top
of the chat model's, see chatbot/llm/config.py)."""
from __future__ import annotations

from dataclasses import dataclass

from chatbot.llm.config import LLMConfig
from indexer.config import setting


@dataclass
class RAGConfig(LLMConfig):
    top_k: int = setting(5, "--top-k", "number of questions to retrieve")
    history_turns: int = setting(3)  # conversation turns used to resolve follow-ups
