"""Saved llama.cpp states of fixed prompt prefixes ([system + passage]), so a question only pays for its own
tokens.

Evaluating a ~700-token grounding prefix is almost all of the time to the first token on a 2-core CPU
(6.4 s for the 0.5B model, 16.4 s for 1.5B, shared/notes/models.md); restoring its saved KV state takes a
fraction of that. A state is the context's KV data (llama_state_get_data) plus the prefix's token ids: not
llama-cpp-python's `LlamaState`, which also copies a 300 MB logits buffer that sampling never reads.

States are keyed by a hash of the model file, the prompt version and the prefix tokens; kept in memory (a
few) and on disk (bounded, least recently used evicted first)."""
from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.runtime import atomic_file

MEMORY_STATES = 6
_MAGIC = b"KBST1\n"


@dataclass(frozen=True)
class PrefixState:
    tokens: np.ndarray  # int32 token ids of the prefix
    data: bytes  # llama_state_get_data of a context that evaluated exactly `tokens`

    @property
    def nbytes(self) -> int:
        return len(self.data) + self.tokens.nbytes


def state_key(model_id: str, tokens: list[int]) -> str:
    h = hashlib.sha256(model_id.encode())
    h.update(np.asarray(tokens, dtype=np.int32).tobytes())
    return h.hexdigest()[:32]


class PrefixStateStore:
    """Memory LRU in front of a bounded folder of `<key>.state` files."""

    def __init__(self, folder: Path | None, max_disk_bytes: int, memory_states: int = MEMORY_STATES) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.max_disk_bytes = max_disk_bytes
        self.memory_states = memory_states
        self._memory: OrderedDict[str, PrefixState] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{key}.state"

    def get(self, key: str) -> PrefixState | None:
        with self._lock:
            state = self._memory.get(key)
            if state is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return state
        state = self._read(key)
        with self._lock:
            if state is None:
                self.misses += 1
                return None
            self.hits += 1
            self._remember(key, state)
        return state

    def __contains__(self, key: str) -> bool:
        with self._lock:
            if key in self._memory:
                return True
        return self.folder is not None and self._path(key).is_file()

    def put(self, key: str, state: PrefixState) -> None:
        with self._lock:
            self._remember(key, state)
        if self.folder is None or self.max_disk_bytes <= 0:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        header = _MAGIC + len(state.tokens).to_bytes(4, "little")
        with atomic_file(self._path(key)) as tmp:
            tmp.write_bytes(header + state.tokens.astype("<i4").tobytes() + state.data)
        self._evict()

    def _remember(self, key: str, state: PrefixState) -> None:
        self._memory[key] = state
        self._memory.move_to_end(key)
        while len(self._memory) > self.memory_states:
            self._memory.popitem(last=False)

    def _read(self, key: str) -> PrefixState | None:
        if self.folder is None:
            return None
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        if not raw.startswith(_MAGIC) or len(raw) < len(_MAGIC) + 4:
            path.unlink(missing_ok=True)  # not ours, or cut short: rebuilt on demand
            return None
        n = int.from_bytes(raw[len(_MAGIC):len(_MAGIC) + 4], "little")
        start = len(_MAGIC) + 4
        if len(raw) < start + 4 * n + 1:
            path.unlink(missing_ok=True)
            return None
        tokens = np.frombuffer(raw, dtype="<i4", count=n, offset=start).astype(np.int32)
        try:
            os.utime(path)  # least recently used is evicted first
        except OSError:
            pass
        return PrefixState(tokens, raw[start + 4 * n:])

    def _evict(self) -> None:
        assert self.folder is not None
        files = []
        for p in self.folder.glob("*.state"):
            try:
                st = p.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in files)
        for _, size, p in sorted(files):
            if total <= self.max_disk_bytes:
                break
            p.unlink(missing_ok=True)
            total -= size

    def disk_bytes(self) -> int:
        if self.folder is None or not self.folder.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.folder.glob("*.state"))
