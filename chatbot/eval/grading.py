"""Does mock-interview grading judge meaning? Over labelled answers (eval/grading_answers.jsonl: good,
partial, wrong-but-on-topic, off-topic, empty; Chinese, English, cross-language) it reports the share of
questions where good > partial > wrong, good answers scoring at least 6, wrong answers at most 3, and the
Spearman correlation of scores with the labels."""
from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from indexer.config import REPO_ROOT

GRADING_SET = REPO_ROOT / "eval" / "grading_answers.jsonl"
LABEL_RANK = {"empty": 0, "off_topic": 0, "wrong": 1, "partial": 2, "good": 3}
GOOD_AT_LEAST = 6.0
WRONG_AT_MOST = 3.0


def load_grading_set(path: Path = GRADING_SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # ties share their average rank
        i = j + 1
    return ranks


def spearman(xs: list[float], ys: list[float]) -> float:
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else 0.0


def evaluate_grading(engine, path: Path = GRADING_SET, *, use_llm: bool = True, limit: int = 0) -> dict:
    from chatbot.interview.grading import grader_for

    questions = engine.index.questions
    model = engine.chat_model() if use_llm else None
    grader, embedding = grader_for(engine.index.embedder, model), grader_for(engine.index.embedder)
    rows: list[dict[str, Any]] = []
    for item in load_grading_set(path)[: limit or None]:
        grade = grader.grade(questions[item["qid"]], item["answer"])
        if model is not None:  # what the embeddings alone gave, beside the judge's log-odds: for calibration
            item = {**item, "embedding_score": embedding.grade(questions[item["qid"]], item["answer"]).score}
        rows.append({**item, "score": grade.score, "graded_by": grade.graded_by, "covered": len(grade.covered),
                     "points": len(grade.key_points), "wrong_found": grade.wrong, "states_false": grade.states_false,
                     "invented_apis": grade.invented,
                     "other_topic": grade.other_topic, "judged": grade.judged, "seconds": grade.seconds})
    by_q: dict[str, dict[str, list[float]]] = {}
    for r in rows:
        by_q.setdefault(r["qid"], {}).setdefault(r["label"], []).append(r["score"])
    ordered = [q for q, s in by_q.items() if {"good", "partial", "wrong"} <= s.keys()]
    in_order = [q for q in ordered
                if min(by_q[q]["good"]) > max(by_q[q]["partial"]) and min(by_q[q]["partial"]) > max(by_q[q]["wrong"])]
    good = [r for r in rows if r["label"] == "good"]
    wrong = [r for r in rows if r["label"] == "wrong"]
    summary = {
        "graded_by": model.name if model is not None else "embedding",
        "answers": len(rows), "questions": len(by_q),
        "good_gt_partial_gt_wrong": len(in_order) / max(1, len(ordered)),
        "good_at_least_6": sum(r["score"] >= GOOD_AT_LEAST for r in good) / max(1, len(good)),
        "wrong_at_most_3": sum(r["score"] <= WRONG_AT_MOST for r in wrong) / max(1, len(wrong)),
        "off_topic_or_empty_at_most_3": sum(r["score"] <= WRONG_AT_MOST for r in rows
                                            if r["label"] in {"off_topic", "empty"})
        / max(1, sum(r["label"] in {"off_topic", "empty"} for r in rows)),
        "spearman": spearman([r["score"] for r in rows], [LABEL_RANK[r["label"]] for r in rows]),
        "seconds_p50": statistics.median([r["seconds"] for r in rows]) if rows else 0.0,
        "seconds_max": max((r["seconds"] for r in rows), default=0.0),
        # empty and "I don't know" answers score 0 without asking anyone (graded_by "none")
        "fell_back_to_embedding": sum(r["graded_by"] == "embedding" for r in rows) if model is not None else 0,
    }
    return {"summary": summary, "rows": rows, "out_of_order": sorted(set(ordered) - set(in_order))}


def format_grading_report(report: dict) -> str:
    s = report["summary"]
    lines = [f"{k:<30} {v:.3f}" if isinstance(v, float) else f"{k:<30} {v}" for k, v in s.items()]
    bad = [r for r in report["rows"] if (r["label"] == "good" and r["score"] < GOOD_AT_LEAST)
           or (r["label"] in {"wrong", "off_topic", "empty"} and r["score"] > WRONG_AT_MOST)]
    if report["out_of_order"]:
        lines.append("questions out of order: " + ", ".join(report["out_of_order"]))
    if bad:
        lines.append("\nanswers to look at:")
        lines += [f"  {r['qid']} {r['label']:<9} {r['score']:>4.1f} [{r['graded_by']}] {r['answer'][:90]!r}"
                  for r in bad]
    return "\n".join(lines)
