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

import numpy as np

from chatbot.llm.base import NO_WORDS, YES_WORDS, BaseChatModel, Message, check_messages
from chatbot.llm.errors import ModelUnavailable
from chatbot.llm.prefix_states import PrefixState, PrefixStateStore, state_key
from chatbot.llm.worker import ComputeThread
from indexer.runtime import resolve_device

N_CTX = 4096
# Part of every prefix-state key: bump when the way prompts are rendered or evaluated changes.
PROMPT_STATE_VERSION = 1


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
    except Exception:
        return False


def nvidia_gpu_present() -> bool:
    """Cheap check without importing torch."""
    return os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidia0")


def gpu_usable() -> bool:
    return gpu_offload_supported() and nvidia_gpu_present()


_CUDA_HINT = (" (this llama-cpp-python build needs GPU support: rebuild with CMAKE_ARGS=\"-DGGML_CUDA=on\", "
              "or use --device cpu / --backend transformers)")


PREFIX_CHUNK = 128  # prefix tokens evaluated per step: always the same split, so a state is bitwise reproducible
PREFIX_MARGIN = 2  # tokens left off the rendered prefix, so a merge across its end can never differ
CLOSE_WAIT_S = 5.0  # how long closing waits for a generation in progress


class LlamaCppChatModel(BaseChatModel):
    """With a `PrefixStateStore`, the rendered system message of each prompt (rules + grounding passages) is a
    cached prefix: its KV state is restored instead of evaluated, so only the history and the question are
    evaluated per request. The prefix is always evaluated the same way (from a reset context, in chunks of
    PREFIX_CHUNK), and the rest in one call, so an answer does not depend on whether the state was cached
    (llama-cpp-python's own prefix reuse splits evaluation differently from call to call, which flips
    greedy near-ties). Without a store every prompt is evaluated from scratch.

    All evaluation runs on one `ComputeThread` at a lower CPU priority, so lookups and pages stay fast
    while an answer is being written."""

    supports_yes_no = True

    def __init__(self, name: str, llm: Any, device: str, gguf: Path, *,
                 states: PrefixStateStore | None = None) -> None:
        super().__init__(name, "llamacpp", device, int(llm.n_ctx()))
        self.llm = llm
        self.gguf = gguf
        self.n_threads = int(llm.context_params.n_threads)
        self.states = states
        self._model_id = f"{gguf.name}:{gguf.stat().st_size}:{PROMPT_STATE_VERSION}:{self.context_length}"
        self._formatter = _formatter(llm)
        self._compute = ComputeThread("llamacpp")
        self.closed = False

    def count_tokens(self, text: str) -> int:
        self._check_open()
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _check_open(self) -> None:
        if self.closed:  # the weights are freed: touching them would crash the process, not raise
            raise ModelUnavailable(f"{self.name}: the model was closed")

    @property
    def supports_prompt_states(self) -> bool:
        return self.states is not None

    def prompt_state_fill(self) -> float:
        if self.states is None:
            raise NotImplementedError("this model was loaded without a prompt-state store (state_cache_mb 0)")
        return self.states.disk_bytes() / max(1, self.states.max_disk_bytes)

    def close(self) -> None:
        """Stops the compute thread, then frees the llama.cpp context and weights. Done explicitly (the registry
        does it at exit): left to `Llama.__del__` during interpreter shutdown, llama_cpp's own module globals may
        already be gone, and the freeing raises."""
        if not self._lock.acquire(timeout=CLOSE_WAIT_S):  # a stream nobody finished: leave it to the GC
            return
        try:
            self.closed = True
            self._compute.close()
            self.llm.close()
        finally:
            self._lock.release()

    # ------------------------------------------------------------------ prompt and prefix
    def render(self, messages: list[Message]) -> tuple[list[int], int, list[str]]:
        """(prompt tokens, length of the cacheable prefix or 0, stop strings)."""
        self._check_open()
        rendered = self._formatter(messages=messages)
        tokens = self.llm.tokenize(rendered.prompt.encode("utf-8"), add_bos=False, special=True)
        stop = rendered.stop if isinstance(rendered.stop, list) else [rendered.stop] if rendered.stop else []
        n = self._prefix_tokens(messages, tokens)
        return tokens, n, stop

    def _prefix_tokens(self, messages: list[Message], tokens: list[int]) -> int:
        if self.states is None or len(messages) < 2 or messages[0]["role"] != "system":
            return 0
        # the system turn as rendered before any user turn: the common start of two prompts that differ after it
        a = self._formatter(messages=[messages[0], {"role": "user", "content": "a"}]).prompt
        b = self._formatter(messages=[messages[0], {"role": "user", "content": "b"}]).prompt
        common = os.path.commonprefix([a, b])
        prefix = self.llm.tokenize(common.encode("utf-8"), add_bos=False, special=True)[:-PREFIX_MARGIN]
        if len(prefix) < 16 or tokens[:len(prefix)] != prefix:
            return 0
        return len(prefix)

    def _restore_or_build(self, prefix: list[int], *, abort: Any = None) -> bool:
        """Leaves the context holding exactly `prefix`; False when `abort()` asked to stop while building."""
        assert self.states is not None
        key = state_key(self._model_id, prefix)
        state = self.states.get(key)
        if state is not None and list(state.tokens) == prefix:
            self._load(state)
            return True
        self.llm.reset()
        for i in range(0, len(prefix), PREFIX_CHUNK):
            if abort is not None and abort():
                self.llm.reset()
                return False
            self.llm.eval(prefix[i:i + PREFIX_CHUNK])
        self.states.put(key, self._snapshot())
        return True

    def _snapshot(self) -> PrefixState:
        import ctypes

        import llama_cpp

        ctx = self.llm._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buf = (ctypes.c_uint8 * int(size))()
        n = llama_cpp.llama_state_get_data(ctx, buf, size)
        return PrefixState(np.array(self.llm.input_ids[: self.llm.n_tokens], dtype=np.int32), bytes(buf[: int(n)]))

    def _load(self, state: PrefixState) -> None:
        import ctypes

        import llama_cpp

        self.llm.reset()
        buf = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
        if llama_cpp.llama_state_set_data(self.llm._ctx.ctx, buf, len(state.data)) != len(state.data):
            raise RuntimeError("could not restore a saved prompt state")
        n = len(state.tokens)
        self.llm.input_ids[:n] = state.tokens
        self.llm.n_tokens = n

    def warm(self, messages: list[Message]) -> bool:
        """Builds and stores the prefix state of `messages` when no user is waiting (never blocks a user:
        gives up at once when the model is busy, and stops between chunks when a request arrives).
        True when the state is there afterwards."""
        if self.states is None or not self._lock.acquire(blocking=False):
            return False
        try:
            if self.closed:  # the warmer is a daemon thread: it may still run while the process exits
                return False
            tokens, n, _ = self.render(messages)
            if n == 0:
                return False
            if state_key(self._model_id, tokens[:n]) in self.states:
                return True
            return self._compute.call(self._restore_or_build, tokens[:n], abort=lambda: self.waiting > 0)
        finally:
            self._lock.release()

    def has_prompt_state(self, messages: list[Message]) -> bool:
        if self.states is None:
            return False
        tokens, n, _ = self.render(messages)
        return n > 0 and state_key(self._model_id, tokens[:n]) in self.states

    # ------------------------------------------------------------------ yes/no judgements
    def yes_logodds(self, conversations: list[list[Message]]) -> list[float]:
        """For each conversation, log P(reply starts with yes) − log P(… no), read from the logits of the first
        reply token; nothing is generated. The conversations' common start (the cached system prefix, then
        whatever else they share) is evaluated once; each one then costs only its own last tokens."""
        for messages in conversations:
            check_messages(messages)
        rendered = [self.render(messages) for messages in conversations]
        tokens = [r[0] for r in rendered]
        if any(len(t) + 1 >= self.context_length for t in tokens):
            raise ValueError(f"a judgement prompt exceeds the context window of {self.context_length}")
        if not conversations:
            return []
        common = len(os.path.commonprefix(tokens))
        n_prefix = min(r[1] for r in rendered)
        if n_prefix > common:  # different system messages: no saved prefix serves them all
            n_prefix = 0
        yes, no = self._answer_tokens(YES_WORDS), self._answer_tokens(NO_WORDS)

        def run() -> list[float]:
            if n_prefix:
                self._restore_or_build(tokens[0][:n_prefix])
            else:
                self.llm.reset()
            start = max(n_prefix, min(common, len(min(tokens, key=len)) - 1))  # each keeps ≥ 1 token of its own
            if start > n_prefix:
                self.llm.eval(tokens[0][n_prefix:start])
            odds = []
            for t in tokens:
                self.llm.n_tokens = start  # drops the previous conversation's own tokens from the KV cache
                self.llm.eval(t[start:])
                logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),))
                odds.append(float(np.logaddexp.reduce(logits[yes]) - np.logaddexp.reduce(logits[no])))
            return odds

        with self.busy():
            return self._compute.call(run)

    def _answer_tokens(self, words: tuple[str, ...]) -> list[int]:
        return sorted({self.llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words})

    # ------------------------------------------------------------------ generation
    def _stream(self, messages: list[Message], *, max_new_tokens: int, temperature: float) -> Iterator[str]:
        return self._compute.stream(lambda: self._generate(messages, max_new_tokens, temperature))

    def _generate(self, messages: list[Message], max_new_tokens: int, temperature: float) -> Iterator[str]:
        sampling: dict[str, Any] = {"temperature": temperature}  # 0 -> greedy sampler
        if temperature > 0:
            sampling.update(top_p=0.8, top_k=20)
        tokens, n_prefix, stop = self.render(messages)
        if len(tokens) + 1 >= self.context_length:
            raise ValueError(f"Requested tokens ({len(tokens)}) exceed context window of {self.context_length}")
        if n_prefix:
            self._restore_or_build(tokens[:n_prefix])
        else:
            self.llm.reset()  # deterministic: no KV-cache reuse from the previous request
        stream = self.llm.create_completion(
            prompt=tokens, max_tokens=max_new_tokens, repeat_penalty=1.0, stream=True, stop=stop, **sampling,
        )
        try:
            for chunk in stream:
                piece = ((chunk.get("choices") or [{}])[0]).get("text")
                if piece:
                    yield piece
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # consumer stopped early: end llama.cpp's generator now


def _formatter(llm: Any) -> Any:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise ModelUnavailable("the GGUF has no chat template")

    def token_text(key: str) -> str:
        tid = llm.metadata.get(key)
        return llm._model.token_get_text(int(tid)) if tid is not None else ""

    return Jinja2ChatFormatter(template=template, eos_token=token_text("tokenizer.ggml.eos_token_id"),
                               bos_token=token_text("tokenizer.ggml.bos_token_id"),
                               stop_token_ids=[llm.token_eos()])


def load(name: str, gguf: Path, *, device: str = "auto", n_ctx: int = N_CTX,
         states: PrefixStateStore | None = None) -> LlamaCppChatModel:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelUnavailable(f"llama.cpp backend needs llama-cpp-python ({exc})") from None
    dev = resolve_device(device, cuda_available=gpu_usable, cuda_hint=_CUDA_HINT)
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
    if not llm.metadata.get("tokenizer.chat_template"):
        raise ModelUnavailable(f"{name}: {Path(gguf).name} has no chat template")
    return LlamaCppChatModel(name, llm, dev, Path(gguf), states=states)
