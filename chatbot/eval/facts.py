"""Correctness of answers: key facts stated, known false claims made, degenerate answers, and how often a
citation the checker accepts is really supported (eval/facts_questions.jsonl, eval/citation_pairs.jsonl).

A fact counts as stated when any of its regular expressions matches the answer (case-insensitive); the
patterns cover Chinese and English surface forms and, where code is asked for, the API names. A false claim
is a pattern for a statement that is wrong (e.g. "eval() stops the forward pass")."""
from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatbot.rag.degenerate import diagnose, title_texts
from indexer.config import REPO_ROOT

FACTS_SET = REPO_ROOT / "eval" / "facts_questions.jsonl"
NEARKB_SET = REPO_ROOT / "eval" / "nearkb_questions.jsonl"  # asked beside the entries' wording (issue #21)
CITATION_PAIRS = REPO_ROOT / "eval" / "citation_pairs.jsonl"


@dataclass(frozen=True)
class Fact:
    name: str
    patterns: tuple[re.Pattern[str], ...]

    def stated_in(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


@dataclass(frozen=True)
class FactQuestion:
    id: str
    question: str
    lang: str
    asks_code: bool
    expected_ids: tuple[str, ...]
    facts: tuple[Fact, ...]
    false_claims: tuple[re.Pattern[str], ...]

    def check(self, answer: str) -> tuple[list[str], list[str]]:
        """(names of the facts the answer states, false-claim patterns it matches)."""
        stated = [f.name for f in self.facts if f.stated_in(answer)]
        false = [p.pattern for p in self.false_claims if p.search(answer)]
        return stated, false


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


def load_fact_questions(path: Path = FACTS_SET) -> list[FactQuestion]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        out.append(FactQuestion(
            raw["id"], raw["q"], raw["lang"], bool(raw.get("asks_code")), tuple(raw.get("expected_ids", [])),
            tuple(Fact(f["name"], tuple(_compile(p) for p in f["any"])) for f in raw["facts"]),
            tuple(_compile(p) for p in raw.get("false_claims", [])),
        ))
    return out


def evaluate_facts(engine, path: Path = FACTS_SET, *, use_llm: bool = True, limit: int = 0,
                   progress: Callable[[dict], None] | None = None) -> dict:
    from chatbot.rag.answerer import Answerer

    answerer = Answerer(engine)
    titles = title_texts(engine.index.questions.values())
    rows: list[dict[str, Any]] = []
    for item in load_fact_questions(path)[: limit or None]:
        a = answerer.answer(item.question, use_llm=use_llm)
        passages = [h.question for h in a.sources]
        final_problem = diagnose(a.text, item.question, a.language, passages, titles) if a.mode == "llm" else None
        rows.append({
            "id": item.id, "question": item.question, "lang": item.lang, "asks_code": item.asks_code,
            "mode": a.mode, "degenerate": final_problem.problem if final_problem else "", "repaired": a.repaired,
            "citations": a.citations, "sources": [h.question.id for h in a.sources], "model": a.model,
            "first_token_ms": a.first_token_ms, "total_ms": a.total_ms, "answer": a.text,
            "sentences": a.sentence_support(), **score_answer(item, a.text, a.citations, a.mode),
        })
        if progress is not None:
            progress(rows[-1])
    model = engine.chat_model() if use_llm else None
    summary = summarise(rows, model.name if model is not None else "extractive")
    pairs = citation_precision(engine)
    if pairs:
        summary.update(pairs)
    return {"summary": summary, "rows": rows}


def score_answer(item: FactQuestion, text: str, citations: list[str], mode: str) -> dict[str, Any]:
    """What the set's labels say of one answer's text: read from the text alone, so the answers of any version
    (a saved `--json` report) can be scored again with the current labels (`rescore_facts`)."""
    stated, false = item.check(text)
    return {"facts": len(item.facts), "stated": stated, "missing": [f.name for f in item.facts if f.name not in stated],
            "false_claims": false, "cites_expected": bool(set(citations) & set(item.expected_ids)),
            "unfinished": mode == "llm" and ends_unfinished(text), "hollow": mode == "llm" and is_hollow(text)}


def summarise(rows: list[dict], model: str) -> dict[str, Any]:
    n = len(rows) or 1
    return {
        "model": model,
        "questions": len(rows),
        "fact_recall": sum(len(r["stated"]) for r in rows) / max(1, sum(r["facts"] for r in rows)),
        "answers_with_false_claim": sum(bool(r["false_claims"]) for r in rows) / n,
        "degenerate_answers": sum(bool(r["degenerate"]) for r in rows),
        "repaired_by_retry": sum(bool(r["repaired"]) and r["mode"] == "llm" for r in rows),
        "fell_back_to_extractive": sum(bool(r["repaired"]) and r["mode"] == "extractive" for r in rows),
        "answers_citing_an_expected_id": sum(r["cites_expected"] for r in rows) / n,
        "cut_off_or_hollow_answers": sum(r["unfinished"] or r["hollow"] for r in rows),
        **sentence_shares(rows),
        **check_cost(rows),
        "first_token_ms_p50": statistics.median([r["first_token_ms"] for r in rows]) if rows else 0.0,
        "total_ms_p50": statistics.median([r["total_ms"] for r in rows]) if rows else 0.0,
    }


def rescore_facts(report: dict, path: Path = FACTS_SET) -> dict:
    """A saved `eval-facts --json` report scored again with the current labels of `path` (the answers are not
    generated again; the report's citation-pair figures are kept). Rows whose id the set no longer has are
    left out."""
    items = {item.id: item for item in load_fact_questions(path)}
    rows = [{**row, **score_answer(items[row["id"]], row["answer"], row.get("citations", []), row["mode"])}
            for row in report["rows"] if row["id"] in items]
    summary = summarise(rows, report["summary"].get("model", ""))
    summary.update({k: v for k, v in report["summary"].items() if k.startswith("citation_")})
    return {"summary": summary, "rows": rows}


def sentence_shares(rows: list[dict]) -> dict[str, float]:
    """Of the model's prose sentences long enough to check: the share a passage holds (cited), the check
    confirmed (checked), and shown marked as unconfirmed (marked)."""
    totals = {k: sum(r.get("sentences", {}).get(k, 0) for r in rows) for k in ("cited", "checked", "marked")}
    judged = sum(totals.values())
    return {f"sentences_{k}": v / judged for k, v in totals.items()} if judged else {}


def check_cost(rows: list[dict]) -> dict[str, float]:
    """What the sentence check cost per answer as run (only uncited sentences naming an API or a number), and
    what the two wider policies would cost at the same seconds per statement: every uncited sentence, every
    sentence. Counted from the answers' sentences, timed from the statements actually put to the model."""
    answers = [r["sentences"] for r in rows if r["mode"] == "llm" and "check_calls" in r.get("sentences", {})]
    calls = sum(a["check_calls"] for a in answers)
    if not answers or not calls:
        return {}
    per_call = sum(a["check_seconds"] for a in answers) / calls
    uncited = [a["checked"] + a["marked"] + a["contradicted"] for a in answers]
    every = [a["cited"] + u for a, u in zip(answers, uncited)]
    return {
        "check_seconds_per_statement": per_call,
        "check_seconds_per_answer_p50": statistics.median(a["check_seconds"] for a in answers),
        "check_seconds_per_answer_max": max(a["check_seconds"] for a in answers),
        "check_if_all_uncited_seconds_p50": statistics.median(u * per_call for u in uncited),
        "check_if_every_sentence_seconds_p50": statistics.median(e * per_call for e in every),
        "sentences_contradicted_dropped": sum(a["contradicted"] for a in answers),
    }


def citation_precision(engine, path: Path = CITATION_PAIRS) -> dict:
    """Over labelled (sentence, passage id, supported) pairs taken from real model outputs: of the pairs the
    citation checker accepts, the share that are really supported; and of the supported ones, the share
    it accepts."""
    if not path.is_file():
        return {}
    from chatbot.rag.citations import CitationChecker

    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    checker = CitationChecker(engine.index)
    accepted = [bool(checker.support([p["sentence"]], [p["qid"]])[0, 0] >= 0) for p in pairs]
    true_pos = sum(a and p["supported"] for a, p in zip(accepted, pairs))
    supported = sum(p["supported"] for p in pairs)
    return {
        "citation_pairs": len(pairs),
        "citation_precision": true_pos / max(1, sum(accepted)),
        "citation_recall": true_pos / max(1, supported),
    }


_APP_LINES = (">", "知识库 [", "The knowledge base [", "知识库 中的代码", "知识库只列出了问题", "Code from the knowledge base", "The knowledge base lists question",
              "（未使用语言模型", "(No language model used", "知识库只部分涵盖", "The knowledge base covers this question only")


def model_prose(answer: str) -> str:
    """An answer's text without the lines the product adds around the model's (notes, code intros, leads)."""
    return "\n".join(line for line in answer.split("\n") if not line.lstrip().startswith(_APP_LINES))


def ends_unfinished(answer: str) -> bool:
    """The model's prose stops in the middle of a sentence (read from the text, so any version's answers can be
    compared)."""
    from chatbot.rag.draft.render import UNCONFIRMED
    from chatbot.rag.draft.segments import Sentence, parse
    from chatbot.rag.draft.stages.unfinished import FINISHED

    # the mark after an unconfirmed sentence is the product's, not the model's: "…etc. ⁽?⁾" ended its sentence
    prose = model_prose(answer).replace(UNCONFIRMED, "")
    last = next((s for s in reversed(parse(prose).segments) if not s.text.isspace()), None)
    return isinstance(last, Sentence) and not FINISHED.search(last.text)


def is_hollow(answer: str) -> bool:
    """A list item or heading with nothing under it in the model's prose."""
    from chatbot.rag.draft.context import AnswerContext
    from chatbot.rag.draft.segments import parse
    from chatbot.rag.draft.stages.hollow import DropHollow

    draft = parse(model_prose(answer))
    DropHollow().apply(draft, AnswerContext("", "zh", [], []))
    return bool(draft.removed)


def citation_candidates(engine, rows: list[dict]) -> list[dict]:
    """Sentence-passage pairs from the real answers of an eval-facts run, for labelling into
    eval/citation_pairs.jsonl: every pair the checker accepts, and for each sentence it leaves uncited, its
    best-scoring retrieved passage (so recall can be measured too). `supported` is left for a reader."""
    from chatbot.rag.citations import CitationChecker
    from chatbot.rag.draft.segments import parse

    checker = CitationChecker(engine.index)
    out: list[dict] = []
    for row in rows:
        if row["mode"] != "llm" or not row.get("sources"):
            continue
        # the model's prose only: not the notes, code intros and title-only lines the app adds around it
        clean = model_prose(row["answer"])
        sentences = [s.text for s in parse(clean).sentences() if len(s.text) >= 8]
        scores = checker.support(sentences, row["sources"])
        for sentence, row_scores in zip(sentences, scores):
            accepted = [j for j, v in enumerate(row_scores) if v >= 0]
            for j in accepted or [int(row_scores.argmax())]:
                out.append({"answer_id": row["id"], "model": row.get("model", ""), "sentence": sentence,
                            "qid": row["sources"][j], "accepted_when_drawn": bool(accepted)})
    return out


def format_facts_report(report: dict, *, show: bool = False) -> str:
    s = report["summary"]
    lines = [f"{k:<32} {v:.3f}" if isinstance(v, float) else f"{k:<32} {v}" for k, v in s.items()]
    bad = [r for r in report["rows"] if r["missing"] or r["false_claims"] or r["degenerate"]]
    if bad:
        lines.append("\nanswers to look at:")
        for r in bad:
            what = []
            if r["missing"]:
                what.append("missing: " + "; ".join(r["missing"]))
            if r["false_claims"]:
                what.append(f"false claims: {len(r['false_claims'])}")
            if r["degenerate"]:
                what.append("degenerate: " + r["degenerate"])
            lines.append(f"  {r['id']} [{r['mode']}] {r['question']}\n      " + " | ".join(what))
            if show:
                lines.append("      " + r["answer"].replace("\n", "\n      "))
    return "\n".join(lines)
