"""Neutralises instruction-like text inside knowledge-base passages and user questions.

The rules of the answer (grounding, citations, refusal) are enforced by code, so such text cannot
change them; this only keeps the model from being distracted by it.
"""
from __future__ import annotations

import re

_INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|system)\s+"
    r"(instructions?|prompts?|rules?|messages?)"
    r"|(忽略|无视|忘记|忘掉)(掉)?(之前|以上|上面|前面|所有|先前)?(的)?(所有)?(指令|指示|规则|提示|设定|要求)"
    r"|you are now|system prompt|新的指令|你现在是",
    re.I,
)
REDACTED = "[instruction-like text removed]"


def neutralise(text: str) -> str:
    """Replaces each line that tries to give the model instructions."""
    return "\n".join(REDACTED if _INJECTION.search(line) else line for line in text.split("\n"))
