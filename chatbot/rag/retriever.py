"""Hybrid retrieval: dense (FAISS) + keyword (BM25), and for a question naming an API the entries that use
it, fused by reciprocal rank, de-duplicated to questions. A long or pasted question is searched twice, whole and
reduced to what it asks (chatbot/rag/query_focus.py), and the lists of both searches are fused."""
from __future__ import annotations

import contextlib
import re
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator, Sequence
from threading import Lock

import numpy as np

from chatbot.calibration import FOCUS_WEIGHT, MESSAGE_MIN_GRAMS, MESSAGE_WEIGHT
from chatbot.rag.errors import EmptyQueryError
from chatbot.rag.limits import MAX_QUESTION_CHARS
from chatbot.rag.named_apis import DISTINCTIVE_MAX_ENTRIES, entry_names, named_apis, uses_any
from chatbot.rag.query_focus import error_messages, focus_text
from chatbot.records import Hit
from indexer.ids import parse_question_id
from indexer.index.build import KnowledgeIndex
from indexer.records import Question
from indexer.text import bound_user_text

# Words that every title shares; what remains is the topic, which identifies twin questions.
_TITLE_SCAFFOLD = re.compile(
    r"PyTorch|如何|怎样|在|中的|中|进行|实现|是什么|什么是|它们?|有什么|有哪些|哪些|应用|作用|区别|优缺点|优点和缺点|"
    r"请|介绍一下|简要|模型|[\s？?。，,！!（）()、：:]"
)


def topic_key(title: str) -> str:
    return _TITLE_SCAFFOLD.sub("", title).lower()


# An error message is compared with the aliases by runs of this many words; numbers (shapes, sizes, versions) are
# left out, since they differ from one paste to the next.
MESSAGE_RUN = 4


def message_runs(text: str) -> set[tuple[str, ...]]:
    """The runs of MESSAGE_RUN consecutive words of `text`, lower-cased, words that start with a digit left out."""
    words = [w for w in re.findall(r"[a-z0-9_]+", text.lower()) if not w[0].isdigit()]
    return {tuple(words[i:i + MESSAGE_RUN]) for i in range(len(words) - MESSAGE_RUN + 1)}


class Retriever:
    def __init__(self, index: KnowledgeIndex, *, candidates: int = 50, rrf_k: int = 60, focus: bool = True,
                 focus_weight: float = FOCUS_WEIGHT.value, focus_prose: bool = False,
                 message_weight: float = MESSAGE_WEIGHT.value,
                 opinions: Sequence[Callable[[str], dict[str, float]]] = ()):
        self.index = index
        self.candidates = candidates
        self.rrf_k = rrf_k
        # A pasted error or code is also searched reduced to what it asks (query_focus), its lists weighted by
        # `focus_weight`; a paragraph of prose only with `focus_prose` (it lowered long_context hit@1: FOCUS_WEIGHT).
        self.focus = focus
        self.focus_weight = focus_weight
        self.focus_prose = focus_prose
        # A pasted error also ranks the entries whose English aliases list its message (`message_weight`; 0: off).
        self.message_weight = message_weight
        # More ranked lists (question id -> score) of a query text, fused with the rest: how a second embedding
        # model was measured (docs/retrieval.md: the multilingual USE lowered the labelled set; none by default).
        self.opinions = tuple(opinions)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = Lock()
        self._search_lock = Lock()
        self._derive()

    def _derive(self) -> None:
        """The lookup tables over the index's questions and rows (again after documents were added or removed)."""
        index = self.index
        self.rows_of: dict[str, list[int]] = defaultdict(list)
        for row, qid in enumerate(index.chunk_qids):
            self.rows_of[qid].append(row)
        self.twins: dict[str, list[str]] = defaultdict(list)
        for q in index.questions.values():
            if not q.document:  # twins are the shipped series' repeated questions; documents stand on their own
                self.twins[topic_key(q.title)].append(q.id)
        self._entry_names = {q.id: entry_names(q) for q in index.questions.values()}
        self._message_runs = {q.id: runs for q in index.questions.values() if (runs := message_runs(q.aliases))}

    @contextlib.contextmanager
    def updating(self) -> Iterator[None]:
        """Holds searches off while the index changes in place, then rebuilds the lookup tables."""
        with self._search_lock:
            yield
            self._derive()

    def encode_query(self, query: str) -> np.ndarray:
        """The query's embedding; the last few are kept, since refusal and citation checks ask again."""
        with self._vectors_lock:
            if query in self._vectors:
                self._vectors.move_to_end(query)
                return self._vectors[query]
        vector = self.index.embedder.encode_queries([query]).astype(np.float32)[0]
        with self._vectors_lock:
            self._vectors[query] = vector
            if len(self._vectors) > 256:
                self._vectors.popitem(last=False)
        return vector

    @property
    def questions(self) -> dict[str, Question]:
        return self.index.questions

    def _dense(self, qvec: np.ndarray) -> dict[str, float]:
        k = min(self.candidates * 3, len(self.index.chunks))
        sims, rows = self.index.dense.search(qvec[None, :], k)
        best: dict[str, float] = {}
        for sim, row in zip(sims[0], rows[0]):
            if row < 0:
                continue
            qid = self.index.chunk_qids[row]
            if qid not in best:
                best[qid] = float(sim)
            if len(best) >= self.candidates:
                break
        return best

    def _keyword(self, query: str) -> dict[str, float]:
        scores = self.index.keyword.scores(query)
        k = min(self.candidates * 3, len(scores))
        if k == 0:
            return {}
        top = np.argpartition(-scores, k - 1)[:k]
        best: dict[str, float] = {}
        for row in top[np.argsort(-scores[top])]:
            if scores[row] <= 0:
                break
            qid = self.index.chunk_qids[row]
            best.setdefault(qid, float(scores[row]))
        return best

    def _named_api(self, query: str, keyword: dict[str, float]) -> dict[str, float]:
        """The entries that use a distinctive API the query names, scored by their keyword score. On the labelled query
        set this third list raised hit@1 from 0.891 to 0.897 (`ReduceLROnPlateau` → Q10 instead of Q69),
        hit@5 unchanged."""
        found: dict[str, float] = {}
        for name in named_apis(query, self.index.keyword):
            users = [qid for qid, words in self._entry_names.items() if uses_any(words, {name})]
            if len(users) <= DISTINCTIVE_MAX_ENTRIES:
                found.update((qid, keyword.get(qid, 0.0)) for qid in users)
        return found

    def _messages(self, messages: list[str]) -> dict[str, float]:
        """The entries whose English aliases share at least MESSAGE_MIN_GRAMS runs of words with the error messages,
        scored by how many they share: the entries that list the message PyTorch raised."""
        runs = set().union(*(message_runs(m) for m in messages)) if messages else set()
        found = {qid: float(len(runs & entry)) for qid, entry in self._message_runs.items()} if runs else {}
        return {qid: n for qid, n in found.items() if n >= MESSAGE_MIN_GRAMS.value}

    def _dense_score_of(self, qid: str, qvec: np.ndarray) -> float:
        rows = self.rows_of[qid]
        return float(np.max(self.index.embeddings[rows] @ qvec)) if rows else 0.0

    def search(self, query: str, top_k: int = 5) -> list[Hit]:
        """The best `top_k` questions; a query longer than MAX_QUESTION_CHARS is searched by its beginning."""
        query = bound_user_text(query or "", MAX_QUESTION_CHARS)[0].strip()
        if not query:
            raise EmptyQueryError("the query is empty: type a question, keywords or an id such as Q73")
        qvec = self.encode_query(query)
        extract = focus_text(query, prose=self.focus_prose) if self.focus else ""
        fvec = self.encode_query(extract) if extract else None
        messages = error_messages(query) if self.message_weight else []
        respelled = self.index.keyword.respelled(query)
        spelled = (respelled, self.encode_query(respelled)) if respelled != query else None
        with self._search_lock:
            return self._search(query, qvec, top_k, extract, fvec, messages, spelled)

    def _lists(self, query: str, qvec: np.ndarray) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        dense, keyword = self._dense(qvec), self._keyword(query)
        return dense, keyword, self._named_api(query, keyword)

    def _search(self, query: str, qvec: np.ndarray, top_k: int, extract: str = "",
                fvec: np.ndarray | None = None, messages: Sequence[str] = (),
                spelled: tuple[str, np.ndarray] | None = None) -> list[Hit]:
        dense, keyword, named = self._lists(query, qvec)
        rankings = [(1.0, dense), (1.0, keyword), (1.0, named)]
        if spelled is not None:  # a misspelt English word: the respelt query counts as much as the typed one
            rankings += [(1.0, r) for r in self._lists(*spelled)]
        if extract and fvec is not None:
            rankings += [(self.focus_weight, r) for r in self._lists(extract, fvec)]
        if messages:
            rankings.append((self.message_weight, self._messages(list(messages))))
        for opinion in self.opinions:
            rankings.append((1.0, opinion(query)))
            if extract:
                rankings.append((self.focus_weight, opinion(extract)))
        fused: dict[str, float] = defaultdict(float)
        for weight, ranking in rankings:
            for rank, qid in enumerate(sorted(ranking, key=lambda q: ranking[q], reverse=True)):
                fused[qid] += weight / (self.rrf_k + rank + 1)
        self._collapse_shared_answers(fused)
        self._prefer_answered_twins(fused)
        exact = parse_question_id(query, self.questions)
        if exact:  # an id typed as the whole query is what the user wants first
            fused[exact] = max(fused.values(), default=0.0) + 1.0
        ranked = sorted(fused, key=lambda q: (-fused[q], q))[:top_k]
        return [
            Hit(self.questions[qid], fused[qid],
                dense[qid] if qid in dense else self._dense_score_of(qid, qvec), keyword.get(qid, 0.0))
            for qid in ranked
        ]

    def _collapse_shared_answers(self, fused: dict[str, float]) -> None:
        """A question that shares its twin's answer (`same_as`) is one entry with it: the twin takes its score,
        so the results do not spend slots on the same answer twice."""
        for qid in list(fused):
            twin = self.questions[qid].same_as
            if twin and twin in self.questions:
                score = fused.pop(qid)
                fused[twin] = max(fused.get(twin, 0.0), score)

    def _prefer_answered_twins(self, fused: dict[str, float]) -> None:
        """Twins (same topic, e.g. Q17/Q35/Q45 transfer learning): answered ones go above title-only ones."""
        for qid in list(fused):
            group = self.twins[topic_key(self.questions[qid].title)]
            if len(group) < 2:
                continue
            title_only = [fused[t] for t in group if t in fused and not self.questions[t].has_answer]
            if not title_only:
                continue
            ceiling = max(title_only)
            answered = sorted((t for t in group if self.questions[t].has_answer),
                              key=lambda t: -fused.get(t, 0.0))
            for n, t in enumerate(answered):
                if fused.get(t, 0.0) <= ceiling:
                    fused[t] = ceiling + 1e-6 * (len(answered) - n)
