"""llama.cpp backend (llama-cpp-python) running a GGUF file directly.

Uses the chat template stored in the GGUF (llama-cpp-python picks it up from the
``tokenizer.chat_template`` metadata when no chat_format is given) and streams with
``create_chat_completion(stream=True)``. One ``Llama`` context serves one generation at a
time; ``BaseChatModel`` serializes callers.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chatbot.llm.base import BaseChatModel, Message, ModelUnavailable

N_CTX = 4096


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads slow llama.cpp down)."""
    try:
        allowed = os.sched_getaffinity(0)
    except AttributeError:  # not Linux
        allowed = set(range(os.cpu_count() or 1))
    cores: set[tuple[str, str]] = set()
    try:
        cpu = phys = core = None
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in list(f) + [""]:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "processor":
                    cpu = int(value)
                elif key == "physical id":
                    phys = value
                elif key == "core id":
                    core = value
                elif not key:  # blank line ends one processor's block
                    if cpu is not None and cpu in allowed:
                        cores.add((phys or "0", core if core is not None else str(cpu)))
                    cpu = phys = core = None
    except (OSError, ValueError):
        pass
    return max(1, len(cores) or len(allowed))


def gpu_offload_supported() -> bool:
    try:
        from llama_cpp import llama_supports_gpu_offload
    except ImportError:
        return False
    try:
        return bool(llama_supports_gpu_offload())
    except Exception:  # noqa: BLE001 - an odd build: treat as CPU-only
        return False


def nvidia_gpu_present() -> bool:
    """Cheap check without importing torch."""
    return os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidia0")


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if gpu_offload_supported() and nvidia_gpu_present() else "cpu"
    if device == "cuda" and not gpu_offload_supported():
        raise ModelUnavailable(
            "device 'cuda' requested but this llama-cpp-python build has no GPU support "
            '(rebuild with CMAKE_ARGS="-DGGML_CUDA=on", or use --device cpu / --backend transformers)'
        )
    if device not in {"cpu", "cuda"}:
        raise ModelUnavailable(f"unknown device {device!r} (use auto, cpu or cuda)")
    return device


class LlamaCppChatModel(BaseChatModel):
    """``reuse_prefix=False`` (default) re-evaluates every prompt from scratch: llama-cpp-python's
    prefix cache evaluates a shared prefix in different batches, which changes the float
    results enough to flip greedy near-ties, so the same question could get a different
    answer depending on what was asked before. Grounded prompts share little beyond the
    system message, so the cache saves well under a second here."""

    def __init__(self, name: str, llm: Any, device: str, gguf: Path, *, reuse_prefix: bool = False) -> None:
        super().__init__(name, "llamacpp", device, int(llm.n_ctx()))
        self.llm = llm
        self.gguf = gguf
        self.n_threads = int(llm.context_params.n_threads)
        self.reuse_prefix = reuse_prefix

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _stream(self, messages: list[Message], *, max_new_tokens: int, temperature: float) -> Iterator[str]:
        sampling: dict[str, Any] = {"temperature": temperature}  # 0 -> greedy sampler
        if temperature > 0:
            sampling.update(top_p=0.8, top_k=20)
        # max_tokens beyond the context is clipped by llama-cpp-python; an over-long prompt
        # raises ValueError("Requested tokens (...) exceed context window ...") on first next().
        if not self.reuse_prefix:
            self.llm.reset()  # deterministic: no KV-cache reuse from the previous request
        stream = self.llm.create_chat_completion(
            messages=messages,
            max_tokens=max_new_tokens,
            repeat_penalty=1.0,
            stream=True,
            **sampling,
        )
        try:
            for chunk in stream:
                choices = chunk.get("choices") or [{}]
                piece = (choices[0].get("delta") or {}).get("content")
                if piece:
                    yield piece
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # consumer stopped early: end llama.cpp's generator now


def load(name: str, gguf: Path, *, device: str = "auto", n_ctx: int = N_CTX) -> LlamaCppChatModel:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelUnavailable(f"llama.cpp backend needs llama-cpp-python ({exc})") from None
    dev = resolve_device(device)
    threads = physical_cores()
    llm = Llama(
        model_path=str(gguf),
        n_ctx=n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        n_gpu_layers=-1 if dev == "cuda" else 0,
        seed=0,
        verbose=False,
    )
    if not llm.metadata.get("tokenizer.chat_template") and llm.chat_format in (None, "llama-2"):
        raise ModelUnavailable(f"{name}: {Path(gguf).name} has no chat template")
    return LlamaCppChatModel(name, llm, dev, Path(gguf))
