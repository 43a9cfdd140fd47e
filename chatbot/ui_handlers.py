"""What the web UI does, as plain functions and generators (no Gradio layout), so it can be unit-tested.

One `Handlers` object is shared by every browser session; everything per-user (chat history, the running
mock interview) travels in and out of the handlers as explicit state values (`gr.State` in the app).
Every handler turns bad input – empty text, an unknown id, an answer with no interview running – into
a readable message; none lets an exception reach the user as a traceback.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from chatbot.answerer import Answer, Answerer
from chatbot.followup import Turn
from chatbot.rendering import (
    answer_markdown,
    escape_text,
    question_list_markdown,
    question_markdown,
    safe_markdown,
    sources_markdown,
)
from chatbot.retriever import parse_question_id

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 4000
MAX_TURNS_KEPT = 50  # shown in the chat; the answerer itself only looks at the last `history_turns`
LOOKUP_RESULTS = 5
MAX_INTERVIEW_QUESTIONS = 20

SERIES_CHOICES = [("全部 / all", "all"), ("主系列 Q1–Q100 / main", "main"), ("生态面试 E1–E31 / interview", "interview")]

MSG = {
    "sources_idle": "#### 来源 / Sources\n\n提问后，这里会列出回答引用的知识库题目。 / "
                    "The knowledge-base questions an answer cites appear here.",
    "empty_question": "#### 来源 / Sources\n\n⚠️ 请输入一个问题。 / Please type a question first.",
    "long_question": "#### 来源 / Sources\n\n⚠️ 问题太长（最多 {n} 个字符）。 / "
                     "The question is too long (at most {n} characters).",
    "searching": "⏳ 正在检索知识库… / Searching the knowledge base…",
    "thinking": "⏳ 正在生成回答… / Writing the answer…",
    "chat_error": "⚠️ 出错了，没能回答这个问题（{why}）。请换个说法再试。 / Something went wrong ({why}); "
                  "please try again.",
    "lookup_empty": "⚠️ 请输入题号（如 Q73、73、E5）或关键词。 / Type an id (Q73, 73, E5) or keywords.",
    "lookup_unknown_id": "⚠️ 没有编号为 **{qid}** 的题目。主系列为 Q1–Q{main}，生态面试系列为 E1–E{inter}。 / "
                         "There is no question {qid}.",
    "no_interview": "⚠️ 还没有进行中的面试，请先点击“开始面试”。 / No interview is running: press Start first.",
    "interview_over": "✅ 本次面试已经结束，可查看总结或重新开始。 / This interview is over: see the summary or start "
                      "a new one.",
    "empty_answer": "⚠️ 请先写下你的回答（也可以点“提示”或“跳过”）。 / Type your answer first (or use Hint / Skip).",
    "long_answer": "⚠️ 回答太长（最多 {n} 个字符）。 / The answer is too long (at most {n} characters).",
    "interview_idle": "选择主题、题数和题库系列，然后点击“开始面试”。 / Pick topics, a number of questions and a "
                      "series, then press Start.",
}


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return escape_text(text[:200])


def _msg(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


class Handlers:
    """The UI's behaviour over one shared `Engine` (index, embedder, LLM loaded once per process)."""

    def __init__(self, engine, *, answerer: Answerer | None = None, use_llm: bool = True):
        self.engine = engine
        self.answerer = answerer or Answerer(engine)
        self.use_llm = use_llm  # with backend "none" engine.chat_model() is None: answers are extractive

    # ------------------------------------------------------------------ status

    @property
    def questions(self):
        return self.engine.index.questions

    @property
    def series_titles(self) -> dict[str, str]:
        return self.engine.index.kb.series_titles

    def model_status(self) -> str:
        """One line: the LLM's name, backend and device, or why answers are extractive."""
        try:
            model = self.engine.chat_model() if self.use_llm else None
        except Exception as exc:  # noqa: BLE001
            model, self.engine.llm_error = None, f"model failed to load: {exc}"
        if model is not None:
            return (f"🟢 模型 / model: **{escape_text(model.name)}** ({escape_text(model.backend)}) · "
                    f"设备 / device: **{escape_text(model.device)}**")
        why = self.engine.llm_error or "LLM disabled"
        return f"🟡 抽取模式 / extractive mode: {escape_text(why)}"

    def status_markdown(self) -> str:
        embedder = self.engine.index.embedder
        return (f"{self.model_status()}  \n"
                f"<sub>嵌入 / embeddings: {escape_text(getattr(embedder, 'name', '?'))} on "
                f"{escape_text(getattr(embedder, 'device', '?'))} · "
                f"{escape_text(self.engine.index.report.summary())}</sub>")

    # ------------------------------------------------------------------ chat

    @staticmethod
    def chat_messages(turns: list[Turn], *, link_last: bool = True) -> list[dict[str, str]]:
        """gr.Chatbot messages for the kept turns; only the newest answer links its citations
        (its sources are the ones in the panel)."""
        messages = []
        for n, t in enumerate(turns):
            messages.append(_msg("user", escape_text(t.question)))
            last = n == len(turns) - 1
            messages.append(_msg("assistant", answer_markdown(t.answer) if last and link_last
                                 else safe_markdown(t.answer)))
        return messages

    def chat(self, message: str, turns: list[Turn] | None) -> Iterator[tuple]:
        """Generator for the chat tab; yields (messages, sources_markdown, turns, textbox, answer_json).

        The sources panel is filled right after retrieval, before the model's first token; then the
        answer grows; the final yield carries the citation-checked answer and the updated history.
        """
        turns = list(turns or [])
        earlier = self.chat_messages(turns, link_last=False)
        text = (message or "").strip()
        if not text:
            yield self.chat_messages(turns), MSG["empty_question"], turns, "", None
            return
        if len(text) > MAX_QUESTION_CHARS:
            yield self.chat_messages(turns), MSG["long_question"].format(n=MAX_QUESTION_CHARS), turns, message, None
            return
        user = _msg("user", escape_text(text))
        yield earlier + [user, _msg("assistant", MSG["searching"])], MSG["sources_idle"], turns, "", None
        try:
            prepared = self.answerer.prepare(text, turns)
        except Exception as exc:  # noqa: BLE001 – shown to the user, logged for us
            log.exception("retrieval failed for %r", text)
            yield (earlier + [user, _msg("assistant", MSG["chat_error"].format(why=_why(exc)))],
                   MSG["sources_idle"], turns, "", None)
            return
        sources = sources_markdown(prepared.hits, refused=prepared.refused, language=prepared.language)
        known = [h.question.id for h in prepared.hits]
        yield earlier + [user, _msg("assistant", MSG["thinking"])], sources, turns, "", None
        final: Answer | None = None
        partial = ""
        try:
            for event in self.answerer.stream(prepared, turns, use_llm=self.use_llm):
                if isinstance(event, Answer):
                    final = event
                    break
                partial = event
                yield earlier + [user, _msg("assistant", answer_markdown(event, known))], sources, turns, "", None
        except Exception as exc:  # noqa: BLE001
            log.exception("answering failed for %r", text)
            shown = (partial + "\n\n" if partial else "") + MSG["chat_error"].format(why=_why(exc))
            yield earlier + [user, _msg("assistant", safe_markdown(shown))], sources, turns, "", None
            return
        if final is None:  # the stream ended without its Answer: keep what was written
            final_text, info = partial, None
        else:
            final_text, info = final.text, final.to_json()
            sources = sources + "\n\n" + self._answer_footer(final)
        turns = (turns + [Turn(text, prepared.resolved_query, final_text)])[-MAX_TURNS_KEPT:]
        yield self.chat_messages(turns), sources, turns, "", info

    @staticmethod
    def _answer_footer(answer: Answer) -> str:
        mode = {"llm": "模型生成 / generated", "extractive": "知识库摘录 / extractive",
                "refused": "拒答 / refused"}.get(answer.mode, answer.mode)
        model = f" · {escape_text(answer.model)}" if answer.model else ""
        return (f"<sub>{mode}{model} · 检索 / retrieval {answer.retrieval_ms:.0f} ms · "
                f"首字 / first token {answer.first_token_ms:.0f} ms · 共 / total {answer.total_ms / 1000:.1f} s</sub>")

    def clear_chat(self) -> tuple:
        """(messages, sources, turns, textbox, answer_json) for a fresh conversation."""
        return [], MSG["sources_idle"], [], "", None

    # ------------------------------------------------------------------ lookup

    def _id_like(self, text: str) -> str | None:
        m = re.fullmatch(r"\s*([A-Za-z]{1,3})\s*-?\s*(\d{1,4})\s*", text) or re.fullmatch(r"\s*(\d{1,4})\s*", text)
        if not m:
            return None
        return f"{m.group(1).upper()}{int(m.group(2))}" if m.lastindex == 2 else f"Q{int(m.group(1))}"

    def lookup(self, query: str) -> str:
        """An id opens that question at once; anything else lists the best keyword/semantic matches."""
        try:
            return self._lookup(query)
        except Exception as exc:  # noqa: BLE001
            log.exception("lookup failed for %r", query)
            return f"⚠️ 查询失败 / lookup failed: {_why(exc)}"

    def _lookup(self, query: str) -> str:
        text = (query or "").strip()
        if not text:
            return MSG["lookup_empty"]
        if len(text) > MAX_QUESTION_CHARS:
            return MSG["long_question"].format(n=MAX_QUESTION_CHARS).split("\n\n", 1)[1]
        qid = parse_question_id(text, self.questions)
        if qid:
            return question_markdown(self.questions[qid], self.series_titles, heading="##")
        wanted = self._id_like(text)
        if wanted:  # looks like an id, but there is no such question
            counts = {"Q": 0, "E": 0}
            for q in self.questions.values():
                prefix = re.match(r"[A-Z]+", q.id).group(0)
                counts[prefix] = max(counts.get(prefix, 0), q.number)
            return MSG["lookup_unknown_id"].format(qid=escape_text(wanted), main=counts["Q"], inter=counts["E"])
        hits = self.engine.retriever.search(text, top_k=LOOKUP_RESULTS)
        if not hits:
            return f"没有找到与 “{escape_text(text)}” 相关的题目。 / Nothing matches “{escape_text(text)}”."
        head = (f"#### 与 “{escape_text(text)}” 最相关的 {len(hits)} 道题 / Best {len(hits)} matches\n\n"
                + " · ".join(f"**{h.question.id}** {escape_text(h.question.title)}" for h in hits))
        body = "\n\n---\n\n".join(question_markdown(h.question, self.series_titles, heading="###") for h in hits)
        return f"{head}\n\n---\n\n{body}"

    def question_choices(self) -> list[tuple[str, str]]:
        """(label, id) for a dropdown of every question, in series order."""
        return [(f"{q.id} · {q.title}" + ("" if q.has_answer else " (仅题目)"), q.id)
                for q in self.questions.values()]

    def browse(self, series: str = "all") -> str:
        """Every question of a series (or all), with title-only ones marked."""
        qs = [q for q in self.questions.values() if series in (None, "", "all") or q.series == series]
        if not qs:
            return f"⚠️ 没有这个系列 / unknown series: {escape_text(str(series))}"
        return question_list_markdown(qs, self.series_titles)

    # ------------------------------------------------------------------ mock interview
    # Outputs of every interview handler: (question_md, feedback_md, summary_md, session, answer_box)

    def topic_choices(self, language: str = "zh") -> list[tuple[str, str]]:
        from chatbot import topics

        counts = {k: len(v) for k, v in topics.questions_by_topic(self.questions.values()).items()}
        return [(f"{names['zh']} / {names['en']} ({counts.get(key, 0)})", key) for key, names in topics.TOPICS.items()]

    def _question_panel(self, session) -> str:
        from chatbot import topics

        item = session.current()
        if item is None:
            return MSG["interview_over"]
        q = item.question
        position, total = session.position + 1, len(session.items)
        where = f"第 {position}/{total} 题 / Question {position} of {total}"
        topic = topics.topic_name(topics.topic_of(q), "zh") + " / " + topics.topic_name(topics.topic_of(q), "en")
        return (f"**{where}** · {escape_text(topic)} · `{q.id}`\n\n"
                f"### {escape_text(q.title)}\n\n"
                f"<sub>在下方写出你的回答，然后点“提交”。 / Write your answer below and press Submit.</sub>")

    def _interview_outputs(self, session, feedback: str, summary: str = "", answer_box: str = "") -> tuple:
        if session is None:
            return MSG["interview_idle"], feedback, summary, None, answer_box
        if session.finished and not summary:
            summary = self._summary_md(session)
        return self._question_panel(session), feedback, summary, session, answer_box

    def _summary_md(self, session) -> str:
        from chatbot import interview

        return safe_markdown(interview.format_summary_markdown(interview.summary(session), language="zh"))

    def interview_start(self, topic_keys, n, series, session=None) -> tuple:
        """Draws a new interview (no topic ticked = every topic); a bad choice keeps the old session."""
        from chatbot import interview

        try:
            if isinstance(topic_keys, str):
                topic_keys = [topic_keys]
            try:
                count = int(n)
            except (TypeError, ValueError):
                raise ValueError("题数必须是整数。 / The number of questions must be a whole number.") from None
            if not 1 <= count <= MAX_INTERVIEW_QUESTIONS:
                raise ValueError(f"题数应在 1 到 {MAX_INTERVIEW_QUESTIONS} 之间。 / Choose 1 to "
                                 f"{MAX_INTERVIEW_QUESTIONS} questions.")
            new = interview.start_interview(list(self.questions.values()), list(topic_keys or []), count,
                                            series=series or "all")
        except ValueError as exc:
            return self._interview_outputs(session, f"⚠️ {_why(exc)}")
        except Exception as exc:  # noqa: BLE001
            log.exception("interview start failed")
            return self._interview_outputs(session, f"⚠️ 无法开始面试 / could not start: {_why(exc)}")
        note = ""
        if len(new.items) < count:
            note = (f"ℹ️ 符合条件的题目只有 {len(new.items)} 道。 / Only {len(new.items)} questions match "
                    f"these choices.")
        return self._interview_outputs(new, note)

    def interview_answer(self, answer: str, session) -> tuple:
        from chatbot import interview

        if session is None:
            return self._interview_outputs(None, MSG["no_interview"], "", answer or "")
        if session.finished:
            return self._interview_outputs(session, MSG["interview_over"], "", answer or "")
        text = (answer or "").strip()
        if not text:
            return self._interview_outputs(session, MSG["empty_answer"], "", answer or "")
        if len(text) > MAX_ANSWER_CHARS:
            return self._interview_outputs(session, MSG["long_answer"].format(n=MAX_ANSWER_CHARS), "", answer)
        question = session.current().question
        try:
            model = self.engine.chat_model() if self.use_llm else None
            grade = interview.submit_answer(session, self.engine.index.embedder, text, chat_model=model)
        except ValueError as exc:
            return self._interview_outputs(session, f"⚠️ {_why(exc)}", "", answer)
        except Exception as exc:  # noqa: BLE001
            log.exception("grading failed")
            return self._interview_outputs(session, f"⚠️ 评分失败 / grading failed: {_why(exc)}", "", answer)
        return self._interview_outputs(session, self._grade_markdown(grade, question), "", "")

    @staticmethod
    def _grade_markdown(grade, question) -> str:
        from chatbot import interview

        bar = "█" * int(round(grade.score)) + "░" * (10 - int(round(grade.score)))
        lines = [f"#### {question.id} · {escape_text(question.title)}",
                 f"### 得分 / score: **{grade.score:g}/10**  `{bar}`",
                 f"<sub>要点覆盖 / coverage {grade.coverage:.0%}</sub>", ""]
        if grade.covered:
            lines.append("**✅ 答到的要点 / covered:** " + "；".join(escape_text(k) for k in grade.covered))
            lines.append("")
        if grade.missing and grade.llm_feedback:  # the rule-based feedback lists them itself
            lines.append("**❌ 遗漏的要点 / missing:** " + "；".join(escape_text(k) for k in grade.missing))
            lines.append("")
        if grade.feedback:
            label = "🤖 模型点评 / model feedback" if grade.llm_feedback else "📝 评语 / feedback"
            lines += [f"**{label}:**", "", safe_markdown(grade.feedback), ""]
        lines += ["<details><summary>参考答案 / reference answer</summary>", "",
                  safe_markdown(interview.reference_markdown(question)), "", "</details>"]
        return "\n".join(lines)

    def _not_running(self, session) -> tuple | None:
        """The outputs that say so when there is no interview to act on, else None."""
        if session is None:
            return self._interview_outputs(None, MSG["no_interview"])
        if session.finished:
            return self._interview_outputs(session, MSG["interview_over"])
        return None

    def interview_hint(self, session) -> tuple:
        from chatbot import interview

        if (stopped := self._not_running(session)) is not None:
            return stopped
        try:
            text = interview.hint(session)
        except Exception as exc:  # noqa: BLE001
            log.exception("hint failed")
            return self._interview_outputs(session, f"⚠️ {_why(exc)}")
        return self._interview_outputs(session, "💡 **提示 / hint:** " + safe_markdown(text))

    def interview_skip(self, session) -> tuple:
        from chatbot import interview

        if (stopped := self._not_running(session)) is not None:
            return stopped
        question = session.current().question
        try:
            interview.skip(session)
        except Exception as exc:  # noqa: BLE001
            log.exception("skip failed")
            return self._interview_outputs(session, f"⚠️ {_why(exc)}")
        feedback = (f"⏭️ 已跳过 {question.id} / skipped.\n\n<details><summary>参考答案 / reference answer</summary>"
                    f"\n\n{safe_markdown(interview.reference_markdown(question))}\n\n</details>")
        return self._interview_outputs(session, feedback)

    def interview_summary(self, session) -> tuple:
        if session is None:
            return self._interview_outputs(None, MSG["no_interview"])
        try:
            summary = self._summary_md(session)
        except Exception as exc:  # noqa: BLE001
            log.exception("summary failed")
            return self._interview_outputs(session, f"⚠️ {_why(exc)}")
        return self._interview_outputs(session, "", summary)

