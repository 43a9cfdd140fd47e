"""What a long or pasted question asks, reduced to a few words: the error class and message of a traceback, the
API names of a code paste, and the question sentence of a long paragraph.

A traceback or a paragraph of context carries a few words that matter; the rest (file paths, tensor shapes, the
story around the question) dilutes both the embedding and the keyword scores. The retriever searches with the
whole text and with this extract and fuses the two (chatbot/rag/retriever.py). Plain rules, no model: a short
question has no extract, so it is searched exactly as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from chatbot.calibration import FOCUS_LONG_CHARS
from indexer.index.keyword import distinctive_words
from indexer.text import CJK, CODE_IDENTIFIER, SENTENCE_BREAK

# A one-line question shorter than FOCUS_LONG_CHARS (chatbot/calibration.py, a CJK character counted twice: it
# carries about as much as a short English word), without an error, is already what it asks.
LONG_CHARS = int(FOCUS_LONG_CHARS.value)
# The error class and its message: `RuntimeError: …`, `torch.cuda.OutOfMemoryError: …`, `UserWarning: …`.
_ERROR = re.compile(r"\b((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Warning))\b(?::[ \t]*([^\n]*))?")
# Traceback scaffolding that says nothing about the problem.
_TRACEBACK_LINE = re.compile(r"^\s*(?:Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|[\^~]{2,}|\.\.\.\s*$)")
# An indented line under an error that names one of its parts: "Missing key(s) in state_dict: …",
# "size mismatch for fc.weight: …".
_ERROR_DETAIL = re.compile(r"^\s+([A-Za-z][\w ()'.-]{3,60}?):")
# Shapes, sizes, devices and other numbers in a message: `torch.Size([1000, 512])`, `[torch.FloatTensor [3]]`,
# `(16x100352 and 25088x10)`, `cuda:0`, `2.00 GiB`, and quotes.
_MESSAGE_NOISE = re.compile(
    r"torch\.Size\(\[[^\]]*\]\)|\[[^\[\]]*\[[^\]]*\]\]|\([\dx, ]+(?: and [\dx, ]+)?\)|\[[\d, ]*\]|"
    r"\b\d+(?:\.\d+)*\s*(?:[KMG]i?B)\b|\b\d+(?:\.\d+)*(?:th|st|nd|rd)?\b|cuda:\d|[\"'`]")
# A line of code: a statement keyword, an assignment, a call, a decorator, a bracket line, or indented ASCII.
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |for .+:|with .+:|if .+:|elif |else:|return\b|try:|except\b|@\w)|"
    r"^\s*[\w.\[\], ]+\s*[-+*/]?=[^=]|^\s*[\w.]+\(.*\)\s*(?:#.*)?$|^\s*[)\]}]|^(?: {4}|\t)[ -~]*$")
_COMMENT = re.compile(r"^\s*#\s?(.*)$")
# A sentence that asks: a question mark, or a question word (English at its start, Chinese anywhere).
_ASKS = re.compile(
    r"[?？]\s*$|^\s*(?:how|what|why|which|when|where|should|can|could|is|are|does|do|any|what's|whats)\b|"
    r"怎么|怎样|如何|为什么|为何|什么|哪[些个种里]|吗|呢|是否|能不能|要不要|有没有|该不该|对不对|区别",
    re.IGNORECASE)
# A question sentence with fewer distinctive words than this ("What did I miss and why does it matter?": miss,
# matter) says what kind of answer is wanted, not about what: the sentence before it goes into the extract too.
MIN_QUESTION_WORDS = 3
# Words of how a question is asked, beside the keyword index's stop words and generic words.
_ASKING_WORDS = frozenset(
    "why should would could did does doe them they there this that these those going get fix right way proper best "
    "instead miss matter anything something really actually".split())
# Names too common to say what code is about (the variables of every snippet).
_GENERIC_NAMES = frozenset(
    "self model x y out output outputs input inputs loss labels label logits data target targets net print "
    "range len list super __init__ forward torch nn f".split())
MAX_MESSAGE_CHARS = 160  # the first sentence of an error message; the rest repeats it or lists shapes
MAX_APIS = 8


@dataclass
class Focus:
    errors: list[str] = field(default_factory=list)  # "RuntimeError view size is not compatible with input …"
    apis: list[str] = field(default_factory=list)  # names from the code, as written: `nn.CrossEntropyLoss`
    questions: list[str] = field(default_factory=list)  # the sentences that ask

    def text(self) -> str:
        return "\n".join(p for p in [*self.errors, *self.questions, " ".join(self.apis)] if p).strip()


def weighted_length(text: str) -> int:
    """Characters, a CJK one counted twice."""
    return len(text) + len(CJK.findall(text))


def _message(error_class: str, message: str) -> str:
    message = _MESSAGE_NOISE.sub(" ", message or "")
    cut = re.search(r"(?<=[a-z)])\s*\.\s|[(:;]\s*$", message)
    if cut and cut.start() > 10:
        message = message[:cut.start()]
    message = re.sub(r"\s+", " ", message).strip(" .,:;")[:MAX_MESSAGE_CHARS]
    return f"{error_class.split('.')[-1]} {message}".strip()


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_BREAK.split(text) if s and re.search(r"\w", s)]


def _is_code(line: str) -> bool:
    """A line of code; a line of a Chinese sentence that happens to hold an `=` or a call is prose."""
    return bool(_CODE_LINE.match(line)) and not re.search(r"[\u4e00-\u9fff]{4,}", line.split("#")[0])


def extract(query: str) -> Focus:
    """The parts of `query` that say what it asks (see the module's docstring); empty parts where it has none."""
    focus = Focus()
    prose: list[str] = []
    lines = query.splitlines()
    multiline = sum(bool(line.strip()) for line in lines) > 1
    in_error = False
    for line in lines:
        if not line.strip() or _TRACEBACK_LINE.match(line):
            continue
        error = _ERROR.search(line)
        if error and (error.group(2) is not None or error.start() == 0):
            before = line[:error.start()].strip()
            if before and not _is_code(before):
                prose.append(before)
            focus.errors.append(_message(error.group(1), error.group(2)))
            in_error = True
            continue
        if in_error and line[:1].isspace():  # the indented rest of an error message
            detail = _ERROR_DETAIL.match(line)
            if detail and detail.group(1) not in focus.errors:
                focus.errors.append(detail.group(1))
            if not _is_code(line.strip()):
                continue
        in_error = False
        comment = _COMMENT.match(line)
        if comment and multiline:
            prose.append(comment.group(1))
            continue
        if multiline and _is_code(line):
            code, _, remark = line.partition("#")
            for name in CODE_IDENTIFIER.findall(code):
                name = name.rstrip("()")
                if name.lower() not in _GENERIC_NAMES and name not in focus.apis:
                    focus.apis.append(name)
            if remark.strip():
                prose.append(remark.strip())
            continue
        prose.append(line.strip())
    sentences = _sentences("\n".join(prose))
    asking = [i for i, s in enumerate(sentences) if _ASKS.search(s)]
    picked = asking[-2:] if asking else ([len(sentences) - 1] if sentences else [])
    if picked and picked[0] > 0 and len(distinctive_words(" ".join(sentences[i] for i in picked)) - _ASKING_WORDS) < MIN_QUESTION_WORDS:
        picked.insert(0, picked[0] - 1)
    focus.questions = [sentences[i] for i in picked]
    del focus.apis[MAX_APIS:]
    return focus


def error_messages(query: str) -> list[str]:
    """The error classes and messages of a pasted error (extract's `errors`: shapes, sizes and quotes left out), or
    [] when `query` holds none."""
    return extract(query.strip()).errors if _ERROR.search(query) else []


def focus_text(query: str, *, prose: bool = True) -> str:
    """The extract to search with beside `query`, or "" when `query` is already short and plain (one line, under
    LONG_CHARS, no error) or the extract would be the query itself. With `prose` False, a paragraph without an
    error or code has no extract either (the retriever's choice: see FOCUS_WEIGHT in chatbot/calibration.py)."""
    query = query.strip()
    if "\n" not in query and weighted_length(query) < LONG_CHARS and not _ERROR.search(query):
        return ""
    focus = extract(query)
    if not prose and not focus.errors and not focus.apis:
        return ""
    text = focus.text()
    return "" if not text or text == query else text
