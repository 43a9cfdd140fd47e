"""Which language a question is in (the knowledge base is Chinese; answers follow the question)."""
from __future__ import annotations

import re

from indexer.text import CJK, strip_code

_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """"zh" or "en". Code identifiers inflate the Latin count, so a few Chinese characters win."""
    cjk = len(CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if cjk >= 2 and cjk * 5 >= latin or (cjk and not latin) else "en"


def answer_language_ok(answer: str, language: str) -> bool:
    """True when the prose (code blocks removed) is mostly in `language`."""
    prose = strip_code(answer)
    prose = re.sub(r"`[^`]*`|\[[A-Z]\d+\]", " ", prose)
    if not prose.strip():
        return True
    cjk = len(CJK.findall(prose))
    latin = len(_LATIN.findall(prose))
    return cjk * 3 >= latin if language == "zh" else cjk * 3 < latin
