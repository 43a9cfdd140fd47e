"""Which language a question is in (the knowledge base is Chinese; answers follow the question)."""
from __future__ import annotations

import re

from chatbot.rag.draft.markers import CITATION
from indexer.text import CJK, strip_code

_LATIN = re.compile(r"[A-Za-z]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.]*")


def detect_language(text: str) -> str:
    """"zh" or "en": Chinese when it has at least as many Chinese characters as Latin words. Words, not
    letters: "PyTorch Lightning 是什么？" has 16 Latin letters but two names, and counting letters made it
    English, so the model's (right) Chinese answer was rejected as the wrong language, twice."""
    cjk = len(CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "zh" if cjk >= 2 and cjk >= words or (cjk and not words) else "en"


def answer_language_ok(answer: str, language: str) -> bool:
    """True when the prose (code blocks removed) is mostly in `language`."""
    prose = strip_code(answer)
    prose = CITATION.sub(" ", re.sub(r"`[^`]*`", " ", prose))
    if not prose.strip():
        return True
    cjk = len(CJK.findall(prose))
    latin = len(_LATIN.findall(prose))
    return cjk * 3 >= latin if language == "zh" else cjk * 3 < latin
