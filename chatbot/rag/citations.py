"""Whether a passage supports a sentence of an answer: one passage sentence must hold (nearly) all its words,
or, for an English sentence on a Chinese passage, be (nearly) its translation; and every API the sentence names
must occur in the passage. The citation stage (`chatbot/rag/draft/stages/cite.py`) cites by these scores, so a
marker the model wrote counts only when its passage really supports the sentence.
"""
from __future__ import annotations

import re

import numpy as np

from chatbot.calibration import CROSS_LANGUAGE_COSINE, LOCAL_SUPPORT
from indexer.index.keyword import distinctive_words, tokenize
from indexer.text import CJK, CODE_IDENTIFIER, sentences, strip_code

# Topical closeness is not support. Over 110 labelled sentence-passage pairs from real 0.5B answers
# (eval/citation_pairs.jsonl) the embedding test alone accepted 71% supported pairs: copied sentences with
# the subject swapped ("Variable: ... a reusable network layer", which the passage says of Module) and English
# sentences adding claims to a Chinese passage. So a sentence is supported only by ONE place in the passage:
# two neighbouring sentences of a Chinese passage hold LOCAL_SUPPORT of its words, or an English sentence is
# nearly a translation of one (CROSS_LANGUAGE_COSINE); both in chatbot/calibration.py with their data.
CROSS_LANGUAGE_PASSAGES = 2  # English sentences are checked against the passages the model was given
LEXICAL_MIN_TOKENS = 3


_WORD = re.compile(r"[a-z_][a-z0-9_]*")


def _last_name(identifier: str) -> str:
    """`torch.no_grad()` → `no_grad`: the part of an identifier a passage's words are matched on."""
    return identifier.rstrip("()").split(".")[-1].lower()


def unsupported_terms(sentence: str, passage_words: set[str]) -> list[str]:
    """Identifiers of `sentence` whose last name part never occurs in the passage (e.g. a sentence about
    `torch.no_grad()` cited to a passage that only discusses `model.eval()`)."""
    return [ident for ident in CODE_IDENTIFIER.findall(sentence)
            if (last := _last_name(ident)) and last not in passage_words]


def passage_sentences(text: str) -> list[str]:
    """A passage's sentences and code lines, the units a sentence of an answer must be supported by."""
    return [u for u in sentences(text) if len(u) >= 4]


def local_support(sentence: str, units: list[set[str]]) -> float:
    """The largest share of the sentence's words that one place (`units`: token sets) in the passage holds; a
    place counts only when it names every API the sentence names. "LayerNorm 在每个特征通道中计算均值和方差"
    took its words from Q38's sentence on BatchNorm, in a passage that names LayerNorm elsewhere: the subject
    swapped, the words held (issue #21). On the 228 labelled pairs (eval/citation_pairs.jsonl) the rule changes
    no verdict."""
    tokens = set(tokenize(sentence))
    named = {_last_name(ident) for ident in CODE_IDENTIFIER.findall(sentence)}
    places = [u for u in units if named <= u]
    if not tokens or not places:
        return 0.0
    return max(len(tokens & u) for u in places) / len(tokens)


class CitationChecker:
    def __init__(self, index):
        self.index = index
        self._generation = -1
        self._sync()

    def _sync(self) -> None:
        """Forgets what it read of the passages when documents were added, replaced or removed since (their ids
        can stay while their text changes)."""
        generation = getattr(self.index, "generation", 0)
        if generation == self._generation:
            return
        self._generation = generation
        self._words: dict[str, set[str]] = {}
        self._tokens: dict[str, list[set[str]]] = {}
        self._prose: dict[str, tuple[list[str], np.ndarray]] = {}

    def support(self, sentences: list[str], qids: list[str], *, seen: list[str] | None = None,
                asked: str = "") -> np.ndarray:
        """(len(sentences), len(qids)) support scores; >= 0 means the passage supports the sentence. English
        sentences are only checked against `seen` (default: the first CROSS_LANGUAGE_PASSAGES of `qids`).
        With the question (`asked`), a Chinese sentence that uses one of its words the passage never has is not
        supported by that passage: "梯度累积的代码需要继承 torch.autograd.Function" was cited to T2 (custom
        autograd.Function), whose words it borrowed for the question's subject (issue #21). On the 228 labelled
        sentence-passage pairs (eval/citation_pairs.jsonl) the rule changes no verdict."""
        self._sync()
        topics = {w for w in distinctive_words(asked) if CJK.search(w)} if asked else set()
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
                if checkable[i] and CJK.search(sentence) and not self._borrowed_subject(sentence, topics, qid):
                    score[i, j] = local_support(sentence, self._tokens_of(qid)) - LOCAL_SUPPORT.value
            if vectors is not None and qid in seen and len(passage := self._vectors_of(qid)):
                cosines = (vectors @ passage.T).max(axis=1)
                for row, i in enumerate(english):
                    if checkable[i]:
                        score[i, j] = float(cosines[row]) - CROSS_LANGUAGE_COSINE.value
        return score

    def _borrowed_subject(self, sentence: str, topics: set[str], qid: str) -> bool:
        """Whether the sentence speaks of one of the question's words (`topics`) that the passage never uses."""
        used = topics & set(tokenize(sentence))
        return bool(used) and not used <= set().union(*self._tokens_of(qid))

    def _tokens_of(self, qid: str) -> list[set[str]]:
        """The passage's pairs of neighbouring sentences (an answer often joins two into one) as token sets."""
        tokens = self._tokens.get(qid)
        if tokens is None:
            q = self.index.questions[qid]
            singles = [set(tokenize(u)) for u in passage_sentences(f"{q.title}\n{q.plain_answer}")]
            tokens = self._tokens[qid] = [a | b for a, b in zip(singles, singles[1:])] or singles
        return tokens

    def _vectors_of(self, qid: str) -> np.ndarray:
        return self.prose_of(qid)[1]

    def prose_of(self, qid: str) -> tuple[list[str], np.ndarray]:
        """The passage's prose sentences and their e5 vectors: embedded on first use, then kept."""
        self._sync()
        kept = self._prose.get(qid)
        if kept is None:
            q = self.index.questions[qid]
            prose = [u for u in passage_sentences(strip_code(f"{q.title}\n{q.plain_answer}")) if len(u) >= 6]
            stored = self.index.sentences  # kept beside the index: each sentence embedded once, across restarts
            encode = stored.encode if stored is not None else self.index.embedder.encode_queries
            vectors = encode(prose) if prose else np.zeros((0, 1), dtype=np.float32)
            kept = self._prose[qid] = (prose, vectors)
        return kept

    def nearest(self, sentences: list[str], qids: list[str], k: int = 1) -> list[str]:
        """For each sentence, the `k` sentences of the passages `qids` that e5 puts nearest to it (its evidence),
        in the passages' order."""
        pool = [self.prose_of(q) for q in qids]
        prose = [s for texts, _ in pool for s in texts]
        if not sentences or not prose:
            return ["" for _ in sentences]
        vectors = np.vstack([v for _, v in pool if len(v)])
        near = self.index.embedder.encode_queries(sentences) @ vectors.T
        return [" ".join(prose[i] for i in sorted(np.argsort(-row, kind="stable")[:k])) for row in near]

    def _passage_words(self, qid: str) -> set[str]:
        words = self._words.get(qid)
        if words is None:
            q = self.index.questions[qid]
            # the passage's own words only: the English aliases beside the KB help retrieval, but a passage
            # that never names StepLR does not support a sentence about StepLR
            words = self._words[qid] = set(_WORD.findall(f"{q.title}\n{q.plain_answer}".lower()))
        return words

    def code_source(self, code: str, retrieved: list[str]) -> str | None:
        """The retrieved entry whose code holds at least half of `code`'s lines, and two of them at least (the
        model repeating it): one shared line is not a copy ("loss.backward()" is in a dozen entries' code)."""
        self._sync()
        lines = {ln.strip() for ln in code.split("\n") if len(ln.strip()) > 6}
        best, best_shared = None, 0
        for qid in retrieved:
            theirs = {ln.strip() for b in self.index.questions[qid].code_blocks for ln in b.code.split("\n")}
            shared = len(lines & theirs)
            if shared > best_shared:
                best, best_shared = qid, shared
        return best if best_shared >= max(2, len(lines) / 2) else None
