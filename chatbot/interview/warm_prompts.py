"""The interview's prompts worth a saved prompt state: the judge's system message for every reference (fixed per
question), handed to the warmer (chatbot/rag/warmup.py) by app.py when answers are graded by the LLM."""
from __future__ import annotations

from collections.abc import Iterator

from chatbot.interview.judge import judge_messages
from chatbot.interview.keypoints import key_points
from chatbot.llm.base import Message
from chatbot.rag.warmup import prefix_prompt
from indexer.records import Question


def grading_prefixes(questions: list[Question]) -> Iterator[list[Message]]:
    for q in questions:
        points = key_points(q.plain_answer) if q.has_answer else []
        if points:
            yield prefix_prompt(judge_messages(q, points, "?", "?")[0])
