"""The chatbot as an OpenAI-compatible API: ``GET /v1/models`` and ``POST /v1/chat/completions``.

The same pipeline as the Chat tab (``chatbot.rag.answerer.Answerer``): follow-ups are resolved from the
message history, refusals are decided by code, and the content carries the checked ``[Q73]`` markers.
Every response has an extra field ``kbchat`` with the sources, the citations and the answer's mode
(``Answer.to_json()``).

Streaming (``"stream": true``, server-sent events): the first chunk already carries the retrieved sources
(``kbchat.sources``); the model's draft streams as ``delta.reasoning_content`` while it is written (its
citations are not checked yet, so it is not the answer); the checked answer then follows as
``delta.content``, and the last chunk carries ``kbchat`` with the citations. A refusal or an extractive
answer arrives as content at once.

``app.py`` wires it onto the Gradio server (same host and port as the page); ``KBCHAT_API_KEY``, when
set, is required as ``Authorization: Bearer <key>``.
"""
from __future__ import annotations

import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from chatbot.rag.answerer import Answerer
from chatbot.rag.draft.markers import OPEN_MARKER
from chatbot.rag.followup import Turn, resolve_query
from chatbot.records import Answer, Delta, Final

__all__ = ["MODEL_ID", "ChatAPI", "BadRequest", "conversation"]

log = logging.getLogger(__name__)

MODEL_ID = "pytorch-kb-chat"
MAX_MESSAGES = 200
MAX_HISTORY_CHARS = 4000  # each earlier message is cut to this (the answerer only looks at the last turns)
CONTENT_CHUNK = 64  # characters per content chunk of the checked answer
MAX_CONCURRENT = 24  # answers in progress at once (each holds a worker thread); more get 429 and retry


class BadRequest(ValueError):
    """A request the API answers with 400 and an OpenAI-style error body."""


def _text(content: Any) -> str:
    """A message's content: a string, or OpenAI content parts ([{"type": "text", "text": …}])."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content
                       if isinstance(p, dict) and p.get("type") in {"text", "input_text"} and isinstance(p.get("text"), str))
    if content is None:
        return ""
    raise BadRequest("message content must be a string or a list of text parts")


def conversation(messages: Any, resolve: Callable[[str, list[Turn]], str] = resolve_query,
                 ) -> tuple[str, list[Turn]]:
    """The new question and the earlier turns of an OpenAI message list. Each earlier question is resolved
    against the turns before it by `resolve` (the server passes the answerer's, so a turn is resolved exactly as
    the Chat tab resolved it when it was asked); system messages are ignored (the rules of the answer are
    code)."""
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list")
    if len(messages) > MAX_MESSAGES:
        messages = messages[-MAX_MESSAGES:]
    turns: list[Turn] = []
    pending: str | None = None
    for m in messages:
        if not isinstance(m, dict):
            raise BadRequest("each message must be an object with 'role' and 'content'")
        role, text = m.get("role"), _text(m.get("content"))
        if role == "user":
            if pending is not None:  # two questions in a row: the first one had no answer
                turns.append(Turn(pending, resolve(pending, turns), ""))
            pending = text.strip()[:MAX_HISTORY_CHARS]
        elif role == "assistant" and pending is not None:
            turns.append(Turn(pending, resolve(pending, turns), text[:MAX_HISTORY_CHARS]))
            pending = None
    if pending is None or messages[-1].get("role") != "user":
        raise BadRequest("the last message must be the user's question")
    if not pending:
        raise BadRequest("the question is empty")
    return _text(messages[-1].get("content")).strip(), turns


def _error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": code}}, status_code=status)


def _kbchat(answer: Answer) -> dict:
    info = answer.to_json()
    info.pop("answer", None)  # that is the content
    return info


class ChatAPI:
    """The /v1 routes over one `Answerer` (shared with the Chat tab: same engine, same model)."""

    def __init__(self, answerer: Answerer, *, use_llm: bool = True, api_key: str = "",
                 max_concurrent: int = MAX_CONCURRENT) -> None:
        self.answerer = answerer
        self.use_llm = use_llm
        self.api_key = api_key
        self.created = int(time.time())
        # the pipeline runs in the server's worker threads, which the page needs too: never take them all
        self.max_concurrent = max_concurrent
        self.active = 0
        self._active_lock = threading.Lock()

    def _enter(self) -> bool:
        with self._active_lock:
            if self.active >= self.max_concurrent:
                return False
            self.active += 1
            return True

    def _leave(self) -> None:
        with self._active_lock:
            self.active -= 1

    # ------------------------------------------------------------------ routes
    def router(self) -> APIRouter:
        router = APIRouter(prefix="/v1")
        router.add_api_route("/models", self.models, methods=["GET"])
        router.add_api_route("/models/{model_id}", self.model, methods=["GET"])
        router.add_api_route("/chat/completions", self.chat_completions, methods=["POST"])
        return router

    def install(self, app) -> None:
        """Adds the routes to a running FastAPI app (Gradio's, returned by ``demo.launch``)."""
        app.include_router(self.router())

    def _denied(self, request: Request) -> JSONResponse | None:
        if not self.api_key:
            return None
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.api_key.encode()):
            return None
        return _error(401, "invalid or missing API key (send 'Authorization: Bearer <KBCHAT_API_KEY>')",
                      "authentication_error", "invalid_api_key")

    def _model_card(self) -> dict:
        engine = self.answerer.engine
        model = engine.chat_model() if self.use_llm else None
        generator = f"{model.name} ({model.backend})" if model is not None else "extractive"
        return {"id": MODEL_ID, "object": "model", "created": self.created, "owned_by": "pytorch-kb-chat",
                "kbchat": {"generator": generator, "questions": len(engine.index.questions)}}

    async def models(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        card = await run_in_threadpool(self._model_card)
        return JSONResponse({"object": "list", "data": [card]})

    async def model(self, model_id: str, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        if model_id != MODEL_ID:
            return _error(404, f"model {model_id!r} not found: this server offers {MODEL_ID!r}", code="model_not_found")
        return JSONResponse(await run_in_threadpool(self._model_card))

    async def chat_completions(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body must be JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        try:
            # resolving earlier turns searches the index: off the event loop
            question, turns = await run_in_threadpool(conversation, body.get("messages"), self.answerer.resolve)
        except BadRequest as exc:
            return _error(400, str(exc), code="invalid_messages")
        if body.get("n") not in (None, 1):
            return _error(400, "only n=1 is supported")
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        if body.get("stream"):
            if self.active >= self.max_concurrent:
                return self._busy()
            events = self._sse(question, turns, completion_id)
            return StreamingResponse(_closing(events), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        if not self._enter():
            return self._busy()
        try:
            answer = await run_in_threadpool(self.answerer.answer, question, turns, use_llm=self.use_llm)
        finally:
            self._leave()
        return JSONResponse({
            "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                         "finish_reason": "stop"}],
            "kbchat": _kbchat(answer),
        })

    def _busy(self) -> JSONResponse:
        response = _error(429, f"{self.max_concurrent} answers are in progress; retry shortly", "rate_limit_error",
                          "busy")
        response.headers["Retry-After"] = "2"
        return response

    # ------------------------------------------------------------------ streaming
    def _sse(self, question: str, turns: list[Turn], completion_id: str) -> Iterator[str]:
        """The streamed answer; counted among the answers in progress only once it runs (a stream the server
        never started holds nothing)."""
        if not self._enter():
            yield _error_event("too many answers in progress; retry shortly", "rate_limit_error")
            return
        try:
            yield from self._sse_events(question, turns, completion_id)
        finally:
            self._leave()

    def _sse_events(self, question: str, turns: list[Turn], completion_id: str) -> Iterator[str]:
        created = int(time.time())

        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            event = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"

        prepared = self.answerer.prepare(question, turns)
        sources = [{"id": h.question.id, "title": h.question.title, "has_answer": h.question.has_answer,
                    "supplement": h.question.supplement} for h in prepared.hits]
        yield chunk({"role": "assistant", "content": ""},
                    kbchat={"sources": sources, "refused": prepared.refused, "resolved_query": prepared.resolved_query})
        shown = ""  # draft text sent so far
        final: Answer | None = None
        for event in self.answerer.stream(prepared, turns, use_llm=self.use_llm):
            if isinstance(event, Final):
                final = event.answer
                break
            if isinstance(event, Delta):
                piece, shown = _draft_piece(shown, event.text)
                if piece:
                    yield chunk({"reasoning_content": piece})
        if final is None:
            raise RuntimeError("the answer stream ended without a final answer")
        text = final.text
        for start in range(0, len(text), CONTENT_CHUNK):
            yield chunk({"content": text[start:start + CONTENT_CHUNK]})
        yield chunk({}, "stop", kbchat=_kbchat(final))
        yield "data: [DONE]\n\n"


def _draft_piece(shown: str, text: str) -> tuple[str, str]:
    """What to send of the growing draft `text` after `shown`: its new tail (without a half-written citation
    marker); a draft that was rewritten (a retry) starts again after a blank line."""
    stable = OPEN_MARKER.sub("", text[-8:])
    stable = text[:len(text) - 8] + stable if len(text) > 8 else stable
    if stable.startswith(shown):
        return stable[len(shown):], stable
    if shown.startswith(stable):  # a held-back tail, or a marker just stripped: wait for more
        return "", shown
    return "\n\n" + stable, stable


def _error_event(message: str, kind: str = "server_error") -> str:
    return f"data: {json.dumps({'error': {'message': message, 'type': kind}}, ensure_ascii=False)}\n\n"


def _close(events: Iterator[str]) -> None:
    try:
        events.close()  # type: ignore[attr-defined]
    except ValueError:  # still running in another thread: it is closed when that step returns and it is collected
        pass


async def _closing(events: Iterator[str]) -> AsyncIterator[str]:
    """Runs the blocking generator in the thread pool and closes it when the stream ends or the client goes
    away, so the model is freed for the next request."""
    try:
        async for item in iterate_in_threadpool(events):
            yield item
    except Exception as exc:  # the headers are sent: report the error as a last event
        log.exception("streamed answer failed")
        yield _error_event(f"{type(exc).__name__}: {exc}")
    finally:
        with anyio.CancelScope(shield=True):  # also when the request was cancelled (client gone)
            await run_in_threadpool(_close, events)
