"""Words the embedding grade reads: an answer's clauses, the names a key point goes by, shared keywords."""
from __future__ import annotations

import re

from indexer.text import CJK, strip_code

# Not calibration: rules of shape, not fitted. A label longer than LABEL_CHARS is a sentence, not a name; an
# answer is read up to MAX_CLAUSES clauses; a clause is at least CLAUSE_CHARS characters and, in English, two words.
LABEL_CHARS = 30
MAX_CLAUSES = 40
CLAUSE_CHARS = 4

_PARENTHESIS = re.compile(r"[（(]([^（()）]+)[)）]")
_CLAUSE_SPLIT = re.compile(
    r"(?<=[。！？!?；;：:])|(?<=[.])\s+|\n|[，,](?=\s*[\u4e00-\u9fffA-Za-z])"
    # English writers use fewer commas: also split before purpose/relative clauses
    r"|\s+(?:which|so that|so as to|in order to|to(?=\s+(?:minimi[sz]e|maximi[sz]e|reduce|improve|increase|prevent"
    r"|avoid|speed|make|compute|calculate|update|adjust|learn|generate|produce|save|load|handle|solve|capture"
    r"|predict|measure|train|extract|classify|detect|map|represent)\b))\s+", re.I)


def answer_clauses(text: str) -> list[str]:
    """The answer's statements: sentences split further at commas, code blocks dropped. A lone word is none
    ("pass" covered Q72's `nn.MultiheadAttention` point by embedding noise and scored 3.4)."""
    prose = strip_code(text)
    clauses = [c.strip(" ，,。.") for c in _CLAUSE_SPLIT.split(prose) if c]
    clauses = [c for c in clauses if len(c) >= CLAUSE_CHARS and (CJK.search(c) or len(c.split()) >= 2)]
    return clauses[:MAX_CLAUSES]


def names_of(point: str) -> list[str]:
    """Other ways to name a key point: its label ("Huber Loss：用于回归问题…" -> "Huber Loss") and the names a
    parenthesis glosses ("均方误差（Mean Squared Error，MSE）" -> "均方误差", "Mean Squared Error", "MSE")."""
    alternatives = [point]
    label = re.split(r"[：:]", point, maxsplit=1)[0]
    if label != point and len(label) <= LABEL_CHARS:
        alternatives.append(label)
    for base in list(alternatives):
        inner = [m.group(1) for m in _PARENTHESIS.finditer(base)]
        if inner:
            alternatives.append(_PARENTHESIS.sub(" ", base))
            alternatives.extend(part for text in inner for part in re.split(r"[，,、/]", text) if part.strip())
    return list(dict.fromkeys(alternatives))[1:]


def keyword_share(keywords: set[str], answer_tokens: set[str], answer_text: str) -> float:
    """Share of `keywords` the answer uses: as a token, or, for Chinese ones, anywhere in its text."""
    if not keywords:
        return 0.0
    hits = sum(1 for k in keywords if k in answer_tokens or (CJK.search(k) and k in answer_text))
    return hits / len(keywords)
