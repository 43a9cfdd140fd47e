"""Loads a sentence-transformers model offline-first (shared by the backend and the e5 conversion check)."""
from __future__ import annotations

import os
from typing import Any


def load_sentence_transformer(name_or_path: str, device: str, *, local_only: bool) -> Any:
    """SentenceTransformer on ``device``; fp32 on CPU (fp16 matmul on CPU is several times slower)."""
    if local_only:
        # Make huggingface_hub itself offline too (model-card look-ups and the like), before its import.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    model_kwargs = {"dtype": torch.float32} if device == "cpu" else None
    return SentenceTransformer(name_or_path, device=device, local_files_only=local_only, model_kwargs=model_kwargs)
