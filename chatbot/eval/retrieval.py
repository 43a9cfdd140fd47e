"""Retrieval quality on the labelled query set: hit@1, hit@5 and MRR@10, overall, per language and per kind.

Two sets: eval/retrieval_queries.jsonl, the labelled set retrieval is tuned on, and
eval/retrieval_heldout_en.jsonl, English chat-box questions written from the knowledge base before the chat-box
rules were, never tuned on (`eval-retrieval --file eval/retrieval_heldout_en.jsonl` reports them alone)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from indexer.config import REPO_ROOT

RETRIEVAL_SET = REPO_ROOT / "eval" / "retrieval_queries.jsonl"
HELDOUT_SET = REPO_ROOT / "eval" / "retrieval_heldout_en.jsonl"


@dataclass
class LabelledQuery:
    query: str
    lang: str
    kind: str
    relevant: set[str]


def load_labelled(path: Path = RETRIEVAL_SET) -> list[LabelledQuery]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            rows.append(LabelledQuery(obj["query"], obj["lang"], obj.get("kind", ""), set(obj["relevant"])))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{n}: bad labelled query ({exc})") from None
    return rows


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = max(len(ranks), 1)
    return {
        "n": len(ranks),
        "hit@1": sum(r is not None and r < 1 for r in ranks) / n,
        "hit@5": sum(r is not None and r < 5 for r in ranks) / n,
        "mrr@10": sum(1.0 / (r + 1) for r in ranks if r is not None and r < 10) / n,
    }


def evaluate_retrieval(retriever, queries: list[LabelledQuery]) -> dict:
    ranks: list[int | None] = []
    misses = []
    for q in queries:
        ids = [h.question.id for h in retriever.search(q.query, top_k=10)]
        rank = next((i for i, qid in enumerate(ids) if qid in q.relevant), None)
        ranks.append(rank)
        if rank is None or rank >= 1:
            misses.append({"query": q.query, "relevant": sorted(q.relevant), "got": ids[:5], "rank": rank})
    groups: dict[str, list[int]] = {"all": list(range(len(queries)))}
    for i, q in enumerate(queries):
        groups.setdefault(f"lang={q.lang}", []).append(i)
        groups.setdefault(f"kind={q.kind}", []).append(i)
    return {
        "metrics": {name: _metrics([ranks[i] for i in idx]) for name, idx in groups.items()},
        "misses": misses,
    }


def format_metrics(metrics: dict[str, dict[str, float]]) -> str:
    lines = [f"{'subset':<18} {'n':>4} {'hit@1':>7} {'hit@5':>7} {'MRR@10':>7}"]
    for name, m in metrics.items():
        lines.append(f"{name:<18} {m['n']:>4} {m['hit@1']:>7.3f} {m['hit@5']:>7.3f} {m['mrr@10']:>7.3f}")
    return "\n".join(lines)
