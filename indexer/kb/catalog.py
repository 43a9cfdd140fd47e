"""Which series (and id prefix) each knowledge-base file belongs to.

A file declares itself with a front-matter block, or is listed in `kb/series.toml`
(the shipped files keep their original text, so they are declared there).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from indexer.records import Warning_

CATALOG_FILE = "series.toml"
ALIASES_FILES = ("aliases.zh.tsv", "aliases.en.tsv")  # language -> file: zh, en
ERRATA_FILE = "errata.toml"  # corrections of false statements in the original documents (kept byte for byte)
KB_SUFFIXES = {".md", ".markdown", ".txt"}
ROLES = {"answers", "titles", "addenda"}  # addenda: text appended to answers
_PREFIX_RE = re.compile(r"^[A-Z]{1,3}$")
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)


@dataclass(frozen=True)
class FileDecl:
    series: str
    prefix: str
    role: str  # "answers" | "titles" | "addenda" (appended to the answers of the same series)
    supplement: bool = False  # answers written for the product, not part of the original documents


@dataclass(frozen=True)
class Erratum:
    """Replace `wrong` (exact text of the original answer) with `right`; `why` is shown to the reader."""

    qid: str
    wrong: str
    right: str
    why: str
    line: int  # of the entry in ERRATA_FILE, for warnings


@dataclass
class Catalog:
    series_prefix: dict[str, str]
    series_title: dict[str, str]
    files: dict[str, FileDecl]


def kb_files(kb_dir: Path) -> list[Path]:
    """Knowledge-base documents in a stable order (the catalog and aliases are not documents)."""
    return sorted(
        p for p in kb_dir.iterdir()
        if p.is_file() and p.suffix.lower() in KB_SUFFIXES and not p.name.startswith(".")
    )


def load_catalog(kb_dir: Path, warnings: list[Warning_]) -> Catalog:
    catalog = Catalog({}, {}, {})
    path = kb_dir / CATALOG_FILE
    if not path.exists():
        return catalog
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        warnings.append(Warning_(CATALOG_FILE, 0, f"unreadable catalog, ignored: {exc}"))
        return catalog
    for name, spec in data.get("series", {}).items():
        prefix = str(spec.get("prefix", ""))
        if not _PREFIX_RE.match(prefix):
            warnings.append(Warning_(CATALOG_FILE, 0, f"series {name!r}: prefix must be 1-3 capital letters"))
            continue
        catalog.series_prefix[name] = prefix
        catalog.series_title[name] = str(spec.get("title", name))
    for fname, spec in data.get("files", {}).items():
        series, role = str(spec.get("series", "")), str(spec.get("role", "answers"))
        if series not in catalog.series_prefix or role not in ROLES:
            warnings.append(Warning_(CATALOG_FILE, 0, f"file {fname!r}: unknown series {series!r} or role {role!r}"))
            continue
        catalog.files[fname] = FileDecl(series, catalog.series_prefix[series], role)
    return catalog


def split_front_matter(text: str) -> tuple[dict[str, str], str, int]:
    """Returns (front-matter fields, body, number of lines the front matter took)."""
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        return {}, text, 0
    fields: dict[str, str] = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.split("#", 1)[0].strip().strip("\"'")
    return fields, text[m.end():], m.group(0).count("\n")


def resolve_decl(
    fname: str, front: dict[str, str], catalog: Catalog, warnings: list[Warning_]
) -> FileDecl | None:
    if front:
        series, prefix, role = front.get("series", ""), front.get("prefix", ""), front.get("role", "answers")
        if not series or not _PREFIX_RE.match(prefix) or role not in ROLES:
            warnings.append(Warning_(fname, 1, "front matter needs `series`, `prefix` (1-3 capital letters) "
                                                "and optional `role: answers|titles|addenda`; file skipped"))
            return None
        known = catalog.series_prefix.get(series)
        if known is not None and known != prefix:
            warnings.append(Warning_(fname, 1, f"series {series!r} already uses prefix {known!r}; file skipped"))
            return None
        for other, other_prefix in catalog.series_prefix.items():
            if other_prefix == prefix and other != series:
                warnings.append(Warning_(fname, 1, f"prefix {prefix!r} belongs to series {other!r}; file skipped"))
                return None
        catalog.series_prefix.setdefault(series, prefix)
        catalog.series_title.setdefault(series, series)
        supplement = front.get("supplement", "").lower() in {"true", "yes", "1"}
        return FileDecl(series, prefix, role, supplement)
    decl = catalog.files.get(fname)
    if decl is None:
        warnings.append(Warning_(fname, 1, f"no series declared (add front matter or an entry in kb/{CATALOG_FILE}); "
                                           "file skipped"))
    return decl


def load_aliases(kb_dir: Path, warnings: list[Warning_]) -> dict[str, dict[str, str]]:
    """{question id: {"zh": ..., "en": ...}}: synonyms and plain descriptions (zh), title and keywords (en).

    They let a query that never uses the title's words (an English query, a plain-language
    paraphrase) still reach the question.
    """
    aliases: dict[str, dict[str, str]] = {}
    for fname in ALIASES_FILES:
        path, lang = kb_dir / fname, fname.split(".")[1]
        if not path.exists():
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            warnings.append(Warning_(fname, 0, f"not UTF-8, ignored: {exc}"))
            continue
        for n, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            qid, sep, text = line.partition("\t")
            if not sep or not text.strip():
                warnings.append(Warning_(fname, n, "expected `ID<TAB>aliases`; line ignored"))
                continue
            aliases.setdefault(qid.strip(), {})[lang] = text.strip()
    return aliases


def load_errata(kb_dir: Path, warnings: list[Warning_]) -> list[Erratum]:
    """The corrections in `kb/errata.toml` ([[erratum]] id, wrong, right, why); malformed entries are warned
    about and skipped."""
    path = kb_dir / ERRATA_FILE
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        warnings.append(Warning_(ERRATA_FILE, 0, f"unreadable, no corrections applied: {exc}"))
        return []
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "[[erratum]]"]
    errata = []
    for k, entry in enumerate(data.get("erratum", [])):
        line = starts[k] if k < len(starts) else 0
        fields = [entry.get(name) if isinstance(entry, dict) else None for name in ("id", "wrong", "right", "why")]
        if not all(isinstance(f, str) and f.strip() for f in fields):
            warnings.append(Warning_(ERRATA_FILE, line, "an erratum needs non-empty id, wrong, right and why; "
                                                        "skipped"))
            continue
        qid, wrong, right, why = (f.strip() for f in fields)  # type: ignore[union-attr]
        errata.append(Erratum(qid, wrong, right, why, line))
    return errata
