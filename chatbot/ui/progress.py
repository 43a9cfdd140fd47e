"""The Progress tab: per topic, questions seen / mastered / due and the mean latest score; scores per day (a line
chart) and per topic (a bar chart), both Gradio plot components fed with data frames; what is due today and this
week; past sessions, each re-openable with its answers, grades and feedback. Every view is the request's user's."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import gradio as gr
import pandas as pd
from fsrs import Rating

from chatbot.interview.practice import Practice
from chatbot.interview.progress import ProgressReport, build_progress
from chatbot.interview.review import RATING_NAMES
from chatbot.interview.topics import topic_name
from chatbot.store.errors import StoreError
from chatbot.ui.profile import profile_of
from chatbot.ui.rendering import escape_text, safe_markdown
from chatbot.ui.texts import MSG, PRACTICE_MODES

log = logging.getLogger(__name__)


class ProgressView(NamedTuple):
    """The outputs of the Refresh event, in this order."""

    overview: str
    days: pd.DataFrame  # day, score: the line chart
    topics: pd.DataFrame  # topic, score: the bar chart
    sessions: Any  # an update of the sessions dropdown (choices)
    session_detail: str


def days_frame(report: ProgressReport) -> pd.DataFrame:
    return pd.DataFrame({"day": [d.day for d in report.days], "score": [d.mean for d in report.days],
                         "answers": [d.answers for d in report.days]})


def topics_frame(report: ProgressReport) -> pd.DataFrame:
    rows = [t for t in report.topics if t.mean_latest is not None]
    return pd.DataFrame({"topic": [topic_name(t.topic, "zh") for t in rows],
                         "score": [t.mean_latest for t in rows], "seen": [t.seen for t in rows]})


def overview_markdown(report: ProgressReport) -> str:
    titles = {c.id: c.title for c in report.cards}
    lines = [f"### 学习进度 / Progress · {escape_text(report.profile)}",
             f"<sub>{report.answers} 次作答 / graded answers</sub>", "",
             "| 主题 / topic | 见过 / seen | 掌握 / mastered | 到期 / due | 最近得分均值 / mean latest |",
             "|---|---|---|---|---|"]
    for t in report.topics:
        mean = f"{t.mean_latest:.1f}" if t.mean_latest is not None else "—"
        lines.append(f"| {escape_text(topic_name(t.topic, 'zh'))} / {escape_text(t.name)} | {t.seen}/{t.questions} "
                     f"| {t.mastered} | {t.due} | {mean} |")

    def listing(ids: list[str]) -> str:
        return "、".join(f"`{i}` {escape_text(titles.get(i, ''))}" for i in ids) or "—"

    lines += ["", f"**今天到期 / due today:** {listing(report.due_today)}", "",
              f"**本周到期 / due this week:** {listing(report.due_this_week)}", "",
              "<sub>掌握 = 复习间隔达到 21 天且最近得分 ≥ 6 / mastered = a review interval of 21+ days and a latest "
              "score of 6 or more</sub>"]
    return "\n".join(lines)


def session_label(s) -> str:
    mean = f"{s.mean_score:.1f}" if s.mean_score is not None else "—"
    return (f"#{s.id} · {s.started_at.astimezone():%Y-%m-%d %H:%M} · {PRACTICE_MODES.get(s.mode, s.mode)} · "
            f"{s.answered}/{len(s.question_ids)} · {mean}")


class ProgressTab:
    def __init__(self, practice: Callable[[], Practice], clock: Callable[[], datetime] | None = None) -> None:
        self._practice = practice  # built on first use (the questions come with the index)
        self.clock = clock or (lambda: datetime.now(UTC))

    def show(self, request: gr.Request | None = None) -> ProgressView:
        practice = self._practice()
        empty = pd.DataFrame({"day": [], "score": []}), pd.DataFrame({"topic": [], "score": []})
        try:
            report = build_progress(practice.store, profile_of(request), practice.questions, self.clock())
        except StoreError as exc:
            return ProgressView(MSG["progress_unavailable"].format(why=escape_text(str(exc))), *empty,
                                gr.update(choices=[], value=None), "")
        choices = [(session_label(s), s.id) for s in report.sessions]
        notice = practice.store.opened.notice
        overview = (f"ℹ️ {escape_text(notice)}\n\n" if notice else "") + overview_markdown(report)
        return ProgressView(overview, days_frame(report), topics_frame(report),
                            gr.update(choices=choices, value=None), MSG["session_pick"])

    def open_session(self, session_id: int | str | None, request: gr.Request | None = None) -> str:
        """A past session's answers, grades and feedback (the request's user's sessions only)."""
        if session_id in (None, ""):
            return MSG["session_pick"]
        practice = self._practice()
        try:
            wanted = int(session_id)
            answers = practice.store.answers(profile_of(request), session_id=wanted)
        except (TypeError, ValueError):
            return MSG["session_pick"]
        except StoreError as exc:
            return MSG["progress_unavailable"].format(why=escape_text(str(exc)))
        if not answers:
            return "没有这次面试的记录。 / No answers recorded for this session."
        titles = {q.id: q.title for q in practice.questions}
        parts = []
        for a in answers:
            head = f"#### {a.question_id} · {escape_text(titles.get(a.question_id, ''))}"
            rating = RATING_NAMES[Rating(a.rating)] if a.rating in (1, 2, 3, 4) else "—"
            when = f"{a.answered_at.astimezone():%Y-%m-%d %H:%M}" if a.answered_at else ""
            if a.skipped:
                parts.append(f"{head}\n\n⏭️ 跳过 / skipped · {when} · {rating}")
                continue
            parts.append(f"{head}\n\n**{a.score:g}/10** · {when} · {rating} · {a.hints} hints\n\n"
                         f"> {escape_text(a.answer[:600])}\n\n{safe_markdown(a.feedback)}")
        return "\n\n---\n\n".join(parts)
