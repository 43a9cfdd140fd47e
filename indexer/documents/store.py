"""Where added documents live: `<data dir>/documents/<name>/` holds the original file as received
(`original.<suffix>`), its converted Markdown (`text.md`) and `document.json` (a `StoredDocument`).

`documents/catalog.json` lists the documents in the order they were added. It is rewritten (atomically) on every
change, so a running app notices a change made by `python -m indexer add` from one stat() of that file."""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.runtime import atomic_dir, write_text_atomic

DOCUMENTS_DIR = "documents"
CATALOG = "catalog.json"
META = "document.json"
TEXT = "text.md"


@dataclass
class StoredDocument:
    name: str  # the series name, also the folder's name
    prefix: str  # id prefix: entries are <prefix><number>
    file_name: str  # the original file's (cleaned) name
    sha256: str  # of the original bytes: the same file added again is recognised
    kind: str  # the converter used: markdown, text, pdf, docx, html
    structure: str  # how the entries were found (structure.Structure.kind)
    entries: int
    answered: int
    added_at: str  # ISO time, UTC
    warnings: list[str] = field(default_factory=list)

    @property
    def original_name(self) -> str:
        suffix = Path(self.file_name).suffix.lower()
        return f"original{suffix}"


class DocumentStore:
    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir).expanduser() / DOCUMENTS_DIR

    @property
    def catalog_path(self) -> Path:
        return self.root / CATALOG

    def folder(self, name: str) -> Path:
        return self.root / name

    def version(self) -> tuple[int, int]:
        """Changes whenever a document is added, replaced or removed ((0, 0) before the first)."""
        try:
            st = self.catalog_path.stat()
        except OSError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_ino)

    def names(self) -> list[str]:
        try:
            raw = json.loads(self.catalog_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [n for n in raw.get("documents", []) if isinstance(n, str) and (self.folder(n) / META).is_file()]

    def documents(self) -> list[StoredDocument]:
        out = []
        for name in self.names():
            try:
                out.append(StoredDocument(**json.loads((self.folder(name) / META).read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError):
                continue  # a damaged entry is left out rather than taking every document down
        return out

    def get(self, name: str) -> StoredDocument | None:
        return next((d for d in self.documents() if d.name == name), None)

    def text(self, name: str) -> str:
        return (self.folder(name) / TEXT).read_text(encoding="utf-8")

    def save(self, doc: StoredDocument, original: bytes, text: str) -> None:
        """Writes the document's folder in one swap (a replaced document's old files go at once), then lists it."""
        with atomic_dir(self.folder(doc.name)) as tmp:
            (tmp / doc.original_name).write_bytes(original)
            (tmp / TEXT).write_text(text, encoding="utf-8")
            (tmp / META).write_text(json.dumps(asdict(doc), ensure_ascii=False, indent=2), encoding="utf-8")
        names = self.names()
        self._write_catalog(names if doc.name in names else [*names, doc.name])  # rewritten either way: a new version

    def remove(self, name: str) -> bool:
        names = self.names()
        if name not in names:
            return False
        self._write_catalog([n for n in names if n != name])  # unlisted first: a crash leaves an unused folder
        shutil.rmtree(self.folder(name), ignore_errors=True)
        return True

    def _write_catalog(self, names: list[str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.catalog_path, json.dumps({"documents": names}, ensure_ascii=False, indent=2))
