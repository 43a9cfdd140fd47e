"""Query embeddings of the knowledge base's own sentences (the citation check's evidence, the lead's
candidates), kept beside the index: a restart embeds none of them again, and a sentence is embedded once however
often it is asked about, as the chunks are (keyed by a hash of the text, so an edited entry only adds rows).

One append-only file per embedder (`sentences-<name>.vec`): a header with the dimension, then fixed-size records
[16-byte key | dim float32]. Appends are single writes, so processes sharing the cache folder only ever add; a
record cut short at the end (a crash mid-write) is ignored. A read-only cache folder keeps them in memory."""
from __future__ import annotations

import hashlib
import logging
import re
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_MAGIC = b"KBSV1\n"
KEY_BYTES = 16
MAX_ROWS = 500_000  # ~770 MB at 384 dimensions: far above the shipped KB (~4,000) plus many added documents


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:KEY_BYTES]


class SentenceVectors:
    def __init__(self, folder: Path | None, embedder) -> None:
        self.embedder = embedder
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(getattr(embedder, "name", "embedder")))
        self.path = folder / f"sentences-{name}.vec" if folder is not None else None
        self._rows: dict[bytes, np.ndarray] | None = None
        self._lock = threading.Lock()
        self._writable = self.path is not None
        self.embedded = 0  # sentences this process had to embed

    def encode(self, texts: list[str]) -> np.ndarray:
        """One normalised e5 query vector per text, from the file when it has it."""
        with self._lock:
            rows = self._load()
            keys = [_key(t) for t in texts]
            missing = list(dict.fromkeys(k for k in keys if k not in rows))
            if missing:
                by_key = dict(zip(keys, texts))
                vectors = np.asarray(self.embedder.encode_queries([by_key[k] for k in missing]), dtype=np.float32)
                new = dict(zip(missing, vectors))
                rows.update(new)
                self.embedded += len(new)
                self._append(new)
            if not texts:
                return np.zeros((0, int(getattr(self.embedder, "dim", 0) or 0)), dtype=np.float32)
            return np.stack([rows[k] for k in keys])

    def _load(self) -> dict[bytes, np.ndarray]:
        if self._rows is not None:
            return self._rows
        self._rows = {}
        if self.path is None or not self.path.is_file():
            return self._rows
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            log.warning("sentence vectors not read (%s): embedding again", exc)
            return self._rows
        if not raw.startswith(_MAGIC) or len(raw) < len(_MAGIC) + 4:
            log.warning("%s is not a sentence-vector file: starting a new one", self.path)
            self._reset()
            return self._rows
        dim = int.from_bytes(raw[len(_MAGIC):len(_MAGIC) + 4], "little")
        size = KEY_BYTES + 4 * dim
        body = raw[len(_MAGIC) + 4:]
        for start in range(0, len(body) - size + 1, size):  # a cut-off last record is left out
            record = body[start:start + size]
            self._rows[record[:KEY_BYTES]] = np.frombuffer(record[KEY_BYTES:], dtype="<f4").astype(np.float32)
        return self._rows

    def _reset(self) -> None:
        try:
            assert self.path is not None
            self.path.unlink(missing_ok=True)
        except OSError:
            self._writable = False

    def _append(self, new: dict[bytes, np.ndarray]) -> None:
        if not self._writable or self.path is None or len(self._rows or {}) > MAX_ROWS:
            return
        dim = len(next(iter(new.values())))
        data = b"".join(k + v.astype("<f4").tobytes() for k, v in new.items())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as f:
                if f.tell() == 0:
                    data = _MAGIC + dim.to_bytes(4, "little") + data
                f.write(data)
        except OSError as exc:  # a read-only cache folder: they stay in memory for this process
            log.warning("sentence vectors not saved (%s): kept in memory", exc)
            self._writable = False
