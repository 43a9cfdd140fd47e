"""A bounded load test of the web app: concurrent chat users plus a steady rate of lookups, on loopback only.

    python -m bench.bench_load --backend none --duration 10 --users 5 --lookup-rate 10   # quick, extractive
    python -m bench.bench_load                                   # 20 users + 50 lookups/s for 60 s, in-process LLM
    python -m bench.bench_load --llm-server qwen-0.5b            # the LLM behind `python -m llama_cpp.server`
    python -m bench.bench_load --llm-url http://127.0.0.1:8000/v1  # an inference server already running
    python -m bench.bench_load --url http://127.0.0.1:7860/      # an app already running (no memory figures)

It starts `python app.py` on a free loopback port (and, with --llm-server, llama.cpp's server on the packaged
GGUF), then for --duration seconds:
  * each of --users chat users (its own gradio_client session; they arrive evenly over --ramp seconds) asks
    questions one after the other through the Chat tab's API (`/chat`), a different sequence per user, with a
    follow-up now and then;
  * lookups (`/lookup`: ids and keywords; one POST each, the event skips the queue) arrive open-loop at
    --lookup-rate per second (latency is measured from the moment each was due, so a server that falls
    behind cannot hide it).
No new request starts after --duration; answers still running are given --grace seconds, then cancelled and
counted as unfinished. Everything stops by itself.

Reported: p50/p95 latency per endpoint, throughput, first-token p50/p95 (the first answer text a chat user
sees), queue positions seen, peak memory (RSS of the app and of the LLM server, children included). Checked:
no errors; no mixed sessions (each reply's history holds exactly this user's questions); lookups stay fast
while chat answers are being written (p95 under --lookup-p95-ms); every chat user who waited in the queue
was told a position. Exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.runtime import stop_process_group

REPO = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "如何在PyTorch中实现梯度累积？",
    "What is the difference between model.eval() and torch.no_grad()?",
    "PyTorch里怎么做数据增强？",
    "How do I save and load a model in PyTorch?",
    "什么是优化器？",
    "What is a DataLoader used for?",
    "PyTorch中的Transformer有哪些应用？",
    "What is autograd?",
    "学习率调度器有什么作用？",
    "How do I move a tensor to the GPU?",
    "如何冻结模型的部分参数？",
    "What does torch.compile do?",
]
FOLLOW_UPS = ["它有什么缺点？", "and its drawbacks?", "给个代码例子"]
LOOKUPS = ["Q73", "73", "E5", "Q1", "E21", "Q100", "梯度累积", "gradient accumulation", "数据增强", "DataLoader",
           "优化器", "load_state_dict", "混合精度", "transfer learning"]
# A user's status is read 5 times a second: 20 users polling every 50 ms cost the generator (on the app's cores)
# more CPU than the figures gain in precision.
POLL_S = 0.2
PLACEHOLDERS = ("⏳",)  # the chat's "searching…" / "writing…" messages


# ----------------------------------------------------------------------------- processes
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen | None, timeout: float, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise SystemExit(f"error: {proc.args!r} exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"error: {url} did not answer within {timeout:.0f} s")
        time.sleep(0.5)


@contextlib.contextmanager
def started(cmd: list[str], ready_url: str, timeout: float, env: dict[str, str] | None = None):
    log = Path(tempfile.mkstemp(prefix="bench-load-", suffix=".log")[1])
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})))
    try:
        wait_http(ready_url, proc, timeout, log)
        yield proc
    finally:
        stop_process_group(proc)
        log.unlink(missing_ok=True)


class MemoryWatch(threading.Thread):
    """Peak RSS (MB) of each watched process with its children, sampled every 0.5 s."""

    def __init__(self, procs: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.procs, self.peak = procs, dict.fromkeys(procs, 0.0)
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            for name, pid in self.procs.items():
                try:
                    p = psutil.Process(pid)
                    rss = sum(q.memory_info().rss for q in [p, *p.children(recursive=True)])
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak[name], rss / 2**20)
            self.stop.wait(0.5)


# ----------------------------------------------------------------------------- traffic
@dataclass
class Stats:
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    first_token_ms: list[float] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    mixed: list[str] = field(default_factory=list)
    unfinished: int = 0
    ranks_seen: list[int] = field(default_factory=list)
    queued_without_position: int = 0
    lookups_while_busy_ms: list[float] = field(default_factory=list)
    lookup_when: list[tuple[float, float]] = field(default_factory=list)  # (due, ms): where the slow ones fall
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, endpoint: str, ms: float) -> None:
        with self.lock:
            self.latency_ms.setdefault(endpoint, []).append(ms)

    def error(self, endpoint: str, why: str) -> None:
        with self.lock:
            self.errors.setdefault(endpoint, []).append(why[:300])


def text_of(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


class ChatUser(threading.Thread):
    def __init__(self, n: int, url: str, stats: Stats, stop_at: float, cancel_at: float, busy: list[int]) -> None:
        super().__init__(daemon=True, name=f"user-{n}")
        from gradio_client import Client

        self.n, self.stats, self.stop_at, self.cancel_at, self.busy = n, stats, stop_at, cancel_at, busy
        self.client = Client(url, verbose=False)  # one client = one browser session (its own gr.State)
        self.asked: list[str] = []
        self.start_at = 0.0

    def questions(self):
        order = QUESTIONS[self.n % len(QUESTIONS):] + QUESTIONS[:self.n % len(QUESTIONS)]
        for k, q in enumerate(itertools.cycle(order)):
            yield q
            if (k + self.n) % 3 == 2:
                yield FOLLOW_UPS[(k + self.n) % len(FOLLOW_UPS)]

    def run(self) -> None:
        from chatbot.ui.rendering import escape_text

        time.sleep(max(0.0, self.start_at - time.monotonic()))
        for question in self.questions():
            if time.monotonic() >= self.stop_at:
                return
            start = time.monotonic()
            job = self.client.submit(question, api_name="/chat")
            first: float | None = None
            rank_seen, in_queue_s = False, 0.0
            counted_busy = False
            try:
                while not job.done():
                    status = job.status()
                    code = getattr(status.code, "name", str(status.code))
                    if code == "IN_QUEUE":
                        in_queue_s += POLL_S
                        if status.rank is not None:  # the page shows rank + 1 / queue size
                            rank_seen = True
                            with self.stats.lock:
                                self.stats.ranks_seen.append(status.rank + 1)
                    if code in {"PROCESSING", "ITERATING"} and not counted_busy:
                        with self.stats.lock:
                            self.busy[0] += 1
                        counted_busy = True
                    if first is None:
                        for out in job.outputs():
                            msgs = out[0] if out else []
                            if msgs and not text_of(msgs[-1]).startswith(PLACEHOLDERS):
                                first = time.monotonic()
                                break
                    if time.monotonic() > self.cancel_at:
                        job.cancel()
                        with self.stats.lock:
                            self.stats.unfinished += 1
                        return
                    time.sleep(POLL_S)
                messages, _sources, _box, info = job.result(timeout=5)
            except Exception as exc:
                self.stats.error("chat", f"{type(exc).__name__}: {exc}")
                continue
            finally:
                if counted_busy:
                    with self.stats.lock:
                        self.busy[0] -= 1
            end = time.monotonic()
            if info is None:
                self.stats.error("chat", f"no answer: {text_of(messages[-1])[:200] if messages else 'empty'}")
                continue
            self.stats.add("chat", (end - start) * 1000)
            with self.stats.lock:
                self.stats.first_token_ms.append(((first or end) - start) * 1000)
                if in_queue_s > 1.0 and not rank_seen:  # a second in the queue and never told where
                    self.stats.queued_without_position += 1
            self.asked.append(question)
            users = [text_of(m) for m in messages if m.get("role") == "user"]
            if users != [escape_text(q) for q in self.asked]:
                with self.stats.lock:
                    self.stats.mixed.append(f"user {self.n}: expected {self.asked[-3:]}, got {users[-3:]}")


def lookup_once(http, url: str, query: str, due: float, stats: Stats, busy: list[int]) -> None:
    endpoint = "lookup_id" if re.fullmatch(r"[QqEe]?\d+", query) else "lookup_keywords"
    llm_busy = busy[0] > 0
    try:
        # the lookup event skips the queue: one POST, as the page itself sends it
        r = http.post(f"{url}gradio_api/run/lookup", json={"data": [query]})
        r.raise_for_status()
        result = (r.json().get("data") or [""])[0]
        if not isinstance(result, str) or "Q" not in result and "E" not in result:
            raise RuntimeError(f"unexpected reply: {str(result)[:200]}")
    except Exception as exc:
        stats.error(endpoint, f"{type(exc).__name__}: {exc}")
        return
    ms = (time.monotonic() - due) * 1000
    stats.add(endpoint, ms)
    with stats.lock:
        stats.lookup_when.append((due, ms))
    if llm_busy:
        with stats.lock:
            stats.lookups_while_busy_ms.append(ms)


def run_lookups(url: str, rate: float, stop_at: float, stats: Stats, busy: list[int]) -> None:
    import httpx

    if rate <= 0:
        return
    http = httpx.Client(timeout=httpx.Timeout(30.0), trust_env=False,
                        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
    with http, ThreadPoolExecutor(max_workers=32, thread_name_prefix="lookup") as pool:
        start = time.monotonic()
        for k in itertools.count():
            due = start + k / rate
            if due >= stop_at:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            pool.submit(lookup_once, http, url, LOOKUPS[k % len(LOOKUPS)], due, stats, busy)


# ----------------------------------------------------------------------------- report
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(stats: Stats, args, elapsed: float, memory: dict[str, float]) -> tuple[str, dict, bool]:
    # per s: completed requests per second of the traffic window (--duration)
    rows = [f"{'endpoint':<16} {'n':>6} {'errors':>6} {'p50 ms':>9} {'p95 ms':>9} {'per s':>7}"]
    data: dict[str, Any] = {"duration_s": round(elapsed, 1), "users": args.users, "lookup_rate": args.lookup_rate,
                            "generator": args.generator, "endpoints": {}}
    for name in ["chat", "lookup_id", "lookup_keywords"]:
        values, errors = stats.latency_ms.get(name, []), stats.errors.get(name, [])
        rows.append(f"{name:<16} {len(values):>6} {len(errors):>6} {pct(values, 50):>9.0f} {pct(values, 95):>9.0f} "
                    f"{len(values) / args.duration:>7.2f}")
        data["endpoints"][name] = {"n": len(values), "errors": len(errors), "p50_ms": round(pct(values, 50), 1),
                                   "p95_ms": round(pct(values, 95), 1), "per_s": round(len(values) / args.duration, 2)}
    ft = stats.first_token_ms
    rows.append(f"{'chat first token':<16} {len(ft):>6} {'':>6} {pct(ft, 50):>9.0f} {pct(ft, 95):>9.0f}")
    data["first_token"] = {"p50_ms": round(pct(ft, 50), 1), "p95_ms": round(pct(ft, 95), 1)}
    busy = stats.lookups_while_busy_ms
    data.update(unfinished_chats=stats.unfinished, max_queue_position=max(stats.ranks_seen, default=0),
                lookups_while_llm_busy={"n": len(busy), "p95_ms": round(pct(busy, 95), 1)},
                peak_rss_mb={k: round(v) for k, v in memory.items()})
    if stats.lookup_when:
        t0 = min(t for t, _ in stats.lookup_when)
        windows: dict[int, list[float]] = {}
        for t, ms in stats.lookup_when:
            windows.setdefault(int((t - t0) // 10), []).append(ms)
        data["lookup_p95_ms_per_10s"] = [round(pct(windows[w], 95)) if w in windows else None
                                         for w in range(max(windows) + 1)]
        rows.append("lookup p95 ms per 10 s: " + " ".join(map(str, data["lookup_p95_ms_per_10s"])))
    lines = ["", *rows, "",
             f"unfinished chat answers (cancelled after the grace period): {stats.unfinished}",
             f"queue positions shown to chat users: max {data['max_queue_position']}, "
             f"{len(stats.ranks_seen)} updates",
             "peak RSS: " + (", ".join(f"{k} {v:.0f} MB" for k, v in memory.items()) or "not measured (--url)"), ""]
    checks = {
        "no errors": not any(stats.errors.values()),
        "no mixed sessions": not stats.mixed,
        f"lookups fast while the LLM is busy (p95 {pct(busy, 95):.0f} ms <= {args.lookup_p95_ms} ms, "
        f"n={len(busy)})": not busy or pct(busy, 95) <= args.lookup_p95_ms,
        "queued chat users told their position": stats.queued_without_position == 0,
        "some chat answers completed": bool(stats.latency_ms.get("chat")),
    }
    for name, ok in checks.items():
        lines.append(f"{'PASS' if ok else 'FAIL'}  {name}")
    for endpoint, errors in stats.errors.items():
        lines.append(f"  {endpoint} errors (first 3 of {len(errors)}): {errors[:3]}")
    lines.extend(f"  mixed: {m}" for m in stats.mixed[:3])
    data["checks"] = checks
    return "\n".join(lines), data, all(checks.values())


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=20, help="concurrent chat users (default 20)")
    p.add_argument("--lookup-rate", type=float, default=50.0, help="lookups per second (default 50)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of traffic (default 60)")
    p.add_argument("--ramp", type=float, default=10.0,
                   help="chat users arrive evenly over this many seconds (default 10; 0 = all at once)")
    p.add_argument("--grace", type=float, default=60.0,
                   help="seconds answers still running after --duration may take before being cancelled")
    p.add_argument("--backend", default="auto", help="app LLM backend: auto (in-process), llamacpp, transformers, none")
    p.add_argument("--llm-url", help="generation on this OpenAI-compatible server (app --llm-url)")
    p.add_argument("--llm-server", metavar="MODEL",
                   help="start `python -m llama_cpp.server` on this packaged model (qwen-0.5b) and use it")
    p.add_argument("--url", help="load an app that is already running at this URL (loopback only)")
    p.add_argument("--lookup-p95-ms", type=float, default=1000.0, help="lookup p95 bound while the LLM is busy")
    p.add_argument("--startup-timeout", type=float, default=900.0)
    p.add_argument("--json", help="also write the figures to this JSON file")
    args = p.parse_args(argv)
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        p.error("--url must be a loopback address")
    args.generator = ("llama_cpp.server " + args.llm_server if args.llm_server else
                      f"server {args.llm_url}" if args.llm_url else f"in-process ({args.backend})")

    with contextlib.ExitStack() as stack:
        watched: dict[str, int] = {}
        url = args.url
        if url is None:
            env: dict[str, str] = {}
            app_cmd = [sys.executable, "app.py", "--backend", args.backend]
            llm_url = args.llm_url
            if args.llm_server:
                gguf = subprocess.run([sys.executable, "-m", "chatbot", "model-path", args.llm_server], cwd=REPO,
                                      capture_output=True, text=True, check=True).stdout.strip()
                port = free_port()
                server = stack.enter_context(started(
                    [sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--host", "127.0.0.1",
                     "--port", str(port), "--n_ctx", "4096"], f"http://127.0.0.1:{port}/v1/models",
                    args.startup_timeout))
                watched["llm server"] = server.pid
                llm_url = f"http://127.0.0.1:{port}/v1"
                env["KBCHAT_LLM_PARALLEL"] = "1"  # llama_cpp.server generates one at a time: queue in the app
            if llm_url:
                app_cmd += ["--llm-url", llm_url]
            port = free_port()
            url = f"http://127.0.0.1:{port}/"
            print(f"starting {' '.join(app_cmd[1:])} on {url} …", file=sys.stderr, flush=True)
            app = stack.enter_context(started(app_cmd + ["--port", str(port)], url, args.startup_timeout, env))
            watched["app"] = app.pid
        url = url.rstrip("/") + "/"
        memory = MemoryWatch(watched)
        memory.start()
        stats, busy = Stats(), [0]
        print(f"connecting {args.users} chat users …", file=sys.stderr, flush=True)
        far = time.monotonic() + 3600  # the real limits are set once every client is connected
        users = [ChatUser(n, url, stats, far, far, busy) for n in range(args.users)]
        start = time.monotonic()
        stop_at = start + args.duration
        for n, u in enumerate(users):  # arriving over --ramp seconds, as real users do, not in one burst
            u.start_at = start + n * args.ramp / max(1, len(users))
            u.stop_at, u.cancel_at = stop_at, stop_at + args.grace
            u.start()
        print(f"running for {args.duration:.0f} s: {args.users} chat users, {args.lookup_rate:g} lookups/s "
              f"({args.generator}) …", file=sys.stderr, flush=True)
        run_lookups(url, args.lookup_rate, stop_at, stats, busy)
        for u in users:
            u.join(timeout=max(0.0, stop_at + args.grace + 10 - time.monotonic()))
        elapsed = time.monotonic() - start
        memory.stop.set()
        memory.join(timeout=2)
        text, data, ok = report(stats, args, elapsed, memory.peak if watched else {})
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
