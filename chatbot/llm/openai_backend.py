"""Generation on an OpenAI-compatible inference server (vLLM, llama.cpp's server, Ollama, TGI).

Only generation leaves the process: retrieval, refusals, citation checks and the extractive fallback stay in
the app. Every request has a connect timeout and a read timeout (the server may stay silent that long before
the first token and between tokens), so a server that is down or stuck never hangs an answer: the error is
raised as ``ModelUnavailable`` and the answerer falls back to the extractive answer with a notice.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx

from chatbot.llm.base import BaseChatModel, Message
from chatbot.llm.errors import ModelUnavailable

if TYPE_CHECKING:
    from chatbot.llm.config import LLMConfig

__all__ = ["OpenAIChatModel", "base_url", "load"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3.0
DOWN_FOR_S = 5.0  # after a failed connection, answer extractively at once for this long
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def base_url(url: str) -> str:
    """``http://host:8000``, ``…/v1`` or ``…/v1/`` -> ``http://host:8000/v1``."""
    url = url.strip().rstrip("/")
    if not re.match(r"^https?://", url):
        url = "http://" + url
    return url if url.endswith("/v1") else url + "/v1"


class OpenAIChatModel(BaseChatModel):
    """A chat model behind ``POST {url}/chat/completions`` (streamed). Up to ``parallel`` generations run at
    once (the server batches them), unlike the in-process backends, which serve one at a time."""

    def __init__(self, url: str, *, model: str = "", timeout: float = 30.0, parallel: int = 4,
                 api_key: str = "", max_context: int = 32768) -> None:
        self.url = base_url(url)
        super().__init__(model or "?", "openai", self.url, max_context)
        self.requested = model  # the configured name; the served one is looked up on first use
        self.resolved = False
        self.timeout = float(timeout)
        self.parallel = max(1, int(parallel))
        self._slots = threading.BoundedSemaphore(self.parallel)
        self._down_until = 0.0
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(headers=headers, timeout=self._timeouts(), trust_env=False)

    def _timeouts(self) -> httpx.Timeout:
        return httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=self.timeout, write=self.timeout, pool=self.timeout)

    # ------------------------------------------------------------------ plumbing
    def _fail(self, exc: Exception, what: str) -> ModelUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            if isinstance(exc, httpx.ConnectTimeout):
                self._down_until = time.monotonic() + DOWN_FOR_S
            reason = f"no answer within {self.timeout:g} s" if not isinstance(exc, httpx.ConnectTimeout) else \
                f"no connection within {CONNECT_TIMEOUT_S:g} s"
        elif isinstance(exc, httpx.ConnectError):
            self._down_until = time.monotonic() + DOWN_FOR_S
            reason = "not reachable"
        elif isinstance(exc, httpx.HTTPStatusError):
            reason = f"HTTP {exc.response.status_code}"
        elif isinstance(exc, httpx.HTTPError):
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = str(exc)
        return ModelUnavailable(f"inference server {self.url} ({what}): {reason}")

    def _check_up(self) -> None:
        if time.monotonic() < self._down_until:
            raise ModelUnavailable(f"inference server {self.url}: not reachable (retrying in a few seconds)")

    def served_models(self) -> list[str]:
        """Ids from ``GET {url}/models``."""
        self._check_up()
        try:
            response = self._http.get(f"{self.url}/models")
            response.raise_for_status()
            data = response.json().get("data") or []
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise self._fail(exc, "GET /models") from exc
        return [str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id")]

    def resolve(self) -> str:
        """The model name to send: the configured one when the server lists it, else the first it lists."""
        if not self.resolved:
            served = self.served_models()
            if not served and not self.requested:
                raise ModelUnavailable(f"inference server {self.url}: lists no model")
            self.name = self.requested if self.requested in served or not served else served[0]
            self.resolved = True
        return self.name

    # ------------------------------------------------------------------ ChatModel
    def _locked_stream(self, messages: list[Message], max_new_tokens: int, temperature: float) -> Iterator[str]:
        with self._count_lock:
            self._waiting += 1
        try:
            with self._slots:
                yield from self._stream(messages, max_new_tokens=max_new_tokens, temperature=temperature)
        finally:
            with self._count_lock:
                self._waiting -= 1
            self.last_used = time.monotonic()

    def _generation_gate(self) -> threading.BoundedSemaphore:
        return self._slots

    def _stream(self, messages: list[Message], *, max_new_tokens: int, temperature: float) -> Iterator[str]:
        self._check_up()
        body = {"model": self.resolve(), "messages": messages, "max_tokens": max_new_tokens,
                "temperature": temperature, "stream": True}
        try:
            with self._http.stream("POST", f"{self.url}/chat/completions", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    response.raise_for_status()
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    piece = _delta_text(data)
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise self._fail(exc, "POST /chat/completions") from exc

    def count_tokens(self, text: str) -> int:
        """An estimate (the server's tokenizer is not here): one token per CJK character, one per ~4 others."""
        cjk = len(_CJK.findall(text))
        return cjk + max(0, len(text) - cjk + 3) // 4

    def close(self) -> None:
        self._http.close()


def _delta_text(data: str) -> str:
    try:
        event = json.loads(data)
    except ValueError:
        return ""
    if isinstance(event, dict) and event.get("error"):
        raise httpx.HTTPError(f"server error: {event['error']}")
    choices = event.get("choices") if isinstance(event, dict) else None
    if not choices:
        return ""
    delta = choices[0].get("delta") or {}
    return delta.get("content") or ""


def load(config: LLMConfig) -> OpenAIChatModel:
    """The model behind ``config.llm_url``; never fails for a server that is down (answers fall back per request),
    only logs it."""
    model = OpenAIChatModel(config.llm_url, model=str(config.llm_model), timeout=config.llm_timeout,
                            parallel=config.llm_parallel, api_key=config.llm_api_key)
    try:
        model.resolve()
    except ModelUnavailable as exc:
        log.warning("%s; answers are extractive until it answers", exc)
    return model
