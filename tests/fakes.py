"""Fakes (not mocks): small working stand-ins for the chat model, shared by the tests."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np


class ScriptedModel:
    """A chat model that replies with scripted pieces and records every call.

    `replies` is one reply (a list of text pieces) used for every call, or, with `sequence=True`, a list
    of replies used one per call (the last one repeats). `error` is raised after the pieces. A request to
    translate a sentence of an English answer's lead (chatbot/rag/translation.py) is answered with `translation`
    instead (raised, when it is an exception) and recorded apart, in `translated`: by default nothing, so the
    translation is rejected and the scripted replies are the answer's."""

    name, backend, device, context_length = "fakellm", "fake", "cpu", 4096
    parallel, supports_yes_no, supports_prompt_states = 1, False, False

    def __init__(self, replies: Iterable = (), *, sequence: bool = False, error: BaseException | None = None,
                 translation: str | list[str] | BaseException = ""):
        self.replies = [list(r) for r in replies] if sequence else [list(replies)]
        self.error = error
        self.translation = translation
        self.calls: list[tuple[list[dict[str, str]], int]] = []
        self.translated: list[str] = []  # the sentences it was asked to translate
        self.interrupted_times = 0  # background requests (`chat_when_idle`) a user request stops first

    def stream_chat(self, messages, *, max_new_tokens, temperature=0.0) -> Iterator[str]:
        from chatbot.rag.translation import SYSTEM as TRANSLATING

        if messages[0]["content"] == TRANSLATING:
            self.translated.append(messages[-1]["content"].rsplit("\n\n", 1)[-1])
            if isinstance(self.translation, BaseException):
                raise self.translation
            yield from [self.translation] if isinstance(self.translation, str) else self.translation
            return
        self.calls.append((messages, max_new_tokens))
        reply = self.replies[min(len(self.calls) - 1, len(self.replies) - 1)]
        yield from reply
        if self.error is not None:
            raise self.error

    def chat(self, messages, *, max_new_tokens, temperature=0.0) -> str:
        return "".join(self.stream_chat(messages, max_new_tokens=max_new_tokens, temperature=temperature))

    def chat_when_idle(self, messages, *, max_new_tokens) -> str | None:
        """As `chat`, but None (nothing generated) while `interrupted_times` is above 0: a request took the
        model first that many times."""
        if self.interrupted_times > 0:
            self.interrupted_times -= 1
            return None
        return self.chat(messages, max_new_tokens=max_new_tokens)

    def idle_seconds(self) -> float:
        return 60.0

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


class HashEmbedder:
    """A stand-in embedding model: a fixed pseudo-random unit vector per text (the same text, the same vector),
    no model to load. `delay` seconds per call and a `signal` file touched when a call starts let a test catch
    a build in the middle of embedding (to kill it, or to race another build)."""

    name, dim, device = "hash-embedder", 16, "cpu"

    def __init__(self, *, delay: float = 0.0, signal: str = "") -> None:
        self.delay, self.signal, self.calls = delay, signal, 0

    def _vectors(self, texts) -> np.ndarray:
        import hashlib
        import time
        from pathlib import Path

        self.calls += 1
        if self.signal:
            Path(self.signal).touch()
        if self.delay:
            time.sleep(self.delay)
        rows = [np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode("utf-8", "replace")).digest()[:8], "big"))
                .standard_normal(self.dim) for t in texts]
        out = np.asarray(rows, dtype=np.float32).reshape(len(rows), self.dim)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def encode_passages(self, texts, *, progress: bool = False, batch_size: int = 16) -> np.ndarray:
        return self._vectors(list(texts))

    def encode_queries(self, texts) -> np.ndarray:
        return self._vectors(list(texts))


class JudgingModel(ScriptedModel):
    """A chat model that also gives yes/no log-odds: `odds` maps a word of the question asked (e.g. "correct")
    to the log-odds returned for it (0 when no word matches); generations reply with `replies` as usual."""

    supports_yes_no = True

    def __init__(self, odds: dict[str, float], replies: Iterable = (), *, error: BaseException | None = None):
        super().__init__(replies)
        self.odds = odds
        self.judge_error = error
        self.asked: list[list[dict[str, str]]] = []

    def yes_logodds(self, conversations) -> list[float]:
        if self.judge_error is not None:
            raise self.judge_error
        self.asked.extend(conversations)
        last = [c[-1]["content"].rsplit(">>>", 1)[-1] for c in conversations]
        return [next((v for word, v in self.odds.items() if word in text), 0.0) for text in last]


@dataclass
class FakeRequest:
    """What the UI handlers read of a Gradio request: the login name (None without a login)."""

    username: str | None = None


class StatefulModel(ScriptedModel):
    """A model that keeps prompt states: records what it warmed, full after `room` states."""

    supports_prompt_states = True

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room, self.warmed = room, []

    def idle_seconds(self) -> float:
        return 60.0

    def warm(self, messages) -> bool:
        self.warmed.append(messages[0]["content"])
        return True

    def prompt_state_fill(self) -> float:
        return len(self.warmed) / self.room

    def has_prompt_state(self, messages) -> bool:
        return messages[0]["content"] in self.warmed
