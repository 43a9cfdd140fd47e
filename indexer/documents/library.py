"""The added documents as a whole: add (convert, find the entries, store), remove, list, and their entries as
`Question`s beside the shipped ones. Embedding is the index's job (indexer/index/documents.py)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from indexer.config import Config
from indexer.documents.convert import convert, too_large
from indexer.documents.naming import clean_file_name, document_name, pick_prefix
from indexer.documents.store import DocumentStore, StoredDocument
from indexer.documents.structure import detect
from indexer.errors import DocumentError
from indexer.ids import prefix_of
from indexer.kb.parser import extract_code_blocks, parse_kb
from indexer.records import Question, Warning_

MAX_WARNINGS = 20  # kept per document; a 200-page PDF can produce many more


@dataclass
class AddResult:
    document: StoredDocument
    status: str  # "added", "replaced" or "unchanged"
    notes: list[str] = field(default_factory=list)  # about this add only (a cleaned file name)

    def summary(self) -> str:
        d = self.document
        if self.status == "unchanged":
            return f"{d.file_name}: already added as {d.name!r} with the same content; nothing changed"
        return (f"{d.file_name}: {self.status} as {d.name!r}, ids {d.prefix}…: {d.entries} entries "
                f"({d.answered} with an answer) found as {d.structure}")


@dataclass
class DocumentEntries:
    questions: list[Question]
    series_titles: dict[str, str]
    warnings: list[Warning_]


class DocumentLibrary:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = DocumentStore(config.data_dir)

    def documents(self) -> list[StoredDocument]:
        return self.store.documents()

    def add_file(self, path: Path, name: str = "") -> AddResult:
        path = Path(path)
        limit = self.config.max_document_mb * 1024 * 1024
        try:
            size = path.stat().st_size
            if size > limit:  # refused before reading it into memory
                raise DocumentError(too_large(path.name, size, limit))
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"{path}: cannot be read ({exc.strerror or exc.__class__.__name__})") from None
        return self.add_bytes(path.name, data, name)

    def add_bytes(self, raw_file_name: str, data: bytes, name: str = "") -> AddResult:
        """Stores the document (replacing one of the same name); DocumentError, with nothing changed, when the
        file cannot be used."""
        file_name, cleaned = clean_file_name(raw_file_name)
        converted = convert(file_name, data, max_bytes=self.config.max_document_mb * 1024 * 1024)
        name = document_name(file_name, name)
        if name in self._shipped_series():
            raise DocumentError(f"{file_name}: {name!r} is the name of a shipped series; choose another with --name")
        digest = hashlib.sha256(data).hexdigest()
        documents = self.store.documents()
        existing = next((d for d in documents if d.name == name), None)
        if existing is not None and existing.sha256 == digest:
            return AddResult(existing, "unchanged", [cleaned] if cleaned else [])
        twin = next((d for d in documents if d.sha256 == digest and d.name != name), None)
        if twin is not None:
            raise DocumentError(f"{file_name}: the same file is already added as {twin.name!r}; remove that first "
                                "or add it again under that name")
        structure = detect(converted.text, file_name)
        taken = self._shipped_prefixes() | {d.prefix for d in documents if d.name != name}
        prefix = existing.prefix if existing is not None else pick_prefix(name, taken)
        notes = [f"{file_name}: {note}" for note in converted.notes] + [str(w) for w in structure.warnings]
        doc = StoredDocument(name, prefix, file_name, digest, converted.kind, structure.kind, len(structure.entries),
                             sum(1 for e in structure.entries if e.answer.strip() and not e.passage),
                             datetime.now(UTC).isoformat(timespec="seconds"), notes[:MAX_WARNINGS])
        self.store.save(doc, data, converted.text)
        return AddResult(doc, "replaced" if existing is not None else "added", [cleaned] if cleaned else [])

    def remove(self, name: str) -> StoredDocument:
        doc = self.store.get(name)
        if doc is None or not self.store.remove(name):
            known = ", ".join(d.name for d in self.store.documents()) or "none"
            raise DocumentError(f"no added document named {name!r} (added: {known})")
        return doc

    def entries(self) -> DocumentEntries:
        """Every added document's entries as questions, in the order the documents were added."""
        questions: list[Question] = []
        titles: dict[str, str] = {}
        warnings: list[Warning_] = []
        for doc in self.store.documents():
            try:
                text = self.store.text(doc.name)
            except OSError as exc:
                warnings.append(Warning_(doc.file_name, 0, f"text of {doc.name!r} unreadable ({exc.__class__.__name__}); "
                                                           "add the file again"))
                continue
            titles[doc.name] = f"{doc.name} (added)"
            questions += document_questions(doc, text)
        return DocumentEntries(questions, titles, warnings)

    def _shipped(self):
        kb_dir = Path(self.config.kb_dir)
        return parse_kb(kb_dir).questions if kb_dir.is_dir() else []

    def _shipped_prefixes(self) -> set[str]:
        return {prefix_of(q.id) for q in self._shipped()}

    def _shipped_series(self) -> set[str]:
        return {q.series for q in self._shipped()}


def document_questions(doc: StoredDocument, text: str) -> list[Question]:
    return [Question(f"{doc.prefix}{e.number}", doc.name, e.number, e.title, e.answer,
                     code_blocks=extract_code_blocks(e.answer), source=doc.file_name, line=e.line,
                     document=doc.name, passage=e.passage)
            for e in detect(text, doc.file_name).entries]
