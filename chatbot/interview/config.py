"""The mock interview's settings (on top of the answer pipeline's, see chatbot/rag/config.py)."""
from __future__ import annotations

from dataclasses import dataclass

from chatbot.rag.config import RAGConfig
from indexer.config import setting


@dataclass
class InterviewConfig(RAGConfig):
    # Interview answers are graded by embeddings unless this is on: the LLM judge (chatbot/interview/judge.py)
    # measured worse than the embedding grade with both packaged models (the 0.5B copies its example line; the
    # 1.5B marks almost every key point "Y", giving 10/10 to wrong and off-topic answers; README, "Mock interview").
    # With a local model; a remote one gives no token probabilities: embeddings.
    llm_grading: bool = setting(True, "--no-llm-grading", "grade interview answers by embeddings only, not by the "
                                                          "LLM judge (env KBCHAT_LLM_GRADING=0; see the README)",
                                opposite="--llm-grading")
    # Interview progress, conversations and feedback: a SQLAlchemy URL (postgresql://user:password@host/db) for a
    # deployment of several app processes or machines; empty = the SQLite file in the data folder. Environment
    # only, so a password never shows in a process list.
    database_url: str = setting("", "", "progress database URL (env KBCHAT_DATABASE_URL; default: SQLite in the "
                                        "data folder)")
