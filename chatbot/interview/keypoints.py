"""Key points of a reference answer: its list items and short sentences, plus the APIs its code uses."""
from __future__ import annotations

import re

from indexer.index.keyword import tokenize
from indexer.text import answer_blocks, is_code_block, sentences

# Not calibration: sizes of what the feedback lists and the judge's prompt holds, not fitted on labelled answers
MAX_KEY_POINTS = 8
KEY_POINT_CHARS = 60


# -------------------------------------------------------------------------------------- key points
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}\s*[.．、)）]|[-*+•]|[（(]\d{1,2}[)）])\s*(\S.*)$")
_LEAD_IN = re.compile(r"^(其中|在上述代码中|上述代码中|具体来说|具体而言|此外|另外|同时|因此|所以|但是|然而|而且|首先|其次|然后|最后|例如|比如|"
                      r"这个代码块中|在这个代码块中|在PyTorch中|在 PyTorch 中|而|并且)[，,：:\s]*")
_SKIP_SENTENCE = re.compile(r"^(总之|总的来说|总而言之|综上|以上就是|以上是|in summary|overall|to sum up)", re.I)
_MARKUP = re.compile(r"\*\*|__|`|^#+\s*|^>\s*")
_CLAUSE = re.compile(r"[，,；;、：:]")
_API = re.compile(r"\b(?:torch|nn|optim|F|transforms|models|torchvision|model|pd|plt)"
                  r"(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _clean(text: str) -> str:
    text = _MARKUP.sub("", text.strip()).strip()
    text = _LEAD_IN.sub("", text).strip()
    return re.sub(r"\s+", " ", text)


def _shorten(text: str, limit: int = KEY_POINT_CHARS) -> str:
    if len(text) <= limit:
        return text.rstrip("。.;；，,")
    cut = text[:limit]
    clauses = [m.start() for m in _CLAUSE.finditer(cut) if m.start() >= limit // 3]
    if clauses:
        cut = cut[:clauses[-1]]
    return cut.rstrip("。.;；，,、：: ") + "…"


_GENERIC_APIS = ("nn.Module", "torch.tensor", "torch.randn", "torch.zeros", "torch.ones", "model.parameters",
                 "plt.show")


def _code_points(blocks: list[str]) -> list[str]:
    """For code-only answers: the code's comments (minus "假设…" set-up notes), then the APIs it calls
    (the most generic ones last), then `forward` when it defines one."""
    comments: list[str] = []
    apis: list[str] = []
    forward = False
    imported: set[str] = set()
    for block in blocks:
        for line in block.split("\n")[1:-1]:
            stripped = line.strip()
            m = re.match(r"from\s+\S+\s+import\s+(.+)$", stripped)
            if m:
                imported.update(n.split(" as ")[-1].strip() for n in m.group(1).split(","))
            if stripped.startswith(("import ", "from ")):
                continue
            forward = forward or stripped.startswith("def forward")
            code, _, comment = line.partition("#")
            if comment.strip():
                text = _clean(comment)
                if len(text) >= 2 and not text.lower().startswith(("假设", "assume")):
                    comments.append(text)
            code = re.sub(r"(['\"]).*?\1", " ", code)  # no file names from string literals
            apis.extend(_API.findall(code))
            apis.extend(name for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", code) if name in imported)
    apis = sorted(dict.fromkeys(apis), key=lambda a: a in _GENERIC_APIS)
    points = list(dict.fromkeys(comments))
    budget = max(len(points), 4) if points else MAX_KEY_POINTS - 1
    for api in apis:
        if len(points) >= min(budget + 2, MAX_KEY_POINTS - 1):
            break
        points.append(api)
    if forward and "forward" not in points:
        points.append("forward")
    return points[:MAX_KEY_POINTS]


_ENUMERATION = re.compile(r"(?:包括|包含|主要有|有)(.+?)等?$")


def _split_short(text: str) -> list[str]:
    """A lone sentence split into its parts: the items of an enumeration ("包括A、B、C等"), else its clauses."""
    m = _ENUMERATION.search(text.rstrip("。."))
    if m:
        items = [i.strip(" 等") for i in m.group(1).split("、")]
        if len(items) >= 3 and all(items):
            return items
    clauses = [_clean(c) for c in re.split(r"[，,；;]", text)]
    return [c.rstrip("。.") for c in clauses if len(c) >= 4]


def key_points(answer: str) -> list[str]:
    """The reference answer's key points: its list items and prose sentences (code excluded), trimmed.

    At most MAX_KEY_POINTS, each at most ~KEY_POINT_CHARS characters; list items and the first sentence of
    each paragraph are preferred, then the other sentences, kept in document order. Summary sentences
    ("总之…") and lead-ins ending with a colon are left out. A very short answer (one or two sentences) is
    split into its clauses or enumerated items; a code-only answer yields its code comments and the APIs
    it calls instead.
    """
    blocks = answer_blocks(answer or "")
    candidates: list[tuple[int, int, str]] = []  # (priority, order, text)
    listed = False
    for block in blocks:
        if is_code_block(block):
            continue
        first = True
        for line in block.split("\n"):
            m = _LIST_ITEM.match(line)
            listed = listed or bool(m)
            for raw in [m.group(1)] if m else sentences(line):
                priority = 0 if m or first else 1
                first = False
                text = _clean(raw)
                if (len(text) < 4 or _SKIP_SENTENCE.match(text) or text.endswith((":", "："))
                        or not re.search(r"[\u4e00-\u9fffA-Za-z]", text)):
                    continue
                candidates.append((priority, len(candidates), text))
    if not candidates:
        return _code_points([b for b in blocks if is_code_block(b)])
    if len(candidates) < 3 and not listed:
        parts = [p for _, _, text in candidates for p in _split_short(text)]
        candidates = [(0, i, p) for i, p in enumerate(parts)]
    points: list[tuple[int, str]] = []
    seen: list[set[str]] = []
    for _priority, order, text in sorted(candidates):
        if len(points) >= MAX_KEY_POINTS:
            break
        tokens = set(tokenize(text))
        if any(tokens and len(tokens & other) >= 0.8 * len(tokens) for other in seen):
            continue  # near-duplicate of a point already kept
        seen.append(tokens)
        points.append((order, _shorten(text)))
    return [text for _, text in sorted(points)]
