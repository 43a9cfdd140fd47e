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
from indexer.index.keyword import BM25Index
from indexer.index.store import (
    FAISS_INDEX,
    FORMAT_VERSION,
    Manifest,
    StoredIndex,
    index_dir,
    read_faiss,
    read_index,
    write_index,
)
from indexer.kb.catalog import ALIASES_FILES, CATALOG_FILE, kb_files
from indexer.kb.chunker import DEFAULT_MAX_CHARS, chunk_questions
from indexer.kb.parser import ParsedKB, parse_kb
from indexer.models.base import BaseEmbedder
from indexer.records import Chunk, Question, Warning_

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

    def summary(self) -> str:
        what = f"{self.n_questions} questions ({self.n_answered} answered), {self.n_chunks} chunks"
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

    def __post_init__(self) -> None:
        self.questions = self.kb.by_id()
        self.chunk_qids = [c.question_id for c in self.chunks]


def file_hashes(kb_dir: Path) -> dict[str, str]:
    extra = [kb_dir / CATALOG_FILE] + [kb_dir / name for name in ALIASES_FILES]
    paths = kb_files(kb_dir) + [p for p in extra if p.exists()]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _embedder(config: Config):
    from indexer.models import load_embedder

    return load_embedder(config.embed_model, config.cache_dir, config.device)


def build_index(config: Config, *, embedder=None, progress: bool = True,
                max_chars: int = DEFAULT_MAX_CHARS) -> tuple[StoredIndex, ParsedKB, BuildReport]:
    """Brings the stored index up to date with the knowledge base, embedding only new chunk texts."""
    start = time.perf_counter()
    embedder = embedder or _embedder(config)
    directory = index_dir(config.cache_dir)
    kb = parse_kb(config.kb_dir)
    hashes = file_hashes(config.kb_dir)
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
        report = BuildReport(len(kb.questions), sum(q.has_answer for q in kb.questions), len(chunks), 0,
                             len(chunks), "", time.perf_counter() - start, kb.warnings)
        return stored, kb, report
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


def open_index(config: Config, *, embedder=None, progress: bool = True) -> KnowledgeIndex:
    """The searchable index, built or updated first when the knowledge base changed."""
    embedder = embedder or _embedder(config)
    stored, kb, report = build_index(config, embedder=embedder, progress=progress)
    keyword = BM25Index.from_texts([c.text for c in stored.chunks])
    dense = read_faiss(index_dir(config.cache_dir) / FAISS_INDEX)
    return KnowledgeIndex(kb, stored.chunks, stored.embeddings, dense, keyword, embedder, report)
