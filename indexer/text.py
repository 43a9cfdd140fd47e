"""Text helpers every stage shares: code fences, CJK detection, paragraph and sentence splitting."""
from __future__ import annotations

import re

# A Markdown line that opens or closes a fenced code block (CommonMark: up to three spaces of indent); group 1 is
# the fence, group 2 the language. The one fence grammar: the KB parser scans lines with it, and `fenced_spans`
# finds blocks in any text with it, so what counts as code here is what the Markdown renderer shows as code.
FENCE_LINE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+#.-]*)")
CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
LIST_MARKER = re.compile(r"^\s*(?:[-*+•]\s+|\d{1,2}(?:[.)．]\s+|、\s*))")  # "1. ", "- ", "3、" open a list item
LABEL_CHARS = 24  # a label longer than this says something itself ("注意：显存不够时可以减小批量：")
# After a Chinese or ASCII sentence end, or a newline.
SENTENCE_BREAK = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s)|\n")
# Code identifiers and technical names: dotted names, calls, CamelCase and snake_case words. ASCII only:
# with Unicode `\w` "PyTorch中如何保存模型" was one CamelCase "name" running into the Chinese.
CODE_IDENTIFIER = re.compile(
    r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Za-z_]\w*\(\)|\b[A-Z][a-z]+[A-Z]\w*|\b[a-z]+_[a-z_]+\b", re.ASCII)

# A keyword argument set to a constant (`strict=False`, `batch_first=True`): the flag names an API as much as a
# function does, and with its value says more than "False", which most entries' code holds.
FLAG_ARGUMENT = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*=\s*(True|False|None)\b", re.ASCII)


def identifier_names(text: str) -> set[str]:
    """The last part of each identifier in `text`, lower case: `torch.func.vmap` → `vmap`, `zero_grad()` →
    `zero_grad`."""
    return {m.rstrip("()").split(".")[-1].lower() for m in CODE_IDENTIFIER.findall(text)}


def is_code_block(block: str) -> bool:
    return block.lstrip().startswith(("```", "~~~"))


def fenced_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of each fenced code block, from its opening line to the end of its closing line;
    a block the text ends inside (an answer cut off by the length limit, or still streaming) runs to the end
    with closed False. A closing fence is the opening's character, at least as long, alone on its line."""
    spans: list[tuple[int, int, bool]] = []
    pos, start, fence = 0, 0, ""
    for line in text.splitlines(keepends=True):
        m = FENCE_LINE.match(line)
        if not fence and m:
            start, fence = pos, m.group(1)
        elif fence and m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2) \
                and not line[m.end():].strip():
            spans.append((start, pos + len(line.rstrip("\n")), True))
            fence = ""
        pos += len(line)
    if fence:
        spans.append((start, len(text), False))
    return spans


def split_fenced(text: str) -> list[tuple[str, bool | None]]:
    """`text` cut into pieces in order: (prose, None) and (code block, closed)."""
    out: list[tuple[str, bool | None]] = []
    pos = 0
    for start, end, closed in fenced_spans(text):
        if start > pos:
            out.append((text[pos:start], None))
        out.append((text[start:end], closed))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def strip_code(text: str, replacement: str = " ") -> str:
    """`text` with its fenced blocks (an unclosed one included) replaced."""
    return "".join(replacement if closed is not None else piece for piece, closed in split_fenced(text))


def is_label(sentence: str) -> bool:
    """A list item's or a paragraph's label that announces what follows ("1. **数据复制**：", "Steps:"): it states
    nothing of its own."""
    bare = LIST_MARKER.sub("", sentence).replace("*", "").replace("_", "").strip()
    return bare.endswith(("：", ":")) and len(bare) <= LABEL_CHARS


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_BREAK.split(text) if s and s.strip()]


def answer_blocks(answer: str) -> list[str]:
    """Paragraphs, with each fenced code block kept as one block."""
    blocks: list[str] = []
    for piece, closed in split_fenced(answer):
        blocks += [piece] if closed is not None else re.split(r"\n[ \t]*\n", piece)
    return [b.strip() for b in blocks if b.strip()]


def fenced_code(block: str) -> tuple[str, str]:
    """(language, code) of a fenced block as `split_fenced` gives it: the fence lines taken off."""
    lines = block.split("\n")
    m = FENCE_LINE.match(lines[0]) if lines else None
    if m is None:
        return "", block
    body = lines[1:]
    if len(body) and FENCE_LINE.match(body[-1]) and not body[-1].strip().strip(m.group(1)[0]):
        body = body[:-1]
    return m.group(2).lower(), "\n".join(body)


# C0/C1 control characters other than tab and newline, and lone surrogates (JSON "\ud800" decodes to one and
# cannot be encoded as UTF-8): removed from what users type.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def bound_user_text(text: str, limit: int) -> tuple[str, int]:
    """What a user typed, made safe to process: control characters and lone surrogates removed, line ends
    normalised (inner newlines kept), surrounding white space stripped, cut to `limit` characters. Returns
    (text, its length before the cut when it was cut, else 0), so the caller can say so. Every later step
    (tokenising, BM25, embedding, a prompt) grows with the text."""
    clean = _UNSAFE_CHARS.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(clean) <= limit:
        return clean, 0
    return clean[:limit], len(clean)
