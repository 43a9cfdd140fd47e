"""LLM speed (and an optional answer-quality probe) for each installed backend x packaged model.

    python -m bench.bench_llm                      # table: TTFT, tokens/s, peak RSS
    python -m bench.bench_llm --quality            # + 7 grounded zh/en questions per model
    python -m bench.bench_llm --backends llamacpp --models qwen-0.5b --max-new-tokens 100

Each backend x model runs in its own subprocess so that peak RSS is its own. The prompt is
a realistic grounded one: a system prompt, two Chinese knowledge-base passages (~600
characters each) and a question. Greedy decoding. Timings are printed, never asserted;
device "auto" uses a GPU where there is one (CUDA machines need no changes). The first
transformers run of a model includes its one-time GGUF conversion (shown as such).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path

from bench import REPO, report, run_worker

KB_FILE = REPO / "kb" / "main_series_answers_071-080.md"

GENERIC_SYSTEM = (
    "You are a PyTorch interview assistant. Answer the question using ONLY the context passages. "
    "Reply in the same language as the question: a Chinese question gets a Chinese answer, an English "
    "question gets an English answer (translate from the Chinese context if needed). If the context does "
    "not contain the answer, say so instead of guessing."
)

# (question, passage numbers); speed runs use the first few, --quality uses all
QUESTIONS: list[tuple[str, tuple[int, int]]] = [
    ("如何在PyTorch中实现梯度累积？它有什么优缺点？", (73, 74)),
    ("什么是模型蒸馏？在PyTorch中怎么实现？", (79, 80)),
    ("GAN由哪两个部分组成？有哪些应用？", (78, 77)),
    ("What is the Transformer model and what is it used for?", (72, 71)),
    ("What are the pros and cons of gradient accumulation?", (73, 75)),
    ("What are word embeddings and what are they used for?", (80, 76)),
    ("What is the default learning rate of torch.optim.Adam?", (73, 74)),  # not in the context
]


def kb_sections() -> dict[int, tuple[str, str]]:
    text = KB_FILE.read_text(encoding="utf-8")
    out = {}
    for block in re.split(r"\n(?=## \d+\. )", text):
        m = re.match(r"## (\d+)\. (.+)\n", block)
        if m:
            out[int(m.group(1))] = (m.group(2).strip(), block[m.end():].strip())
    return out


def generic_messages(question: str, numbers: tuple[int, ...]) -> list[dict[str, str]]:
    sec = kb_sections()
    context = "\n\n".join(f"[Q{n}] {sec[n][0]}\n{sec[n][1][:650]}" for n in numbers)
    return [
        {"role": "system", "content": GENERIC_SYSTEM},
        {"role": "user", "content": f"<context>\n{context}\n</context>\n\nQuestion: {question}"},
    ]


def project_messages(question: str, numbers: tuple[int, ...]) -> list[dict[str, str]] | None:
    """The chatbot's own prompt (chatbot.rag.prompts), when its API is as expected."""
    try:
        from chatbot.rag.language import detect_language
        from chatbot.rag.prompts import build_messages
        from indexer.records import Question
    except ImportError:
        return None
    sec = kb_sections()
    passages = [Question(id=f"Q{n}", series="main", number=n, title=sec[n][0], answer=sec[n][1]) for n in numbers]
    try:
        return build_messages(question, passages, detect_language(question))
    except Exception:
        return None


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux


def _gpu_gb() -> float | None:
    if "torch" not in sys.modules:
        return None
    import torch

    return torch.cuda.max_memory_allocated() / 1e9 if torch.cuda.is_available() else None


def timed_stream(model, messages, max_new_tokens: int) -> dict:
    t0 = time.perf_counter()
    ttft = None
    pieces = []
    for piece in model.stream_chat(messages, max_new_tokens=max_new_tokens):
        if ttft is None:
            ttft = time.perf_counter() - t0
        pieces.append(piece)
    total = time.perf_counter() - t0
    text = "".join(pieces)
    n = model.count_tokens(text)
    decode = (n - 1) / (total - ttft) if ttft is not None and n > 1 and total > ttft else float("nan")
    return {"ttft": ttft or float("nan"), "total": total, "tokens": n, "tok_s": decode, "text": text,
            "pieces": len(pieces)}


def worker(backend: str, model_name: str, device: str, max_new_tokens: int, runs: int, quality: bool) -> dict:
    from chatbot.llm.config import LLMConfig
    from chatbot.llm.errors import ModelUnavailable
    from chatbot.llm.registry import load_chat_model

    cfg = LLMConfig.from_env()
    cfg.llm_model, cfg.llm_backend, cfg.device = model_name, backend, device
    converting = False
    if backend == "transformers":
        from chatbot.llm import packaged, transformers_backend

        gguf = packaged.gguf_path(model_name, cfg.cache_dir)
        converting = not transformers_backend.converted_dir_valid(gguf, cfg.cache_dir / "models" / f"{model_name}-hf")
    t0 = time.perf_counter()
    try:
        model = load_chat_model(cfg, progress=True)
    except ModelUnavailable as exc:
        return {"backend": backend, "model": model_name, "error": str(exc)}
    load_s = time.perf_counter() - t0
    rss_after_load = _rss_gb()
    timed_stream(model, [{"role": "user", "content": "Hi"}], 4)  # warm-up (allocations, kernels)
    results = []
    for i in range(runs):  # a different question each run: llama.cpp's prefix cache must not help
        q, nums = QUESTIONS[i % len(QUESTIONS)]
        msgs = generic_messages(q, nums)
        r = timed_stream(model, msgs, max_new_tokens)
        r["prompt_tokens"] = sum(model.count_tokens(m["content"]) for m in msgs)
        results.append(r)
    out = {
        "backend": model.backend, "model": model_name, "device": model.device,
        "dtype": getattr(model, "dtype", "gguf"), "threads": getattr(model, "n_threads", None) or _torch_threads(),
        "load_s": load_s, "converted": converting, "rss_load_gb": rss_after_load,
        "prompt_tokens": statistics.median(r["prompt_tokens"] for r in results),
        "ttft": statistics.median(r["ttft"] for r in results),
        "tok_s": statistics.median(r["tok_s"] for r in results),
        "tokens": statistics.median(r["tokens"] for r in results),
        "sample": results[0]["text"][:160],
    }
    if quality:
        out["quality"] = quality_probe(model, max_new_tokens)
    out["peak_rss_gb"] = _rss_gb()
    out["gpu_gb"] = _gpu_gb()
    return out


def _torch_threads() -> int | None:
    if "torch" in sys.modules:
        import torch

        return torch.get_num_threads()
    return None


def quality_probe(model, max_new_tokens: int) -> list[dict]:
    from chatbot.rag.language import answer_language_ok, detect_language

    rows = []
    for q, nums in QUESTIONS:
        for variant, msgs in (("generic", generic_messages(q, nums)), ("project", project_messages(q, nums))):
            if msgs is None:
                continue
            r = timed_stream(model, msgs, max_new_tokens)
            lang = detect_language(q)
            rows.append({"variant": variant, "question": q, "lang": lang, "lang_ok": answer_language_ok(r["text"], lang),
                         "ttft": r["ttft"], "total": r["total"], "tokens": r["tokens"], "answer": r["text"]})
    return rows


def _installed_backends() -> list[str]:
    from chatbot.llm.registry import available_backends

    return available_backends()


def _default_models(cache_dir: Path) -> list[str]:
    from chatbot.llm import packaged

    return [m for m in packaged.REGISTRY if packaged.is_available(m, cache_dir)]


def fmt(x, spec=".2f") -> str:
    return "–" if x is None or (isinstance(x, float) and x != x) else format(x, spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backends", nargs="*", help="default: every installed backend")
    ap.add_argument("--models", nargs="*", help="default: every packaged model that is installed")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--max-new-tokens", type=int, default=200)
    ap.add_argument("--runs", type=int, default=2, help="timed questions per config (median reported)")
    ap.add_argument("--quality", action="store_true", help="also answer the 7 probe questions and print them")
    ap.add_argument("--json", type=Path, help="also write all results to this file")
    ap.add_argument("--worker", nargs=2, metavar=("BACKEND", "MODEL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        backend, model_name = args.worker
        res = worker(backend, model_name, args.device, args.max_new_tokens, args.runs, args.quality)
        print(report(res), flush=True)
        return 0

    from indexer.config import Config

    cfg = Config.from_env()
    backends = args.backends or _installed_backends()
    models = args.models or _default_models(cfg.cache_dir)
    if not backends or not models:
        print(f"nothing to benchmark (backends: {backends or 'none installed'}, models: {models or 'none installed'})")
        return 0
    load_before = os.getloadavg()[0]
    results = []
    for backend in backends:
        for model in models:
            print(f"== {backend} × {model} …", file=sys.stderr, flush=True)
            cmd = [sys.executable, "-m", "bench.bench_llm", "--worker", backend, model, "--device", args.device,
                   "--max-new-tokens", str(args.max_new_tokens), "--runs", str(args.runs)]
            if args.quality:
                cmd.append("--quality")
            res = run_worker("bench.bench_llm", cmd[3:])
            results.append({"backend": backend, "model": model, **res} if "error" in res else res)

    print(f"\nLLM benchmark: grounded prompt (2 zh passages + question), greedy, ≤{args.max_new_tokens} new tokens, "
          f"median of {args.runs}; load average {load_before:.1f} → {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs\n")
    print("| backend | model | device | weights | threads | load s | prompt tok | TTFT s | tok/s | new tok | peak RSS GB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['backend']} | {r['model']} | – | – | – | – | – | – | – | – | unavailable: {r['error'][:80]} |")
            continue
        load = fmt(r["load_s"], ".1f") + (" (incl. conversion)" if r["converted"] else "")
        mem = fmt(r["peak_rss_gb"]) + (f" (GPU {r['gpu_gb']:.2f})" if r.get("gpu_gb") else "")
        print(f"| {r['backend']} | {r['model']} | {r['device']} | {r['dtype']} | {r['threads']} | {load} | "
              f"{fmt(r['prompt_tokens'], '.0f')} | {fmt(r['ttft'])} | {fmt(r['tok_s'], '.1f')} | "
              f"{fmt(r['tokens'], '.0f')} | {mem} |")
    if args.quality:
        for r in results:
            for row in r.get("quality", []):
                print(f"\n### {r['backend']} × {r['model']} [{row['variant']}] {row['question']}\n"
                      f"language ok: {row['lang_ok']} · TTFT {row['ttft']:.2f} s · total {row['total']:.1f} s · "
                      f"{row['tokens']} tokens\n\n{row['answer'].strip()}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
