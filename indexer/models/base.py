"""The one interface every embedding backend offers: float32, L2-normalised rows for queries and passages."""
from __future__ import annotations

import abc
import threading

import numpy as np


class BaseEmbedder(abc.ABC):
    """Backends implement ``_embed``; this class checks input, serialises calls and normalises output."""

    name: str  # stored in the index manifest: a different name means a full re-embed
    dim: int
    device: str

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), "query", progress=False, batch_size=32)

    def encode_passages(self, texts: list[str], *, progress: bool = False, batch_size: int = 16) -> np.ndarray:
        return self._encode(list(texts), "passage", progress=progress, batch_size=batch_size)

    def _encode(self, texts: list[str], kind: str, *, progress: bool, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if any(not isinstance(t, str) for t in texts):
            raise TypeError("texts must be a list of str")
        with self._lock:
            out = self._embed(texts, kind, progress=progress, batch_size=batch_size)
        out = np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(len(texts), -1))
        # re-normalise in float32 (cheap; guards against models without a Normalize module)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, np.maximum(norms, 1e-12), out=out)
        return out

    @abc.abstractmethod
    def _embed(self, texts: list[str], kind: str, *, progress: bool, batch_size: int) -> np.ndarray:
        """Raw embeddings of `texts`; `kind` is "query" or "passage"."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, device={self.device!r})"
