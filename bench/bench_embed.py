"""Embedding benchmark: conversion, load, throughput, latency. Prints figures, asserts nothing.

    python -m bench.bench_embed                   # e5-small: cold conversion into a temp cache, then the rest
    python -m bench.bench_embed --no-convert      # reuse the converted model in the configured cache
    python -m bench.bench_embed --spec use-m      # another embedder (no conversion step)
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from indexer.config import REPO_ROOT, Config

SHORT_QUERIES = [
    "梯度累积", "gradient accumulation", "什么是GAN？", "如何冻结层", "torch.no_grad的作用",
    "DataLoader多进程", "混合精度训练", "模型蒸馏怎么做？", "what is a ResNet", "词向量嵌入",
    "分布式训练", "learning rate scheduler", "保存和加载模型", "自定义损失函数", "CUDA out of memory",
    "Transformer的应用",
]


def kb_passages(n: int, width: int = 240) -> list[str]:
    """~240-character windows of the knowledge base (Chinese with code and English mixed in)."""
    text = ""
    for path in sorted((REPO_ROOT / "kb").glob("*.md")):
        text += " ".join(path.read_text(encoding="utf-8").split()) + " "
    out = [text[i : i + width] for i in range(0, max(len(text) - width, 1), width)]
    while len(out) < n:
        out += out
    return out[:n]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def fresh_process_load(spec: str, cache: Path) -> float | None:
    """Seconds for a new Python process to import everything and load the model."""
    code = (
        "import time; t=time.perf_counter();"
        "from pathlib import Path; from indexer.models import create_embedder;"
        f"e=create_embedder({spec!r}, Path({str(cache)!r}), 'cpu'); e.encode_queries(['x']);"
        "print(time.perf_counter()-t)"
    )
    try:
        res = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
        )
        return float(res.stdout.strip().splitlines()[-1])
    except Exception as exc:  # a benchmark reports, it does not fail
        print(f"  (fresh-process load failed: {exc})")
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", default="e5-small")
    ap.add_argument("--no-convert", action="store_true", help="skip the cold conversion; use the configured cache")
    ap.add_argument("--cache-dir", type=Path, default=None, help="cache for --no-convert (default: Config)")
    ap.add_argument("--queries", type=int, default=64, help="short queries for the throughput figure")
    ap.add_argument("--passages", type=int, default=64, help="~240-char passages for the throughput figure")
    ap.add_argument("--latency-runs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=16)
    args = ap.parse_args()

    import torch

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f}; torch {torch.__version__}, "
          f"default torch threads {torch.get_num_threads()}")

    tmp_cache = None
    cache = args.cache_dir or Config.from_env().cache_dir
    if args.spec == "e5-small" and not args.no_convert:
        from indexer.models.e5.convert import ensure_e5_model

        tmp_cache = Path(tempfile.mkdtemp(prefix="kbchat-bench-"))
        cache = tmp_cache
        t0 = time.perf_counter()
        folder = ensure_e5_model(cache, progress=True)
        cold = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
        print(f"conversion (cold, temp cache, incl. engine check): {cold:.1f} s -> {folder.name}, {size:.0f} MiB")
        t0 = time.perf_counter()
        ensure_e5_model(cache)
        print(f"ensure_e5_model (already converted): {(time.perf_counter() - t0) * 1000:.1f} ms")

    try:
        from indexer.models import create_embedder

        t0 = time.perf_counter()
        emb = create_embedder(args.spec, cache, "cpu")
        print(f"warm load in-process (libraries already imported): {time.perf_counter() - t0:.2f} s  "
              f"[{emb.name}, dim {emb.dim}, torch threads {torch.get_num_threads()}]")
        fresh = fresh_process_load(args.spec, cache)
        if fresh is not None:
            print(f"warm load in a fresh process (imports + load + first query): {fresh:.2f} s")

        emb.encode_queries(["warm-up"])
        emb.encode_passages(kb_passages(2))

        queries = (SHORT_QUERIES * (args.queries // len(SHORT_QUERIES) + 1))[: args.queries]
        t0 = time.perf_counter()
        emb.encode_queries(queries)
        dt = time.perf_counter() - t0
        print(f"short queries (avg {statistics.mean(map(len, queries)):.0f} chars): "
              f"{len(queries) / dt:.1f} texts/s  ({len(queries)} in {dt:.2f} s, one call)")

        passages = kb_passages(args.passages)
        t0 = time.perf_counter()
        emb.encode_passages(passages, batch_size=args.batch_size)
        dt = time.perf_counter() - t0
        print(f"passages (~{statistics.mean(map(len, passages)):.0f} chars, batch {args.batch_size}): "
              f"{len(passages) / dt:.1f} texts/s  ({len(passages)} in {dt:.2f} s)")

        lat = []
        for i in range(args.latency_runs):
            q = SHORT_QUERIES[i % len(SHORT_QUERIES)]
            t0 = time.perf_counter()
            emb.encode_queries([q])
            lat.append((time.perf_counter() - t0) * 1000)
        print(f"single-query latency over {len(lat)} runs: p50 {pct(lat, 0.5):.1f} ms, "
              f"p95 {pct(lat, 0.95):.1f} ms, min {min(lat):.1f} ms")

        cur = torch.get_num_threads()
        alt = 1 if cur > 1 else min(os.cpu_count() or 1, 8)
        if hasattr(emb, "model") and emb.device == "cpu" and alt != cur:
            torch.set_num_threads(alt)
            lat_alt = []
            for i in range(args.latency_runs):
                t0 = time.perf_counter()
                emb.encode_queries([SHORT_QUERIES[i % len(SHORT_QUERIES)]])
                lat_alt.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            emb.encode_passages(passages, batch_size=args.batch_size)
            dt = time.perf_counter() - t0
            torch.set_num_threads(cur)
            print(f"  for comparison, {alt} torch thread(s): latency p50 {pct(lat_alt, 0.5):.1f} ms, "
                  f"p95 {pct(lat_alt, 0.95):.1f} ms; passages {len(passages) / dt:.1f} texts/s")
    finally:
        if tmp_cache is not None:
            shutil.rmtree(tmp_cache, ignore_errors=True)


if __name__ == "__main__":
    main()
