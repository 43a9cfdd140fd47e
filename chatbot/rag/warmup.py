"""Builds saved prompt states in the background while the model is idle, so the first question on a topic is
as quick as a repeated one: the [rules + passage] system message of every answered question (one passage:
the common case, see rag/extractive.answered_passages), then the grading prompt of every reference.

It never delays a user: it waits until the model has been idle for IDLE_SECONDS, gives up on a state at once
when a request arrives (the model checks between chunks), and stops when the state budget is nearly full,
so the least recently used states are not evicted to make room for unused ones."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from chatbot.llm.base import Message
from chatbot.rag.prompts import system_message
from indexer.records import Question

log = logging.getLogger(__name__)

IDLE_SECONDS = 5.0
BUDGET_SHARE = 0.8  # stop warming once the store holds this share of its disk budget
PLACEHOLDER_USER = {"role": "user", "content": "?"}


def chat_prefixes(questions: list[Question]) -> Iterator[list[Message]]:
    for q in questions:
        if q.has_answer:
            yield [system_message([q]), PLACEHOLDER_USER]


def grading_prefixes(questions: list[Question]) -> Iterator[list[Message]]:
    from chatbot.interview.judge import judge_messages
    from chatbot.interview.keypoints import key_points

    for q in questions:
        points = key_points(q.plain_answer) if q.has_answer else []
        if points:
            yield [judge_messages(q, points, "?", "?")[0], PLACEHOLDER_USER]


class PrefixWarmer(threading.Thread):
    def __init__(self, model, questions: list[Question], *, idle_seconds: float = IDLE_SECONDS,
                 grading: bool = True) -> None:
        super().__init__(name="prefix-warmer", daemon=True)
        self.model = model
        self.questions = questions
        self.idle_seconds = idle_seconds
        self.grading = grading  # also the judge's prompts (only when interview answers are graded by the LLM)
        self.stopped = threading.Event()
        self.built = 0

    def stop(self) -> None:
        self.stopped.set()

    def _budget_left(self) -> bool:
        store = getattr(self.model, "states", None)
        return store is not None and store.disk_bytes() < BUDGET_SHARE * store.max_disk_bytes

    def run(self) -> None:
        if getattr(self.model, "states", None) is None or not hasattr(self.model, "warm"):
            return
        t0 = time.monotonic()
        for messages in [*chat_prefixes(self.questions), *(grading_prefixes(self.questions) if self.grading else [])]:
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
