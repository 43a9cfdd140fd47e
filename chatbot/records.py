"""Typed records of the answer pipeline: retrieval hits, a prepared question, stream events, the final answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chatbot.rag.draft.segments import Draft
from indexer.records import Question

Mode = Literal["llm", "extractive", "refused"]


@dataclass
class Hit:
    """One retrieved question (chunks already de-duplicated to question level)."""

    question: Question
    score: float  # fused score, higher is better
    dense_score: float = 0.0  # best cosine similarity of any of its chunks
    keyword_score: float = 0.0  # best BM25 score of any of its chunks

    def to_json(self) -> dict:
        q = self.question
        return {
            "id": q.id,
            "title": q.title,
            "score": round(self.score, 6),
            "dense_score": round(self.dense_score, 6),
            "keyword_score": round(self.keyword_score, 6),
            "has_answer": q.has_answer,
            "source": f"{q.source}:{q.line}",
            "series": q.series,
            "supplement": q.supplement,
            "addendum": bool(q.addendum),
            "same_as": q.same_as,
        }


@dataclass
class Prepared:
    question: str
    resolved_query: str
    language: str
    hits: list[Hit]
    refused: bool
    title_only_id: str | None
    retrieval_ms: float
    truncated_from: int = 0  # the question's length when it was cut to the answerer's limit


@dataclass
class Answer:
    question: str
    resolved_query: str
    language: str
    text: str
    citations: list[str]
    refused: bool
    sources: list[Hit]
    mode: Mode
    retrieval_ms: float = 0.0
    first_token_ms: float = 0.0
    total_ms: float = 0.0
    rejected_citations: list[str] = field(default_factory=list)
    model: str = ""
    repaired: list[str] = field(default_factory=list)  # degenerate-answer problems met on the way (see rag/degenerate)
    draft: Draft | None = None  # the model's answer as the pipeline left it (None for extractive and refused ones)

    def sentence_support(self) -> dict[str, float]:
        """How many of the model's sentences a passage holds ("cited"), the model's check confirmed ("checked"),
        are shown marked as unconfirmed ("marked"), or were too short to check ("unchecked"); how many of the
        entry's own sentences the answer opens with ("quoted", not the model's); how many the check dropped as
        contradicted, how many statements it put to the model and the seconds that took."""
        counts: dict[str, float] = {"cited": 0, "checked": 0, "marked": 0, "uncited": 0, "unchecked": 0,
                                    "quoted": 0}
        if self.draft is None:
            return counts
        for s in self.draft.sentences():
            counts[s.support] += 1
        counts.update(contradicted=self.draft.contradicted, check_calls=self.draft.check_calls,
                      check_seconds=round(self.draft.check_seconds, 3))
        return counts

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "citations": self.citations,
            "refused": self.refused,
            "language": self.language,
            "mode": self.mode,
            "model": self.model,
            "resolved_query": self.resolved_query,
            "rejected_citations": self.rejected_citations,
            "repaired": self.repaired,
            "sentences": self.sentence_support(),
            "sources": [{"id": h.question.id, "title": h.question.title, "has_answer": h.question.has_answer,
                         "supplement": h.question.supplement, "score": round(h.score, 6)} for h in self.sources],
            # cited answers written for the product (kb/supplement_*.md) rather than taken from the documents
            "supplement_citations": [h.question.id for h in self.sources
                                     if h.question.supplement and h.question.id in self.citations],
            "retrieval_ms": round(self.retrieval_ms, 1),
            "first_token_ms": round(self.first_token_ms, 1),
            "total_ms": round(self.total_ms, 1),
        }


@dataclass(frozen=True)
class Delta:
    """The answer so far (the whole text, not an increment), while it is being written."""

    text: str


@dataclass(frozen=True)
class Final:
    """The last event of a stream: the citation-checked answer."""

    answer: Answer


Event = Delta | Final
