"""The added documents' part of the index, kept apart from the shipped knowledge base's.

Its embeddings live in `<cache dir>/documents-index` (the same format as the shipped index, keyed by content hash),
so adding, replacing or removing a document embeds only the chunks whose text is new, never the shipped ones;
deleting the cache only means embedding the documents again. `combine` puts the two parts side by side into one
`KnowledgeIndex` (shipped rows first, so their row numbers never move)."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.config import Config
from indexer.documents.library import DocumentLibrary
from indexer.index.keyword import BM25Index, tokenize
from indexer.index.store import FORMAT_VERSION, Manifest, StoredIndex, make_faiss, read_index, write_index
from indexer.kb.chunker import DEFAULT_MAX_CHARS, chunk_questions
from indexer.kb.parser import ParsedKB
from indexer.models.base import BaseEmbedder
from indexer.records import Chunk, Question, Warning_
from indexer.runtime import file_lock

log = logging.getLogger(__name__)

DOCUMENTS_INDEX = "documents-index"
EMBED_BATCH = 32  # chunks per progress step

# (fraction done 0..1, what is happening) – the web app's progress bar, or nothing
Progress = Callable[[float, str], None]


@dataclass
class DocumentsPart:
    questions: list[Question]
    series_titles: dict[str, str]
    chunks: list[Chunk]
    embeddings: np.ndarray
    warnings: list[Warning_]
    version: tuple[int, int]  # the document store's version this part was built from
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0


@dataclass
class ShippedPart:
    """The shipped knowledge base's half, kept by the index so the documents can be swapped without touching it."""
    kb: ParsedKB
    chunks: list[Chunk]
    embeddings: np.ndarray
    dense: object  # its faiss index, used as it is when no document is added
    tokens: list[list[str]] = field(default_factory=list)  # keyword tokens per chunk (tokenising is the slow part)


def documents_index_dir(config: Config) -> Path:
    return Path(config.cache_dir) / DOCUMENTS_INDEX


def build_documents_part(config: Config, embedder: BaseEmbedder, *, progress: Progress | None = None) -> DocumentsPart:
    """The added documents' entries, chunks and embeddings, embedding only chunk texts not stored before."""
    start = time.perf_counter()
    library = DocumentLibrary(config)
    version = library.store.version()
    entries = library.entries()
    chunks = chunk_questions(entries.questions, DEFAULT_MAX_CHARS, salt=embedder.name)
    directory = documents_index_dir(config)
    if not chunks:  # nothing added: the stored embeddings are left for a data folder that has documents
        return DocumentsPart([], entries.series_titles, [], np.zeros((0, embedder.dim), np.float32),
                             entries.warnings, version, seconds=time.perf_counter() - start)
    # A lock of its own: the shipped index's lock is held by open_index while this runs.
    with file_lock(Path(config.cache_dir) / "documents-index.lock"):
        stored, why = read_index(directory)
        if stored is not None and stored.manifest.embed_model != embedder.name:
            stored = None
        known = {} if stored is None else {c.content_hash: i for i, c in enumerate(stored.chunks)}
        missing = list({c.content_hash: c for c in chunks if c.content_hash not in known}.values())
        fresh = _embed(embedder, missing, progress)
        matrix = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        for row, c in enumerate(chunks):
            matrix[row] = fresh[c.content_hash] if c.content_hash in fresh else stored.embeddings[known[c.content_hash]]  # type: ignore[union-attr]  # known is empty without `stored`
        if stored is None or [c.content_hash for c in stored.chunks] != [c.content_hash for c in chunks]:
            files = {d.name: d.sha256 for d in library.documents()}
            manifest = Manifest(FORMAT_VERSION, embedder.name, embedder.dim, DEFAULT_MAX_CHARS, files, len(chunks))
            try:
                write_index(directory, StoredIndex(manifest, chunks, matrix))
            except OSError as exc:  # a read-only cache: the documents are embedded again next time
                log.warning("could not save the documents' embeddings: %s", exc)
    if why and why != "no index yet":
        log.info("documents index: %s; embedded again", why)
    return DocumentsPart(entries.questions, entries.series_titles, chunks, matrix, entries.warnings, version,
                         len(missing), len(chunks) - len(missing), time.perf_counter() - start)


def _embed(embedder: BaseEmbedder, chunks: list[Chunk], progress: Progress | None) -> dict[str, np.ndarray]:
    fresh: dict[str, np.ndarray] = {}
    for n in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[n:n + EMBED_BATCH]
        if progress is not None:
            progress(n / len(chunks), f"embedding {n}/{len(chunks)} new chunks")
        vectors = embedder.encode_passages([c.text for c in batch])
        fresh.update((c.content_hash, v) for c, v in zip(batch, vectors))
    return fresh


def combine(shipped: ShippedPart, documents: DocumentsPart, keyword_tokens: dict[str, list[str]]):
    """(ParsedKB, chunks, embeddings, dense index, keyword index) over both parts. `keyword_tokens` caches the
    documents' chunk tokens by content hash between calls, so a new document only tokenises its own chunks."""
    kb = ParsedKB(shipped.kb.questions + documents.questions, shipped.kb.warnings + documents.warnings,
                  {**shipped.kb.series_titles, **documents.series_titles})
    if not documents.chunks:
        return kb, shipped.chunks, shipped.embeddings, shipped.dense, BM25Index(shipped.tokens)
    chunks = shipped.chunks + documents.chunks
    embeddings = np.vstack([shipped.embeddings, documents.embeddings]).astype(np.float32, copy=False)
    doc_tokens = []
    for c in documents.chunks:
        if c.content_hash not in keyword_tokens:
            keyword_tokens[c.content_hash] = tokenize(c.text)
        doc_tokens.append(keyword_tokens[c.content_hash])
    live = {c.content_hash for c in documents.chunks}
    for gone in [h for h in keyword_tokens if h not in live]:
        del keyword_tokens[gone]
    return kb, chunks, embeddings, make_faiss(embeddings), BM25Index(shipped.tokens + doc_tokens)
