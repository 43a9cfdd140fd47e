"""The first mock-interview grade from a cold cache: the time from pressing Submit to the grade, after the user
has spent `--pause` seconds typing (30 by default), with the question's judge state built while they type (the
app's behaviour) and without it (as before: the grade itself evaluated the judge's prompt).

    python -m bench.bench_first_grade                      # default model, 3 questions, both modes
    python -m bench.bench_first_grade --questions 5 --pause 30

Each mode runs in its own process with a fresh, empty state store and the same questions (Q73, Q36, Q26, …),
answered with the first two of their reference's key points. Printed, never asserted (these machines are noisy).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report, run_worker

QUESTIONS = ["Q73", "Q36", "Q26", "Q9", "Q16"]


def worker(model_name: str, mode: str, n: int, pause: float) -> dict:
    from chatbot.interview.config import InterviewConfig
    from chatbot.interview.keypoints import key_points
    from chatbot.interview.practice import Practice
    from chatbot.interview.session import InterviewItem
    from chatbot.llm.prefix_states import PrefixStateStore
    from chatbot.rag.engine import Engine
    from chatbot.store.open import open_store
    from chatbot.ui.interview import InterviewTab

    config = InterviewConfig.from_env()
    config.llm_model, config.llm_backend, config.llm_grading = model_name, "llamacpp", True
    engine = Engine(config, progress=False)
    model: Any = engine.chat_model()
    if model is None:
        return {"mode": mode, "error": engine.llm_error}
    model.states = PrefixStateStore(Path(tempfile.mkdtemp()), config.state_cache_mb << 20)  # cold means cold
    if mode == "none":
        engine.warm_soon = lambda prompts: None  # type: ignore[method-assign]  # as before: nothing built ahead
    questions = engine.index.questions
    practice = Practice(open_store("", Path(tempfile.mkdtemp())), questions.values())
    tab = InterviewTab(engine, practice=practice)
    seconds = []
    for qid in QUESTIONS[:n]:
        view = tab.start([], 1, "all", mode="random")
        session = view.session
        assert session is not None
        session.items[0] = InterviewItem(questions[qid])
        tab._view(session, "")  # the question as shown: the app starts the judge's state here
        time.sleep(pause)  # the user types
        answer = "；".join(key_points(questions[qid].plain_answer)[:2])
        started = time.perf_counter()
        tab.answer(answer, session)
        seconds.append(time.perf_counter() - started)
        if engine.warmer is not None:
            engine.warmer.stop()
            engine.warmer = None
    return {"mode": mode, "n": len(seconds), "seconds": [round(s, 2) for s in seconds],
            "p50": round(statistics.median(seconds), 2), "max": round(max(seconds), 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwen-1.5b")
    ap.add_argument("--modes", nargs="*", default=["typing", "none"])
    ap.add_argument("--questions", type=int, default=3)
    ap.add_argument("--pause", type=float, default=30.0, help="seconds the user takes to type the answer")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(report(worker(args.model, args.worker, args.questions, args.pause)))
        return 0
    print(f"{'judge state':<12} {'grade p50':>9} {'max':>7}  each")
    for mode in args.modes:
        r = run_worker("bench.bench_first_grade", ["--worker", mode, "--model", args.model,
                                                   "--questions", str(args.questions), "--pause", str(args.pause)])
        if "error" in r:
            print(f"{mode:<12} {r['error']}")
            continue
        label = "built while typing" if mode == "typing" else "not built"
        print(f"{label:<12} {r['p50']:>8.2f}s {r['max']:>6.2f}s  {r['seconds']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
