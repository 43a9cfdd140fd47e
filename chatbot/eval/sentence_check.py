"""Fits the answer-sentence check's two thresholds (chatbot/calibration.py: SENTENCE_CONTRADICTED,
SENTENCE_AGREES) on labelled statements: every sentence of a "good" answer of eval/grading_answers.jsonl counts
as true, every sentence of a "wrong" one as false (answer-level labels: a wrong answer's sentences are mostly,
not all, false). Each is checked as an answer sentence would be: its entry is the passage, the prompt the one
the chat answer was written with. Prints the log-odds by label and, per half of the questions, what each
threshold pair would drop and keep.

    python -m chatbot.eval.sentence_check [--limit N] [--evidence K]
"""
from __future__ import annotations

import argparse
import json
import statistics

from chatbot.rag.citations import CitationChecker
from chatbot.rag.statements import StatementJudge
from indexer.config import REPO_ROOT
from indexer.text import sentences, strip_code

ANSWERS = REPO_ROOT / "eval" / "grading_answers.jsonl"


def labelled_statements(index) -> list[tuple[str, str, bool]]:
    """(entry id, statement, true?) for the good and wrong answers' sentences."""
    out = []
    for line in ANSWERS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["label"] in ("good", "wrong") and row["qid"] in index.questions:
            for s in sentences(strip_code(row["answer"])):
                if len(s) >= 8:
                    out.append((row["qid"], s, row["label"] == "good"))
    return out


def report(scored: list[tuple[str, str, bool, float]], contradicted: float, agrees: float) -> dict:
    true = [v for _, _, ok, v in scored if ok]
    false = [v for _, _, ok, v in scored if not ok]
    return {
        "true_dropped": sum(v <= contradicted for v in true) / max(1, len(true)),
        "false_dropped": sum(v <= contradicted for v in false) / max(1, len(false)),
        "true_checked": sum(v >= agrees for v in true) / max(1, len(true)),
        "false_checked": sum(v >= agrees for v in false) / max(1, len(false)),
    }


def main(argv: list[str] | None = None) -> int:
    from chatbot.rag.config import RAGConfig as Config
    from chatbot.rag.engine import Engine

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--evidence", type=int, default=1, metavar="K",
                        help="the K passage sentences nearest each statement as its evidence (the answer uses 1)")
    args = parser.parse_args(argv)
    engine = Engine(Config.from_env())
    model = engine.chat_model()
    if model is None:
        raise SystemExit(f"error: no local model: {engine.llm_error}")
    judge = StatementJudge(model, CitationChecker(engine.index), args.evidence)
    items = labelled_statements(engine.index)[: args.limit or None]
    scored = []
    for qid, statement, ok in items:
        [odds] = judge.agreement([statement], [engine.index.questions[qid]])
        scored.append((qid, statement, ok, odds))
    for label, ok in (("true", True), ("false", False)):
        values = sorted(v for _, _, t, v in scored if t is ok)
        if values:
            q = statistics.quantiles(values, n=10) if len(values) > 1 else values
            print(f"{label:5} n={len(values):3} min {values[0]:.2f} p10 {q[0]:.2f} median "
                  f"{statistics.median(values):.2f} p90 {q[-1]:.2f} max {values[-1]:.2f}")
    halves = {"even": [r for r in scored if int(r[0][1:]) % 2 == 0], "odd": [r for r in scored if int(r[0][1:]) % 2]}
    for contradicted in (-1.0, -0.5, 0.0, 0.25):
        for agrees in (0.5, 1.0, 1.5):
            row = " | ".join(f"{name}: " + " ".join(f"{k} {v:.2f}" for k, v in report(part, contradicted, agrees).items())
                             for name, part in halves.items())
            print(f"contradicted <= {contradicted:5.2f} agrees >= {agrees:4.2f}  {row}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
