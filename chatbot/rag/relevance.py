"""Does the knowledge base cover a question? Decided by code, before any generation.

e5 cosines are compressed (an off-topic query still scores ~0.8 against some chunk), so an absolute
threshold cannot separate the two. Instead the query's best knowledge-base similarity is compared
with its similarity to a list of general off-topic subjects (chatbot/data/off_topic_anchors.txt):
the question is covered when the knowledge base wins by `margin`.

Documents the user added are in scope by definition, whatever their subject: the anchors (cooking, SQL, travel …)
say nothing about them. A question is covered by one when it shares half of its distinctive words (and two at
least) with one of the first hits from an added document, or when that hit beats the anchors by any margin.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from chatbot.calibration import IDENTIFIER_KEYWORD_SCORE, REFUSAL_MARGIN
from chatbot.records import Hit
from indexer.index.keyword import distinctive_words
from indexer.records import Question

ANCHORS_FILE = Path(__file__).resolve().parent.parent / "data" / "off_topic_anchors.txt"
# A code identifier that the keyword index matches strongly (e.g. `strict=False`) is on topic even
# when the embedding model has little to say about it.
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:[._]\w+|\(\)|=\w+)")
# How many of the question's distinctive words an added document's entry must hold for the question to be about it
# ("what does a LEFT JOIN return" → {left, join, return}: an entry on LEFT JOIN holds two of the three).
DOCUMENT_WORD_SHARE = 0.5
DOCUMENT_HITS = 3  # only the first few hits count: a document far down the list is not what the question is about


def load_anchors(path: Path = ANCHORS_FILE) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def shares_topic(query: str, entry: Question) -> bool:
    """Whether `entry` holds half of the query's distinctive words, and two at least when the query has two (one
    common word such as "capital" is no topic)."""
    wanted = distinctive_words(query)
    shared = len(wanted & distinctive_words(f"{entry.title}\n{entry.answer}"))
    return bool(wanted) and shared >= max(DOCUMENT_WORD_SHARE * len(wanted), min(2, len(wanted)))


class RelevanceGate:
    def __init__(self, retriever, *, margin: float = REFUSAL_MARGIN.value, anchors: list[str] | None = None):
        self.retriever = retriever
        self.margin = margin
        self.anchors = anchors if anchors is not None else load_anchors()
        self._anchor_vectors: np.ndarray | None = None

    def _anchors(self) -> np.ndarray:
        if self._anchor_vectors is None:
            self._anchor_vectors = self.retriever.index.embedder.encode_passages(self.anchors)
        return self._anchor_vectors

    def margin_of(self, query: str, hits: list[Hit]) -> float:
        if not hits:
            return -1.0
        off_topic = float((self._anchors() @ self.retriever.encode_query(query)).max())
        return max(h.dense_score for h in hits) - off_topic

    def covers(self, query: str, hits: list[Hit]) -> bool:
        if not hits:
            return False
        if _IDENTIFIER.search(query) and max(h.keyword_score for h in hits) >= IDENTIFIER_KEYWORD_SCORE.value:
            return True
        if self.covered_by_document(query, hits):
            return True
        return self.margin_of(query, hits) > self.margin

    def covered_by_document(self, query: str, hits: list[Hit]) -> bool:
        """Whether one of the first hits comes from an added document and the question is about it."""
        documents = [h for h in hits[:DOCUMENT_HITS] if h.question.document]
        if not documents:
            return False
        if any(shares_topic(query, h.question) for h in documents):
            return True
        off_topic = float((self._anchors() @ self.retriever.encode_query(query)).max())
        return max(h.dense_score for h in documents) > off_topic
