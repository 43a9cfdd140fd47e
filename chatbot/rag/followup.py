"""Resolves follow-up questions ("and its drawbacks?", "给个代码例子") against the conversation.

A short question is a follow-up when it cannot be understood alone, and that is decided by retrieval, not by
its words: the knowledge base is searched for the question alone and for the previous turn's query followed by
the question. A follow-up ("给个例子", "show me code for it") has no topic of its own, so the previous turn's
topic lifts its best match by a lot; a standalone question ("Show code for DataLoader") already finds its
entry, and the previous topic adds little or pulls the match away. On eval/followup_pairs.jsonl the gain of
the best dense cosine separates the two with accuracy 0.90 on the held-out half (calibration.FOLLOWUP_GAIN);
the word list it replaced treated "Show code for DataLoader" as a follow-up because it says "code".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chatbot.calibration import FOLLOWUP_GAIN
from chatbot.records import Hit

# A longer question carries its own topic; only short ones are checked (each check costs two searches,
# ~30 ms each on a 2-core CPU). All 80 labelled questions are within it; the longest follow-up is 30 characters.
MAX_FOLLOWUP_CHARS = 40
CONTEXT_CHARS = 160  # of the previous turn's query, prepended to a follow-up


@dataclass
class Turn:
    question: str  # what the user typed
    resolved: str  # the standalone query retrieval used
    answer: str


class Searcher(Protocol):
    """What the decision needs of `chatbot.rag.retriever.Retriever`."""

    def search(self, query: str, top_k: int = 5) -> list[Hit]: ...


def confidence(hits: Sequence[Hit]) -> float:
    """How well the knowledge base matches a query: the dense cosine of its best hit, the one an answer would
    be built on (-1 without any). The best cosine among the top 5 instead separated the labelled pairs less
    well (fit half 0.875 against 0.90)."""
    return hits[0].dense_score if hits else -1.0


def context_gain(question: str, context: str, retriever: Searcher) -> float:
    """How much the previous turn's query raises the question's retrieval confidence."""
    alone = confidence(retriever.search(question, top_k=1))
    return confidence(retriever.search(with_context(question, context), top_k=1)) - alone


def with_context(question: str, context: str) -> str:
    return f"{context[:CONTEXT_CHARS]} {question}"


def is_followup(question: str, context: str, retriever: Searcher) -> bool:
    """Does `question` depend on the turn whose query was `context`?"""
    q = question.strip()
    if not q or not context.strip() or len(q) > MAX_FOLLOWUP_CHARS:
        return False
    return context_gain(q, context, retriever) > FOLLOWUP_GAIN.value


def resolve_query(question: str, history: Sequence[Turn], retriever: Searcher | None = None) -> str:
    """The query retrieval should use: a follow-up borrows the topic of the previous turn.

    Without a retriever there is nothing to judge by, and a short question keeps the previous topic (the rule
    before this one): a follow-up cut from its topic finds nothing, a standalone question with a stale topic
    in front still has its own words in the query."""
    q = question.strip()
    context = history[-1].resolved.strip() if history else ""
    if not context or not q or len(q) > MAX_FOLLOWUP_CHARS:
        return q
    if retriever is None or is_followup(q, context, retriever):
        return with_context(q, context)
    return q


def bounded(history: list[Turn], turns: int) -> list[Turn]:
    return history[-turns:] if turns > 0 else []
