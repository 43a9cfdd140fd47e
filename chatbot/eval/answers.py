"""Answer-quality report over eval/answer_questions.jsonl: citations, refusals, language."""
from __future__ import annotations

import json
import statistics
from pathlib import Path

from chatbot.rag.language import answer_language_ok
from indexer.config import REPO_ROOT

ANSWER_SET = REPO_ROOT / "eval" / "answer_questions.jsonl"


def load_answer_set(path: Path = ANSWER_SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_answers(engine, path: Path = ANSWER_SET, *, use_llm: bool = True, limit: int = 0) -> dict:
    from chatbot.rag.answerer import Answerer

    answerer = Answerer(engine)
    rows = []
    for item in load_answer_set(path)[: limit or None]:
        a = answerer.answer(item["question"], use_llm=use_llm)
        retrieved = {h.question.id for h in a.sources}
        rows.append({
            "question": item["question"], "lang": item["lang"], "in_scope": item["in_scope"],
            "expected": item["expected"], "refused": a.refused, "citations": a.citations, "mode": a.mode,
            "citations_valid": all(c in retrieved for c in a.citations),
            "cites_expected": bool(set(a.citations) & set(item["expected"])),
            "language_ok": answer_language_ok(a.text, a.language) and a.language == item["lang"],
            "rejected": a.rejected_citations, "first_token_ms": a.first_token_ms, "total_ms": a.total_ms,
            "answer": a.text,
        })
    in_scope = [r for r in rows if r["in_scope"]]
    off = [r for r in rows if not r["in_scope"]]
    refused = [r for r in rows if r["refused"]]
    answered = [r for r in in_scope if not r["refused"]]
    share = lambda xs, key: sum(bool(r[key]) for r in xs) / len(xs) if xs else float("nan")
    generated = [r for r in answered if r["mode"] == "llm"]
    summary = {
        "n_in_scope": len(in_scope), "n_off_topic": len(off),
        "mode": engine.chat_model().name if use_llm and engine.chat_model() else "extractive",
        "citation_validity": share([r for r in rows if r["citations"]], "citations_valid"),
        "answers_with_citations": share(answered, "citations"),
        "answers_citing_an_expected_id": share(answered, "cites_expected"),
        "refusal_precision": (sum(not r["in_scope"] for r in refused) / len(refused)) if refused else float("nan"),
        "refusal_recall": share(off, "refused"),
        "in_scope_wrongly_refused": share(in_scope, "refused"),
        "answered_in_question_language": share(generated or answered, "language_ok"),
        "first_token_ms_p50": statistics.median([r["first_token_ms"] for r in answered]) if answered else 0,
        "total_ms_p50": statistics.median([r["total_ms"] for r in answered]) if answered else 0,
        "model_citations_rejected": sum(len(r["rejected"]) for r in rows),
    }
    return {"summary": summary, "rows": rows}


def format_report(report: dict) -> str:
    lines = [f"{k:<34} {v:.3f}" if isinstance(v, float) else f"{k:<34} {v}" for k, v in report["summary"].items()]
    bad = [r for r in report["rows"] if r["refused"] == r["in_scope"] or (r["in_scope"] and not r["cites_expected"])]
    if bad:
        lines.append("\nquestions to look at:")
        lines += [f"  {'refused' if r['refused'] else 'answered'} in_scope={r['in_scope']} cited={r['citations']} "
                  f"expected={r['expected']}: {r['question']}" for r in bad]
    return "\n".join(lines)
