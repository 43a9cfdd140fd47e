"""Fakes (not mocks): small working stand-ins for the chat model, shared by the tests."""
from __future__ import annotations

from collections.abc import Iterable, Iterator


class ScriptedModel:
    """A chat model that replies with scripted pieces and records every call.

    `replies` is one reply (a list of text pieces) used for every call, or, with `sequence=True`, a list
    of replies used one per call (the last one repeats). `error` is raised after the pieces."""

    name, backend, device, context_length = "fakellm", "fake", "cpu", 4096

    def __init__(self, replies: Iterable = (), *, sequence: bool = False, error: BaseException | None = None):
        self.replies = [list(r) for r in replies] if sequence else [list(replies)]
        self.error = error
        self.calls: list[tuple[list[dict[str, str]], int]] = []

    def stream_chat(self, messages, *, max_new_tokens, temperature=0.0) -> Iterator[str]:
        self.calls.append((messages, max_new_tokens))
        reply = self.replies[min(len(self.calls) - 1, len(self.replies) - 1)]
        yield from reply
        if self.error is not None:
            raise self.error

    def chat(self, messages, *, max_new_tokens, temperature=0.0) -> str:
        return "".join(self.stream_chat(messages, max_new_tokens=max_new_tokens, temperature=temperature))

    def count_tokens(self, text: str) -> int:
        return len(text.split())


class CountingModel:
    """Wraps a real model and counts the generations asked of it."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def __getattr__(self, name):
        return getattr(self.model, name)

    def stream_chat(self, messages, **kwargs):
        self.calls += 1
        return self.model.stream_chat(messages, **kwargs)
