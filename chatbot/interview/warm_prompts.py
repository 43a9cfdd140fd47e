"""The interview's prompts worth a saved prompt state: the judge's system message for every reference (fixed per
question), handed to the warmer (chatbot/rag/warmup.py) when answers are graded by the LLM; and `warm_sources`,
the one list of what to warm, in order, that the app's background warmer and `python -m chatbot warm` share;
and the one prompt to build first while an interview question waits for its answer."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from chatbot.interview.judge import judge_messages
from chatbot.interview.keypoints import key_points
from chatbot.llm.base import Message
from chatbot.rag.engine import Engine
from chatbot.rag.warmup import chat_prefixes, prefix_prompt
from indexer.records import Question


def grading_prefixes(questions: list[Question]) -> Iterator[list[Message]]:
    for q in questions:
        points = key_points(q.plain_answer) if q.has_answer else []
        if points:
            yield prefix_prompt(judge_messages(q, points, "?", "?")[0])


def warm_judge_while_typing(engine: Engine, question: Question) -> None:
    """The judge's saved state for the question just shown, built while the user types (people take longer
    than that to answer): from a cold cache the first graded answer otherwise waited 40 s in the browser."""
    engine.warm_soon(list(grading_prefixes([question])))


def warm_sources(questions: list[Question], *, grading: bool) -> list[Iterable[list[Message]]]:
    """What to warm, most needed first: every answered entry's prompt, then (when the LLM grades) the judge's
    prompts. Each is read lazily."""
    sources: list[Iterable[list[Message]]] = [chat_prefixes(questions)]
    return sources + ([grading_prefixes(questions)] if grading else [])
