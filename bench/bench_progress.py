"""The progress store under load: with 100,000 graded answers over 50 profiles, how long writing one grade takes
(the answer row and its FSRS card, in one transaction) and how long the Progress view takes to build, p50 / p95,
printed as a Markdown table.

    python -m bench.bench_progress                                  # SQLite in a temporary folder
    python -m bench.bench_progress --database-url postgresql://…    # and/or a PostgreSQL database (emptied first)

The history is seeded in bulk (60 days, one session a day per profile, every answer moved through FSRS), then
single grades are written through `ProgressStore.record_answer` and the view built through `build_progress`, as
the app does. Figures are printed, never asserted: these machines are noisy.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert

from chatbot.interview.progress import build_progress
from chatbot.interview.review import Reviewer, suggested_rating
from chatbot.interview.topics import topic_of
from chatbot.interview.twins import twin_groups
from chatbot.store import schema
from chatbot.store.open import open_store
from chatbot.store.progress import ProgressStore
from chatbot.store.records import GradedAnswer
from indexer.config import REPO_ROOT
from indexer.kb.parser import parse_kb

START = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
DAYS = 60


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def seed(store: ProgressStore, profiles: int, answers: int, cards: dict[str, str], rng: random.Random) -> float:
    """Bulk-writes `answers` graded answers spread over `profiles` and DAYS days; returns the seconds it took."""
    engine = store.opened.engine
    assert engine is not None
    reviewer = Reviewer()
    keys = list(cards)
    started = time.perf_counter()
    with engine.begin() as conn:  # an earlier run's rows go first
        for table in (schema.answers, schema.cards, schema.sessions):
            conn.execute(delete(table))
    per_profile = answers // profiles
    per_day = max(1, per_profile // DAYS)
    for p in range(profiles):
        profile = f"bench-{p:02d}"
        state: dict[str, tuple[dict, datetime, int, float]] = {}
        rows, card_rows = [], {}
        with engine.begin() as conn:
            session_ids = [conn.execute(insert(schema.sessions).values(
                profile=profile, started_at=START + timedelta(days=d), mode="random", topics=[], series="all",
                question_ids=[])).inserted_primary_key[0] for d in range(DAYS)]  # type: ignore[index]
        for n in range(per_profile):
            day = min(DAYS - 1, n // per_day)
            when = START + timedelta(days=day, seconds=n)
            key = rng.choice(keys)
            score = round(min(10.0, max(0.0, rng.gauss(6.0, 2.5))), 1)
            rating = int(suggested_rating(score))
            before = state.get(key)
            after, due = reviewer(before[0] if before else None, rating, when)
            rows.append(dict(profile=profile, session_id=session_ids[day], question_id=key, card_key=key,
                             topic=cards[key], answered_at=when, answer="answer " * 40, score=score,
                             covered=["a point"], missing=["another point"], wrong=[], graded_by="embedding",
                             feedback="feedback " * 30, seconds=0.4, answer_seconds=60.0, hints=0, skipped=False,
                             suggested_rating=rating, rating=rating, card_before=before[0] if before else None))
            state[key] = (after, due, (before[2] if before else 0) + 1, score)
        with engine.begin() as conn:
            conn.execute(insert(schema.answers), rows)
            for key, (after, due, reviews, score) in state.items():
                card_rows[key] = dict(profile=profile, card_key=key, topic=cards[key], state=after, due=due,
                                      reviews=reviews, last_score=score, last_answer_id=0, updated_at=START)
            conn.execute(insert(schema.cards), list(card_rows.values()))
    return time.perf_counter() - started


def measure(store: ProgressStore, profiles: int, writes: int, builds: int, cards: dict[str, str], questions,
            rng: random.Random) -> dict[str, tuple[float, float]]:
    reviewer = Reviewer()
    keys = list(cards)
    now = START + timedelta(days=DAYS)
    write_ms = []
    for n in range(writes):
        key = rng.choice(keys)
        graded = GradedAnswer(question_id=key, card_key=key, topic=cards[key], answer="answer " * 40,
                              score=7.0, covered=["a"], missing=["b"], graded_by="embedding", feedback="f " * 100)
        started = time.perf_counter()
        store.record_answer(f"bench-{rng.randrange(profiles):02d}", None, graded, suggested=3, rating=3,
                            now=now + timedelta(seconds=n), schedule=reviewer)
        write_ms.append((time.perf_counter() - started) * 1000)
    build_ms = []
    for _ in range(builds):
        started = time.perf_counter()
        build_progress(store, f"bench-{rng.randrange(profiles):02d}", questions, now, zone=UTC, reviewer=reviewer)
        build_ms.append((time.perf_counter() - started) * 1000)
    return {"write": percentiles(write_ms), "build": percentiles(build_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--profiles", type=int, default=50)
    parser.add_argument("--writes", type=int, default=300, help="single grades written and timed")
    parser.add_argument("--builds", type=int, default=60, help="Progress views built and timed")
    parser.add_argument("--database-url", default="", help="also measure this database (its progress tables are "
                                                          "emptied first)")
    parser.add_argument("--no-sqlite", action="store_true", help="only the --database-url database")
    args = parser.parse_args()
    questions = parse_kb(REPO_ROOT / "kb").questions
    cards = {key: topic_of(group[0]) for key, group in twin_groups(questions).items()}
    targets = ([] if args.no_sqlite else [("SQLite (WAL, one file)", "")]) + \
        ([("PostgreSQL", args.database_url)] if args.database_url else [])
    print(f"{args.answers:,} graded answers over {args.profiles} profiles ({args.answers // args.profiles:,} each, "
          f"{len(cards)} cards to choose from, {DAYS} days)\n")
    print("| backend | seed (s) | write one grade p50 / p95 (ms) | build Progress p50 / p95 (ms) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="kbchat-bench-") as folder:
        for name, url in targets:
            store = open_store(url, Path(folder), START)
            if not store.available:
                print(f"| {name} | cannot open: {store.problem} | | |")
                continue
            rng = random.Random(0)
            seconds = seed(store, args.profiles, args.answers, cards, rng)
            figures = measure(store, args.profiles, args.writes, args.builds, cards, questions, rng)
            (w50, w95), (b50, b95) = figures["write"], figures["build"]
            print(f"| {name} | {seconds:.1f} | {w50:.2f} / {w95:.2f} | {b50:.1f} / {b95:.1f} |", flush=True)
            store.close()


if __name__ == "__main__":
    main()
