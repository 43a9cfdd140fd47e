"""Builds saved prompt states in the background while the model is idle, so the first question on a topic is
as quick as a repeated one. What to warm comes from the caller, in order: the answers' prompts
(`chat_prefixes`: the [rules + passage] system message of every answered question; a second passage goes into
the question's turn, rag/prompts.py, so these are all the answers need), then whatever the layers above add
(the interview's grading prompts: chatbot/interview/warm_prompts.py); app.py wires them together. `warm_all`
builds the same list at once and exits (`python -m chatbot warm`, for an image build). `PrefixWarmer.want` puts
what a user is about to need ahead of the rest.

It never delays a user: it waits until the model has been idle for IDLE_SECONDS, gives up on a state at once
when a request arrives (the model checks between chunks), and stops when the state budget is nearly full,
so the least recently used states are not evicted to make room for unused ones."""
from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from chatbot.llm.base import ChatModel, Message
from chatbot.rag.draft.markers import citation_ids
from chatbot.rag.prompts import system_message
from indexer.records import Question

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0
BUDGET_SHARE = 0.8  # stop warming once the store holds this share of its disk budget
PLACEHOLDER_USER = {"role": "user", "content": "?"}


def prefix_prompt(system: Message) -> list[Message]:
    """The prompt whose saved state is `system`'s: the system message and a stand-in user turn."""
    return [system, PLACEHOLDER_USER]


def by_use(questions: list[Question], answers: Iterable[str]) -> list[Question]:
    """`questions` with those the `answers` cite most first (in knowledge-base order among equals): the
    deployment's own questions are the best guess of what is retrieved next, and a fresh install, with no
    answers yet, keeps the knowledge base's order."""
    cited = Counter(qid for answer in answers for qid in citation_ids(answer))
    return sorted(questions, key=lambda q: -cited[q.id])  # stable: ties keep their order


def chat_prefixes(questions: list[Question]) -> Iterator[list[Message]]:
    for q in questions:
        if q.has_answer:
            yield prefix_prompt(system_message([q]))


@dataclass
class WarmReport:
    built: int = 0
    present: int = 0  # saved by an earlier run: skipped
    failed: int = 0
    budget_reached: bool = False
    seconds: float = 0.0


def warm_all(model: ChatModel, prompts: Sequence[list[Message]],
             progress: Callable[[WarmReport], None] | None = None) -> WarmReport:
    """Builds every prompt's saved state now, one after the other; skips those saved already and stops when
    the store holds BUDGET_SHARE of its disk budget (as the background warmer does)."""
    report = WarmReport()
    t0 = time.monotonic()
    for messages in prompts:
        if model.prompt_state_fill() >= BUDGET_SHARE:
            report.budget_reached = True
            break
        if model.has_prompt_state(messages):
            report.present += 1
        elif model.warm(messages):
            report.built += 1
        else:
            report.failed += 1
        report.seconds = time.monotonic() - t0
        if progress is not None:
            progress(report)
    report.seconds = time.monotonic() - t0
    return report


class PrefixWarmer(threading.Thread):
    """Warms `sources` one after the other (each an iterable of prompts, read lazily), and before them whatever
    `want` asks for: the prompt a user is about to need (the judge's, while an interview answer is typed).
    The thread ends when both are done; `want` then answers False and the caller starts another."""

    def __init__(self, model: ChatModel, sources: Sequence[Iterable[list[Message]]], *,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        super().__init__(name="prefix-warmer", daemon=True)
        self.model = model
        self.sources = sources
        self.idle_seconds = idle_seconds
        self.stopped = threading.Event()
        self.built = 0  # states there after the warmer's turn: built now, or found saved
        self.total: int | None = None  # prompts in the sources, once read
        self.position = 0  # of the sources' prompts, how many are done
        self.done = False  # every source read to its end (or the budget reached)
        self._wanted: deque[list[Message]] = deque()
        self._lock = threading.Lock()
        self._finished = False

    def stop(self) -> None:
        self.stopped.set()

    def want(self, prompts: Iterable[list[Message]]) -> bool:
        """Builds `prompts` next, ahead of the sources and even past the budget share (they are about to be
        used; the store evicts its least recently used states). False when this warmer has ended."""
        with self._lock:
            if self._finished:
                return False
            self._wanted.extend(prompts)
            return True

    def _next_wanted(self) -> list[Message] | None:
        with self._lock:
            if self._wanted:
                return self._wanted.popleft()
            if self.done:
                self._finished = True  # under the lock: a `want` from now on starts another warmer
            return None

    def status(self) -> str:
        """How far the warmer is, for a status line."""
        if self._finished or self.done:
            return "saved prompt states ready"
        if self.total is None:
            return "listing the prompts to warm"
        return f"warming saved prompt states while idle: {self.position} of {self.total}"

    def _budget_left(self) -> bool:
        return self.model.prompt_state_fill() < BUDGET_SHARE

    def _build(self, messages: list[Message]) -> bool | None:
        """Waits until the model is idle, then builds; True built, False failed (the warmer stops), None when
        stopped first."""
        while not self.stopped.is_set():
            if self.model.idle_seconds() >= self.idle_seconds:
                try:
                    if self.model.warm(messages):
                        self.built += 1
                        return True
                except Exception:
                    log.exception("warming a prompt state failed; stopping the warmer")
                    return False
            self.stopped.wait(1.0)
        return None

    def run(self) -> None:
        if not self.model.supports_prompt_states:
            with self._lock:
                self._finished = True
            return
        t0 = time.monotonic()
        # read at once, so the status line can say how far the warmer is
        listed = list(itertools.chain.from_iterable(self.sources))
        self.total = len(listed)
        queue = iter(listed)
        while not self.stopped.is_set():
            messages = self._next_wanted()
            if messages is None:
                if self._finished:
                    break
                messages = next(queue, None) if self._budget_left() else None
                self.position += messages is not None
                if messages is None:
                    if not self._budget_left():
                        log.info("prompt-state budget reached after %d states", self.built)
                    self.done = True
                    continue  # once more for what was wanted meanwhile, then end
            if self._build(messages) is False:
                break
        with self._lock:
            self._finished = True
        log.info("warmed %d prompt states in %.0f s", self.built, time.monotonic() - t0)
