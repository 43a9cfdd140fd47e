"""Mock-interview sessions: drawing questions, recording answers, skips and hints.

Everything here is plain data (dataclasses holding `Question`s and strings), so a session can be
deep-copied and kept in a UI state object; the embedder and the chat model are passed into the
functions that need them and never stored."""
from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chatbot.interview.choose import choose
from chatbot.interview.grade import Grade
from chatbot.interview.grading import grade_answer
from chatbot.interview.keypoints import key_points
from chatbot.interview.topics import TOPICS, topic_of
from chatbot.interview.twins import card_keys
from chatbot.store.records import CardRecord
from indexer.records import Question
from indexer.text import CJK


@dataclass
class InterviewItem:
    question: Question
    answer: str = ""
    grade: Grade | None = None
    skipped: bool = False
    hints: int = 0
    answer_id: int | None = None  # the stored answer, once saved
    rating: int = 0  # the review rating in force (suggested or the user's), 1 Again .. 4 Easy; 0 = none yet
    suggested: int = 0
    not_saved: str = ""  # why the grade was not saved, when it was not


@dataclass
class InterviewSession:
    items: list[InterviewItem]
    position: int = 0
    topics: list[str] = field(default_factory=list)
    series: str = "all"
    mode: str = "random"  # how the questions were chosen (chatbot/interview/choose.py)
    session_id: int | None = None  # the stored session, when progress is kept
    profile: str = ""
    shown_at: datetime | None = None  # when the current question was shown: the user's time on it

    def current(self) -> InterviewItem | None:
        """The item waiting for an answer, or None once the interview is over."""
        return self.items[self.position] if 0 <= self.position < len(self.items) else None

    @property
    def finished(self) -> bool:
        return self.position >= len(self.items)


# ---------------------------------------------------------------------------------- drawing questions
def start_interview(questions: Iterable[Question], topics: list[str] | None, n: int, series: str = "all",
                    seed: int | None = None, *, mode: str = "random", cards: Sequence[CardRecord] = (),
                    now: datetime | None = None) -> InterviewSession:
    """A session of up to `n` distinct answered questions from `series` ("all", "main", "interview")
    and `topics` (None or empty = every topic), chosen by `mode` (due / new / weak / random, see
    chatbot/interview/choose.py) over the user's review `cards`. Fewer than `n` when fewer match; ValueError
    when none do."""
    questions = list(questions)
    known_series = list(dict.fromkeys(q.series for q in questions))
    if series != "all" and series not in known_series:
        raise ValueError(f"unknown series {series!r}: choose one of {', '.join(['all', *known_series])}")
    topics = list(dict.fromkeys(topics or []))
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise ValueError(f"unknown topic(s) {', '.join(map(repr, unknown))}: choose from {', '.join(TOPICS)}")
    if int(n) < 1:
        raise ValueError(f"the number of questions must be at least 1 (got {n})")
    wanted = set(topics)
    # a question with `same_as` shares its twin's answer: the twin is asked instead; a passage of an unstructured
    # added document is no question to be asked
    pool = [q for q in questions
            if q.has_answer and not q.same_as and not q.passage
            and (series == "all" or q.series == series)
            and (not wanted or topic_of(q) in wanted)]
    if not pool:
        what = ", ".join(TOPICS[t]["en"] for t in topics) if topics else "any topic"
        raise ValueError(f"no answered question in series {series!r} for {what}: "
                         "choose other topics or another series")
    chosen = choose(pool, card_keys(questions), cards, mode, int(n), now or datetime.now(UTC), random.Random(seed))
    if not chosen:
        raise ValueError(_NOTHING_TO_PRACTISE.get(mode, "no question matches these choices"))
    return InterviewSession([InterviewItem(q) for q in chosen], 0, topics or list(TOPICS), series, mode)


_NOTHING_TO_PRACTISE = {
    "due": "no question is due for review now: choose new questions, the weakest topics or a random set",
    "new": "every question of these topics has been answered before: choose due, weakest or random",
    "weak": "no answered question yet for these topics: answer some first (new or random)",
}


# ---------------------------------------------------------------------------------- session actions
def require_current(session: InterviewSession) -> InterviewItem:
    item = session.current()
    if item is None:
        raise ValueError("the interview is finished: start a new one")
    return item


def submit_answer(session: InterviewSession, embedder, user_answer: str, chat_model=None) -> Grade:
    """Grades the current question, records the answer and moves to the next one."""
    item = require_current(session)
    return record_grade(session, user_answer, grade_answer(embedder, item.question, user_answer, chat_model))


def record_grade(session: InterviewSession, user_answer: str, grade: Grade) -> Grade:
    """Records `grade` of `user_answer` as the current question's and moves to the next one."""
    item = require_current(session)
    item.answer, item.grade, item.skipped = user_answer or "", grade, False
    session.position += 1
    return grade


def skip(session: InterviewSession) -> None:
    """Marks the current question as skipped and moves on (no-op once finished)."""
    item = session.current()
    if item is None:
        return
    item.skipped = True
    session.position += 1


_HINT = {
    "zh": {"first": "提示 1：参考答案共有 {n} 个要点。第一个要点以「{start}…」开头。",
           "more": "提示 {k}：{point}", "none": "没有更多提示了。", "done": "面试已结束。",
           "empty": "这道题没有可提示的要点。"},
    "en": {"first": "Hint 1: the reference has {n} key points. The first one begins with “{start}…”.",
           "more": "Hint {k}: {point}", "none": "No more hints.", "done": "The interview is finished.",
           "empty": "This question has no key points to hint at."},
}


def _opening(text: str) -> str:
    """The first words of a key point: at most 8 characters / 4 words, and never the whole of a short one."""
    if CJK.search(text[:12]):
        return text[:max(2, min(8, len(text) // 2))]
    words = text.split()
    if len(words) > 1:
        return " ".join(words[:max(1, min(4, len(words) // 2))])
    return text[:max(2, len(text) // 2)]


def hint(session: InterviewSession, language: str = "zh") -> str:
    """Reveals the current question's reference step by step and counts the hints used.

    1st: how many key points there are and the first words of the first; 2nd: the second key point in
    full; then one more per call (the first one, in full, last) until none are left – a call with nothing
    left to reveal says so and is not counted."""
    t = _HINT.get(language, _HINT["en"])
    item = session.current()
    if item is None:
        return t["done"]
    points = key_points(item.question.plain_answer)
    if not points:
        return t["empty"]
    k = item.hints
    if k == 0:
        text = t["first"].format(n=len(points), start=_opening(points[0]))
    else:
        order = points[1:] + points[:1]  # the other points, then the first one in full
        if k - 1 >= len(order):
            return t["none"]
        text = t["more"].format(k=k + 1, point=order[k - 1])
    item.hints += 1
    return text
