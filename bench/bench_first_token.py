"""Time to the first token of the real answer pipeline, with and without saved prompt states.

    python -m bench.bench_first_token                       # qwen-0.5b and qwen-1.5b (when installed)
    python -m bench.bench_first_token --models qwen-1.5b --questions 8

For each model (in its own subprocess, so peak RSS is its own) it answers the same questions three ways:
  cold   – a fresh, empty state store: every prefix is evaluated (and saved);
  warm   – the states the background warmer builds for every entry and the lead translations `python -m chatbot
           warm` makes, built beforehand (the steady state of a deployment that ran `warm`);
  none   – states turned off (the prompt evaluated from scratch, as before this feature).
It prints first-token p50/p95, decode tokens/s, peak RSS and the states' size on disk. Printed, never
asserted (these machines are noisy).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report, run_worker

QUESTIONS = [  # the first ten: titles' wording; the rest as people ask (14 of 24 draw on two passages)
    "如何在PyTorch中实现梯度累积？",
    "What is the difference between model.eval() and torch.no_grad()?",
    "PyTorch里怎么做数据增强？给个例子",
    "How do I save and load a model in PyTorch?",
    "什么是优化器？",
    "What is a DataLoader used for?",
    "PyTorch中的Transformer有哪些应用？",
    "What is autograd?",
    "学习率调度器有什么作用？",
    "How do I move a tensor to the GPU?",
    "Explain the difference between nn.CrossEntropyLoss and nn.NLLLoss",
    "如何冻结预训练模型的前几层只训练最后的分类层？",
    "DataLoader 的 num_workers 设多少合适？",
    "怎么用 DistributedDataParallel 做多卡训练？",
    "How does torch.compile speed up a model?",
    "view 和 reshape 有什么区别？",
    "What does optimizer.zero_grad() do and why is it needed?",
    "How do I write a custom Dataset for images?",
    "训练时显存不够怎么办？",
    "Dropout 和 BatchNorm 在训练和推理时有什么不同？",
    "How do I use mixed precision training?",
    "梯度消失和梯度爆炸怎么解决？",
    "What is the difference between nn.Module and nn.functional?",
    "如何可视化训练过程？",
]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def worker(model_name: str, mode: str, n: int, max_new_tokens: int) -> dict:
    from chatbot.rag.answerer import Answerer
    from chatbot.rag.config import RAGConfig
    from chatbot.rag.engine import Engine
    from chatbot.rag.prompts import prompt_layout
    from chatbot.rag.translation import LeadTranslator, TranslationStore, warm_translations
    from chatbot.rag.warmup import chat_prefixes
    from chatbot.records import Delta

    config = RAGConfig.from_env()
    config.llm_model = model_name
    config.llm_backend = "llamacpp"
    config.max_new_tokens = max_new_tokens
    if mode == "none":
        config.state_cache_mb = 0
    engine = Engine(config, progress=False)
    model: Any = engine.chat_model()
    if model is None:
        return {"model": model_name, "mode": mode, "error": engine.llm_error}
    states = None
    if model.supports_prompt_states:  # a private, empty store: cold means cold
        from chatbot.llm.prefix_states import PrefixStateStore

        model.states = states = PrefixStateStore(Path(tempfile.mkdtemp()), config.state_cache_mb << 20)
    answerer = Answerer(engine)
    answerer.translations = TranslationStore(Path(tempfile.mkdtemp()))  # a private one too: cold means cold
    prepared = [answerer.prepare(q) for q in QUESTIONS[:n]]
    warm_s = 0.0
    if mode == "warm":
        t0 = time.perf_counter()
        seen = set()
        for p in prepared:  # what the app's warmer builds for every entry, for these questions' prompts
            for messages in chat_prefixes(prompt_layout(answerer.prompt_passages(p))[0]):
                if messages[0]["content"] not in seen:
                    seen.add(messages[0]["content"])
                    model.warm(messages)
        # and what `python -m chatbot warm` translates for every entry: its likely English lead sentences
        leads = {q.id: q for p in prepared for q in answerer.prompt_passages(p)[:1]}
        warm_translations(LeadTranslator(model, answerer.checker, answerer.translations), list(leads.values()))
        warm_s = time.perf_counter() - t0
    first, rates, detail = [], [], []
    for p in prepared:
        started = time.perf_counter()
        t_first, pieces = None, 0
        for event in answerer.stream(p, started=started):
            if t_first is None and isinstance(event, Delta) and event.text.strip():
                t_first = time.perf_counter()
            pieces += 1
        end = time.perf_counter()
        if t_first is not None:
            first.append(t_first - started)
            detail.append({"question": p.question, "passages": len(answerer.prompt_passages(p)),
                           "first_token_s": round(t_first - started, 2)})
            rates.append(max(1, pieces - 1) / max(1e-6, end - t_first))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"model": model_name, "mode": mode, "n": len(first), "first_token_p50_s": statistics.median(first),
            "first_token_p95_s": pct(first, 0.95), "pieces_per_s": statistics.median(rates),
            "peak_rss_mb": round(rss_mb), "states_mb": round((states.disk_bytes() if states else 0) / 1e6, 1),
            "warm_build_s": round(warm_s, 1), "questions": detail}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="*", default=["qwen-0.5b", "qwen-1.5b"])
    ap.add_argument("--modes", nargs="*", default=["none", "cold", "warm"])
    ap.add_argument("--questions", type=int, default=len(QUESTIONS))
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--detail", action="store_true", help="also print each question's first token")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(report(worker(args.worker[0], args.worker[1], args.questions, args.max_new_tokens)))
        return 0
    print(f"{'model':<10} {'states':<6} {'first p50':>9} {'first p95':>9} {'pieces/s':>8} {'RSS MB':>7} "
          f"{'disk MB':>7} {'warm-up s':>9}")
    for model in args.models:
        for mode in args.modes:
            r = run_worker("bench.bench_first_token", ["--worker", model, mode, "--questions", str(args.questions),
                                                       "--max-new-tokens", str(args.max_new_tokens)])
            if "error" in r:
                print(f"{model:<10} {mode:<6} {r['error']}")
                continue
            print(f"{model:<10} {mode:<6} {r['first_token_p50_s']:>8.2f}s {r['first_token_p95_s']:>8.2f}s "
                  f"{r['pieces_per_s']:>8.1f} {r['peak_rss_mb']:>7} {r['states_mb']:>7} {r['warm_build_s']:>9}",
                  flush=True)
            if args.detail:
                for d in r["questions"]:
                    print(f"    {d['first_token_s']:>6.2f}s  {d['passages']} passage(s)  {d['question']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
