"""Citations are attached and checked by code, never trusted from the model's text.

The model's own bracketed markers are stripped; each prose sentence is then checked against the sentences
of every retrieved question and cited with the question that supports it best: one passage sentence must
hold (nearly) all its words, or, for an English sentence on a Chinese passage, be (nearly) its translation;
and every API the sentence names must occur in the passage. A marker the model wrote survives only if its
id was retrieved and really supports the sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from indexer.index.keyword import tokenize
from indexer.text import CJK, CODE_IDENTIFIER, FENCED_BLOCK, sentences, strip_code

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

# Topical closeness is not support. Over 110 labelled sentence-passage pairs from real 0.5B answers
# (eval/citation_pairs.jsonl) the embedding test alone accepted 71% supported pairs: copied sentences with
# the subject swapped ("Variable: ... a reusable network layer", which the passage says of Module) and English
# sentences adding claims to a Chinese passage. So a sentence is supported only by ONE place in the passage:
# - same script (Chinese answer, Chinese passage): two neighbouring passage sentences hold at least
#   LOCAL_SUPPORT of its words (0.95: precision 0.97 at recall 0.76 on the Chinese pairs, the same as one
#   sentence, which missed answers that join two; 0.85 let the subject swaps through);
# - an English sentence on a Chinese passage: it is nearly a translation of that sentence, e5 cosine at least
#   CROSS_LANGUAGE_COSINE (accepted 5 of 18 supported English pairs and none of the 21 unsupported ones; the
#   best unsupported one scored 0.908).
LOCAL_SUPPORT = 0.95
CROSS_LANGUAGE_COSINE = 0.915
CROSS_LANGUAGE_PASSAGES = 2  # English sentences are checked against the passages the model was given
LEXICAL_MIN_TOKENS = 3


_WORD = re.compile(r"[a-z_][a-z0-9_]*")


def unsupported_terms(sentence: str, passage_words: set[str]) -> list[str]:
    """Identifiers of `sentence` whose last name part never occurs in the passage (e.g. a sentence about
    `torch.no_grad()` cited to a passage that only discusses `model.eval()`)."""
    missing = []
    for ident in CODE_IDENTIFIER.findall(sentence):
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


def passage_sentences(text: str) -> list[str]:
    """A passage's sentences and code lines, the units a sentence of an answer must be supported by."""
    return [u for u in sentences(text) if len(u) >= 4]


def local_support(sentence: str, units: list[set[str]]) -> float:
    """The largest share of the sentence's words that one place (`units`: token sets) in the passage holds."""
    tokens = set(tokenize(sentence))
    if not tokens or not units:
        return 0.0
    return max(len(tokens & u) for u in units) / len(tokens)


class CitationChecker:
    def __init__(self, index):
        self.index = index
        # Chunks are stored question by question, so each question's rows are one contiguous run.
        qids = index.chunk_qids
        self._starts = np.array([i for i in range(len(qids)) if i == 0 or qids[i] != qids[i - 1]], dtype=np.int64)
        self._column = {qids[start]: n for n, start in enumerate(self._starts)}
        self._words: dict[str, set[str]] = {}
        self._tokens: dict[str, list[set[str]]] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def support(self, sentences: list[str], qids: list[str], *, seen: list[str] | None = None) -> np.ndarray:
        """(len(sentences), len(qids)) support scores; >= 0 means the passage supports the sentence. English
        sentences are only checked against `seen` (default: the first CROSS_LANGUAGE_PASSAGES of `qids`)."""
        score = np.full((len(sentences), len(qids)), -1.0, dtype=np.float32)
        if not sentences or not qids:
            return score
        seen = qids[:CROSS_LANGUAGE_PASSAGES] if seen is None else seen
        long_enough = [len(set(tokenize(s))) >= LEXICAL_MIN_TOKENS for s in sentences]
        english = [i for i, s in enumerate(sentences) if not CJK.search(s)]
        vectors = None
        if english and any(q in seen for q in qids):
            vectors = self.index.embedder.encode_queries([sentences[i] for i in english])
        for j, qid in enumerate(qids):
            words = self._passage_words(qid)
            # too short to check, or it names an API the passage never mentions: never supported
            checkable = [ok and not unsupported_terms(s, words) for ok, s in zip(long_enough, sentences)]
            for i, sentence in enumerate(sentences):
                if checkable[i] and CJK.search(sentence):
                    score[i, j] = local_support(sentence, self._tokens_of(qid)) - LOCAL_SUPPORT
            if vectors is not None and qid in seen and len(passage := self._vectors_of(qid)):
                cosines = (vectors @ passage.T).max(axis=1)
                for row, i in enumerate(english):
                    if checkable[i]:
                        score[i, j] = float(cosines[row]) - CROSS_LANGUAGE_COSINE
        return score

    def _tokens_of(self, qid: str) -> list[set[str]]:
        """The passage's pairs of neighbouring sentences (an answer often joins two into one) as token sets."""
        tokens = self._tokens.get(qid)
        if tokens is None:
            q = self.index.questions[qid]
            singles = [set(tokenize(u)) for u in passage_sentences(f"{q.title}\n{q.plain_answer}")]
            tokens = self._tokens[qid] = [a | b for a, b in zip(singles, singles[1:])] or singles
        return tokens

    def _vectors_of(self, qid: str) -> np.ndarray:
        """The passage's prose sentences as e5 vectors: embedded on first use by an English sentence, then kept."""
        vectors = self._vectors.get(qid)
        if vectors is None:
            q = self.index.questions[qid]
            prose = [u for u in passage_sentences(strip_code(f"{q.title}\n{q.plain_answer}")) if len(u) >= 6]
            vectors = self.index.embedder.encode_queries(prose) if prose else np.zeros((0, 1), dtype=np.float32)
            self._vectors[qid] = vectors
        return vectors

    def _passage_words(self, qid: str) -> set[str]:
        words = self._words.get(qid)
        if words is None:
            q = self.index.questions[qid]
            # the passage's own words only: the English aliases beside the KB help retrieval, but a passage
            # that never names StepLR does not support a sentence about StepLR
            words = self._words[qid] = set(_WORD.findall(f"{q.title}\n{q.plain_answer}".lower()))
        return words

    def cite(self, text: str, retrieved: list[str], *, seen: list[str] | None = None,
             min_chars: int = 8) -> CitedAnswer:
        clean, proposed = strip_markers(text)
        segments = split_segments(clean)
        prose_idx = [i for i, (kind, s) in enumerate(segments) if kind == "sentence" and len(s.strip()) >= min_chars]
        code_idx = [i for i, (kind, _) in enumerate(segments) if kind == "code"]
        scores = self.support([segments[i][1].strip() for i in prose_idx], retrieved, seen=seen)
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
