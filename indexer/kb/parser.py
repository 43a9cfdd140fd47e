"""Parses the Markdown knowledge base into one `Question` per numbered question.

Tolerant by design: malformed input produces a warning naming the file and line and never
stops the other files (or the other questions of the same file) from being indexed.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from indexer.ids import QID
from indexer.kb.catalog import (
    ERRATA_FILE,
    Catalog,
    Erratum,
    FileDecl,
    kb_files,
    load_aliases,
    load_catalog,
    load_errata,
    resolve_decl,
    split_front_matter,
)
from indexer.records import ADDENDUM_HEADING, CodeBlock, Question, Warning_
from indexer.text import FENCE_LINE, fenced_code, split_fenced

_NUMBERED_HEADING_RE = re.compile(r"^(#{1,6})\s*(\d+)\s*[.．、]\s*(.*?)\s*#*\s*$")
_HEADING_RE = re.compile(r"^(#{1,6})\s+(\S.*?)\s*$")
_LIST_TITLE_RE = re.compile(r"^\s*(\d+)\s*[.．、]\s*(\S.*?)\s*$")
# A supplement answer that shares its twin's: the whole body is `<!-- same-as: Q17 -->`.
_SAME_AS_RE = re.compile(rf"^\s*<!--\s*same-as\s*:\s*({QID})\s*-->\s*$")
_ANSWER_MARKER_RE = re.compile(r"^\s*\**\s*答案\s*[:：]\s*\**\s*")


@dataclass
class ParsedKB:
    questions: list[Question]
    warnings: list[Warning_]
    series_titles: dict[str, str] = field(default_factory=dict)

    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}


@dataclass
class _Entry:
    number: int
    title: str
    answer: str
    line: int
    source: str


def read_kb_text(path: Path, warnings: list[Warning_]) -> str | None:
    """The file's text, or None (with a warning) when it is empty or not UTF-8."""
    data = path.read_bytes()
    if not data.strip():
        warnings.append(Warning_(path.name, 1, "empty file; skipped"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        warnings.append(Warning_(path.name, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                                                  "file skipped – save it as UTF-8"))
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _code_mask(lines: list[str], fname: str, first_line: int, warnings: list[Warning_]) -> list[bool]:
    """Which lines belong to a fenced code block (fence lines included).

    An unclosed fence would swallow the rest of the file, so it is closed before the next
    numbered heading instead, with a warning.
    """
    mask = [False] * len(lines)
    i = 0
    while i < len(lines):
        m = FENCE_LINE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group(1)
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            j += 1
        if j == len(lines):
            warnings.append(Warning_(fname, first_line + i, "unclosed code fence; closed before the next question"))
            j = i + 1
            while j < len(lines) and not _NUMBERED_HEADING_RE.match(lines[j]):
                j += 1
            for k in range(i, j):
                mask[k] = True
            i = j
            continue
        for k in range(i, j + 1):
            mask[k] = True
        i = j + 1
    return mask


def extract_code_blocks(answer: str) -> list[CodeBlock]:
    return [CodeBlock(*fenced_code(piece)) for piece, closed in split_fenced(answer) if closed is not None]


def _close_unbalanced_fence(answer: str) -> str:
    fences = sum(1 for line in answer.split("\n") if FENCE_LINE.match(line))
    return answer + "\n```" if fences % 2 else answer


def _clean_answer(lines: list[str]) -> str:
    text = "\n".join(lines).strip()
    text = _ANSWER_MARKER_RE.sub("", text, count=1).strip()
    text = re.sub(r"(\n\s*(-{3,}|\*{3,}|_{3,})\s*)+$", "", text).strip()
    return _close_unbalanced_fence(text)


def parse_titles(lines: list[str], mask: list[bool], fname: str, first_line: int,
                 warnings: list[Warning_]) -> list[_Entry]:
    entries = []
    for i, line in enumerate(lines):
        if mask[i]:
            continue
        m = _LIST_TITLE_RE.match(line) or _NUMBERED_HEADING_RE.match(line)
        if m:
            number, title = (int(m.group(1)), m.group(2)) if m.re is _LIST_TITLE_RE else (int(m.group(2)), m.group(3))
            if not title.strip():
                warnings.append(Warning_(fname, first_line + i, f"question {number} has no title; skipped"))
                continue
            entries.append(_Entry(number, title.strip(), "", first_line + i, fname))
    return entries


def parse_answers(lines: list[str], mask: list[bool], fname: str, first_line: int,
                  warnings: list[Warning_]) -> list[_Entry]:
    headings = [(i, _NUMBERED_HEADING_RE.match(line)) for i, line in enumerate(lines) if not mask[i]]
    numbered = [(i, m) for i, m in headings if m]
    if not numbered:
        warnings.append(Warning_(fname, first_line, "no numbered question headings (`## N. title`) found"))
        return []
    level = Counter(len(m.group(1)) for _, m in numbered).most_common(1)[0][0]
    starts = {i: m for i, m in numbered if len(m.group(1)) == level}
    first = min(starts)
    for i, line in enumerate(lines):
        if mask[i] or i in starts:
            continue
        hm = _HEADING_RE.match(line)
        if hm and len(hm.group(1)) == level and i > first:
            warnings.append(Warning_(fname, first_line + i, f"heading without a number: {hm.group(2)!r}; "
                                                           "its text stays with the previous question"))
    entries, order = [], sorted(starts)
    for n, i in enumerate(order):
        end = order[n + 1] if n + 1 < len(order) else len(lines)
        # Stop at a higher-level heading (a new document section) that is not code.
        for k in range(i + 1, end):
            hm = _HEADING_RE.match(lines[k])
            if hm and not mask[k] and len(hm.group(1)) < level:
                end = k
                break
        m = starts[i]
        title = m.group(3).strip()
        if not title:
            warnings.append(Warning_(fname, first_line + i, f"question {m.group(2)} has no title"))
            title = f"({m.group(2)})"
        entries.append(_Entry(int(m.group(2)), title, _clean_answer(lines[i + 1:end]), first_line + i, fname))
    return entries


def parse_file(path: Path, catalog: Catalog, warnings: list[Warning_]) -> tuple[FileDecl | None, list[_Entry]]:
    text = read_kb_text(path, warnings)
    if text is None:
        return None, []
    front, body, skipped = split_front_matter(text)
    decl = resolve_decl(path.name, front, catalog, warnings)
    if decl is None:
        return None, []
    lines = body.split("\n")
    first_line = skipped + 1
    mask = _code_mask(lines, path.name, first_line, warnings)
    parse = parse_titles if decl.role == "titles" else parse_answers
    entries = parse(lines, mask, path.name, first_line, warnings)
    if not entries and decl.role == "titles":
        warnings.append(Warning_(path.name, first_line, "no `N. title` lines found"))
    return decl, entries


def parse_kb(kb_dir: Path) -> ParsedKB:
    warnings: list[Warning_] = []
    if not kb_dir.is_dir():
        raise FileNotFoundError(f"knowledge-base folder not found: {kb_dir}")
    catalog = load_catalog(kb_dir, warnings)
    merged: dict[tuple[str, int], Question] = {}
    addenda: list[tuple[str, _Entry]] = []
    for path in kb_files(kb_dir):
        decl, entries = parse_file(path, catalog, warnings)
        if decl is None:  # undeclared or unreadable: already warned about
            continue
        if decl.role == "addenda":
            addenda.extend((decl.series, e) for e in entries)
            continue
        seen_here: dict[int, int] = {}
        for e in entries:
            if e.number in seen_here:
                warnings.append(Warning_(e.source, e.line, f"duplicate question number {e.number} "
                                                            f"(first at line {seen_here[e.number]}); ignored"))
                continue
            seen_here[e.number] = e.line
            _merge(merged, decl, e, warnings)
    aliases = load_aliases(kb_dir, warnings)
    series_order = list(catalog.series_prefix)
    questions = sorted(merged.values(), key=lambda q: (series_order.index(q.series), q.number))
    _apply_errata(questions, load_errata(kb_dir, warnings), warnings)
    _apply_addenda(merged, addenda, warnings)
    _resolve_twins(questions, warnings)
    for q in questions:
        q.aliases = aliases.get(q.id, {}).get("en", "")
        q.aliases_zh = aliases.get(q.id, {}).get("zh", "")
        q.code_blocks = extract_code_blocks(q.answer)
    return ParsedKB(questions, warnings, dict(catalog.series_title))


def _apply_errata(questions: list[Question], errata: list[Erratum], warnings: list[Warning_]) -> None:
    """Corrects false statements of the original answers in memory (the files stay as received); an erratum
    whose text is no longer in the answer is warned about, so a changed document cannot silently lose it."""
    by_id = {q.id: q for q in questions}
    for e in errata:
        q = by_id.get(e.qid)
        if q is None or e.wrong not in q.answer:
            where = "no such question" if q is None else "its `wrong` text is not in the answer"
            warnings.append(Warning_(ERRATA_FILE, e.line, f"erratum for {e.qid} not applied: {where}"))
            continue
        q.answer = q.answer.replace(e.wrong, e.right)
        q.corrections.append(e.why)


def _apply_addenda(merged: dict[tuple[str, int], Question], addenda: list[tuple[str, _Entry]],
                   warnings: list[Warning_]) -> None:
    """Appends the product's text to thin original answers (the files stay as received), under a heading that
    tells the reader it is not original. Only to an answer: a question without one gets a supplement answer."""
    done: dict[tuple[str, int], _Entry] = {}
    for series, e in addenda:
        q = merged.get((series, e.number))
        if q is None or not q.has_answer or q.same_as:
            warnings.append(Warning_(e.source, e.line, f"addendum {e.number} not applied: no answer to add to "
                                                        "(write a supplement answer instead)"))
            continue
        if (series, e.number) in done:
            first = done[(series, e.number)]
            warnings.append(Warning_(e.source, e.line, f"second addendum for {q.id} (first at {first.source}:"
                                                        f"{first.line}); ignored"))
            continue
        if not e.answer.strip():
            warnings.append(Warning_(e.source, e.line, f"empty addendum for {q.id}; ignored"))
            continue
        done[(series, e.number)] = e
        q.addendum = e.answer.strip()
        q.answer = f"{q.answer.rstrip()}\n\n{ADDENDUM_HEADING}\n\n{q.addendum}"


def _resolve_twins(questions: list[Question], warnings: list[Warning_]) -> None:
    """A `same-as` question takes its twin's answer (one level: the twin must have an answer of its own)."""
    by_id = {q.id: q for q in questions}
    for q in questions:
        if not q.same_as:
            continue
        twin = by_id.get(q.same_as)
        if twin is None or twin.same_as or not twin.has_answer:
            warnings.append(Warning_(q.source, q.line, f"{q.id} is marked same-as {q.same_as}, which "
                                                        "has no answer of its own; left without an answer"))
            q.same_as = ""
            continue
        q.answer = twin.answer
        q.corrections = list(twin.corrections)
        q.addendum = twin.addendum


def _merge(merged: dict[tuple[str, int], Question], decl: FileDecl, e: _Entry, warnings: list[Warning_]) -> None:
    key = (decl.series, e.number)
    existing = merged.get(key)
    if existing is None:
        same = _SAME_AS_RE.match(e.answer) if decl.role == "answers" else None
        merged[key] = Question(f"{decl.prefix}{e.number}", decl.series, e.number, e.title,
                               "" if same else e.answer, source=e.source, line=e.line,
                               supplement=decl.supplement, same_as=same.group(1) if same else "")
        return
    if decl.role == "titles":  # a title line never overrides an answer section
        if existing.source and not existing.has_answer:
            warnings.append(Warning_(e.source, e.line, f"duplicate question number {e.number} in series "
                                                        f"{decl.series!r} (also {existing.source}:{existing.line})"))
        return
    if existing.has_answer or existing.same_as:
        warnings.append(Warning_(e.source, e.line, f"duplicate answer for {existing.id} (first at "
                                                    f"{existing.source}:{existing.line}); ignored"))
        return
    existing.source, existing.line, existing.supplement = e.source, e.line, decl.supplement
    if not existing.title.strip() or decl.role != "answers" or not decl.supplement:
        existing.title = e.title  # a supplement keeps the original list's title text
    same = _SAME_AS_RE.match(e.answer)
    if same:
        existing.same_as = same.group(1)
    else:
        existing.answer = e.answer
