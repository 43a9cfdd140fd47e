"""Index build time (cold and warm) and search latency, printed as a Markdown table.

    python -m bench.bench_retrieval            # shipped KB + 10k and 100k synthetic chunks
    python -m bench.bench_retrieval --no-synthetic

Figures are printed, never asserted: these machines are noisy.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from chatbot.eval.retrieval import load_labelled
from chatbot.rag.retriever import Retriever
from indexer.config import Config
from indexer.index.build import KnowledgeIndex, build_index, open_index
from indexer.index.keyword import BM25Index, tokenize
from indexer.index.store import make_faiss
from indexer.models import load_embedder


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def time_searches(retriever: Retriever, queries: list[str], repeats: int = 1) -> tuple[float, float]:
    retriever.search(queries[0], 5)  # warm-up
    samples = []
    for _ in range(repeats):
        for q in queries:
            t = time.perf_counter()
            retriever.search(q, 5)
            samples.append((time.perf_counter() - t) * 1000)
    return percentiles(samples)


def synthetic(index: KnowledgeIndex, n_chunks: int, rng: np.random.Generator) -> KnowledgeIndex:
    """n_chunks chunks made of the real ones (token lists shuffled, vectors jittered), mapped to real questions."""
    base_tokens = [tokenize(c.text) for c in index.chunks]
    picks = rng.integers(0, len(index.chunks), n_chunks)
    docs = [list(rng.permutation(base_tokens[i])) for i in picks]
    vectors = index.embeddings[picks] + rng.normal(0, 0.05, (n_chunks, index.embeddings.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [replace(index.chunks[i], chunk_id=f"syn{n}") for n, i in enumerate(picks)]
    return KnowledgeIndex(index.kb, chunks, vectors, make_faiss(vectors), BM25Index(docs), index.embedder, index.report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-synthetic", action="store_true")
    args = parser.parse_args()
    config = Config.from_env()
    rows = []
    t = time.perf_counter()
    embedder = load_embedder(config.embed_model, config.cache_dir, config.device)
    rows.append(("embedding model load (converted, warm)", f"{time.perf_counter() - t:.2f} s"))
    with tempfile.TemporaryDirectory() as tmp:
        cold = replace(config, cache_dir=Path(tmp))
        _, _, report = build_index(cold, embedder=embedder, progress=False)
        rows.append((f"index build, cold ({report.n_chunks} chunks embedded)", f"{report.seconds:.1f} s"))
        _, _, report = build_index(cold, embedder=embedder, progress=False)
        rows.append(("index build, warm (nothing changed)", f"{report.seconds * 1000:.0f} ms"))
    t = time.perf_counter()
    index = open_index(config, embedder=embedder, progress=False)
    rows.append(("open index (parse KB + check hashes + BM25)", f"{(time.perf_counter() - t) * 1000:.0f} ms"))
    queries = [q.query for q in load_labelled()]
    p50, p95 = time_searches(Retriever(index), queries)
    rows.append((f"search p50 / p95, shipped KB ({len(index.chunks)} chunks, {len(queries)} queries)",
                 f"{p50:.1f} / {p95:.1f} ms"))
    if not args.no_synthetic:
        rng = np.random.default_rng(0)
        for n in (10_000, 100_000):
            t = time.perf_counter()
            big = synthetic(index, n, rng)
            build_s = time.perf_counter() - t
            p50, p95 = time_searches(Retriever(big), queries[:60])
            rows.append((f"search p50 / p95, {n:,} synthetic chunks (built in {build_s:.1f} s)",
                         f"{p50:.1f} / {p95:.1f} ms"))
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
