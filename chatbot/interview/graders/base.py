"""The interface every grader implements, and what every grade goes through whichever grader made it."""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import replace

from chatbot.interview.feedback import compose_feedback, no_answer_feedback
from chatbot.interview.grade import Grade
from chatbot.interview.invented_apis import invented_apis
from chatbot.interview.keypoints import key_points
from chatbot.interview.no_answer import declines, has_no_words
from chatbot.rag.language import detect_language
from indexer.records import Question
from indexer.text import sentences, strip_code

QUOTE_CHARS = 200  # not calibration: how much of a false statement the feedback quotes


class Grader(ABC):
    """Grades an answer 0–10 against a question's reference answer."""

    def grade(self, question: Question, answer: str | None) -> Grade:
        """The grade of `answer`, with its feedback. An answer with nothing to grade ("", "不知道", "pass") scores 0,
        graded by "none", and `assess` is not asked; PyTorch names the answer uses that do not exist make it
        false, with or without the LLM (checked exactly, chatbot/interview/invented_apis.py)."""
        started = time.perf_counter()
        text = (answer or "").strip()
        declined = declines(text)
        if declined or has_no_words(text):
            points = key_points(question.plain_answer)
            return Grade(0.0, points, [], list(points), "none", seconds=time.perf_counter() - started,
                         feedback=no_answer_feedback(detect_language(text) if declined else None))
        language = detect_language(text)
        grade = _resting_on_invented_apis(self.assess(question, text, language), text)
        return replace(grade, feedback=compose_feedback(grade, question, language),
                       seconds=time.perf_counter() - started)

    @abstractmethod
    def assess(self, question: Question, answer: str, language: str) -> Grade:
        """The grade of an answer that says something, in `language` ("zh" or "en"), without its feedback."""


def scale(value: float, low: float, high: float) -> float:
    """`value` mapped to 0–1 between `low` and `high` (calibrated ends), clipped."""
    return float(min(1.0, max(0.0, (value - low) / (high - low))))


def _resting_on_invented_apis(grade: Grade, answer: str) -> Grade:
    """An answer that uses PyTorch names that do not exist states something false: "call torch.build(config),
    then model.fit()" scored like a partial answer, as the judge read it as fluent and on topic. The sentence
    with the first such name is quoted."""
    invented = invented_apis(answer)
    if not invented:
        return grade
    name = invented[0].removesuffix("()")
    quote = next((s for s in sentences(strip_code(answer)) if name in s), grade.wrong)
    return replace(grade.stating_false(quote[:QUOTE_CHARS]), invented=invented)
