"""Answers with nothing to grade: empty, punctuation only, or "不知道" / "I don't know" / "pass". They score 0,
graded by "none", and no model is asked: the judge had called "不知道" a false statement and quoted it as one."""
from __future__ import annotations

import re

_DECLINED = re.compile(
    r"(?:我|i\s*)?(?:(?:do\s*not|don'?t)\s*know|(?:have\s*)?no\s*idea|(?:am\s*|'m\s*)?not\s*sure|dunno"
    r"|不知道|不会|不清楚|不太清楚|不懂|没学过|忘了|不记得)|pass|skip|next|跳过|下一题", re.I)
_TRIM = re.compile(r"^[\W_]+|(?:[\W_]*(?:sorry|抱歉|对不起))?[\W_]*$", re.I)
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
# Not calibration: the longest way of only declining the expressions above allow ("No idea, sorry." is 15); a
# longer answer says something besides ("不知道怎么说，梯度累积就是…" is graded).
DECLINE_CHARS = 40


def declines(answer: str) -> bool:
    """Whether the answer only says the candidate cannot answer ("不知道", "No idea, sorry.", "pass")."""
    return len(answer) <= DECLINE_CHARS and bool(_DECLINED.fullmatch(_TRIM.sub("", answer)))


def has_no_words(answer: str) -> bool:
    """Whether the answer has no Chinese character, letter or digit ("", "？？")."""
    return not _WORD.search(answer)
