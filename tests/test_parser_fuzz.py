"""The knowledge-base parser against random Markdown (hypothesis): odd headings, unbalanced and nested fences,
broken front matter, mixed encodings, control characters, huge files. No exception escapes, every warning
names a file and a line inside it, and what is parsed is well formed enough to chunk and index."""
from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.kb.chunker import chunk_questions
from indexer.kb.parser import parse_kb
from indexer.text import FENCE_LINE

ID = re.compile(r"^[A-Z]{1,3}\d+$")

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
plain = st.sampled_from(["张量是多维数组。", "use torch.save(model.state_dict(), 'm.pt')", "", "   ", "**答案：**",
                         "- item", "> quote", "| a | b |", "<!-- same-as: D1 -->", "<!-- same-as: Z9 -->", "---",
                         "\x00\x01\x1b", "\ufeff", "\u202e", "<script>alert(1)</script>", "\t\tindented"])
number = st.one_of(st.integers(0, 120).map(str), st.sampled_from(["", "x", "99999999999999999999", "-3", "１２", "3.5"]))
heading = st.builds(lambda hashes, space, n, sep, title: f"{'#' * hashes}{space}{n}{sep}{title}",
                    st.integers(1, 7), st.sampled_from(["", " ", "  ", "\t"]), number,
                    st.sampled_from([". ", ".", "．", "、", " ", ": "]), words)
list_title = st.builds(lambda indent, n, title: f"{indent}{n}. {title}", st.sampled_from(["", "  "]), number, words)
fence = st.builds(lambda indent, mark, lang: f"{indent}{mark}{lang}", st.sampled_from(["", "  ", "    "]),
                  st.sampled_from(["```", "~~~", "````", "``", "~~~~~"]),
                  st.sampled_from(["", "python", "py", "c++", "bash {.x}", " 中文"]))
line = st.one_of(heading, list_title, fence, plain, words)
front_matter = st.one_of(
    st.just(""),
    st.builds(lambda series, prefix, role, extra: f"---\nseries: {series}\nprefix: {prefix}\nrole: {role}\n{extra}---\n",
              st.sampled_from(["demo", "main", "other", "", "x y"]), st.sampled_from(["D", "Q", "d", "ABCD", "", "E"]),
              st.sampled_from(["answers", "titles", "bogus", ""]),
              st.sampled_from(["", "supplement: true\n", "broken line\n", "title: 演示\n"])),
    st.just("---\nseries: demo\nprefix: D\n"),  # never closed
)
encoding = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1", "crlf", "cr", "truncated"])


def encode(text: str, how: str) -> bytes:
    if how in {"utf-8", "utf-8-sig", "utf-16"}:
        return text.encode(how, "surrogatepass")
    if how in {"gbk", "latin-1"}:
        return text.encode(how, "replace")
    if how == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8", "surrogatepass")
    if how == "cr":
        return text.replace("\n", "\r").encode("utf-8", "surrogatepass")
    data = text.encode("utf-8", "surrogatepass")  # cut inside a multi-byte character
    return data[: max(0, len(data) - 1)]


kb_file = st.tuples(front_matter, st.lists(line, max_size=40), encoding)


def check_parse(kb_dir: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (kb_dir / name).write_bytes(data)
    started = time.perf_counter()
    kb = parse_kb(kb_dir)  # the property: this returns
    assert time.perf_counter() - started < 30
    n_lines = {name: data.count(b"\n") + data.count(b"\r") + 2 for name, data in files.items()}
    for w in kb.warnings:
        assert w.file in files, w
        assert isinstance(w.line, int) and 0 <= w.line <= n_lines[w.file], w
        if w.file.endswith(".md"):
            assert w.line >= 1, w  # a Markdown file's warning points at a line
        assert str(w).startswith(f"{w.file}:{w.line}: ")
    for q in kb.questions:
        assert ID.match(q.id) and q.source in files and 1 <= q.line <= n_lines[q.source], q
        assert q.title.strip()
        fences = [ln for ln in q.answer.split("\n") if FENCE_LINE.match(ln)]
        assert len(fences) % 2 == 0, q.answer  # every code block is closed, so chunks never split one
    chunk_questions(kb.questions)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(kb_file, min_size=1, max_size=3), st.sampled_from(["", "toml", "garbage"]))
def test_random_markdown_never_raises_and_every_warning_names_file_and_line(docs, catalog):
    files: dict[str, bytes] = {}
    for n, (front, lines, how) in enumerate(docs):
        files[f"doc{n}.md"] = encode(front + "\n".join(lines) + "\n", how)
    if catalog == "toml":
        files["series.toml"] = b'[series.demo]\nprefix = "D"\n[files."doc0.md"]\nseries = "demo"\nrole = "answers"\n'
    elif catalog == "garbage":
        files["series.toml"] = b"[series\nprefix = \xff\n"
    with tempfile.TemporaryDirectory() as tmp:
        check_parse(Path(tmp), files)


def test_a_huge_file_with_unbalanced_fences_parses_in_bounded_time(tmp_path):
    parts = ["---\nseries: demo\nprefix: D\n---\n"]
    for n in range(1, 3001):
        nested = "````markdown\n```python\n## 99. not a question\n```\n````\n" if n % 5 == 0 else ""
        parts.append(f"## {n}. 问题 {n}\n" + "正文。" * 200 + "\n```python\nx = 1\n```\n" + nested
                     + "### 小节\n" * (n % 2) + "\n")
    parts.append("```python\nnever closed\n" * 50)  # the last question's fences are never closed
    data = "".join(parts).encode("utf-8")
    assert len(data) > 3_000_000
    started = time.perf_counter()
    check_parse(tmp_path, {"huge.md": data})
    assert time.perf_counter() - started < 60
    kb = parse_kb(tmp_path)
    assert len(kb.questions) == 3000 and any("unclosed code fence" in w.message for w in kb.warnings)


def test_one_huge_line_and_many_headings_without_numbers(tmp_path):
    body = ("---\nseries: demo\nprefix: D\n---\n## 1. 开头\n" + "x" * 2_000_000 + "\n"
            + "".join(f"## {n}. 问题\n## 没有编号\n## 也没有\n" for n in range(2, 20_000)))
    started = time.perf_counter()
    check_parse(tmp_path, {"wide.md": body.encode("utf-8")})
    assert time.perf_counter() - started < 30
