"""Citations are attached and checked by code, never trusted from the model's text.

The model's own bracketed markers are stripped; each prose sentence is then scored against every
retrieved question (embedding cosine, or lexical overlap) and cited with the question that supports
it best, when that support clears a threshold. A marker the model wrote survives only if its id was
retrieved and really supports the sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from indexer.index.keyword import tokenize
from indexer.text import FENCED_BLOCK

# The markers models really write: `[Q73]`, `[Q73, E5]`, `【E5】`, `(Q73)`, `[来源: Q73]`, and bare numbers `[73]`.
# Only in prose, never inside code (`nn.Linear(10, 1)`, `x[0]`), and a bare number only where it cannot be
# an index (`a[1]`): not right after a word character or a closing bracket.
_ID_ITEM = r"(?:[A-Z]{1,3}\s?\d{1,4})"
_LEAD = r"(?:(?:来源|source|sources|参考|ref)\s*[:：]?\s*)?"
_MARKER = re.compile(
    rf"\s?[\[【]\s*{_LEAD}{_ID_ITEM}(?:\s*[,，、;]\s*(?:{_ID_ITEM}|\d{{1,3}}))*\s*[\]】]"
    rf"|\s?(?<![\w\])])[\[【]\s*{_LEAD}\d{{1,3}}(?:\s*[,，、;]\s*(?:{_ID_ITEM}|\d{{1,3}}))*\s*[\]】]"
    rf"|\s?[(（]\s*{_LEAD}{_ID_ITEM}(?:\s*[,，、;]\s*{_ID_ITEM})*\s*[)）]",  # (Q73): ids only, never (10, 1)
    re.I,
)
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")
_ID_IN_MARKER = re.compile(r"([A-Z]{1,3})\s?(\d{1,4})", re.I)

# e5 cosines are compressed (an unrelated sentence still scores ~0.85 against some passage), so a
# passage supports a sentence when it stands out from the whole knowledge base: its cosine is at least
# EMBED_GAP above the sentence's median cosine over all questions, and within EMBED_NEAR_TOP of the best.
# Calibrated on supported/unsupported sentences (supported gaps 0.059-0.134, unsupported 0.017-0.046).
EMBED_GAP = 0.055
EMBED_NEAR_TOP = 0.03
LEXICAL_THRESHOLD = 0.6
LEXICAL_MIN_TOKENS = 4


# Code identifiers and technical names in a sentence: dotted names, calls, CamelCase and snake_case words.
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z_]\w*\(\)|\b[A-Z][a-z]+[A-Z]\w*|\b[a-z]+_[a-z_]+\b")
_WORD = re.compile(r"[a-z_][a-z0-9_]*")


def unsupported_terms(sentence: str, passage_words: set[str]) -> list[str]:
    """Identifiers of `sentence` whose last name part never occurs in the passage (e.g. a sentence about
    `torch.no_grad()` cited to a passage that only discusses `model.eval()`)."""
    missing = []
    for ident in _IDENTIFIER.findall(sentence):
        last = ident.rstrip("()").split(".")[-1].lower()
        if last and last not in passage_words:
            missing.append(ident)
    return missing


@dataclass
class CitedAnswer:
    text: str
    citations: list[str]
    rejected: list[str] = field(default_factory=list)  # ids the model wrote that failed the check
    uncited_sentences: int = 0


def strip_markers(text: str) -> tuple[str, list[str]]:
    """Removes citation markers from prose (code blocks and inline code stay as written); returns the
    clean text and the ids the markers named."""
    ids: list[str] = []
    out: list[str] = []
    for block in FENCED_BLOCK.split(text):
        if block.startswith("```"):
            out.append(block)
            continue
        for part in _INLINE_CODE.split(block):
            if part.startswith("`") and part.endswith("`") and len(part) > 1:
                out.append(part)
                continue
            for m in _MARKER.finditer(part):
                ids.extend(f"{a.upper()}{int(b)}" for a, b in _ID_IN_MARKER.findall(m.group(0)))
            out.append(_MARKER.sub("", part))
    return "".join(out), ids


def split_segments(text: str) -> list[tuple[str, str]]:
    """[(kind, text)] with kind "code" for fenced blocks, "sentence" for prose pieces, "sep" for whitespace."""
    out: list[tuple[str, str]] = []
    for part in FENCED_BLOCK.split(text):
        if not part:
            continue
        if part.startswith("```"):
            out.append(("code", part))
            continue
        for piece in re.split(r"((?<=[。！？!?；;])|(?<=\.)(?=\s)|\n)", part):
            if piece is None or piece == "":
                continue
            out.append(("sentence" if piece.strip() else "sep", piece))
    return out


def lexical_support(sentence: str, passage_tokens: set[str]) -> float:
    tokens = set(tokenize(sentence))
    return len(tokens & passage_tokens) / len(tokens) if tokens else 0.0


class CitationChecker:
    def __init__(self, index):
        self.index = index
        # Chunks are stored question by question, so each question's rows are one contiguous run.
        qids = index.chunk_qids
        self._starts = np.array([i for i in range(len(qids)) if i == 0 or qids[i] != qids[i - 1]], dtype=np.int64)
        self._column = {qids[start]: n for n, start in enumerate(self._starts)}
        self._words: dict[str, set[str]] = {}

    def support(self, sentences: list[str], qids: list[str]) -> np.ndarray:
        """(len(sentences), len(qids)) support scores; >= 0 means the passage supports the sentence."""
        if not sentences or not qids:
            return np.zeros((len(sentences), len(qids)), dtype=np.float32)
        vectors = self.index.embedder.encode_queries(sentences)
        per_question = np.maximum.reduceat(vectors @ self.index.embeddings.T, self._starts, axis=1)
        median = np.median(per_question, axis=1, keepdims=True)
        best = per_question.max(axis=1, keepdims=True)
        emb = per_question[:, [self._column[q] for q in qids]]
        emb_score = np.minimum(emb - median - EMBED_GAP, emb - best + EMBED_NEAR_TOP)
        lex = np.full_like(emb, -1.0)
        for j, qid in enumerate(qids):
            q = self.index.questions[qid]
            passage_tokens = set(tokenize(f"{q.title}\n{q.answer}"))
            for i, sentence in enumerate(sentences):
                if len(set(tokenize(sentence))) >= LEXICAL_MIN_TOKENS:
                    lex[i, j] = lexical_support(sentence, passage_tokens) - LEXICAL_THRESHOLD
        score = np.maximum(emb_score, lex)
        # topical similarity is not support: every identifier the sentence names must be in the passage
        for j, qid in enumerate(qids):
            passage = self._passage_words(qid)
            for i, sentence in enumerate(sentences):
                if score[i, j] >= 0 and unsupported_terms(sentence, passage):
                    score[i, j] = -1.0
        return score

    def _passage_words(self, qid: str) -> set[str]:
        words = self._words.get(qid)
        if words is None:
            q = self.index.questions[qid]
            words = self._words[qid] = set(_WORD.findall(f"{q.title}\n{q.answer}\n{q.aliases}".lower()))
        return words

    def cite(self, text: str, retrieved: list[str], *, min_chars: int = 8) -> CitedAnswer:
        clean, proposed = strip_markers(text)
        segments = split_segments(clean)
        prose_idx = [i for i, (kind, s) in enumerate(segments) if kind == "sentence" and len(s.strip()) >= min_chars]
        code_idx = [i for i, (kind, _) in enumerate(segments) if kind == "code"]
        scores = self.support([segments[i][1].strip() for i in prose_idx], retrieved)
        attached: dict[int, str] = {}
        for row, i in enumerate(prose_idx):
            if len(retrieved) and scores[row].max() >= 0:
                attached[i] = retrieved[int(scores[row].argmax())]
        for i in code_idx:
            qid = self._code_source(segments[i][1], retrieved)
            if qid:
                attached[i] = qid
        out, uncited = [], 0
        for i, (kind, s) in enumerate(segments):
            if i in attached and not self._same_as_next(i, attached, segments):
                s = s.rstrip() + (f"\n[{attached[i]}]" if kind == "code" else f" [{attached[i]}]")
                if kind == "sentence" and segments[i][1] != segments[i][1].rstrip():
                    s += segments[i][1][len(segments[i][1].rstrip()):]
            elif kind == "sentence" and i in prose_idx and i not in attached:
                uncited += 1
            out.append(s)
        cited = list(dict.fromkeys(attached[i] for i in sorted(attached)))
        rejected = sorted({p for p in proposed if p not in cited})
        return CitedAnswer("".join(out).strip(), cited, rejected, uncited)

    @staticmethod
    def _same_as_next(i: int, attached: dict[int, str], segments) -> bool:
        """One marker per run: a sentence followed by one citing the same id stays bare (the marker
        goes on the last sentence of the run), so an answer drawn from one passage is not peppered."""
        j = i + 1
        while j < len(segments) and segments[j][0] == "sep":
            j += 1
        return j < len(segments) and segments[j][0] != "sep" and attached.get(j) == attached[i]

    def _code_source(self, code: str, retrieved: list[str]) -> str | None:
        lines = {ln.strip() for ln in code.strip("`").split("\n") if len(ln.strip()) > 6}
        best, best_share = None, 0.0
        for qid in retrieved:
            theirs = {ln.strip() for b in self.index.questions[qid].code_blocks for ln in b.code.split("\n")}
            share = len(lines & theirs) / len(lines) if lines else 0.0
            if share > best_share:
                best, best_share = qid, share
        return best if best_share >= 0.5 else None
