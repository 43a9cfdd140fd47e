"""The end-of-interview summary: per-question rows, the average, topics worth reviewing."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from chatbot.interview.session import InterviewSession
from chatbot.interview.topics import TOPICS, topic_name, topic_of
from indexer.records import Question

# Topics averaging below this are suggested for review. Not calibration: the line eval-grading draws under a
# good answer (good >= 6), not fitted on anything.
REVIEW_BELOW = 6.0

# -------------------------------------------------------------------------------------- summaries
Status = Literal["answered", "skipped", "pending"]


@dataclass
class SummaryRow:
    id: str
    title: str
    topic: str
    status: Status
    score: float | None  # None unless answered
    hints: int


@dataclass
class Summary:
    rows: list[SummaryRow]
    average: float | None  # over answered questions
    topic_scores: dict[str, float | None]  # topic -> average, None when only skipped
    review_topics: list[str]  # skipped or averaging below REVIEW_BELOW, in TOPICS order
    series: str
    topics: list[str]

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.rows)

    @property
    def answered(self) -> int:
        return self.count("answered")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def pending(self) -> int:
        return self.count("pending")

    @property
    def total(self) -> int:
        return len(self.rows)

    def to_json(self) -> dict:
        return {**asdict(self), "answered": self.answered, "skipped": self.skipped, "pending": self.pending,
                "total": self.total}


def summary(session: InterviewSession) -> Summary:
    """Per-question rows, the average over answered questions and the topics worth reviewing."""
    rows: list[SummaryRow] = []
    per_topic: dict[str, list[float]] = {}
    skipped_topics: set[str] = set()
    for item in session.items:
        q = item.question
        topic = topic_of(q)
        score: float | None = None
        status: Status = "pending"
        if item.grade is not None:
            status, score = "answered", item.grade.score
            per_topic.setdefault(topic, []).append(score)
        elif item.skipped:
            status = "skipped"
            skipped_topics.add(topic)
            per_topic.setdefault(topic, [])
        rows.append(SummaryRow(q.id, q.title, topic, status, score, item.hints))
    scores = [s for values in per_topic.values() for s in values]
    topic_scores = {t: (round(sum(v) / len(v), 1) if v else None) for t, v in per_topic.items()}
    review = [t for t in TOPICS if t in skipped_topics
              or ((ts := topic_scores.get(t)) is not None and ts < REVIEW_BELOW)]
    return Summary(rows, round(sum(scores) / len(scores), 1) if scores else None,
                   {t: topic_scores[t] for t in TOPICS if t in topic_scores}, review, session.series,
                   list(session.topics))


_SUMMARY = {
    "zh": {"title": "### 面试总结", "head": "| 题号 | 题目 | 主题 | 得分 | 提示 |", "skipped": "跳过",
           "pending": "未作答", "average": "**平均分：{avg} / 10**（作答 {a} 题，跳过 {s} 题，共 {t} 题）",
           "no_average": "**平均分：—**（没有作答的题目）", "review": "**建议复习：**{topics}",
           "no_review": "各主题表现良好，暂无需要重点复习的主题。"},
    "en": {"title": "### Interview summary", "head": "| ID | Question | Topic | Score | Hints |",
           "skipped": "skipped", "pending": "not answered",
           "average": "**Average: {avg} / 10** ({a} answered, {s} skipped, {t} in all)",
           "no_average": "**Average: —** (no answered questions)", "review": "**Topics to review:** {topics}",
           "no_review": "No topic needs review."},
}


def format_summary_markdown(summary: Summary, language: str = "zh") -> str:
    """The summary as Markdown: a table of the questions, the average and the topics to review."""
    t = _SUMMARY.get(language, _SUMMARY["en"])
    lines = [t["title"], "", t["head"], "|---|---|---|---|---|"]
    for row in summary.rows:
        shown = f"{row.score:.1f}" if row.score is not None else t[row.status]
        title = row.title.replace("|", "\\|")
        lines.append(f"| {row.id} | {title} | {topic_name(row.topic, language)} | {shown} | {row.hints} |")
    lines.append("")
    if summary.average is None:
        lines.append(t["no_average"])
    else:
        lines.append(t["average"].format(avg=f"{summary.average:.1f}", a=summary.answered,
                                         s=summary.skipped, t=summary.total))
    lines.append("")
    sep = "、" if language == "zh" else ", "
    if summary.review_topics:
        lines.append(t["review"].format(topics=sep.join(topic_name(x, language) for x in summary.review_topics)))
    else:
        lines.append(t["no_review"])
    return "\n".join(lines)


def reference_markdown(question: Question, language: str = "zh") -> str:
    """The reference answer as Markdown, ending with its citation line, e.g. `[Q73] file.md:12`."""
    head = "参考答案" if language == "zh" else "Reference answer"
    body = question.answer.strip() if question.has_answer else (
        "（知识库中这道题没有书面答案）" if language == "zh" else "(no written answer in the knowledge base)")
    where = f" {question.source}:{question.line}" if question.source else ""
    return f"**{head} · {question.id} {question.title}**\n\n{body}\n\n[{question.id}]{where}"
