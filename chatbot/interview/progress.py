"""The Progress view's figures, for the web tab and `python -m chatbot progress`: per topic, questions seen /
mastered / due and the mean of the latest scores; scores per day; every card with its latest score, reviews and
due date; the past sessions; what is due today and this week."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo

from chatbot.interview.review import GOOD_FROM, Reviewer
from chatbot.interview.topics import TOPICS, topic_name, topic_of
from chatbot.interview.twins import twin_groups
from chatbot.store.progress import ProgressStore
from chatbot.store.records import SessionRecord
from indexer.records import Question

# Anki's "mature" line: a card whose interval has reached 21 days is mastered (with a good latest answer).
MASTERED_DAYS = 21.0


@dataclass
class TopicProgress:
    topic: str
    name: str
    questions: int  # cards in the topic (twins count once)
    seen: int
    mastered: int
    due: int
    mean_latest: float | None  # mean of the latest score of each seen card


@dataclass
class CardProgress:
    id: str  # the card's key (the first twin's id)
    title: str
    topic: str
    latest_score: float
    reviews: int
    due: str  # ISO time
    interval_days: float


@dataclass
class DayScores:
    day: str  # YYYY-MM-DD in the app's time zone
    mean: float
    answers: int


@dataclass
class ProgressReport:
    profile: str
    now: str
    answers: int
    topics: list[TopicProgress] = field(default_factory=list)
    cards: list[CardProgress] = field(default_factory=list)  # soonest due first
    days: list[DayScores] = field(default_factory=list)
    sessions: list[SessionRecord] = field(default_factory=list)
    due_today: list[str] = field(default_factory=list)  # card ids
    due_this_week: list[str] = field(default_factory=list)  # card ids due after today and within 7 days

    def to_json(self) -> dict:
        data = asdict(self)
        data["sessions"] = [{**asdict(s), "started_at": s.started_at.isoformat()} for s in self.sessions]
        return data


def build_progress(store: ProgressStore, profile: str, questions: list[Question], now: datetime,
                   zone: tzinfo | None = None, reviewer: Reviewer | None = None) -> ProgressReport:
    """The profile's progress at `now`; days are counted in `zone` (default: the machine's)."""
    reviewer = reviewer or Reviewer()
    groups = twin_groups(questions)
    title = {key: group[0].title for key, group in groups.items()}
    cards = store.cards(profile)
    history = store.score_history(profile)
    local_now = now.astimezone(zone)
    end_of_today = (local_now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1))
    end_of_week = end_of_today + timedelta(days=6)

    rows = [CardProgress(c.card_key, title.get(c.card_key, c.card_key), c.topic, round(c.last_score, 1), c.reviews,
                         c.due.isoformat(), round(reviewer.interval_days(c.state), 1)) for c in cards]
    per_topic_total: dict[str, int] = {t: 0 for t in TOPICS}
    for group in groups.values():
        per_topic_total[topic_of(group[0])] = per_topic_total.get(topic_of(group[0]), 0) + 1
    topics = []
    for topic in TOPICS:
        mine = [c for c in cards if c.topic == topic]
        topics.append(TopicProgress(
            topic, topic_name(topic, "en"), per_topic_total.get(topic, 0), len(mine),
            sum(1 for c in mine if reviewer.interval_days(c.state) >= MASTERED_DAYS and c.last_score >= GOOD_FROM),
            sum(1 for c in mine if c.due <= now),
            round(sum(c.last_score for c in mine) / len(mine), 1) if mine else None))
    by_day: dict[str, list[float]] = {}
    for when, _topic, score in history:
        by_day.setdefault(when.astimezone(zone).date().isoformat(), []).append(score)
    days = [DayScores(day, round(sum(v) / len(v), 2), len(v)) for day, v in sorted(by_day.items())]
    return ProgressReport(
        profile, now.isoformat(), len(history), topics, rows, days, store.sessions(profile),
        [c.card_key for c in cards if c.due < end_of_today],
        [c.card_key for c in cards if end_of_today <= c.due < end_of_week])


def format_progress_text(report: ProgressReport) -> str:
    """The report for a terminal."""
    lines = [f"Progress of {report.profile!r} ({report.answers} graded answers)", "",
             f"{'topic':<40} {'seen':>5} {'mastered':>9} {'due':>4} {'mean':>5}"]
    for t in report.topics:
        mean = f"{t.mean_latest:.1f}" if t.mean_latest is not None else "—"
        lines.append(f"{t.name:<40} {t.seen:>2}/{t.questions:<2} {t.mastered:>9} {t.due:>4} {mean:>5}")
    lines += ["", "Scores per day: " + (", ".join(f"{d.day} {d.mean:.1f} ({d.answers})" for d in report.days)
                                        or "none yet")]
    lines.append("Due today: " + (", ".join(report.due_today) or "nothing"))
    lines.append("Due this week: " + (", ".join(report.due_this_week) or "nothing"))
    if report.sessions:
        lines += ["", "Sessions (newest first):"]
        for s in report.sessions[:10]:
            mean = f"{s.mean_score:.1f}" if s.mean_score is not None else "—"
            lines.append(f"  #{s.id} {s.started_at:%Y-%m-%d %H:%M} {s.mode:<6} {s.answered}/{len(s.question_ids)} "
                         f"answered, mean {mean}")
    return "\n".join(lines)
