"""A document's name (its series, and its folder in the data dir) and its id prefix.

A name comes from `--name` or the file's name; it never becomes a path outside the documents folder and never
carries control characters. The prefix is picked once, from the name's initials, and kept in the document's
record, so the ids stay the same when the file is added again."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from itertools import product
from string import ascii_uppercase

from indexer.documents.store import CATALOG
from indexer.errors import DocumentError
from indexer.ids import MAX_PREFIX_LETTERS, is_prefix

MAX_NAME_CHARS = 60
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w is Unicode: Chinese names stay readable
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_file_name(raw: str) -> tuple[str, str]:
    """(the file's own name, a warning or "") from a name as a browser or a shell gave it: directories
    ("../", "C:\\"), control characters and surrounding spaces removed."""
    base = re.split(r"[\\/]", raw or "")[-1]
    base = _CONTROL.sub("", base).strip().lstrip(".") or "document"
    warning = f"file name {raw!r} was cleaned to {base!r}" if base != raw else ""
    return base, warning


def document_name(file_name: str, given: str = "") -> str:
    """The name a document is stored and shown under: `given` (checked) or the file's stem (made safe)."""
    if given:
        if _CONTROL.search(given) or "/" in given or "\\" in given or given.strip().startswith("."):
            raise DocumentError(f"--name {given!r}: a name may not hold '/', '\\' or control characters, "
                                "nor start with a dot")
        return _not_reserved(_shorten(unicodedata.normalize("NFC", given.strip())))
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    safe = _UNSAFE.sub("-", unicodedata.normalize("NFC", stem)).strip("-. ") or "document"
    return _not_reserved(_shorten(safe))


def _not_reserved(name: str) -> str:
    # the documents folder's own list lives beside the documents' folders
    return f"{name}-document" if name.lower() == CATALOG else name


def _shorten(name: str) -> str:
    return name[:MAX_NAME_CHARS].rstrip("-. ")


def pick_prefix(name: str, taken: Collection[str]) -> str:
    """An id prefix for `name` that no other series uses: its initials ("interview-notes" → "IN"), else the
    first letter followed by others, else "D" for a name without Latin letters ("面试题" → "D")."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", re.sub(r"[^A-Za-z]+", " ", name))
    initials = "".join(w[0] for w in words).upper()[:MAX_PREFIX_LETTERS] or "D"
    for candidate in _candidates(initials):
        if is_prefix(candidate) and candidate not in taken:
            return candidate
    raise DocumentError(f"{name}: no free id prefix left")  # 18 278 prefixes: only reachable in theory


def _candidates(initials: str):
    yield initials
    head = initials[0]
    for letter in ascii_uppercase:
        yield head + letter
    for a, b in product(ascii_uppercase, repeat=2):
        yield head + a + b
    for length in range(1, MAX_PREFIX_LETTERS + 1):
        for letters in product(ascii_uppercase, repeat=length):
            yield "".join(letters)
