"""What the knowledge base itself says, first: the statements of the passages the model is given that are
nearest to the question (e5 over the entries' own prose sentences, ranked across the passages). A Chinese answer
opens with them verbatim, cited, before the model has written a word, so the reader meets the entries' own words
before the model's (issue #21: "num_workers 设多少合适" got invented GPU clock rates); an English answer opens
with them translated (chatbot/rag/translation.py). The model is not told about the lead
(chatbot/rag/draft/stages/lead.py says why)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chatbot.calibration import LEAD_WORDS_WEIGHT
from chatbot.rag.citations import CitationChecker
from indexer.index.keyword import distinctive_words, tokenize
from indexer.records import Question
from indexer.text import LIST_MARKER

# Not calibration: a size. The answers' key facts are mostly in the passages the model is given (41 of the 57
# the near-KB answers missed), and the model leaves them out; the more of the passages' nearest statements the
# answer opens with, the more of them it states. Facts stated by the answer or its lead, on saved answers of
# eval/facts_questions.jsonl (chosen on) and eval/nearkb_questions.jsonl (reported only) from 36b514c, when a
# Chinese answer opened with two sentences and an English one with none
# (`python -m chatbot.eval.lead_choice --reports FACTS.json NEARKB.json`):
#   2 sentences, 160 characters, best passage:    0.908 -> 0.914 / 0.695 -> 0.722
#   4 sentences, 360 characters, best passage:    0.908 -> 0.937 / 0.695 -> 0.765
#   4 sentences, 360 characters, both passages:   0.908 -> 0.925 / 0.695 -> 0.791
#   6 sentences, 600 characters, both passages:   0.908 -> 0.943 / 0.695 -> 0.802
# Four from the best passage (LEAD_PASSAGES, chatbot/rag/answerer.py): it states more on the facts set; six are
# a wall of quoted text above the explanation; read on 16 near-KB questions, 3 of the 11 second passages were
# beside the question (T5 on model.forward for "zero_grad 为什么每次都要调用"); and an English lead costs ~3 s a
# sentence to translate the first time.
LEAD_CHARS = 360
MAX_SENTENCES = 4
MIN_CHARS = 12  # "如下：", "例如：" say nothing on their own


@dataclass(frozen=True)
class LeadSentence:
    qid: str  # the entry it is from
    text: str  # the entry's own words, or their translation


@dataclass(frozen=True)
class Lead:
    sentences: tuple[LeadSentence, ...]  # by passage, each in its entry's order

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)

    @property
    def qids(self) -> list[str]:
        return list(dict.fromkeys(s.qid for s in self.sentences))


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


def choose_lead(question: str, entries: Sequence[Question], checker: CitationChecker,
                words_weight: float = LEAD_WORDS_WEIGHT.value, *, max_sentences: int = MAX_SENTENCES,
                max_chars: int = LEAD_CHARS) -> Lead | None:
    """The statements of `entries` nearest to `question` (e5 cosine, plus `words_weight` times the share of the
    question's own words the sentence uses), up to `max_sentences` and `max_chars`, grouped by entry in the order
    given and each in its entry's order; None when no entry has a written answer with a sentence that states
    something."""
    words = distinctive_words(question)
    query = None
    scored: list[tuple[float, int, int, str]] = []  # (score, entry, sentence, text)
    for e, entry in enumerate(entries):
        if not entry.has_answer:
            continue
        prose, vectors = checker.prose_of(entry.id)
        candidates = [i for i, s in enumerate(prose) if _statement(s) and s.strip() != entry.title.strip()]
        if not candidates or not len(vectors):
            continue
        if query is None:
            query = checker.index.embedder.encode_queries([question])[0]
        for i in candidates:
            shared = len(words & set(tokenize(prose[i]))) / max(1, len(words))
            scored.append((float(np.dot(vectors[i], query)) + words_weight * shared, e, i, prose[i]))
    chosen: list[tuple[float, int, int, str]] = []
    size = 0
    for item in sorted(scored, key=lambda t: -t[0])[:max_sentences]:
        if chosen and size + len(item[3]) > max_chars:
            break
        chosen.append(item)
        size += len(item[3])
    if not chosen:
        return None
    return Lead(tuple(LeadSentence(entries[e].id, as_statement(text)) for _, e, _, text in sorted(
        chosen, key=lambda t: (t[1], t[2]))))


def as_statement(sentence: str) -> str:
    """The sentence as a statement of its own: without the list marker it had in the entry, and ending as a
    sentence ends (the entry's "；" joined it to the next item of a list)."""
    s = LIST_MARKER.sub("", sentence.strip())
    return s[:-1] + "。" if s.endswith(("；", ";")) else s
