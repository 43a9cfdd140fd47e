"""Resolves follow-up questions ("and its drawbacks?", "给个代码例子") against the conversation."""
from __future__ import annotations

import re
from dataclasses import dataclass

_FOLLOWUP = re.compile(
    r"^(and|also|what about|how about|then|so|but|why)\b|\b(it|its|this|that|these|those|they|them|one)\b|"
    r"\b(example|code|drawbacks?|disadvantages?|advantages?|pros|cons|more|details?|again)\b|"
    r"^(那|那么|还有|再|继续|然后|以及|和)|它|这个|那个|这些|其|呢|例子|示例|代码|缺点|优点|详细|具体|举个",
    re.I,
)
MAX_FOLLOWUP_CHARS = 40


@dataclass
class Turn:
    question: str  # what the user typed
    resolved: str  # the standalone query retrieval used
    answer: str


def is_followup(question: str) -> bool:
    q = question.strip()
    return len(q) <= MAX_FOLLOWUP_CHARS and bool(_FOLLOWUP.search(q))


def resolve_query(question: str, history: list[Turn]) -> str:
    """The query retrieval should use: a short follow-up borrows the topic of the previous turn."""
    if not history or not is_followup(question):
        return question.strip()
    return f"{history[-1].resolved[:160]} {question.strip()}"


def bounded(history: list[Turn], turns: int) -> list[Turn]:
    return history[-turns:] if turns > 0 else []
