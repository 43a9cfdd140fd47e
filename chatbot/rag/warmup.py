"""Builds saved prompt states in the background while the model is idle, so the first question on a topic is
as quick as a repeated one. What to warm comes from the caller, in order: the answers' prompts
(`chat_prefixes`: the [rules + passage] system message of every answered question, one passage being the common
case, see rag/extractive.answered_passages; `pair_prefixes`: the two-passage prompts retrieval produces for the
entries' own titles), then whatever the layers above add (the interview's grading prompts:
chatbot/interview/warm_prompts.py); app.py wires them together. `warm_all` builds the same list at once and
exits (`python -m chatbot warm`, for an image build).

It never delays a user: it waits until the model has been idle for IDLE_SECONDS, gives up on a state at once
when a request arrives (the model checks between chunks), and stops when the state budget is nearly full,
so the least recently used states are not evicted to make room for unused ones."""
from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from chatbot.llm.base import ChatModel, Message
from chatbot.rag.prompts import system_message
from indexer.records import Question

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0
BUDGET_SHARE = 0.8  # stop warming once the store holds this share of its disk budget
PLACEHOLDER_USER = {"role": "user", "content": "?"}


def prefix_prompt(system: Message) -> list[Message]:
    """The prompt whose saved state is `system`'s: the system message and a stand-in user turn."""
    return [system, PLACEHOLDER_USER]


def chat_prefixes(questions: list[Question]) -> Iterator[list[Message]]:
    for q in questions:
        if q.has_answer:
            yield prefix_prompt(system_message([q]))


def pair_prefixes(questions: list[Question],
                  passages_for: Callable[[str], list[Question]]) -> Iterator[list[Message]]:
    """The prompts with two passages that asking each entry's own title produces (`passages_for`: the passages
    the answerer's prompt would carry for a question), each once. A question whose answer draws on two
    passages paid ~20 s for its first token the first time its pair was met (issue #24)."""
    seen: set[tuple[str, ...]] = set()
    for q in questions:
        if not q.has_answer:
            continue
        passages = passages_for(q.title)
        key = tuple(p.id for p in passages)
        if len(passages) >= 2 and key not in seen:
            seen.add(key)
            yield prefix_prompt(system_message(passages))


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
    """Warms `sources` one after the other (each an iterable of prompts, read lazily)."""

    def __init__(self, model: ChatModel, sources: Sequence[Iterable[list[Message]]], *,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        super().__init__(name="prefix-warmer", daemon=True)
        self.model = model
        self.sources = sources
        self.idle_seconds = idle_seconds
        self.stopped = threading.Event()
        self.built = 0

    def stop(self) -> None:
        self.stopped.set()

    def _budget_left(self) -> bool:
        return self.model.prompt_state_fill() < BUDGET_SHARE

    def run(self) -> None:
        if not self.model.supports_prompt_states:
            return
        t0 = time.monotonic()
        for messages in itertools.chain.from_iterable(self.sources):
            while not self.stopped.is_set():
                if not self._budget_left():
                    log.info("prompt-state budget reached after %d states", self.built)
                    return
                if self.model.idle_seconds() >= self.idle_seconds:
                    try:
                        if self.model.warm(messages):
                            self.built += 1
                            break
                    except Exception:
                        log.exception("warming a prompt state failed; stopping the warmer")
                        return
                self.stopped.wait(1.0)
            if self.stopped.is_set():
                return
        log.info("warmed %d prompt states in %.0f s", self.built, time.monotonic() - t0)
