"""Safe Markdown for the web UI: knowledge-base, model and user text never becomes live HTML.

Everything shown in the browser goes through `safe_markdown` (or `escape_text` for text that must not
be Markdown at all). Outside fenced code blocks and inline code spans it

* turns `<` into `&lt;`, so no tag – `<script>`, `<img onerror=…>`, `<a href=javascript:…>` – survives;
* defuses Markdown links, images and link definitions (`](`, `]:`), so text cannot smuggle in a
  `javascript:` URL or a tracking image.

Code fences and code spans are left alone: the Markdown renderer shows their content verbatim (and
escapes it itself), which keeps syntax highlighting and `a < b` readable. The only links and HTML in
the output are the ones built here, from ids we generate (`src-Q73`) and fixed strings.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from chatbot.rag.draft.markers import CITATION, ids_in
from chatbot.records import Hit
from indexer.ids import is_question_id
from indexer.records import Question
from indexer.text import split_fenced, strip_code

# An inline code span (fenced blocks, also one still streaming, are found by `indexer.text.split_fenced`).
_CODE_SPAN = re.compile(r"((`+)[^`\n][^\n]*?\2)")
_LINK_OPEN = re.compile(r"\]\s*\(")  # [text](url) / ![alt](src)
_LINK_DEF = re.compile(r"^(\s{0,3}\[[^\]\n]*\])\s*:", re.M)  # [ref]: url

TITLE_ONLY_BADGE = "仅题目 / title only"
SUPPLEMENT_BADGE = "补充答案 / written for this product"
ADDENDUM_BADGE = "含补充 / with an addendum"
SNIPPET_CHARS = 160


def _escape_prose(text: str) -> str:
    text = text.replace("<", "&lt;")
    text = _LINK_DEF.sub(r"\1\\:", text)
    return _LINK_OPEN.sub("]\\(", text)


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to everything but fenced blocks and inline code spans."""
    out = []
    for piece, closed in split_fenced(text):
        if closed is not None:
            out.append(piece)
            continue
        for n, part in enumerate(_CODE_SPAN.split(piece)):
            # split() yields [prose, span, backticks, prose, span, backticks, ...]
            out.append(part if n % 3 == 1 else "" if n % 3 == 2 else change(part))
    return "".join(out)


def safe_markdown(text: str) -> str:
    """Markdown with HTML and links defused outside code; code fences and spans kept verbatim."""
    return _outside_code(text, _escape_prose) if text else ""


def escape_text(text: str) -> str:
    """Plain text shown inside Markdown (titles, user messages): no HTML, no Markdown syntax."""
    text = html.escape(text or "", quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+\-!|~>])", r"\\\1", text)


def anchor_id(qid: str) -> str:
    """The HTML id of a question in the sources panel; only ids we generate ([A-Z]+digits) get one."""
    if not is_question_id(qid):
        raise ValueError(f"not a question id: {qid!r}")
    return f"src-{qid}"


def link_citations(text: str, known: Iterable[str] | None = None) -> str:
    """`[Q73]` → `[[Q73]](#src-Q73)` outside code; with `known`, only those ids become links.

    Apply to text that already went through `safe_markdown` (which defuses any link the text had).
    """
    allowed = set(known) if known is not None else None

    def repl(m: re.Match) -> str:
        ids = ids_in(m.group(1))
        if allowed is not None and not all(i in allowed for i in ids):
            return m.group(0)
        return " ".join(f"[\\[{i}\\]](#{anchor_id(i)})" for i in ids)

    return _outside_code(text, lambda prose: CITATION.sub(repl, prose))


def answer_markdown(text: str, known: Iterable[str] | None = None) -> str:
    """A chat answer (model or extractive) ready for gr.Chatbot: escaped, citations linked."""
    return link_citations(safe_markdown(text), known)


def badge(q: Question) -> str:
    """Title-only questions, and answers written for the product rather than taken from the documents."""
    if not q.has_answer:
        return f" `{TITLE_ONLY_BADGE}`"
    same = f" `= {q.same_as}`" if q.same_as else ""
    added = f" `{ADDENDUM_BADGE}`" if q.addendum else ""
    return (f" `{SUPPLEMENT_BADGE}`{same}" if q.supplement else same) + added


def series_label(q: Question, series_titles: dict[str, str] | None = None) -> str:
    title = (series_titles or {}).get(q.series, q.series)
    return f"{escape_text(title)} · {escape_text(q.source)}:{q.line}" if q.source else escape_text(title)


def question_markdown(q: Question, series_titles: dict[str, str] | None = None, *, heading: str = "###",
                      anchor: bool = False) -> str:
    """One question: id, title, title-only badge, where it comes from, and its answer with code."""
    head = f'<a id="{anchor_id(q.id)}"></a>\n\n' if anchor else ""
    lines = [f"{head}{heading} {q.id} · {escape_text(q.title)}{badge(q)}",
             f"<sub>{series_label(q, series_titles)}</sub>", ""]
    if q.has_answer:
        lines.append(safe_markdown(q.answer.strip()))
        if q.corrections:  # kb/errata.toml fixed a false statement of the original document
            lines += ["", *(f"> ✏️ 勘误 / corrected: {escape_text(why)}" for why in q.corrections)]
    else:
        lines.append("*知识库只列出了这个问题，没有书面答案。 / The knowledge base lists this question "
                     "without a written answer.*")
    return "\n".join(lines)


def _snippet(hit: Hit) -> str:
    q = hit.question
    if not q.has_answer:
        return ""
    text = q.answer
    text = strip_code(text)  # code is in the full answer, not the snippet
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rstrip() + "…"
    return escape_text(text)


def sources_markdown(hits: list[Hit], *, refused: bool = False, language: str = "zh") -> str:
    """The sources panel: one anchored entry per retrieved question, targets of the answer's citation links."""
    if refused or not hits:
        return ("#### 来源 / Sources\n\n知识库里没有与这个问题相关的题目。 / "
                "No knowledge-base question matches this one.")
    parts = ["#### 来源 / Sources"]
    for n, hit in enumerate(hits, 1):
        q = hit.question
        code = " · 含代码 / code" if q.code_blocks else ""
        entry = [f'<a id="{anchor_id(q.id)}"></a>**{n}. [{q.id}] {escape_text(q.title)}**{badge(q)}  ',
                 f"<sub>相关度 / similarity {hit.dense_score:.2f} · {escape_text(q.source)}:{q.line}{code}</sub>"]
        snippet = _snippet(hit)
        if snippet:
            entry += ["", f"> {snippet}"]
        if q.code_blocks:  # the first code block, verbatim, folded away until asked for
            block = q.code_blocks[0]
            entry += ["", "<details><summary>代码 / code</summary>", "",
                      f"```{block.language}\n{block.code.rstrip()}\n```", "", "</details>"]
        parts.append("\n".join(entry))
    parts.append("<sub>在“查题 / Lookup”页输入编号可查看完整答案和代码。 / "
                 "Open an id in the Lookup tab for the full answer and code.</sub>")
    return "\n\n".join(parts)


def question_list_markdown(questions: Iterable[Question], series_titles: dict[str, str] | None = None) -> str:
    """All questions grouped by series: `- **Q73** title` (title-only ones marked)."""
    by_series: dict[str, list[Question]] = {}
    for q in questions:
        by_series.setdefault(q.series, []).append(q)
    parts = []
    for series, qs in by_series.items():
        title = (series_titles or {}).get(series, series)
        answered = sum(q.has_answer for q in qs)
        parts.append(f"#### {escape_text(title)} — {len(qs)} 题 / questions, {answered} 有答案 / answered")
        parts.append("\n".join(f"- **{q.id}** {escape_text(q.title)}{badge(q)}"
                               for q in sorted(qs, key=lambda q: q.number)))
    return "\n\n".join(parts)


def error_reason(exc: BaseException) -> str:
    """The first line of an error, escaped and bounded, to show a user (the traceback goes to the log)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return escape_text(text[:200])
