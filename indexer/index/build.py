"""Builds the hybrid index incrementally and opens it for search."""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.config import Config
from indexer.index.documents import DocumentsPart, Progress, ShippedPart, build_documents_part, combine
from indexer.index.keyword import BM25Index, tokenize
from indexer.index.sentences import SentenceVectors
from indexer.index.store import (
    FAISS_INDEX,
    FORMAT_VERSION,
    Manifest,
    StoredIndex,
    checked_faiss,
    has_checksum,
    index_dir,
    read_index,
    record_checksum,
    write_faiss,
    write_index,
)
from indexer.kb.catalog import ALIASES_FILES, CATALOG_FILE, ERRATA_FILE, kb_files
from indexer.kb.chunker import DEFAULT_MAX_CHARS, chunk_questions
from indexer.kb.parser import ParsedKB, parse_kb
from indexer.models.base import BaseEmbedder
from indexer.records import Chunk, Question, Warning_
from indexer.runtime import atomic_file, file_lock, remove_stale_temp, restore_interrupted_swap

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    n_questions: int
    n_answered: int
    n_chunks: int
    embedded: int  # chunks sent to the embedding model in this build
    reused: int  # chunks whose stored embedding was reused
    reason: str  # why a build happened ("" when the cache was up to date)
    seconds: float
    warnings: list[Warning_] = field(default_factory=list)
    documents: int = 0  # added documents (their entries are counted in the figures above)

    def summary(self) -> str:
        what = f"{self.n_questions} questions ({self.n_answered} answered), {self.n_chunks} chunks"
        if self.documents:
            what += f", {self.documents} added document{'s' if self.documents > 1 else ''} included"
        if not self.reason:
            return f"index up to date: {what}"
        return (f"index built ({self.reason}): {what}; embedded {self.embedded}, reused {self.reused} "
                f"in {self.seconds:.1f} s")


@dataclass
class KnowledgeIndex:
    kb: ParsedKB
    chunks: list[Chunk]
    embeddings: np.ndarray
    dense: Any  # faiss.IndexFlatIP
    keyword: BM25Index
    embedder: BaseEmbedder
    report: BuildReport
    questions: dict[str, Question] = field(default_factory=dict)
    chunk_qids: list[str] = field(default_factory=list)
    kb_files: dict[str, str] = field(default_factory=dict)  # sha256 per knowledge-base file this index was built from
    shipped: ShippedPart | None = None  # the shipped half, kept to swap the added documents beside it
    documents_version: tuple[int, int] = (0, 0)  # the document store's version the added documents come from
    generation: int = 0  # counts document updates: caches keyed by question id are stale when it moves
    sentences: SentenceVectors | None = None  # e5 vectors of the entries' sentences, kept beside the index
    _keyword_tokens: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.questions = self.kb.by_id()
        self.chunk_qids = [c.question_id for c in self.chunks]

    def set_documents(self, part: DocumentsPart) -> None:
        """Puts `part` beside the shipped knowledge base, in place: every holder of this index (retriever,
        citation checker, tabs) sees the added documents from the next question on. The caller keeps searches
        out meanwhile (Engine does)."""
        if self.shipped is None:
            raise ValueError("this index was not opened with open_index: it cannot take added documents")
        kb, chunks, embeddings, dense, keyword = combine(self.shipped, part, self._keyword_tokens)
        self.kb, self.chunks, self.embeddings, self.dense, self.keyword = kb, chunks, embeddings, dense, keyword
        self.questions = kb.by_id()
        self.chunk_qids = [c.question_id for c in chunks]
        self.documents_version = part.version
        self.generation += 1
        self.report.n_questions = len(kb.questions)
        self.report.n_answered = sum(q.has_answer for q in kb.questions)
        self.report.n_chunks = len(chunks)
        self.report.documents = len({q.document for q in part.questions})


def file_hashes(kb_dir: Path) -> dict[str, str]:
    extra = [kb_dir / CATALOG_FILE, kb_dir / ERRATA_FILE] + [kb_dir / name for name in ALIASES_FILES]
    paths = kb_files(kb_dir) + [p for p in extra if p.exists()]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _embedder(config: Config):
    from indexer.models import load_embedder

    return load_embedder(config.embed_model, config.cache_dir, config.device)


def index_lock(config: Config) -> Path:
    """The lock file every writer (and opener) of `config`'s index holds: two builds never interleave."""
    return Path(config.cache_dir) / "index.lock"


def build_index(config: Config, *, embedder=None, progress: bool = True,
                max_chars: int = DEFAULT_MAX_CHARS) -> tuple[StoredIndex, ParsedKB, BuildReport]:
    """Brings the stored index up to date with the knowledge base, embedding only new chunk texts."""
    embedder = embedder or _embedder(config)
    with file_lock(index_lock(config)):
        return _build_locked(config, embedder, progress, max_chars)


def _build_locked(config: Config, embedder, progress: bool,
                  max_chars: int) -> tuple[StoredIndex, ParsedKB, BuildReport]:
    start = time.perf_counter()
    directory = index_dir(config.cache_dir)
    if restore_interrupted_swap(directory):
        log.warning("a build was interrupted while swapping the index in; the previous index was put back")
    remove_stale_temp(directory, max_age_s=0)  # every writer holds the lock: what is left belongs to a dead one
    hashes = file_hashes(config.kb_dir)  # before parsing: a file changed in between shows as changed later
    kb = parse_kb(config.kb_dir)
    stored, why_unusable = read_index(directory)
    if stored is not None and (stored.manifest.embed_model != embedder.name
                               or stored.manifest.chunk_max_chars != max_chars):
        why_unusable = (f"cache built with {stored.manifest.embed_model}/{stored.manifest.chunk_max_chars}, "
                        f"now {embedder.name}/{max_chars}: rebuilt from scratch")
        stored = None
    chunks = chunk_questions(kb.questions, max_chars, salt=embedder.name)
    if stored is not None and stored.manifest.files == hashes and [c.content_hash for c in stored.chunks] == [
        c.content_hash for c in chunks
    ]:
        if not has_checksum(directory):
            try:
                record_checksum(directory, stored)
            except OSError as exc:  # a read-only cache: checked next time it is writable
                log.info("could not record the index checksum: %s", exc)
        report = BuildReport(len(kb.questions), sum(q.has_answer for q in kb.questions), len(chunks), 0,
                             len(chunks), "", time.perf_counter() - start, kb.warnings)
        # the ids come from this parse of the knowledge base, never from the stored copy (same texts, same rows)
        return StoredIndex(stored.manifest, chunks, stored.embeddings), kb, report
    known = {} if stored is None else {c.content_hash: i for i, c in enumerate(stored.chunks)}
    missing = [c for c in chunks if c.content_hash not in known]
    fresh: dict[str, np.ndarray] = {}
    if missing:
        vectors = embedder.encode_passages([c.text for c in missing], progress=progress)
        fresh = {c.content_hash: v for c, v in zip(missing, vectors)}
    dim = embedder.dim
    matrix = np.zeros((len(chunks), dim), dtype=np.float32)
    for row, c in enumerate(chunks):
        matrix[row] = fresh[c.content_hash] if c.content_hash in fresh else stored.embeddings[known[c.content_hash]]  # type: ignore[union-attr]  # known is empty without `stored`
    manifest = Manifest(FORMAT_VERSION, embedder.name, dim, max_chars, hashes, len(chunks))
    new = StoredIndex(manifest, chunks, matrix)
    write_index(directory, new)
    reason = why_unusable or "knowledge base changed"
    report = BuildReport(len(kb.questions), sum(q.has_answer for q in kb.questions), len(chunks), len(missing),
                         len(chunks) - len(missing), reason, time.perf_counter() - start, kb.warnings)
    return new, kb, report


def open_index(config: Config, *, embedder=None, progress: bool = True,
               documents_progress: Progress | None = None) -> KnowledgeIndex:
    """The searchable index, built or updated first when the knowledge base changed, with the documents the user
    added (config.data_dir) beside it. A damaged or foreign dense index file is rebuilt from the stored
    embeddings, so row i is always chunk i."""
    embedder = embedder or _embedder(config)
    with file_lock(index_lock(config)):
        stored, kb, report = _build_locked(config, embedder, progress, DEFAULT_MAX_CHARS)
        path = index_dir(config.cache_dir) / FAISS_INDEX
        dense, why = checked_faiss(path, stored.embeddings)
        if why:
            log.warning("%s: rebuilt from the stored embeddings", why)
            try:
                with atomic_file(path) as tmp:
                    write_faiss(tmp, stored.embeddings)
            except OSError as exc:  # a read-only cache: the rebuilt one serves from memory
                log.warning("could not save the repaired dense index: %s", exc)
            report.reason = report.reason or f"{why}: rebuilt from the stored embeddings"
    tokens = [tokenize(c.text) for c in stored.chunks]
    shipped = ShippedPart(kb, stored.chunks, stored.embeddings, dense, tokens)
    index = KnowledgeIndex(kb, stored.chunks, stored.embeddings, dense, BM25Index(tokens), embedder, report,
                           kb_files=dict(stored.manifest.files), shipped=shipped,
                           sentences=SentenceVectors(index_dir(config.cache_dir), embedder))
    part = build_documents_part(config, embedder, progress=documents_progress)
    if part.questions:
        index.set_documents(part)
        index.generation = 0
        report.warnings = report.warnings + part.warnings  # a new list: kb.warnings is the shipped part's
    index.documents_version = part.version
    return index


def kb_changes(config: Config, index: KnowledgeIndex) -> list[str]:
    """Knowledge-base files added, removed or edited on disk since `index` was built (sorted names)."""
    now = file_hashes(config.kb_dir) if Path(config.kb_dir).is_dir() else {}
    return sorted(name for name in set(now) | set(index.kb_files) if now.get(name) != index.kb_files.get(name))
