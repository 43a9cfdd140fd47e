"""Finds the entries of a document's Markdown the way people write question lists, trying in order:

1. numbered headings: `## 12. title`, `## 012 title`, `### Q12: title`, `### 1.4.2 title`;
2. question/answer pairs: `Q:` / `A:`, `问：` / `答：`, `Question:` / `Answer:` (bold or not); then questions
   written as bold paragraphs (`**What is X?**` followed by the answer);
3. headings as entries when nothing is numbered, deeper headings staying inside their entry — or numbered list
   lines (`12. title`, the shape a PDF's text takes) when those are many more than the headings;
4. otherwise passages of about PASSAGE_CHARS, so an unstructured document can still be searched and cited.

Numbers a document gives are kept (entry 12 becomes id X12), so ids survive edits elsewhere in the file; when
they repeat (numbering restarting per section) entries are numbered in order instead, with a warning."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from indexer.records import Warning_
from indexer.text import answer_blocks, fenced_spans

# "## 12. title", "## 012 title", "### Q12: title", "### 1.4.2 title" (a section number: its last part counts)
_NUMBERED_HEADING = re.compile(
    r"^(#{1,6})\s*(?:\**\s*)(?:Q|问题|第)?\s*((?:\d{1,4}\.)*\d{1,4})\s*(?:[.．、:：)）]|题|\s|(?=[\u4e00-\u9fff]))"
    r"\s*(.*?)\s*#*\s*$", re.I)
# A paragraph that is one bold question: "**What is regression? 👶**"
_BOLD_QUESTION = re.compile(r"^\s*\*\*([^*]*[?？][^*]*)\*\*\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*\s*$")
_LIST_TITLE = re.compile(r"^(\d{1,4})\s*[.．、)）]\s*(\S.*?)\s*$")
_QUESTION = re.compile(r"^\s*(?:[-*]\s+)?\**\s*(?:Q|问|问题|Question)\s*(\d{1,4})?\s*\**\s*[:：.]\s*\**\s*(.*)$", re.I)
_ANSWER = re.compile(r"^\s*(?:[-*]\s+)?\**\s*(?:A|答|答案|回答|Answer)\s*(\d{1,4})?\s*\**\s*[:：.]\s*\**\s*(.*)$",
                     re.I)
_EMPHASIS = re.compile(r"^\*{1,2}|\*{1,2}$")
PASSAGE_CHARS = 800
MAX_NUMBER = 9999  # ids are a prefix and at most four digits (indexer/ids.py)


@dataclass
class Entry:
    number: int
    title: str
    answer: str  # Markdown; "" for a title without an answer
    line: int  # 1-based line of the title in the converted text
    passage: bool = False


@dataclass
class Structure:
    kind: str  # "numbered headings", "question/answer pairs", "headings", "numbered list", "passages"
    entries: list[Entry]
    warnings: list[Warning_]


def detect(text: str, source: str) -> Structure:
    lines = text.split("\n")
    in_code = _code_lines(text, len(lines))
    warnings: list[Warning_] = []
    for kind, finder in (("numbered headings", _numbered_headings), ("question/answer pairs", _qa_pairs),
                         ("bold questions", _bold_questions), ("headings or numbered list", _headings_or_list)):
        found = finder(lines, in_code)
        if found:
            kind, entries = found if isinstance(found, tuple) else (kind, found)
            return Structure(kind, _renumber(entries, source, warnings), warnings)
    entries = _passages(text)
    warnings.append(Warning_(source, 1, f"no questions found (no numbered headings, Q:/A: pairs, headings or "
                                        f"numbered lines): indexed as {len(entries)} passages"))
    return Structure("passages", entries, warnings)


def _code_lines(text: str, n_lines: int) -> list[bool]:
    """Which lines lie inside a fenced code block: a `# comment` in code is no heading."""
    mask = [False] * n_lines
    for start, end, _ in fenced_spans(text):
        first, last = text.count("\n", 0, start), text.count("\n", 0, end)
        for i in range(first, min(last + 1, n_lines)):
            mask[i] = True
    return mask


def _clean_title(title: str) -> str:
    return _EMPHASIS.sub("", _EMPHASIS.sub("", title.strip())).strip()


def _body(lines: list[str]) -> str:
    text = "\n".join(lines).strip()
    # a rule or a bare `<br/>` closing the entry is layout, not answer
    text = re.sub(r"(\n\s*(-{3,}|\*{3,}|_{3,}|<br\s*/?>)\s*)+$", "", "\n" + text).strip()
    if re.fullmatch(r"(<br\s*/?>\s*)*", text):
        return ""
    if sum(1 for line in text.split("\n") if line.lstrip().startswith(("```", "~~~"))) % 2:
        text += "\n```"  # an unclosed fence must not swallow the page that shows the answer
    return text


def _sections(lines: list[str], starts: list[int], in_code: list[bool], level: int | None) -> list[tuple[int, int]]:
    """(start, end) line ranges from each start to the next, cut at a heading above `level` (a new part)."""
    ranges = []
    for n, i in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        if level is not None:
            for k in range(i + 1, end):
                m = _HEADING.match(lines[k])
                if m and not in_code[k] and len(m.group(1)) < level:
                    end = k
                    break
        ranges.append((i, end))
    return ranges


def _numbered_headings(lines: list[str], in_code: list[bool]) -> list[Entry]:
    found = [(i, m) for i, line in enumerate(lines) if not in_code[i] and (m := _NUMBERED_HEADING.match(line))]
    # One numbered heading is a question only when it asks one ("## 1. What is X?", not "## 2024 plans").
    if not found or (len(found) == 1 and not found[0][1].group(3).rstrip("*").endswith(("?", "？"))):
        return []
    by_level: dict[int, list[str]] = {}
    for _, m in found:
        by_level.setdefault(len(m.group(1)), []).append(m.group(2))
    # The entries' level: numbers that never repeat there (numbered steps inside answers restart at 1), then the
    # most headings (chapters "## 1.1" hold questions "### 1.1.1"), then the shallowest.
    level = max(by_level, key=lambda lv: (len(set(by_level[lv])) == len(by_level[lv]), len(by_level[lv]), -lv))
    starts = {i: m for i, m in found if len(m.group(1)) == level}
    order = sorted(starts)
    dotted = all("." in starts[i].group(2) for i in order)
    entries = [Entry(_last_number(starts[i].group(2)), _clean_title(starts[i].group(3)) or f"({starts[i].group(2)})",
                     _body(lines[i + 1:end]), i + 1)
               for i, end in _sections(lines, order, in_code, level)]
    if dotted and len({e.number for e in entries}) < len(entries):  # "1.1.1", "1.2.1": numbered in order, silently
        for n, e in enumerate(entries, 1):
            e.number = n
    return entries


def _last_number(number: str) -> int:
    return int(number.rsplit(".", 1)[-1])


def _qa_pairs(lines: list[str], in_code: list[bool]) -> list[Entry]:
    questions = [i for i, line in enumerate(lines) if not in_code[i] and _QUESTION.match(line)]
    if not questions or not any(_ANSWER.match(line) for line in lines):
        return []
    entries: list[Entry] = []
    for i, end in _sections(lines, questions, in_code, None):
        m = _QUESTION.match(lines[i])
        assert m is not None
        body = lines[i + 1:end]
        title_lines = [m.group(2)]
        # A question may run over several lines until its answer starts.
        answer_at = next((k for k, line in enumerate(body) if _ANSWER.match(line)), None)
        if answer_at is None:
            title_lines += body
            body = []
        else:
            title_lines += body[:answer_at]
            am = _ANSWER.match(body[answer_at])
            assert am is not None
            body = [am.group(2), *body[answer_at + 1:]]
        title = " ".join(t.strip() for t in title_lines if t.strip())
        number = int(m.group(1)) if m.group(1) else len(entries) + 1
        entries.append(Entry(number, _clean_title(title) or f"({number})", _body(body), i + 1))
    return entries


def _bold_questions(lines: list[str], in_code: list[bool]) -> list[Entry]:
    """Questions written as bold paragraphs, each answered by the text below it (up to the next question or
    heading): a common shape of community question lists."""
    starts = [i for i, line in enumerate(lines) if not in_code[i] and _BOLD_QUESTION.match(line)]
    if len(starts) < 2:
        return []
    entries: list[Entry] = []
    for i, end in _sections(lines, starts, in_code, None):
        m = _BOLD_QUESTION.match(lines[i])
        assert m is not None
        body = lines[i + 1:end]
        cut = next((k for k, line in enumerate(body) if _HEADING.match(line) and not in_code[i + 1 + k]), len(body))
        entries.append(Entry(len(entries) + 1, _clean_title(m.group(1)), _body(body[:cut]), i + 1))
    return entries


def _headings_or_list(lines: list[str], in_code: list[bool]) -> tuple[str, list[Entry]] | None:
    headings = [(i, len(m.group(1))) for i, line in enumerate(lines)
                if not in_code[i] and (m := _HEADING.match(line))]
    items = [i for i, line in enumerate(lines) if not in_code[i] and _LIST_TITLE.match(line)]
    counts = Counter(level for _, level in headings)
    # The shallowest level with two or more headings holds the entries (one `# Title` above them is the title).
    level = min((lv for lv, c in counts.items() if c >= 2), default=None)
    n_headings = counts[level] if level is not None else 0
    if len(items) >= 2 and len(items) > 3 * n_headings:
        return "numbered list", _list_entries(lines, items, in_code)
    if level is None:
        return None
    starts = [i for i, lv in headings if lv == level]
    entries: list[Entry] = []
    for i, end in _sections(lines, starts, in_code, level):
        m = _HEADING.match(lines[i])
        assert m is not None
        entries.append(Entry(len(entries) + 1, _clean_title(m.group(2)), _body(lines[i + 1:end]), i + 1))
    return "headings", entries


def _list_entries(lines: list[str], items: list[int], in_code: list[bool]) -> list[Entry]:
    entries: list[Entry] = []
    for i, end in _sections(lines, items, in_code, None):
        m = _LIST_TITLE.match(lines[i])
        assert m is not None
        body = lines[i + 1:end]
        # A heading after the last item's text starts another part of the document, not this answer.
        cut = next((k for k, line in enumerate(body) if _HEADING.match(line) and not in_code[i + 1 + k]), len(body))
        entries.append(Entry(int(m.group(1)), _clean_title(m.group(2)), _body(body[:cut]), i + 1))
    return entries


def _renumber(entries: list[Entry], source: str, warnings: list[Warning_]) -> list[Entry]:
    numbers = [e.number for e in entries]
    if len(set(numbers)) == len(numbers) and all(0 < n <= MAX_NUMBER for n in numbers):
        return entries
    repeated = next((e for e in entries if numbers.count(e.number) > 1), entries[0])
    warnings.append(Warning_(source, repeated.line, f"entry number {repeated.number} is not unique or out of range "
                                                    "(numbering restarts?): entries are numbered in order instead"))
    for n, e in enumerate(entries, 1):
        e.number = n
    return entries[:MAX_NUMBER]


def _passages(text: str) -> list[Entry]:
    entries: list[Entry] = []
    current: list[str] = []
    line_of = _line_finder(text)

    def flush() -> None:
        if current:
            body = "\n\n".join(current)
            first = re.split(r"(?<=[。！？.!?])\s*|\n", body.lstrip("#> -*"), maxsplit=1)[0].strip()
            title = first[:80] + ("…" if len(first) > 80 else "")
            entries.append(Entry(len(entries) + 1, title, body, line_of(current[0]), passage=True))
            current.clear()

    for block in (piece for b in answer_blocks(text) for piece in _split_long(b)):
        if current and sum(len(b) for b in current) + len(block) > PASSAGE_CHARS:
            flush()
        current.append(block)
    flush()
    return entries[:MAX_NUMBER]


def _split_long(block: str) -> list[str]:
    """A paragraph longer than a passage (a PDF page often is one) cut at sentence ends."""
    if len(block) <= PASSAGE_CHARS or block.lstrip().startswith(("```", "~~~")):
        return [block]
    pieces, current = [], ""
    for sentence in re.split(r"(?<=[。！？.!?])\s+|(?<=[。！？])", block):
        if current and len(current) + len(sentence) > PASSAGE_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip() if current else sentence
    return [*pieces, current] if current else pieces


def _line_finder(text: str):
    position = 0

    def line_of(block: str) -> int:
        nonlocal position
        found = text.find(block, position)
        if found < 0:
            return 1
        position = found
        return text.count("\n", 0, found) + 1

    return line_of
