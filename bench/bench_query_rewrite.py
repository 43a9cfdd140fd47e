"""The local model as a last resort for retrieval: does rewriting an English question as a short Chinese search
query (the knowledge base's language) before a second search raise hit@1, and what does the rewrite cost?

    python -m bench.bench_query_rewrite                     # English queries of both labelled sets, 1.5B model
    python -m bench.bench_query_rewrite --limit 20

For each English query: hit@1 of the search as shipped, of the rewrite alone, and of both result lists fused by
reciprocal rank (equal weight), with the rewrite's seconds. Printed, never asserted (these machines are noisy).
"""
from __future__ import annotations

import argparse
import statistics
import time

from bench import report, run_worker

PROMPT = ("Rewrite the user's PyTorch question as a short Chinese search query of at most 20 characters, "
          "naming the concept it asks about. Reply with the query only.")


def _fuse(lists: list[list[str]], k: int = 60) -> list[str]:
    score: dict[str, float] = {}
    for ids in lists:
        for rank, qid in enumerate(ids):
            score[qid] = score.get(qid, 0.0) + 1.0 / (k + rank + 1)
    return sorted(score, key=lambda q: -score[q])


def worker(model_name: str, limit: int) -> dict:
    from chatbot.eval.retrieval import HELDOUT_SET, RETRIEVAL_SET, load_labelled
    from chatbot.rag.config import RAGConfig
    from chatbot.rag.engine import Engine

    config = RAGConfig.from_env()
    config.llm_model, config.llm_backend = model_name, "llamacpp"
    engine = Engine(config, progress=False)
    model = engine.chat_model()
    if model is None:
        return {"error": engine.llm_error}
    rows = []
    for name, path in (("labelled", RETRIEVAL_SET), ("held-out", HELDOUT_SET)):
        queries = [q for q in load_labelled(path) if q.lang == "en"][:limit or None]
        for q in queries:
            shipped = [h.question.id for h in engine.retriever.search(q.query, top_k=10)]
            started = time.perf_counter()
            messages = [{"role": "system", "content": PROMPT}, {"role": "user", "content": q.query}]
            rewrite = "".join(model.stream_chat(messages, max_new_tokens=24, temperature=0.0)).strip()
            seconds = time.perf_counter() - started
            rewritten = [h.question.id for h in engine.retriever.search(rewrite, top_k=10)] if rewrite else []
            fused = _fuse([shipped, rewritten])
            rows.append({"set": name, "query": q.query[:80], "rewrite": rewrite, "seconds": round(seconds, 2),
                         "shipped": shipped[0] in q.relevant,
                         "rewrite_only": bool(rewritten) and rewritten[0] in q.relevant,
                         "fused": fused[0] in q.relevant})
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="qwen-1.5b")
    ap.add_argument("--limit", type=int, default=0, help="English queries per set (0: all)")
    ap.add_argument("--detail", action="store_true", help="print every query's rewrite")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(report(worker(args.model, args.limit)))
        return 0
    r = run_worker("bench.bench_query_rewrite", ["--worker", "--model", args.model, "--limit", str(args.limit)])
    if "error" in r:
        print(f"error: {r['error']}")
        return 1
    rows = r["rows"]
    print(f"{'set':<9} {'n':>4} {'shipped':>8} {'rewrite':>8} {'fused':>7}  rewrite s p50 / p95")
    for name in ("labelled", "held-out"):
        part = [x for x in rows if x["set"] == name]
        if not part:
            continue
        secs = sorted(x["seconds"] for x in part)
        hit = {k: sum(x[k] for x in part) / len(part) for k in ("shipped", "rewrite_only", "fused")}
        print(f"{name:<9} {len(part):>4} {hit['shipped']:>8.3f} {hit['rewrite_only']:>8.3f} {hit['fused']:>7.3f}"
              f"  {statistics.median(secs):.2f} / {secs[int(0.95 * (len(secs) - 1))]:.2f}")
    if args.detail:
        for x in rows:
            flag = ("+" if x["fused"] and not x["shipped"] else "-" if x["shipped"] and not x["fused"] else " ")
            print(f"{flag} {x['seconds']:5.2f}s  {x['rewrite']!r:<30} {x['query']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
