"""BM25 keyword index that handles Chinese and English text and code identifiers.

Chinese runs are segmented with jieba (search mode) and also indexed as character bigrams,
so a one-character typo still shares most bigrams with the right word. Identifiers such as
`load_state_dict` or `DataLoader` are kept whole and also split into their parts.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import numpy as np

from indexer.text import CJK_RUN, FLAG_ARGUMENT

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|\d+(?:\.\d+)?")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_EN_STOP = frozenset(
    "a an and are as at be by can do does for from how i in is it its of on or the this to use used using "
    "what when which with you your me my we about vs".split()
)
_ZH_STOP = frozenset("的 了 是 在 中 和 与 或 及 有 什么 如何 怎么 怎样 一下 请 吗 呢 它 它们 哪些 一个 进行 使用 可以".split())

_jieba = None


def _segment(text: str) -> list[str]:
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba.lcut_for_search(text)


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        lower = word.lower()
        parts = [p for seg in re.split(r"[._]", word) for p in _CAMEL.findall(seg)]
        if len(parts) > 1 or "." in word or "_" in word:
            tokens.append(lower)  # the whole identifier: `zero_grad`, `nn.module`
            if "." in word:  # `model.load_state_dict` also matches `load_state_dict`
                tokens.extend(seg for seg in lower.split(".")[1:] if "_" in seg or len(seg) > 3)
        tokens.extend(_stem(p.lower()) for p in parts if p.lower() not in _EN_STOP)
    tokens.extend(f"{m.group(1).lower()}={m.group(2).lower()}" for m in FLAG_ARGUMENT.finditer(text))  # `strict=false`
    for m in CJK_RUN.finditer(text):
        run = m.group(0)
        tokens.extend(w for w in _segment(run) if w not in _ZH_STOP)
        tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
    return tokens


# words too common in PyTorch questions and answers to say what one is about ("模型", "implement", "simple")
GENERIC_WORDS = frozenset(
    "pytorch torch py 模型 使用 可以 通过 一种 进行 用于 我们 这个 这种 需要 能够 以及 其中 包括 一些 不同 非常 "
    "可能 实现 方法 从而 问题 过程 时候 之间 作用 应用 什么 如何 怎么 以便 更加 更好 例如 比如 如下 一样 "
    "就是 也就是 主要 通常 一般 一个 简单 现在 "
    "model python code implement application what difference differ advantage disadvantage common type "
    "used does its their simple make".split()
)


def distinctive_words(text: str) -> set[str]:
    """What `text` is about: its tokenize() tokens minus stray CJK bigrams (those jieba does not see as
    words), single characters and GENERIC_WORDS."""
    tokens = set(tokenize(text))
    runs = CJK_RUN.findall(text)
    if runs:
        words = {w for run in runs for w in _segment(run)}
        bigrams = {run[i:i + 2] for run in runs for i in range(len(run) - 1)}
        tokens -= bigrams - words
    return {t for t in tokens if len(t) > 1 and t not in GENERIC_WORDS}


SPELL_MIN_LETTERS = 5
_ALPHA_WORD = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z]+(?![A-Za-z0-9_.(])")  # plain words, not identifiers


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_edit(word: str, table: dict[str, set[str]]) -> set[str]:
    """The indexed words one edit from `word`, looked up by shared deletions (symmetric delete): a word with a
    letter added or dropped, changed, or two neighbours swapped (a few of two edits also match; they are
    checked)."""
    found = set(table.get(word, ()))
    for variant in _deletions(word):
        found |= table.get(variant, set())
    return {w for w in found if _within_one_edit(word, w)}


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


class BM25Index:
    """BM25 over pre-tokenised documents; per-posting weights are precomputed so a query is a few adds."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.n_docs = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if len(docs) else 1.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_id, doc in enumerate(docs):
            for term, count in Counter(doc).items():
                postings[term].append((doc_id, count))
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._deletions: dict[str, set[str]] | None = None
        for term, plist in postings.items():
            rows = np.fromiter((p[0] for p in plist), dtype=np.int64, count=len(plist))
            tf = np.fromiter((p[1] for p in plist), dtype=np.float32, count=len(plist))
            idf = math.log(1 + (self.n_docs - len(plist) + 0.5) / (len(plist) + 0.5))
            norm = k1 * (1 - b + b * lengths[rows] / max(avg, 1e-6))
            self._postings[term] = (rows, (idf * tf * (k1 + 1) / (tf + norm)).astype(np.float32))

    def __contains__(self, term: object) -> bool:
        """Whether some document has the token `term` (see tokenize())."""
        return term in self._postings

    def respelled(self, query: str) -> str:
        """`query` with each English word the index has never seen ("transfomer", "distrubuted") replaced by the
        indexed word one edit away (a letter added, dropped, changed or two swapped), the most common one when
        several are; the query itself when nothing changes. Words under SPELL_MIN_LETTERS letters are left
        alone: one edit turns too many short words into others."""
        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            lower = word.lower()
            if (len(lower) < SPELL_MIN_LETTERS or word[1:] != lower[1:]  # CamelCase, ACRONYM: names, not words
                    or lower in _EN_STOP or _stem(lower) in self._postings or lower in self._postings):
                return word
            near = [w for w in _one_edit(lower, self._spelling()) if w != lower]
            return max(near, key=lambda w: (len(self._postings[w][0]), w)) if near else word

        return _ALPHA_WORD.sub(fix, query)

    def _spelling(self) -> dict[str, set[str]]:
        """Every English word of the index under each of its one-letter deletions (and itself), built once."""
        if self._deletions is None:
            table: dict[str, set[str]] = defaultdict(set)
            for term in self._postings:
                if term.isascii() and term.isalpha() and len(term) >= SPELL_MIN_LETTERS - 1:
                    for variant in _deletions(term) | {term}:
                        table[variant].add(term)
            self._deletions = table
        return self._deletions

    @classmethod
    def from_texts(cls, texts: list[str]) -> BM25Index:
        return cls([tokenize(t) for t in texts])

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float32)
        for term in set(tokenize(query)):
            posting = self._postings.get(term)
            if posting is not None:
                out[posting[0]] += posting[1]
        return out
