"""The Mock-interview tab: start, answer, hint, skip and summary, each returning one `InterviewView`."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import NamedTuple

import gradio as gr
from fsrs import Rating

from chatbot.interview import report, topics
from chatbot.interview import session as iv
from chatbot.interview.config import InterviewConfig
from chatbot.interview.grading import Grade
from chatbot.interview.limits import MAX_ANSWER_CHARS
from chatbot.interview.practice import Practice
from chatbot.interview.review import RATING_NAMES
from chatbot.interview.session import InterviewItem, InterviewSession
from chatbot.interview.warm_prompts import warm_judge_while_typing
from chatbot.rag.engine import Engine
from chatbot.store.errors import StoreError
from chatbot.ui.profile import profile_of
from chatbot.ui.rendering import error_reason, escape_text, safe_markdown
from chatbot.ui.texts import MAX_INTERVIEW_QUESTIONS, MODE_CHOSEN, MSG, PRACTICE_MODES
from indexer.records import Question
from indexer.text import bound_user_text

log = logging.getLogger(__name__)


class InterviewView(NamedTuple):
    """The outputs of every interview event, in this order."""

    question: str
    feedback: str
    summary: str
    session: InterviewSession | None
    answer_box: str


def grade_markdown(grade: Grade, question: Question) -> str:
    bar = "█" * int(round(grade.score)) + "░" * (10 - int(round(grade.score)))
    lines = [f"#### {question.id} · {escape_text(question.title)}",
             f"### 得分 / score: **{grade.score:g}/10**  `{bar}`",
             f"<sub>要点覆盖 / coverage {grade.coverage:.0%}</sub>", ""]
    if grade.feedback:
        label = {"llm": "🤖 模型逐条评分 / graded by the model", "embedding": "📝 向量评分 / graded by embeddings",
                 "none": "— 未作答 / no answer"}[grade.graded_by]
        lines += [f"**{label}:**", "", safe_markdown(grade.feedback), ""]
    lines += ["<details><summary>参考答案 / reference answer</summary>", "",
              safe_markdown(report.reference_markdown(question)), "", "</details>"]
    return "\n".join(lines)


RATING_LABELS = {"zh": {1: "重来", 2: "困难", 3: "良好", 4: "简单"}}


def saved_markdown(item: InterviewItem) -> str:
    """Under a grade: the rating it suggests and how to change it, or the note that it was not saved."""
    if item.not_saved:
        return MSG["not_saved"].format(why=escape_text(item.not_saved))
    if not item.rating:
        return ""
    name = RATING_NAMES[Rating(item.rating)]
    return MSG["rating"].format(zh=RATING_LABELS["zh"][item.rating], en=name)


def modes() -> list[tuple[str, str]]:
    return [(label, key) for key, label in PRACTICE_MODES.items()]


class InterviewTab:
    def __init__(self, engine: Engine[InterviewConfig], *, practice: Practice | None = None,
                 use_llm: bool = True) -> None:
        self.engine = engine
        self.use_llm = use_llm
        self._practice = practice
        self._lock = threading.Lock()

    @property
    def practice(self) -> Practice:
        with self._lock:  # two first requests at once must not open the database twice
            if self._practice is None:  # the questions come with the index: built on first use
                from chatbot.store.open import open_store

                config = self.engine.config
                self._practice = Practice(open_store(config.database_url, config.data_dir),
                                          self.engine.index.questions.values())
            return self._practice

    def topic_choices(self) -> list[tuple[str, str]]:
        counts = {k: len(v) for k, v in topics.questions_by_topic(self.engine.index.questions.values()).items()}
        return [(f"{names['zh']} / {names['en']} ({counts.get(key, 0)})", key) for key, names in topics.TOPICS.items()]

    # ------------------------------------------------------------------ views
    def _question_panel(self, session: InterviewSession) -> str:
        item = session.current()
        if item is None:
            return MSG["interview_over"]
        q = item.question
        position, total = session.position + 1, len(session.items)
        topic = topics.topic_of(q)
        return (f"**第 {position}/{total} 题 / Question {position} of {total}** · "
                f"{escape_text(topics.topic_name(topic, 'zh') + ' / ' + topics.topic_name(topic, 'en'))} · `{q.id}`"
                f"\n\n### {escape_text(q.title)}\n\n"
                f"<sub>在下方写出你的回答，然后点“提交”。 / Write your answer below and press Submit.</sub>")

    def _view(self, session: InterviewSession | None, feedback: str, summary: str = "",
              answer_box: str = "") -> InterviewView:
        if session is None:
            return InterviewView(MSG["interview_idle"], feedback, summary, None, answer_box)
        if session.finished and not summary:
            summary = self._summary_md(session)
        if self.use_llm and self.engine.config.llm_grading and (item := session.current()) is not None:
            warm_judge_while_typing(self.engine, item.question)
        return InterviewView(self._question_panel(session), feedback, summary, session, answer_box)

    @staticmethod
    def _summary_md(session: InterviewSession) -> str:
        return safe_markdown(report.format_summary_markdown(report.summary(session), language="zh"))

    def _attempt(self, session: InterviewSession | None, what: tuple[str, str], action: Callable[[], InterviewView],
                 answer_box: str = "") -> InterviewView:
        """Runs one interview action; a ValueError is the user's to fix, anything else is logged. Either way
        the session is kept and the message says what failed."""
        try:
            return action()
        except ValueError as exc:
            return self._view(session, f"⚠️ {error_reason(exc)}", "", answer_box)
        except Exception as exc:
            log.exception("interview action failed: %s", what[1])
            return self._view(session, MSG["action_failed"].format(what=what[0], what_en=what[1],
                                                                   why=error_reason(exc)), "", answer_box)

    def _not_running(self, session: InterviewSession | None, answer_box: str = "") -> InterviewView | None:
        """The view that says so when there is no interview to act on, else None."""
        if session is None:
            return self._view(None, MSG["no_interview"], "", answer_box)
        if session.finished:
            return self._view(session, MSG["interview_over"], "", answer_box)
        return None

    # ------------------------------------------------------------------ actions
    def start(self, topic_keys: list[str] | str | None, n: float | str, series: str | None,
              session: InterviewSession | None = None, mode: str | None = "auto",
              request: gr.Request | None = None) -> InterviewView:
        """Draws a new interview for the request's user (no topic ticked = every topic) by `mode` (auto = due
        questions when any are due, else random); a bad choice keeps the old session."""
        def action() -> InterviewView:
            keys = [topic_keys] if isinstance(topic_keys, str) else list(topic_keys or [])
            try:
                count = int(n)
            except (TypeError, ValueError):
                raise ValueError(MSG["bad_count"]) from None
            if not 1 <= count <= MAX_INTERVIEW_QUESTIONS:
                raise ValueError(MSG["count_range"].format(n=MAX_INTERVIEW_QUESTIONS))
            chosen = None if mode in (None, "", "auto") else mode
            new = self.practice.start(profile_of(request), keys, count, series=series or "all", mode=chosen)
            notes = [MODE_CHOSEN[new.mode]]
            if len(new.items) < count:
                notes.append(MSG["fewer_questions"].format(n=len(new.items)))
            if not self.practice.store.available:
                notes.append(MSG["not_saved"].format(why=escape_text(self.practice.store.problem)))
            elif notice := self.practice.store.opened.notice:
                notes.append(f"ℹ️ {escape_text(notice)}")
            return self._view(new, "\n\n".join(notes))

        return self._attempt(session, ("无法开始面试", "start"), action)

    def answer(self, answer: str, session: InterviewSession | None) -> InterviewView:
        if (stopped := self._not_running(session, answer or "")) is not None:
            return stopped
        assert session is not None
        text, cut_from = bound_user_text((answer or "").strip(), MAX_ANSWER_CHARS)  # control characters go
        text = text.strip()
        if not text:
            return self._view(session, MSG["empty_answer"], "", answer or "")
        if cut_from:
            return self._view(session, MSG["long_answer"].format(n=MAX_ANSWER_CHARS), "", answer)

        def action() -> InterviewView:
            item = iv.require_current(session)
            model = self.engine.chat_model() if self.use_llm and self.engine.config.llm_grading else None
            grade = self.practice.answer(session, self.engine.index.embedder, text, chat_model=model)
            return self._view(session, grade_markdown(grade, item.question) + "\n\n" + saved_markdown(item))

        return self._attempt(session, ("评分", "grading"), action, answer)

    def hint(self, session: InterviewSession | None) -> InterviewView:
        if (stopped := self._not_running(session)) is not None:
            return stopped
        assert session is not None
        return self._attempt(session, ("提示", "hint"),
                             lambda: self._view(session, "💡 **提示 / hint:** " + safe_markdown(iv.hint(session))))

    def skip(self, session: InterviewSession | None) -> InterviewView:
        if (stopped := self._not_running(session)) is not None:
            return stopped
        assert session is not None

        def action() -> InterviewView:
            item = iv.require_current(session)
            self.practice.skip(session)
            question = item.question
            return self._view(session, f"⏭️ 已跳过 {question.id} / skipped.\n\n{saved_markdown(item)}\n\n"
                                       f"<details><summary>参考答案 / reference answer</summary>\n\n"
                                       f"{safe_markdown(report.reference_markdown(question))}\n\n</details>")

        return self._attempt(session, ("跳过", "skip"), action)

    def summary(self, session: InterviewSession | None) -> InterviewView:
        if session is None:
            return self._view(None, MSG["no_interview"])
        return self._attempt(session, ("总结", "summary"), lambda: self._view(session, "", self._summary_md(session)))

    def rate(self, rating: str, session: InterviewSession | None) -> InterviewView:
        """The user's rating (Again / Hard / Good / Easy) for the last answer, in place of the suggested one."""
        if session is None:
            return self._view(None, MSG["no_interview"])

        def action() -> InterviewView:
            try:
                item, card = self.practice.rerate(session, rating)
            except StoreError as exc:
                raise ValueError(str(exc)) from None
            return self._view(session, MSG["rated"].format(en=RATING_NAMES[Rating(item.rating)],
                                                           zh=RATING_LABELS["zh"][item.rating], qid=item.question.id,
                                                           due=f"{card.due.astimezone():%Y-%m-%d}"))

        return self._attempt(session, ("评级", "rating"), action)
