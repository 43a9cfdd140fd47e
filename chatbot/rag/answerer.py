"""Grounded answers: retrieve, decide whether the knowledge base covers the question, generate, cite."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from chatbot.calibration import REFUSAL_MARGIN
from chatbot.llm.base import ChatModel, used_whole_budget
from chatbot.llm.errors import ModelUnavailable
from chatbot.rag.citations import CitationChecker
from chatbot.rag.degenerate import RETRY_HINT, title_texts
from chatbot.rag.draft import pipeline
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import note_block, render
from chatbot.rag.draft.segments import Draft, Gap, Note, parse
from chatbot.rag.draft.stages.base import Degenerate
from chatbot.rag.draft.stages.cite import Cite
from chatbot.rag.engine import with_fix_hint
from chatbot.rag.extractive import answered_passages, extractive_answer
from chatbot.rag.followup import Turn, bounded, resolve_query
from chatbot.rag.kbcode import select_code
from chatbot.rag.language import detect_language
from chatbot.rag.lead import Lead, choose_lead
from chatbot.rag.limits import MAX_QUESTION_CHARS
from chatbot.rag.prompts import build_messages
from chatbot.rag.relevance import RelevanceGate
from chatbot.rag.statements import StatementJudge
from chatbot.rag.translation import LeadTranslator, TranslationStore, TranslationWarmer
from chatbot.records import Answer, Delta, Event, Final, Mode, Prepared
from indexer.records import Question
from indexer.text import bound_user_text

log = logging.getLogger(__name__)

LLM_PASSAGES = 2
# The lead's statements come from the best passage only: on the facts set its four nearest statements state more
# of the key facts than the four nearest of both passages (0.937 against 0.925 with the answers; chatbot/rag/lead.py)
LEAD_PASSAGES = 1
MAX_ATTEMPTS = 2  # one answer, one retry with a corrected prompt; then the extractive answer

class Unusable(Exception):
    """The model's answers were degenerate on every attempt."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems

TEXT = {
    "zh": {
        "refusal": "抱歉，知识库（PyTorch 面试题）没有涉及这个问题，我无法据此回答。",
        "fallback": "（未使用语言模型：{why}）",
        "retrying": "⏳ 回答不理想，正在重新生成… ",
        "truncated": "（问题太长（{total} 个字符），只使用了前 {n} 个字符。）",
        "unusable": "模型两次给出的回答都不可用（{problems}），改为直接摘录知识库",
    },
    "en": {
        "refusal": "Sorry, the knowledge base (PyTorch interview questions) does not cover this, "
                   "so I cannot answer it from there.",
        "fallback": "(No language model used: {why})",
        "retrying": "⏳ That answer was not usable; writing it again… ",
        "truncated": "(The question was too long ({total} characters); only its first {n} were used.)",
        "unusable": "the model's answer was unusable twice ({problems}), so these are the knowledge base's own words",
    },
}


class Answerer:
    def __init__(self, engine, *, refusal_margin: float = REFUSAL_MARGIN.value):
        self.engine = engine
        self.gate = RelevanceGate(engine.retriever, margin=refusal_margin)
        self.checker = CitationChecker(engine.index)
        self.titles = title_texts(engine.index.questions.values())
        self.translations = TranslationStore(engine.config.cache_dir)
        self.translation_warmer: TranslationWarmer | None = None

    def start_translation_warmer(self, entries: list[Question], *, ready: Callable[[], bool]) -> None:
        """Translates the entries' likely English lead sentences in the background, once `ready()` and while the
        model is idle (chatbot/rag/translation.py), so that an English question finds its lead stored."""
        model = self.engine.chat_model()
        if model is None or self.translation_warmer is not None:
            return
        translator = LeadTranslator(model, self.checker, self.translations)
        self.translation_warmer = TranslationWarmer(translator, entries, ready=ready)
        self.translation_warmer.start()

    def resolve(self, question: str, history: Sequence[Turn]) -> str:
        """The query retrieval uses for `question` after `history` (a follow-up borrows the previous topic)."""
        return resolve_query(question, history, self.engine.retriever, self.gate)

    def prepare(self, question: str, history: Sequence[Turn] = ()) -> Prepared:
        start = time.perf_counter()
        question, truncated_from = bound_user_text(question, MAX_QUESTION_CHARS)
        history = bounded(list(history), self.engine.config.history_turns)
        resolved = self.resolve(question, history)
        hits = self.engine.retriever.search(resolved, top_k=self.engine.config.top_k)
        covered = self.gate.covers(resolved, hits)
        top = hits[0].question if hits else None
        title_only = top.id if covered and top is not None and not top.has_answer else None
        return Prepared(question, resolved, detect_language(question), hits if covered else [], not covered,
                        title_only, (time.perf_counter() - start) * 1000,
                        truncated_from)

    def stream(self, prepared: Prepared, history: Sequence[Turn] = (), *,
               use_llm: bool = True, started: float | None = None) -> Iterator[Event]:
        """Yields `Delta`s with the growing answer text, then one `Final` with the citation-checked `Answer`."""
        started = time.perf_counter() if started is None else started
        text = TEXT[prepared.language]
        if prepared.refused:
            refusal = Draft([Note("refusal", text["refusal"])])
            yield Delta(render(refusal))
            yield Final(self._finish(prepared, refusal, [], "refused", started, started))
            return
        model = self.engine.chat_model() if use_llm else None
        why = self.engine.llm_error if use_llm else "--no-llm"
        problems: list[str] = []
        if model is not None:
            try:
                yield from self._generate(prepared, history, model, started)
                return
            except Unusable as exc:
                problems = exc.problems
                why = text["unusable"].format(problems=", ".join(exc.problems))
            except ModelUnavailable as exc:  # an inference server down or too slow (the message names it)
                log.warning("generation failed, answering extractively: %s", exc)
                why = str(exc)
            except Exception as exc:  # out of memory, a backend crash: the user still gets an answer
                log.warning("generation failed, answering extractively: %s", exc)
                why = with_fix_hint(f"generation failed: {exc.__class__.__name__}: {' '.join(str(exc).split())[:200]}")
        body, cited = extractive_answer(prepared.resolved_query, prepared.hits, prepared.language)
        extract = Draft([Note("fallback", text["fallback"].format(why=why)), *note_block("extract", body)])
        yield Delta(render(extract))
        answer = self._finish(prepared, extract, cited, "extractive", started, time.perf_counter())
        answer.repaired = problems
        yield Final(answer)

    @staticmethod
    def prompt_passages(prepared: Prepared) -> list[Question]:
        """The entries the model's prompt carries, in order: the best entry when it has only a title, then up
        to LLM_PASSAGES answered ones (the prompt-state warmer builds the same prompts ahead of time)."""
        passages = [h.question for h in answered_passages(prepared.hits, LLM_PASSAGES)]
        return ([prepared.hits[0].question] if prepared.title_only_id else []) + passages

    def _generate(self, prepared: Prepared, history: Sequence[Turn], model: ChatModel,
                  started: float) -> Iterator[Event]:
        """Streams the model's answer through the pipeline (`chatbot/rag/draft/pipeline.py`); a degenerate one is
        retried once with a corrected prompt, then given up on (`Unusable`), so the caller answers extractively."""
        lang = prepared.language
        passages = self.prompt_passages(prepared)
        title_only = prepared.hits[0].question if prepared.title_only_id else None
        code = select_code(prepared.question, [q for q in passages if q.has_answer], self.engine.index.keyword)
        judge = StatementJudge(model, self.checker) if model.supports_yes_no else None
        lead = (choose_lead(prepared.question, passages[:LEAD_PASSAGES], self.checker)
                if passages and title_only is None else None)
        ctx = AnswerContext(prepared.question, lang, passages, [h.question.id for h in prepared.hits], code,
                            self.titles, self.checker, title_only=title_only, lead=lead,
                            judge=(lambda texts: judge.agreement(texts, passages)) if judge else None)
        streaming = replace(ctx, streaming=True)
        turns = [(t.question, t.answer) for t in bounded(list(history), self.engine.config.history_turns)]
        problems: list[str] = []
        first: float | None = None
        if lead is not None and lang == "en":
            partial = Lead(())
            for partial in self._translated(lead, model):
                first = first or time.perf_counter()
                opening = render(pipeline.run(Draft([]), replace(streaming, lead=partial)))
                yield Delta(opening)
            lead = partial if partial.sentences else None
            ctx, streaming = replace(ctx, lead=lead), replace(streaming, lead=lead)
        if opening := render(pipeline.run(Draft([]), streaming)):  # the title-only note, the lead: at once
            first = first or time.perf_counter()  # the user is reading the answer from here on
            yield Delta(opening)
        retry_hint = ""
        for attempt in range(MAX_ATTEMPTS):
            messages = build_messages(prepared.question, passages, lang, turns, prepared.title_only_id,
                                      code_attached=bool(code), retry_hint=retry_hint)
            raw = ""
            for piece in model.stream_chat(messages, max_new_tokens=self.engine.config.max_new_tokens):
                first = first or time.perf_counter()
                raw += piece
                yield Delta(pipeline.preview(raw, streaming))
            cut_off = used_whole_budget(model, raw, self.engine.config.max_new_tokens)
            try:
                draft = pipeline.run(parse(raw), replace(ctx, cut_off=cut_off))
                break
            except Degenerate as exc:
                problems.append(exc.diagnosis.problem)
                log.info("degenerate answer (%s), attempt %d", exc, attempt + 1)
                retry_hint = RETRY_HINT[lang][exc.diagnosis.problem]
                retrying = pipeline.run(Draft([Note("retrying", TEXT[lang]["retrying"])]), streaming)
                yield Delta(render(retrying))
        else:
            raise Unusable(problems)
        cited = Cite.citations(draft)
        first_ids = [prepared.title_only_id] if prepared.title_only_id else lead.qids if lead else []
        citations = list(dict.fromkeys(first_ids + cited + [c.question.id for c in code]))
        answer = self._finish(prepared, draft, citations, "llm", started, first or time.perf_counter())
        answer.rejected_citations = sorted({p for p in draft.proposed if p not in cited})
        answer.model = model.name
        answer.repaired = problems
        answer.draft = draft
        yield Final(answer)

    def _translated(self, lead: Lead, model: ChatModel) -> Iterator[Lead]:
        """The English lead as it is translated; an empty one when translating fails (the answer goes on)."""
        try:
            yield from LeadTranslator(model, self.checker, self.translations).stream(lead)
        except Exception as exc:  # a server down, out of memory: the answer is still written, without a lead
            log.warning("lead not translated: %s", exc)
            yield Lead(())

    def _finish(self, prepared: Prepared, draft: Draft, citations: list[str], mode: Mode,
                started: float, first: float) -> Answer:
        now = time.perf_counter()
        if prepared.truncated_from:
            cut = TEXT[prepared.language]["truncated"].format(n=MAX_QUESTION_CHARS, total=prepared.truncated_from)
            draft.segments[:0] = [Note("truncated", cut), Gap("\n\n")]
        return Answer(prepared.question, prepared.resolved_query, prepared.language, render(draft), citations,
                      prepared.refused, prepared.hits, mode, prepared.retrieval_ms,
                      (first - started) * 1000 + prepared.retrieval_ms, (now - started) * 1000 + prepared.retrieval_ms)

    def answer(self, question: str, history: Sequence[Turn] = (), *, use_llm: bool = True) -> Answer:
        prepared = self.prepare(question, history)
        for event in self.stream(prepared, history, use_llm=use_llm):
            if isinstance(event, Final):
                return event.answer
        raise RuntimeError("the answer stream ended without a final answer")
