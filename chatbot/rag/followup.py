"""Resolves follow-up questions ("and its drawbacks?", "给个代码例子") against the conversation.

A short question is a follow-up when it cannot be understood alone, and that is decided by retrieval, not by
its words. Two signs, either one enough:
- alone, it names no topic of the knowledge base: the refusal gate's margin (best KB cosine minus the cosine to
  off-topic subjects) is at most FOLLOWUP_OWN_MARGIN ("给个代码例子" +0.009, "Show code for DataLoader" +0.042);
- the previous turn's query in front of it lifts the cosine of its best hit by more than FOLLOWUP_GAIN ("那 Adam
  呢？" after a question on SGD: +0.059; "Show code for DataLoader" after one on gradient accumulation: +0.027).
On eval/followup_pairs.jsonl this is right on 0.90 of the held-out half (calibration.py has the figures). The
word list it replaced took "Show code for DataLoader" for a follow-up because it says "code".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Protocol
from weakref import WeakKeyDictionary

from chatbot.calibration import FOLLOWUP_GAIN, FOLLOWUP_OWN_MARGIN
from chatbot.rag.relevance import RelevanceGate
from chatbot.records import Hit

# A longer question carries its own topic; only short ones are checked (a check costs two searches, ~40 ms
# each on a 2-core CPU). All 84 labelled questions are within it; the longest follow-up is 30 characters.
MAX_FOLLOWUP_CHARS = 40
CONTEXT_CHARS = 160  # of the previous turn's query, put in front of a follow-up
TOP_K = 5  # the hits the margin is read from, as the answerer's gate reads them


@dataclass
class Turn:
    question: str  # what the user typed
    resolved: str  # the standalone query retrieval used
    answer: str


class Searcher(Protocol):
    """What the decision needs of `chatbot.rag.retriever.Retriever`."""

    def search(self, query: str, top_k: int = 5) -> list[Hit]: ...


class Judge(Protocol):
    """What the decision needs of `chatbot.rag.relevance.RelevanceGate`: how clearly the knowledge base, rather
    than an off-topic subject, matches a query."""

    def margin_of(self, query: str, hits: list[Hit]) -> float: ...


_gates: WeakKeyDictionary = WeakKeyDictionary()  # retriever -> its RelevanceGate (anchors embedded once)
_gates_lock = Lock()


def gate_of(retriever: Searcher) -> Judge:
    with _gates_lock:
        gate = _gates.get(retriever)
        if gate is None:
            gate = _gates[retriever] = RelevanceGate(retriever)
        return gate


@dataclass(frozen=True)
class Evidence:
    own_margin: float  # the refusal gate's margin of the question alone
    gain: float  # what the previous query in front adds to the cosine of the best hit

    @property
    def followup(self) -> bool:
        return self.own_margin <= FOLLOWUP_OWN_MARGIN.value or self.gain > FOLLOWUP_GAIN.value


def best_cosine(hits: Sequence[Hit]) -> float:
    """The dense cosine of the best hit, the one an answer would be built on (-1 without any)."""
    return hits[0].dense_score if hits else -1.0


def with_context(question: str, context: str) -> str:
    return f"{context[:CONTEXT_CHARS]} {question}"


def evidence(question: str, context: str, retriever: Searcher, judge: Judge | None = None) -> Evidence:
    """How well `question` is understood alone, and with the query `context` of the previous turn in front.
    `judge` is the answerer's refusal gate when there is one (else one is made for `retriever`)."""
    judge = judge if judge is not None else gate_of(retriever)
    alone = retriever.search(question, top_k=TOP_K)
    joined = retriever.search(with_context(question, context), top_k=TOP_K)
    return Evidence(judge.margin_of(question, alone), best_cosine(joined) - best_cosine(alone))


def is_followup(question: str, context: str, retriever: Searcher, judge: Judge | None = None) -> bool:
    """Does `question` depend on the turn whose query was `context`?"""
    q = question.strip()
    if not q or not context.strip() or len(q) > MAX_FOLLOWUP_CHARS:
        return False
    return evidence(q, context, retriever, judge).followup


def resolve_query(question: str, history: Sequence[Turn], retriever: Searcher | None = None,
                  judge: Judge | None = None) -> str:
    """The query retrieval should use: a follow-up borrows the topic of the previous turn.

    Without a retriever there is nothing to judge by, and a short question keeps the previous topic (the rule
    before this one): a follow-up cut from its topic finds nothing, a standalone question with a stale topic in
    front still has its own words in the query."""
    q = question.strip()
    context = history[-1].resolved.strip() if history else ""
    if not context or not q or len(q) > MAX_FOLLOWUP_CHARS:
        return q
    if retriever is None or is_followup(q, context, retriever, judge):
        return with_context(q, context)
    return q


def bounded(history: list[Turn], turns: int) -> list[Turn]:
    return history[-turns:] if turns > 0 else []
