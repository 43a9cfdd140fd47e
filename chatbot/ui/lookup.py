"""The Lookup tab: an id opens that question at once; keywords list the best matches; a browsable list."""
from __future__ import annotations

import logging

from chatbot.rag.engine import Engine
from chatbot.rag.limits import MAX_QUESTION_CHARS
from chatbot.ui.rendering import error_reason, escape_text, question_list_markdown, question_markdown
from chatbot.ui.texts import ALL_SERIES, LOOKUP_RESULTS, MSG
from indexer.ids import default_prefix, id_like, id_ranges, parse_question_id
from indexer.text import bound_user_text

log = logging.getLogger(__name__)


def series_choices(engine: Engine) -> list[tuple[str, str]]:
    """("all") plus one (label, series) per series of the knowledge base, with its id range."""
    titles = engine.index.kb.series_titles
    return [ALL_SERIES] + [(f"{titles.get(series, series)} {prefix}{lo}–{prefix}{hi}", series)
                           for series, prefix, lo, hi in id_ranges(engine.index.questions.values())]


class LookupTab:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def questions(self):
        return self.engine.index.questions

    def lookup(self, query: str) -> str:
        try:
            return self._lookup(query)
        except Exception as exc:
            log.exception("lookup failed for %r", query)
            return MSG["lookup_failed"].format(why=error_reason(exc))

    def _lookup(self, query: str) -> str:
        text, cut_from = bound_user_text((query or "").strip(), MAX_QUESTION_CHARS)  # control characters go
        text = text.strip()
        if not text:
            return MSG["lookup_empty"]
        if cut_from:
            return MSG["lookup_long"].format(n=MAX_QUESTION_CHARS)
        series_titles = self.engine.index.kb.series_titles
        qid = parse_question_id(text, self.questions)
        if qid:
            return question_markdown(self.questions[qid], series_titles, heading="##")
        wanted = id_like(text, default_prefix(self.questions))
        if wanted:  # looks like an id, but there is no such question
            ranges = ", ".join(f"{p}{lo}–{p}{hi}" for _, p, lo, hi in id_ranges(self.questions.values()))
            return MSG["lookup_unknown_id"].format(qid=escape_text(wanted), ranges=ranges)
        hits = self.engine.retriever.search(text, top_k=LOOKUP_RESULTS)
        if not hits:
            return MSG["lookup_nothing"].format(text=escape_text(text))
        head = (f"#### 与 “{escape_text(text)}” 最相关的 {len(hits)} 道题 / Best {len(hits)} matches\n\n"
                + " · ".join(f"**{h.question.id}** {escape_text(h.question.title)}" for h in hits))
        body = "\n\n---\n\n".join(question_markdown(h.question, series_titles, heading="###") for h in hits)
        return f"{head}\n\n---\n\n{body}"

    def question_choices(self) -> list[tuple[str, str]]:
        """(label, id) for a dropdown of every question, in series order."""
        return [(f"{q.id} · {q.title}" + ("" if q.has_answer else " (仅题目)"), q.id)
                for q in self.questions.values()]

    def browse(self, series: str = "all") -> str:
        """Every question of a series (or all), with title-only ones marked."""
        qs = [q for q in self.questions.values() if series in (None, "", "all") or q.series == series]
        if not qs:
            return MSG["unknown_series"].format(series=escape_text(str(series)))
        return question_list_markdown(qs, self.engine.index.kb.series_titles)
