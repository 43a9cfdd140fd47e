"""On-disk index: manifest, chunk metadata, embeddings keyed by content hash, and the FAISS index.

Like simonw/llm, every embedding is stored beside the sha256 of what was embedded, so a rebuild
only embeds chunks whose text (or embedding model) is new. A cache written by another model or
format version is discarded as a whole, never mixed in.
"""
from __future__ import annotations

import hashlib
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
# sha256 of chunks.json and the embedding rows, so a damaged file is caught even when it still parses. A file
# of its own (not a manifest field): caches written before it existed stay readable, and the next build adds it.
CHECKSUM = "checksum.sha256"


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


def checksum(chunks_json: bytes, embeddings: np.ndarray) -> str:
    digest = hashlib.sha256(chunks_json)
    digest.update(np.ascontiguousarray(embeddings, dtype=np.float32).tobytes())
    return digest.hexdigest()


def read_index(directory: Path) -> tuple[StoredIndex | None, str]:
    """The stored index, or None with the reason it cannot be used (missing, truncated, damaged, or written
    by another format version)."""
    try:
        raw = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
        if manifest.format_version != FORMAT_VERSION:
            return None, f"index format {manifest.format_version} != {FORMAT_VERSION}"
        chunks_json = (directory / CHUNKS).read_bytes()
        chunks = [Chunk(**c) for c in json.loads(chunks_json.decode("utf-8"))]
        embeddings = np.load(directory / EMBEDDINGS, allow_pickle=False)
    except FileNotFoundError:
        return None, "no index yet"
    except (ValueError, TypeError, KeyError, AttributeError, OSError, EOFError) as exc:
        return None, f"unreadable index ({exc.__class__.__name__})"
    if embeddings.shape != (len(chunks), manifest.dim) or manifest.n_chunks != len(chunks):
        return None, "index files disagree with each other"
    embeddings = embeddings.astype(np.float32, copy=False)
    checksum_file = directory / CHECKSUM
    recorded = checksum_file.read_bytes().decode("ascii", "replace").strip() if checksum_file.exists() else ""
    if recorded and recorded != checksum(chunks_json, embeddings):
        return None, "index files damaged (checksum mismatch)"
    if not np.isfinite(embeddings).all():
        return None, "index files damaged (embeddings not finite)"
    return StoredIndex(manifest, chunks, embeddings), ""


def has_checksum(directory: Path) -> bool:
    return (directory / CHECKSUM).exists()


def record_checksum(directory: Path, stored: StoredIndex) -> None:
    """Adds the checksum to a cache written before it was recorded."""
    from indexer.runtime import write_text_atomic

    write_text_atomic(directory / CHECKSUM, checksum((directory / CHUNKS).read_bytes(), stored.embeddings) + "\n")


def write_index(directory: Path, stored: StoredIndex) -> None:
    """Writes into a temporary folder and swaps it in, so a crash never leaves a half-written index."""
    chunks_json = json.dumps([asdict(c) for c in stored.chunks], ensure_ascii=False).encode("utf-8")
    with atomic_dir(directory) as tmp:
        np.save(tmp / EMBEDDINGS, np.ascontiguousarray(stored.embeddings, dtype=np.float32))
        (tmp / CHUNKS).write_bytes(chunks_json)
        (tmp / CHECKSUM).write_text(checksum(chunks_json, stored.embeddings) + "\n", encoding="ascii")
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


def checked_faiss(path: Path, embeddings: np.ndarray) -> tuple[object, str]:
    """The FAISS index at `path` when it holds exactly `embeddings` (row i is chunk i, so its ids are right),
    else one rebuilt from them, with the reason ("" when the file was sound)."""
    try:
        index = read_faiss(path)
        n, dim = embeddings.shape
        if index.ntotal == n and index.d == dim and (
            n == 0 or np.array_equal(index.reconstruct_n(0, n), embeddings)
        ):
            return index, ""
        why = "dense index does not match the stored embeddings"
    except Exception as exc:  # faiss raises RuntimeError for a truncated or foreign file
        why = f"dense index unreadable ({exc.__class__.__name__})"
    return make_faiss(embeddings), why
