"""An English answer's lead: the entry's Chinese statements (chatbot/rag/lead.py), translated by the chat model
one sentence at a time, each checked before it stands, and kept so that no KB sentence is translated twice.

Why a separate request rather than asking the answer to open with them: asked to open its answer with the
entry's words in English, the 1.5B model wrote "[T8] states that model.eval() … also disables gradient tracking"
(eval/facts_questions.jsonl f02), a false claim it had not made without the cue. Translating a single sentence it
stays close to it: on 16 lead sentences of four near-KB questions, ~3 s each on 2 cores, one word off ("解耦"
as "unified"), the rest faithful.

A translation stands only where (1) it is English, ended by the model itself (not by the token limit), (2) it
keeps every code span and number of the original, and (3) of its entry's sentences, e5 puts the one it
translates nearest to it. A sentence that fails is left out of the lead. The citation check's cross-language
threshold was the first choice for (3) and rejected 33 of the 80 lead sentences of the near-KB English questions,
faithful translations whose cosine to their entry fell just under it (it is set for sentences the model wrote
itself); of the 75 that keep their code and numbers, 73 are nearest to the sentence they translate (cosine 0.88
and above), and one of the two that are not is nearest to a neighbouring sentence saying much the same.
"""
from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from chatbot.llm.base import ChatModel, Message, used_whole_budget
from chatbot.rag.citations import CitationChecker
from chatbot.rag.lead import Lead, LeadSentence, as_statement, choose_lead
from chatbot.rag.warmup import IDLE_SECONDS
from indexer.records import Question
from indexer.text import CJK

log = logging.getLogger(__name__)

SYSTEM = "You translate Chinese technical text about PyTorch into English."
ASK = ("Translate into English. Keep code, API names and numbers exactly as written. "
       "Reply with the translation only.\n\n{sentence}")
# Not calibration: room for a translation. English takes ~1.5x the tokens of the Chinese it translates (the 16
# probe sentences: 11-84 tokens); a reply that reaches the limit was cut off and is not used.
MAX_TOKENS = 200
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WRAPPING = re.compile(r'^(?:translation\s*:\s*)?["“]?(.*?)["”]?$', re.I | re.S)


def kept_exactly(source: str, translation: str) -> bool:
    """Whether every code span and number of `source` is in `translation` as written (a translation that turned
    `Adam(params, lr=1e-3, …)` into a list of arguments no longer shows the call)."""
    return (all(span in translation for span in _CODE_SPAN.findall(source))
            and all(n in translation for n in _NUMBER.findall(source)))


def _request(sentence: str) -> list[Message]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": ASK.format(sentence=sentence)}]


def _clean(reply: str) -> str:
    first = reply.strip().split("\n\n")[0].strip()
    return _WRAPPING.match(first).group(1).strip()  # type: ignore[union-attr]


class TranslationStore:
    """Translations by model and source sentence, in SQLite under the cache folder (shared by processes); in
    memory only when the folder is read-only or None."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / "translations.sqlite3" if folder is not None else None
        self._memory: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        if self.path is not None:
            try:
                with self._connect() as db:
                    db.execute("CREATE TABLE IF NOT EXISTS translation (model TEXT, source_hash TEXT, "
                               "text TEXT, PRIMARY KEY (model, source_hash))")
            except (OSError, sqlite3.Error) as exc:
                log.warning("translations kept in memory only (%s: %s)", self.path, exc)
                self.path = None

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(self.path, timeout=10)

    @staticmethod
    def _hash(source: str) -> str:
        return hashlib.sha256(source.encode("utf-8")).hexdigest()

    def get(self, model: str, source: str) -> str | None:
        key = (model, self._hash(source))
        with self._lock:
            if key in self._memory or self.path is None:
                return self._memory.get(key)
            try:
                with self._connect() as db:
                    row = db.execute("SELECT text FROM translation WHERE model = ? AND source_hash = ?",
                                     key).fetchone()
            except sqlite3.Error as exc:
                log.warning("translation store unreadable: %s", exc)
                return None
            if row is not None:
                self._memory[key] = row[0]
            return row[0] if row else None

    def put(self, model: str, source: str, text: str) -> None:
        key = (model, self._hash(source))
        with self._lock:
            self._memory[key] = text
            if self.path is None:
                return
            try:
                with self._connect() as db:
                    db.execute("INSERT OR REPLACE INTO translation VALUES (?, ?, ?)", (*key, text))
            except sqlite3.Error as exc:  # a full disk or a read-only folder: this process still keeps it
                log.warning("translation not stored: %s", exc)


class LeadTranslator:
    def __init__(self, model: ChatModel, checker: CitationChecker, store: TranslationStore) -> None:
        self.model = model
        self.checker = checker
        self.store = store
        self.translated = 0  # sentences this process had to translate (the rest came from the store)

    def stream(self, lead: Lead) -> Iterator[Lead]:
        """The English lead as it grows: the sentences kept so far plus the one being translated (its text so
        far); last, the lead of the kept sentences only (empty when none was kept)."""
        kept: list[LeadSentence] = []
        for sentence in lead.sentences:
            stored = self.store.get(self.model.name, sentence.text)
            if stored is None:
                reply = ""
                for piece in self.model.stream_chat(_request(sentence.text), max_new_tokens=MAX_TOKENS):
                    reply += piece
                    yield Lead((*kept, LeadSentence(sentence.qid, _clean(reply))))
                stored = self._keep(sentence.text, reply)
            if stored and self._stands(stored, sentence):
                kept.append(LeadSentence(sentence.qid, stored))
            yield Lead(tuple(kept))

    def translate_when_idle(self, sentence: LeadSentence) -> bool:
        """Translates and stores `sentence` (background work: only while no request waits). False when a request
        took the model first: nothing is stored, and the sentence is to be tried again later."""
        if self.store.get(self.model.name, sentence.text) is not None:
            return True
        reply = self.model.chat_when_idle(_request(sentence.text), max_new_tokens=MAX_TOKENS)
        if reply is None:
            return False
        self._keep(sentence.text, reply)
        return True

    def _keep(self, source: str, reply: str) -> str:
        """Stores the translation of `source` ("" when the length limit cut it off: a rejected one is not asked
        again) and returns it."""
        self.translated += 1
        kept = "" if used_whole_budget(self.model, reply, MAX_TOKENS) else _clean(reply)
        self.store.put(self.model.name, source, kept)
        return kept

    def _stands(self, translation: str, sentence: LeadSentence) -> bool:
        if CJK.search(translation) or not kept_exactly(sentence.text, translation):
            return False
        return as_statement(self.checker.nearest([translation], [sentence.qid])[0]) == sentence.text


def likely_leads(entry: Question, checker: CitationChecker) -> list[LeadSentence]:
    """The lead sentences an English question on `entry` most likely gets, to translate ahead of time: the leads
    for the entry's English and Chinese titles. They held 65 % of the English near-KB questions' lead sentences
    and 78 % of the facts set's (`python -m chatbot warm` translates them)."""
    english_title = entry.aliases.split(" | ")[0].strip() if entry.aliases else ""
    found: dict[str, LeadSentence] = {}
    for title in (english_title, entry.title):
        lead = choose_lead(title, [entry], checker) if title else None
        for sentence in lead.sentences if lead else ():
            found.setdefault(sentence.text, sentence)
    return list(found.values())


def warm_translations(translator: LeadTranslator, entries: list[Question],
                      progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Translates every answered entry's likely lead sentences not stored yet; (translated now, stored before)."""
    before = translator.translated
    present = 0
    for entry in entries:
        sentences = likely_leads(entry, translator.checker) if entry.has_answer else []
        present += sum(translator.store.get(translator.model.name, s.text) is not None for s in sentences)
        for _ in translator.stream(Lead(tuple(sentences))):
            pass
        if progress is not None:
            progress(1)
    return translator.translated - before, present


class TranslationWarmer(threading.Thread):
    """The app's background share of `python -m chatbot warm`'s translations: every answered entry's likely lead
    sentences, translated one at a time once `ready()` (the prompt states come first) and only while the model
    has been idle for `idle_seconds`. A request arriving stops the sentence under way (nothing is stored), and
    it is translated again at the next idle moment."""

    def __init__(self, translator: LeadTranslator, entries: list[Question], *,
                 ready: Callable[[], bool] = lambda: True, idle_seconds: float = IDLE_SECONDS) -> None:
        super().__init__(name="translation-warmer", daemon=True)
        self.translator = translator
        self.entries = [e for e in entries if e.has_answer]
        self.ready = ready
        self.idle_seconds = idle_seconds
        self.stopped = threading.Event()
        self.position = 0  # entries done
        self.done = False

    def stop(self) -> None:
        self.stopped.set()

    def status(self) -> str:
        return ("lead translations ready" if self.done else
                f"translating English leads while idle: {self.position} of {len(self.entries)}")

    def run(self) -> None:
        model = self.translator.model
        try:
            for entry in self.entries:
                for sentence in likely_leads(entry, self.translator.checker):
                    while not self.stopped.is_set():
                        if (self.ready() and model.idle_seconds() >= self.idle_seconds
                                and self.translator.translate_when_idle(sentence)):
                            break
                        self.stopped.wait(1.0)
                if self.stopped.is_set():
                    return
                self.position += 1
            self.done = True
        except Exception:  # the model closed, the store broke: answers still translate their own leads
            log.exception("translating lead sentences in the background failed; stopping")
