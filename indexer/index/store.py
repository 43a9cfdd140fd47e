"""On-disk index: manifest, chunk metadata, embeddings keyed by content hash, and the FAISS index.

Like simonw/llm, every embedding is stored beside the sha256 of what was embedded, so a rebuild
only embeds chunks whose text (or embedding model) is new. A cache written by another model or
format version is discarded as a whole, never mixed in.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from indexer.records import Chunk
from indexer.runtime import atomic_dir

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
CHUNKS = "chunks.json"
EMBEDDINGS = "embeddings.npy"
FAISS_INDEX = "dense.faiss"


@dataclass
class Manifest:
    format_version: int
    embed_model: str
    dim: int
    chunk_max_chars: int
    files: dict[str, str]  # file name -> sha256 of its bytes
    n_chunks: int


@dataclass
class StoredIndex:
    manifest: Manifest
    chunks: list[Chunk]
    embeddings: np.ndarray  # (n_chunks, dim) float32, rows aligned with `chunks`


def index_dir(cache_dir: Path) -> Path:
    return cache_dir / "index"


def read_index(directory: Path) -> tuple[StoredIndex | None, str]:
    """The stored index, or None with the reason it cannot be used."""
    try:
        raw = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
        chunks = [Chunk(**c) for c in json.loads((directory / CHUNKS).read_text(encoding="utf-8"))]
        embeddings = np.load(directory / EMBEDDINGS)
    except FileNotFoundError:
        return None, "no index yet"
    except (ValueError, TypeError, KeyError, OSError) as exc:
        return None, f"unreadable index ({exc.__class__.__name__})"
    if manifest.format_version != FORMAT_VERSION:
        return None, f"index format {manifest.format_version} != {FORMAT_VERSION}"
    if embeddings.shape != (len(chunks), manifest.dim) or manifest.n_chunks != len(chunks):
        return None, "index files disagree with each other"
    return StoredIndex(manifest, chunks, embeddings.astype(np.float32, copy=False)), ""


def write_index(directory: Path, stored: StoredIndex) -> None:
    """Writes into a temporary folder and swaps it in, so a crash never leaves a half-written index."""
    with atomic_dir(directory) as tmp:
        np.save(tmp / EMBEDDINGS, stored.embeddings)
        (tmp / CHUNKS).write_text(json.dumps([asdict(c) for c in stored.chunks], ensure_ascii=False),
                                  encoding="utf-8")
        write_faiss(tmp / FAISS_INDEX, stored.embeddings)
        (tmp / MANIFEST).write_text(json.dumps(asdict(stored.manifest), indent=2, ensure_ascii=False),
                                    encoding="utf-8")


def _faiss():
    import faiss

    # Multi-threaded search of one query is far slower than one thread (faiss issue #2953).
    faiss.omp_set_num_threads(1)
    return faiss


def make_faiss(embeddings: np.ndarray):
    faiss = _faiss()
    index = faiss.IndexFlatIP(embeddings.shape[1])
    if len(embeddings):
        index.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    return index


def write_faiss(path: Path, embeddings: np.ndarray) -> None:
    _faiss().write_index(make_faiss(embeddings), str(path))


def read_faiss(path: Path):
    return _faiss().read_index(str(path))
