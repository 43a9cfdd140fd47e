"""Grounded answers: retrieve, decide whether the knowledge base covers the question, generate, cite."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from chatbot.citations import CitationChecker, strip_markers
from chatbot.extractive import extractive_answer
from chatbot.followup import Turn, bounded, resolve_query
from chatbot.language import detect_language
from chatbot.prompts import build_messages
from chatbot.relevance import MARGIN, RelevanceGate
from indexer.records import Hit

log = logging.getLogger(__name__)

LLM_PASSAGES = 2

TEXT = {
    "zh": {
        "refusal": "抱歉，知识库（PyTorch 面试题）没有涉及这个问题，我无法据此回答。",
        "title_only": "知识库只列出了问题 {qid}（{title}），没有书面答案。以下内容参考了相关条目。",
        "uncited": "\n\n> 注：没有 [Q…]/[E…] 引用标记的句子不是出自知识库，请自行核实。",
        "fallback": "（未使用语言模型：{why}）\n\n",
    },
    "en": {
        "refusal": "Sorry, the knowledge base (PyTorch interview questions) does not cover this, "
                   "so I cannot answer it from there.",
        "title_only": "The knowledge base lists question {qid} ({title}) without a written answer. "
                      "What follows draws on related entries.",
        "uncited": "\n\n> Note: sentences without a [Q…]/[E…] citation do not come from the knowledge base; "
                   "please verify them.",
        "fallback": "(No language model used: {why})\n\n",
    },
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


@dataclass
class Answer:
    question: str
    resolved_query: str
    language: str
    text: str
    citations: list[str]
    refused: bool
    sources: list[Hit]
    mode: str  # "llm" | "extractive" | "refused"
    retrieval_ms: float = 0.0
    first_token_ms: float = 0.0
    total_ms: float = 0.0
    rejected_citations: list[str] = field(default_factory=list)
    model: str = ""

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
            "sources": [{"id": h.question.id, "title": h.question.title, "has_answer": h.question.has_answer,
                         "score": round(h.score, 6)} for h in self.sources],
            "retrieval_ms": round(self.retrieval_ms, 1),
            "first_token_ms": round(self.first_token_ms, 1),
            "total_ms": round(self.total_ms, 1),
        }


class Answerer:
    def __init__(self, engine, *, refusal_margin: float = MARGIN):
        self.engine = engine
        self.gate = RelevanceGate(engine.retriever, margin=refusal_margin)
        self.checker = CitationChecker(engine.index)

    def prepare(self, question: str, history: list[Turn] = ()) -> Prepared:
        start = time.perf_counter()
        history = bounded(list(history), self.engine.config.history_turns)
        resolved = resolve_query(question, history)
        hits = self.engine.retriever.search(resolved, top_k=self.engine.config.top_k)
        covered = self.gate.covers(resolved, hits)
        top = hits[0].question if hits else None
        title_only = top.id if covered and top is not None and not top.has_answer else None
        return Prepared(question, resolved, detect_language(question), hits if covered else [], not covered,
                        title_only, (time.perf_counter() - start) * 1000)

    def stream(self, prepared: Prepared, history: list[Turn] = (), *,
               use_llm: bool = True, started: float | None = None) -> Iterator[str | Answer]:
        """Yields the growing answer text, then the final, citation-checked `Answer`."""
        started = time.perf_counter() if started is None else started
        text = TEXT[prepared.language]
        if prepared.refused:
            yield text["refusal"]
            yield self._finish(prepared, text["refusal"], [], "refused", started, started)
            return
        model = self.engine.chat_model() if use_llm else None
        why = self.engine.llm_error if use_llm else "--no-llm"
        if model is not None:
            try:
                yield from self._generate(prepared, history, model, started)
                return
            except Exception as exc:  # out of memory, a backend crash: the user still gets an answer
                log.warning("generation failed, answering extractively: %s", exc)
                why = f"generation failed: {exc.__class__.__name__}"
        body, cited = extractive_answer(prepared.resolved_query, prepared.hits, prepared.language)
        answer_text = text["fallback"].format(why=why) + body
        yield answer_text
        yield self._finish(prepared, answer_text, cited, "extractive", started, time.perf_counter())

    def _generate(self, prepared: Prepared, history, model, started: float) -> Iterator[str | Answer]:
        text = TEXT[prepared.language]
        passages = [h.question for h in prepared.hits if h.question.has_answer][:LLM_PASSAGES]
        if prepared.title_only_id:
            passages = [prepared.hits[0].question] + passages
        turns = [(t.question, t.answer) for t in bounded(list(history), self.engine.config.history_turns)]
        messages = build_messages(prepared.question, passages, prepared.language, turns, prepared.title_only_id)
        prefix = ""
        if prepared.title_only_id:
            top = prepared.hits[0].question
            prefix = text["title_only"].format(qid=top.id, title=top.title) + f" [{top.id}]\n\n"
            yield prefix
        raw, first = "", None
        for piece in model.stream_chat(messages, max_new_tokens=self.engine.config.max_new_tokens):
            if first is None:
                first = time.perf_counter()
            raw += piece
            yield prefix + strip_markers(raw)[0]
        retrieved = [h.question.id for h in prepared.hits]
        cited = self.checker.cite(raw, retrieved)
        final = prefix + cited.text
        if cited.uncited_sentences:
            final += text["uncited"]
        citations = list(dict.fromkeys(([prepared.title_only_id] if prepared.title_only_id else []) + cited.citations))
        answer = self._finish(prepared, final, citations, "llm", started, first or time.perf_counter())
        answer.rejected_citations = cited.rejected
        answer.model = getattr(model, "name", "")
        yield answer

    def _finish(self, prepared: Prepared, text: str, citations: list[str], mode: str,
                started: float, first: float) -> Answer:
        now = time.perf_counter()
        return Answer(prepared.question, prepared.resolved_query, prepared.language, text, citations,
                      prepared.refused, prepared.hits, mode, prepared.retrieval_ms,
                      (first - started) * 1000 + prepared.retrieval_ms, (now - started) * 1000 + prepared.retrieval_ms)

    def answer(self, question: str, history: list[Turn] = (), *, use_llm: bool = True) -> Answer:
        prepared = self.prepare(question, history)
        final = None
        for event in self.stream(prepared, history, use_llm=use_llm):
            final = event
        assert isinstance(final, Answer)
        return final
