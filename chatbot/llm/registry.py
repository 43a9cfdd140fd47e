"""Local chat LLMs for grounded answers: one shared, lazily loaded model per process.

    from chatbot.llm.errors import ModelUnavailable
    from chatbot.llm.registry import load_chat_model
    try:
        llm = load_chat_model(config)        # cached: later calls return the same instance
    except ModelUnavailable as exc:          # one-line reason; fall back to extractive answers
        ...
    for piece in llm.stream_chat(messages, max_new_tokens=config.max_new_tokens):
        ...

Model specs (``config.llm_model``): "qwen-0.5b" / "qwen-1.5b" (GGUFs shipped as PyPI part
packages, see ``packaged``), a path to a ``.gguf`` file, a local transformers folder, or a
hub id (only from the local HF cache unless KBCHAT_ALLOW_DOWNLOAD=1).
Backends (``config.llm_backend``): "llamacpp", "transformers", "auto", "none".
Heavy libraries (torch, transformers, llama_cpp) are imported only when a model loads.
The shared models are closed at exit, the most recently loaded first (``close_all``).
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from chatbot.llm import packaged
from chatbot.llm.base import ChatModel
from chatbot.llm.errors import ModelUnavailable

if TYPE_CHECKING:
    from chatbot.llm.config import LLMConfig

__all__ = [
    "ModelSource",
    "available_backends",
    "choose_backend",
    "close_all",
    "load_chat_model",
    "loaded_models",
    "resolve_source",
    "unload_all",
]

log = logging.getLogger(__name__)

BACKENDS = ("auto", "llamacpp", "transformers", "none")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ModelSource:
    spec: str  # as configured
    kind: Literal["packaged", "gguf", "folder", "hub"]
    path: Path | None = None  # the .gguf file or the folder


def resolve_source(spec: str) -> ModelSource:
    """What ``config.llm_model`` names. Raises ModelUnavailable for nothing usable."""
    spec = spec.strip()
    if spec in packaged.REGISTRY:
        return ModelSource(spec, "packaged")
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise ModelUnavailable(f"GGUF file not found: {path}")
        return ModelSource(spec, "gguf", path.resolve())
    if path.is_dir():
        return ModelSource(spec, "folder", path.resolve())
    if _HUB_ID.match(spec) and not spec.startswith("."):
        return ModelSource(spec, "hub")
    raise ModelUnavailable(
        f"unknown model {spec!r}: use {' or '.join(packaged.REGISTRY)}, a .gguf file, a local folder or a hub id"
    )


def available_backends() -> list[str]:
    """Backends whose libraries import here (llama_cpp really imported: a broken build counts as absent)."""
    out = []
    try:
        import llama_cpp  # noqa: F401

        out.append("llamacpp")
    except Exception:
        pass
    import importlib.util

    if importlib.util.find_spec("torch") and importlib.util.find_spec("transformers"):
        out.append("transformers")
    return out


def choose_backend(requested: str, source: ModelSource, device: str = "auto") -> str:
    """The backend "auto" means for this model and device; validates explicit choices."""
    if requested not in BACKENDS:
        raise ModelUnavailable(f"unknown LLM backend {requested!r} (use {', '.join(BACKENDS)})")
    if requested == "none":
        raise ModelUnavailable("disabled")
    if requested != "auto":
        return requested
    have = available_backends()
    if source.kind in {"folder", "hub"} and not _folder_gguf(source):
        if "transformers" in have:
            return "transformers"
        raise ModelUnavailable(f"{source.spec}: a transformers model needs: pip install torch transformers")
    if "llamacpp" in have:
        from chatbot.llm import llamacpp_backend as lb

        wants_gpu = device == "cuda" or (device == "auto" and lb.nvidia_gpu_present())
        if wants_gpu and not lb.gpu_offload_supported() and "transformers" in have and _torch_cuda():
            return "transformers"  # a CPU-only llama.cpp build would leave the GPU idle
        return "llamacpp"
    if "transformers" in have:
        return "transformers"
    raise ModelUnavailable(
        "no LLM backend installed: pip install llama-cpp-python (or torch transformers gguf accelerate)"
    )


_cache: dict[tuple, ChatModel | ModelUnavailable] = {}
_key_locks: dict[tuple, threading.Lock] = {}
_cache_guard = threading.Lock()


def load_chat_model(config: LLMConfig, *, progress: bool = True) -> ChatModel:
    """The shared chat model for ``config`` (loaded on first call, then cached in-process).

    Every failure, including a missing package, a corrupt download, a GGUF conversion that
    runs out of memory, becomes ModelUnavailable with a one-line reason. Failures are
    cached too (a bad model is not re-hashed or re-converted on each request); call
    ``unload_all()`` to retry after fixing the cause.
    """
    key = (config.llm_backend, str(config.llm_model), config.device, str(Path(config.cache_dir).expanduser()),
           config.llm_url)
    with _cache_guard:
        hit = _cache.get(key)
        lock = _key_locks.setdefault(key, threading.Lock())
    if hit is None:
        with lock:
            hit = _cache.get(key)
            if hit is None:
                hit = _load_or_reason(config, progress)
                with _cache_guard:
                    _cache[key] = hit
    if isinstance(hit, ModelUnavailable):
        raise ModelUnavailable(str(hit)) from hit
    return hit


def loaded_models() -> list[ChatModel]:
    """The shared models loaded so far, in the order they were loaded."""
    with _cache_guard:
        return [m for m in _cache.values() if not isinstance(m, ModelUnavailable)]


def unload_all() -> None:
    """Forgets cached models and cached failures (memory is freed once no caller holds them)."""
    with _cache_guard:
        _cache.clear()
        _key_locks.clear()


def close_all() -> None:
    """Closes the shared models, the most recently loaded first, and forgets them. Registered to run at exit:
    while the interpreter is still whole, not from `__del__` during its teardown."""
    models = loaded_models()
    unload_all()
    for model in reversed(models):
        try:
            model.close()
        except Exception:  # one model failing to close must not keep the others open
            log.warning("closing %r failed", model, exc_info=True)


atexit.register(close_all)


def _load_or_reason(config: LLMConfig, progress: bool) -> ChatModel | ModelUnavailable:
    spec = str(config.llm_model)
    backend = config.llm_backend
    t0 = time.monotonic()
    if config.llm_url:  # generation on an inference server: nothing to load here
        from chatbot.llm import openai_backend

        return openai_backend.load(config)
    try:
        source = resolve_source(spec)
        backend = choose_backend(config.llm_backend, source, config.device)
        model = _load(source, backend, config, progress)
    except ModelUnavailable as exc:
        return exc
    except MemoryError:
        return ModelUnavailable(f"{spec} ({backend}): out of memory while loading")
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if len(reason) > 300:
            reason = reason[:297] + "..."
        failure = ModelUnavailable(f"{spec} ({backend}): {type(exc).__name__}: {reason}")
        failure.__cause__ = exc
        log.debug("LLM load failed", exc_info=exc)
        return failure
    log.info("loaded %s with %s on %s in %.1f s", spec, model.backend, model.device, time.monotonic() - t0)
    return model


def _load(source: ModelSource, backend: str, config: LLMConfig, progress: bool) -> ChatModel:
    cache_dir = Path(config.cache_dir).expanduser()
    if backend == "llamacpp":
        from chatbot.llm import llamacpp_backend

        gguf: Path | None
        if source.kind == "packaged":
            gguf = packaged.ensure_gguf(source.spec, cache_dir, progress=progress)
        elif source.kind == "gguf":
            gguf = source.path
        else:
            gguf = _folder_gguf(source)
        if gguf is None:
            raise ModelUnavailable(f"{source.spec}: the llamacpp backend needs a .gguf file")
        states = None
        if config.state_cache_mb > 0:
            from chatbot.llm.prefix_states import PrefixStateStore

            states = PrefixStateStore(cache_dir / "llm-states" / Path(gguf).stem, config.state_cache_mb << 20)
        return llamacpp_backend.load(source.spec, gguf, device=config.device, states=states)

    from chatbot.llm import transformers_backend

    if source.kind == "packaged":
        gguf = packaged.ensure_gguf(source.spec, cache_dir, progress=progress)
        out = cache_dir / "models" / f"{source.spec}-hf"
        return transformers_backend.load(source.spec, gguf=gguf, converted_dir=out, device=config.device, progress=progress)
    if source.kind == "gguf":
        assert source.path is not None
        tag = hashlib.sha256(str(source.path).encode()).hexdigest()[:8]
        out = cache_dir / "models" / f"{source.path.stem}-{tag}-hf"
        return transformers_backend.load(source.spec, gguf=source.path, converted_dir=out, device=config.device, progress=progress)
    target = str(source.path) if source.path is not None else source.spec
    return transformers_backend.load(source.spec, source=target, device=config.device, progress=progress)


def _folder_gguf(source: ModelSource) -> Path | None:
    """The single .gguf inside a folder spec, if that is what the folder holds."""
    if source.kind != "folder" or source.path is None or (source.path / "config.json").exists():
        return None
    ggufs = sorted(source.path.glob("*.gguf"))
    return ggufs[0] if len(ggufs) == 1 else None


def _torch_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())
