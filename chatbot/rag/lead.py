"""What the knowledge base itself says, first: the statement of the best entry that is nearest to the question
(e5 over the entry's own prose sentences). A Chinese answer opens with it verbatim, cited, before the model has
written a word, so the reader meets the entry's own words before the model's (issue #21: "num_workers 设多少合适"
got invented GPU clock rates). English answers have none, and the model is not told about it
(chatbot/rag/draft/stages/lead.py says why)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chatbot.calibration import LEAD_WORDS_WEIGHT
from chatbot.rag.citations import CitationChecker
from indexer.index.keyword import distinctive_words, tokenize
from indexer.records import Question
from indexer.text import LIST_MARKER

# Not calibration: a size. Two sentences of the KB's prose are ~60-120 Chinese characters; more would crowd out
# the model's explanation within its ~250-character budget (chatbot/rag/prompts.py SYSTEM).
LEAD_CHARS = 160
MAX_SENTENCES = 2
MIN_CHARS = 12  # "如下：", "例如：" say nothing on their own


@dataclass(frozen=True)
class Lead:
    qid: str
    sentences: tuple[str, ...]  # the entry's own words, in the entry's order

    @property
    def text(self) -> str:
        return "".join(self.sentences)


def _statement(sentence: str) -> bool:
    """A sentence that states something: not a question (the title), not a line announcing a list or code, not
    a piece of a sentence that a full stop inside brackets split ("…自行分片，否则数据会重复）。" was one)."""
    s = sentence.strip()
    return (len(s) >= MIN_CHARS and not s.endswith(("：", ":", "？", "?")) and not s.startswith(("#", "|", "```"))
            and _balanced(s))


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += (ch in _OPEN) - (ch in _CLOSE)
        if depth < 0:
            return False
    return depth == 0


_OPEN, _CLOSE = "（(「“", "）)」”"


def choose_lead(question: str, entry: Question, checker: CitationChecker,
                words_weight: float = LEAD_WORDS_WEIGHT.value) -> Lead | None:
    """The entry's one or two statements nearest to `question` (e5 cosine, plus `words_weight` times the share
    of the question's own words the sentence uses), in the entry's order; None when the entry has no written
    answer or no sentence that states something."""
    if not entry.has_answer:
        return None
    prose, vectors = checker.prose_of(entry.id)
    candidates = [i for i, s in enumerate(prose) if _statement(s) and s.strip() != entry.title.strip()]
    if not candidates or not len(vectors):
        return None
    query = checker.index.embedder.encode_queries([question])[0]
    words = distinctive_words(question)

    def score(i: int) -> float:
        shared = len(words & set(tokenize(prose[i]))) / max(1, len(words))
        return float(np.dot(vectors[i], query)) + words_weight * shared

    ranked = sorted(candidates, key=lambda i: -score(i))
    chosen: list[int] = []
    size = 0
    for i in ranked[:MAX_SENTENCES]:
        if chosen and size + len(prose[i]) > LEAD_CHARS:
            break
        chosen.append(i)
        size += len(prose[i])
    return Lead(entry.id, tuple(_as_statement(prose[i]) for i in sorted(chosen)))


def _as_statement(sentence: str) -> str:
    """The sentence as a statement of its own: without the list marker it had in the entry, and ending as a
    sentence ends (the entry's "；" joined it to the next item of a list)."""
    s = LIST_MARKER.sub("", sentence.strip())
    return s[:-1] + "。" if s.endswith(("；", ";")) else s
