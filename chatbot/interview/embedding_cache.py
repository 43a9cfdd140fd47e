"""Query and passage embeddings for grading, with a small process-wide cache: references, key points and the
background lines are embedded once per embedder, however many answers are graded against them."""
from __future__ import annotations

import numpy as np

# Not calibration: a memory bound (the 131 references, their key points and the background lines fit many times)
_CACHE_MAX = 2048
_CACHE: dict[tuple, np.ndarray] = {}


def embed(embedder, texts: list[str], kind: str) -> np.ndarray:
    """One normalised row per text: e5 "query:" embeddings for kind "query", "passage:" ones otherwise."""
    tag = getattr(embedder, "name", None) or id(embedder)
    found = {t: _CACHE.get((tag, kind, t)) for t in dict.fromkeys(texts)}
    todo = [t for t, v in found.items() if v is None]
    if todo:
        encode = embedder.encode_queries if kind == "query" else embedder.encode_passages
        vectors = np.asarray(encode(todo), dtype=np.float32)
        if len(_CACHE) + len(todo) > _CACHE_MAX:
            _CACHE.clear()
        for t, v in zip(todo, vectors):
            found[t] = _CACHE[(tag, kind, t)] = v
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[t] for t in texts])  # type: ignore[misc]  # every text was filled above
