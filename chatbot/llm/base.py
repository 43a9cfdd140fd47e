"""What every chat model offers, including the abilities only some backends have (saved prompt states, yes/no
log-odds), declared here so that callers ask the model instead of probing it."""
from __future__ import annotations

import abc
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

__all__ = ["BaseChatModel", "ChatModel", "Message", "used_whole_budget"]

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}
# The first reply token `yes_logodds` compares (each word's first token, in its usual spellings).
YES_WORDS, NO_WORDS = ("yes", "Yes", "YES"), ("no", "No", "NO")


@runtime_checkable
class ChatModel(Protocol):
    """A loaded chat model. One instance is shared by all users of the process."""

    name: str  # the model spec it was loaded from, e.g. "qwen-0.5b"
    backend: str  # "llamacpp" | "transformers"
    device: str  # "cpu" | "cuda"
    context_length: int  # prompt + generated tokens must fit in this
    parallel: int  # generations it serves at once (an inference server batches; a local model takes one)
    supports_yes_no: bool  # whether `yes_logodds` works (it needs the model's logits: not on a remote server)

    @property
    def supports_prompt_states(self) -> bool:
        """Whether `warm` can save a system message's evaluated state ahead of use (llama.cpp with a store)."""
        ...

    def stream_chat(
        self, messages: list[Message], *, max_new_tokens: int, temperature: float = 0.0
    ) -> Iterator[str]:
        """Yields the reply as text pieces; greedy (deterministic) when temperature is 0."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` takes (no special tokens added); cheap, no generation."""
        ...

    def chat_when_idle(self, messages: list[Message], *, max_new_tokens: int) -> str | None:
        """The whole greedy reply for background work: generated only while no request is waiting; None when
        the model is busy or a request arrives meanwhile (it stops between pieces, so no user waits on it)."""
        ...

    def yes_logodds(self, conversations: list[list[Message]]) -> list[float]:
        """For each conversation, log P(the reply starts with yes) − log P(… no); nothing is generated.
        Only where `supports_yes_no`."""
        ...

    def warm(self, messages: list[Message]) -> bool:
        """Builds and saves the prompt state of `messages`' system message without answering, when no user is
        waiting; True when the state is there afterwards. Only where `supports_prompt_states`."""
        ...

    def prompt_state_fill(self) -> float:
        """The share of the saved prompt states' disk budget in use. Only where `supports_prompt_states`."""
        ...

    def has_prompt_state(self, messages: list[Message]) -> bool:
        """Whether the state `warm(messages)` would build is saved already. Only where `supports_prompt_states`."""
        ...

    def idle_seconds(self) -> float:
        """Seconds since the last request ended; 0 while one is waiting or running."""
        ...

    def close(self) -> None:
        """Frees what the model holds (memory, threads, connections); the model is unusable afterwards."""
        ...


# Tokenizing a reply again gives fewer tokens than were generated: the model emits pieces the tokenizer would
# merge. A Chinese answer the limit stopped after 320 tokens ("…常用于 bat") counts 304, so the old test (320 − 2)
# took it for finished and showed it cut off; an English one counted the same 108 both ways.
BUDGET_SHARE_USED = 0.9


def used_whole_budget(model: ChatModel, reply: str, max_new_tokens: int) -> bool:
    """Whether `reply` most likely stopped at the length limit rather than ending by itself. A reply that ended
    by itself this close to the limit loses nothing: the callers only drop a last sentence left unfinished."""
    return model.count_tokens(reply) >= BUDGET_SHARE_USED * max_new_tokens


class BaseChatModel(abc.ABC):
    """Shared plumbing: one generation at a time per instance, input checks.

    Backends implement ``_stream``; ``stream_chat`` holds the instance lock for the whole
    stream (llama.cpp contexts are not re-entrant and torch generation on 2 cores gains
    nothing from overlapping), so concurrent users are served one after the other.
    Closing the returned generator early (``.close()`` or dropping it) releases the lock.
    """

    name: str
    backend: str
    device: str
    context_length: int
    parallel: int = 1
    supports_yes_no: bool = False

    def __init__(self, name: str, backend: str, device: str, context_length: int) -> None:
        self.name = name
        self.backend = backend
        self.device = device
        self.context_length = context_length
        self._lock = threading.Lock()
        self._waiting = 0  # requests waiting for or holding the lock: background work yields to them
        self._count_lock = threading.Lock()
        self.last_used = time.monotonic()

    @property
    def waiting(self) -> int:
        return self._waiting

    def idle_seconds(self) -> float:
        return 0.0 if self._waiting else time.monotonic() - self.last_used

    def stream_chat(
        self, messages: list[Message], *, max_new_tokens: int, temperature: float = 0.0
    ) -> Iterator[str]:
        check_messages(messages)
        if max_new_tokens < 1:
            raise ValueError("max_new_tokens must be >= 1")
        if temperature < 0:
            raise ValueError("temperature must be >= 0")
        return self._locked_stream(list(messages), max_new_tokens, float(temperature))

    def _locked_stream(self, messages: list[Message], max_new_tokens: int, temperature: float) -> Iterator[str]:
        with self.busy():
            yield from self._stream(messages, max_new_tokens=max_new_tokens, temperature=temperature)

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Holds the model for one request: counted as waiting (background work yields), then locked."""
        with self._count_lock:
            self._waiting += 1
        try:
            with self._lock:
                yield
        finally:
            with self._count_lock:
                self._waiting -= 1
            self.last_used = time.monotonic()

    def chat(self, messages: list[Message], *, max_new_tokens: int, temperature: float = 0.0) -> str:
        """Convenience: the whole reply as one string."""
        return "".join(self.stream_chat(messages, max_new_tokens=max_new_tokens, temperature=temperature))

    def chat_when_idle(self, messages: list[Message], *, max_new_tokens: int) -> str | None:
        check_messages(messages)
        gate = self._generation_gate()
        if not gate.acquire(blocking=False):  # not counted as waiting: requests never yield to it
            return None
        try:
            reply: list[str] = []
            stream = self._stream(list(messages), max_new_tokens=max_new_tokens, temperature=0.0)
            try:
                for piece in stream:
                    if self._waiting:
                        return None
                    reply.append(piece)
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()  # a request arrived: end the generation now, so it gets the model at once
            return "".join(reply)
        finally:
            gate.release()

    def _generation_gate(self) -> threading.Lock | threading.BoundedSemaphore:
        """What a generation holds: the instance lock (one at a time); an inference server's slots instead."""
        return self._lock

    @abc.abstractmethod
    def _stream(self, messages: list[Message], *, max_new_tokens: int, temperature: float) -> Iterator[str]:
        ...

    @abc.abstractmethod
    def count_tokens(self, text: str) -> int:
        ...

    @property
    def supports_prompt_states(self) -> bool:
        return False

    def yes_logodds(self, conversations: list[list[Message]]) -> list[float]:
        raise NotImplementedError(f"{self.backend} models give no token probabilities")

    def warm(self, messages: list[Message]) -> bool:
        raise NotImplementedError(f"{self.backend} models keep no saved prompt states")

    def prompt_state_fill(self) -> float:
        raise NotImplementedError(f"{self.backend} models keep no saved prompt states")

    def has_prompt_state(self, messages: list[Message]) -> bool:
        raise NotImplementedError(f"{self.backend} models keep no saved prompt states")

    def close(self) -> None:  # noqa: B027 (not abstract: only backends holding native resources free any)
        """Nothing to free by default: the garbage collector frees what Python objects hold."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} backend={self.backend} device={self.device}>"


def check_messages(messages: list[Message]) -> None:
    if not messages:
        raise ValueError("messages must not be empty")
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in {"system", "user", "assistant"} or not isinstance(
            m.get("content"), str
        ):
            raise ValueError(f"bad chat message {m!r}: need {{'role': system|user|assistant, 'content': str}}")
