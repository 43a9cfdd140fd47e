"""transformers (torch) backend: a local HF folder, a hub id, or a GGUF converted once.

A GGUF is dequantized by ``from_pretrained(folder, gguf_file=...)`` (slow: about a minute
for the 0.5B model, several GB of RAM) and saved with ``save_pretrained`` into
``cache_dir/models/<name>-hf/``, so later starts load the safetensors in seconds.
Needs torch, transformers, gguf and accelerate (transformers refuses GGUF without it).
"""
from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chatbot.llm.base import NO_WORDS, YES_WORDS, BaseChatModel, Message, check_messages
from chatbot.llm.errors import ModelUnavailable
from indexer.runtime import allow_download, atomic_dir, resolve_device

CONTEXT_LENGTH = 4096  # same budget as the llama.cpp backend, so prompts behave alike
_MARKER = "kbchat-converted.json"


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: without them torch emulates bf16 matmuls on the CPU."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def pick_dtype(device: str):
    """fp16/bf16 on CUDA; on a CPU bf16 only where it is native, else fp32.

    Measured on the project's 2-core AVX-512 (no BF16) Xeon, 0.5B, ~790-token grounded
    prompt: bf16 first token ~9 s vs fp32 ~3 s (prefill dominates), decoding about equal
    (7-8 tok/s); fp32 costs twice the RAM (2.5 GB for 0.5B, ~7 GB for 1.5B).
    """
    import torch

    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32


# -- GGUF -> HF folder ---------------------------------------------------------------------


def _gguf_signature(gguf: Path) -> dict[str, Any]:
    import transformers

    st = gguf.stat()
    return {
        "gguf": gguf.name,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "transformers": transformers.__version__.split(".")[0],  # the on-disk format only changes across majors
    }


def converted_dir_valid(gguf: Path, out_dir: Path) -> bool:
    try:
        marker = json.loads((out_dir / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker == _gguf_signature(gguf)


def convert_gguf(gguf: Path, out_dir: Path, *, progress: bool = True) -> Path:
    """Dequantizes ``gguf`` into a transformers checkpoint at ``out_dir`` (once; atomic)."""
    gguf = Path(gguf)
    out_dir = Path(out_dir)
    if converted_dir_valid(gguf, out_dir):
        return out_dir
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    say = (lambda msg: print(msg, file=sys.stderr, flush=True)) if progress else (lambda msg: None)
    t0 = time.monotonic()
    say(f"Converting {gguf.name} to a transformers checkpoint in {out_dir} (one time; about a minute per 0.5B "
        "parameters on a small CPU, several GB of RAM)…")
    with atomic_dir(out_dir, already_done=lambda d: converted_dir_valid(gguf, d)) as tmp:
        say("  [1/3] reading the tokenizer and chat template from the GGUF…")
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        say("  [2/3] dequantizing the weights…")
        # float32 is what the GGUF loader dequantizes to anyway (asking for bf16 only adds a
        # warning). Stored in bf16: half the disk, and loading it as fp32 is exact.
        model: Any = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                          dtype=torch.float32)
        model.to(torch.bfloat16)
        # The GGUF quantizer marks the model "quantized, not serializable" although the weights
        # are plain dequantized tensors by now; drop it so save_pretrained writes safetensors.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        say("  [3/3] writing safetensors…")
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        del model
        (tmp / _MARKER).write_text(json.dumps(_gguf_signature(gguf)))  # written last: marks a complete folder
    say(f"  converted in {time.monotonic() - t0:.0f} s")
    return out_dir


# -- the chat model ----------------------------------------------------------------------------


class TransformersChatModel(BaseChatModel):
    supports_yes_no = True

    def __init__(self, name: str, model: Any, tokenizer: Any, device: str) -> None:
        max_pos = getattr(model.config, "max_position_embeddings", None) or CONTEXT_LENGTH
        super().__init__(name, "transformers", device, min(CONTEXT_LENGTH, int(max_pos)))
        self.model = model
        self.tokenizer = tokenizer
        self.dtype = str(model.dtype).replace("torch.", "")

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def yes_logodds(self, conversations: list[list[Message]]) -> list[float]:
        """log P(reply starts with yes) − log P(… no) per conversation, from one forward pass each."""
        import torch

        yes, no = (sorted({self.tokenizer.encode(w, add_special_tokens=False)[0] for w in words})
                   for words in (YES_WORDS, NO_WORDS))
        odds = []
        with self.busy(), torch.inference_mode():
            for messages in conversations:
                check_messages(messages)
                enc = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                         return_dict=True)
                ids = enc["input_ids"].to(self.device)
                if ids.shape[1] + 1 >= self.context_length:
                    raise ValueError(f"a judgement prompt exceeds the context window of {self.context_length}")
                logits = self.model(input_ids=ids).logits[0, -1].float()
                odds.append(float(torch.logsumexp(logits[yes], 0) - torch.logsumexp(logits[no], 0)))
        return odds

    def _stream(self, messages: list[Message], *, max_new_tokens: int, temperature: float) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        enc = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        input_ids = enc["input_ids"].to(self.device)
        attention_mask = enc.get("attention_mask")
        attention_mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask.to(self.device)
        max_new_tokens = _fit_budget(input_ids.shape[1], max_new_tokens, self.context_length)

        stop = threading.Event()

        class _StopOnEvent(StoppingCriteria):
            def __call__(self, ids, scores, **kwargs):
                return torch.full((ids.shape[0],), stop.is_set(), dtype=torch.bool, device=ids.device)

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs: dict[str, Any] = dict(
            input_ids=input_ids,
            attention_mask=attention_mask,
            max_new_tokens=max_new_tokens,
            streamer=streamer,
            stopping_criteria=StoppingCriteriaList([_StopOnEvent()]),
            pad_token_id=self.tokenizer.eos_token_id if self.tokenizer.pad_token_id is None else self.tokenizer.pad_token_id,
        )
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=0.8, top_k=20)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        error: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**kwargs)
            except BaseException as exc:  # surfaced in the consumer's thread below
                error.append(exc)
                streamer.end()

        thread = threading.Thread(target=run, name="kbchat-generate", daemon=True)
        thread.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        finally:
            stop.set()  # consumer stopped early (or done): let generate() return
            thread.join()
        if error:
            raise error[0]


def _fit_budget(n_prompt: int, max_new_tokens: int, context_length: int) -> int:
    room = context_length - n_prompt
    if room < 1:
        raise ValueError(f"prompt is {n_prompt} tokens; the model's context is {context_length}")
    return min(max_new_tokens, room)


def load(
    name: str,
    *,
    gguf: Path | None = None,
    source: str | None = None,
    converted_dir: Path | None = None,
    device: str = "auto",
    progress: bool = True,
) -> TransformersChatModel:
    """Loads ``gguf`` (converted into ``converted_dir`` first) or ``source`` (HF folder / hub id)."""
    try:
        import torch  # noqa: F401 - checked here so the message names both packages
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ModelUnavailable(f"transformers backend needs torch and transformers ({exc})") from None
    dev = resolve_device(device)
    if gguf is not None:
        if converted_dir is None:
            raise ValueError("converted_dir is required with gguf")
        try:
            import accelerate  # noqa: F401
            import gguf as _gguf  # noqa: F401
        except ImportError as exc:
            raise ModelUnavailable(f"converting a GGUF with transformers needs: pip install gguf accelerate ({exc})") from None
        folder: str = str(convert_gguf(gguf, converted_dir, progress=progress))
        local_only = True
    elif source is not None:
        folder = source
        # a hub id is looked up in the local HF cache only, unless downloads are allowed
        local_only = Path(source).is_dir() or not allow_download()
    else:
        raise ValueError("give gguf or source")
    dtype = pick_dtype(dev)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=local_only)
    except OSError as exc:
        if source is not None and not Path(source).is_dir():
            hint = ("not in the local Hugging Face cache (set KBCHAT_ALLOW_DOWNLOAD=1 to download it once)"
                    if local_only else "could not be downloaded")
            raise ModelUnavailable(f"{name}: hub model {hint}") from exc
        raise
    if not getattr(tokenizer, "chat_template", None):
        raise ModelUnavailable(f"{name}: the tokenizer has no chat template (not an instruct/chat model?)")
    model: Any = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, local_files_only=local_only)
    model.to(dev)
    model.eval()
    return TransformersChatModel(name, model, tokenizer, dev)
