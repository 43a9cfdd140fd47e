"""Adding one's own documents: each format converted, the questions found, ids stable, bad input refused with a
message naming the file while nothing already added is lost."""
from __future__ import annotations

import json

import pytest

from indexer.__main__ import main as indexer_main
from indexer.config import Config
from indexer.documents.convert import convert, html_to_markdown
from indexer.documents.library import DocumentLibrary
from indexer.documents.naming import clean_file_name, document_name, pick_prefix
from indexer.documents.structure import detect
from indexer.errors import DocumentError
from indexer.ids import QID, is_prefix
from tests import documents_maker as make

TITLES = [title for _, title, _ in make.QUESTIONS]


@pytest.fixture
def config(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text("---\nseries: demo\nprefix: S\n---\n## 1. 什么是张量？\n张量是多维数组。\n", encoding="utf-8")
    return Config(kb_dir=kb, cache_dir=tmp_path / "cache", data_dir=tmp_path / "data", max_document_mb=1)


@pytest.fixture
def library(config):
    return DocumentLibrary(config)


def entries_of(library, name):
    doc = library.store.get(name)
    return doc, [q for q in library.entries().questions if q.document == name]


# ------------------------------------------------------------------------------------------- every format
@pytest.mark.parametrize("file_name, data", [
    ("sql.md", make.markdown()),
    ("sql.txt", make.markdown()),
    ("sql.pdf", make.questions_pdf()),
    ("sql.docx", make.docx_bytes()),
    ("sql.html", make.html_page()),
], ids=["markdown", "text", "pdf", "docx", "html"])
def test_each_format_yields_its_questions_with_answers(library, file_name, data):
    result = library.add_bytes(file_name, data.encode() if isinstance(data, str) else data)
    doc, questions = entries_of(library, "sql")
    assert result.status == "added" and doc.entries == doc.answered == 3
    assert [q.title for q in questions] == TITLES
    assert [q.id for q in questions] == [f"{doc.prefix}{n}" for n in (1, 2, 3)]
    assert "NULL" in questions[0].answer and questions[0].source == file_name


def test_the_original_is_kept_beside_the_converted_text(library, config):
    word = make.docx_bytes()
    library.add_bytes("sql.docx", word)
    folder = config.data_dir / "documents" / "sql"
    assert (folder / "original.docx").read_bytes() == word
    assert "## 1. What is a LEFT JOIN?" in (folder / "text.md").read_text(encoding="utf-8")


def test_html_scripts_styles_and_handlers_never_reach_the_text():
    text = html_to_markdown(make.html_page())
    assert "alert" not in text and "cookie" not in text and "color:red" not in text and "<" not in text
    assert "## 1. What is a LEFT JOIN?" in text


# ------------------------------------------------------------------------------------------- structure
@pytest.mark.parametrize("text, kind, titles, numbers", [
    ("## 12. What is X?\nX.\n\n## 13. What is Y?\nY.\n", "numbered headings", ["What is X?", "What is Y?"], [12, 13]),
    ("## 012 What is X?\nX.\n\n## 013 What is Y?\nY.\n", "numbered headings", ["What is X?", "What is Y?"], [12, 13]),
    ("Q: What is X?\nA: X.\n\nQ: What is Y?\nA: Y.\n", "question/answer pairs", ["What is X?", "What is Y?"], [1, 2]),
    ("**Q1:** What is X?\n**A:** X.\n\n**Q2:** What is Y?\n**A:** Y.\n", "question/answer pairs",
     ["What is X?", "What is Y?"], [1, 2]),
    ("问：什么是张量？\n答：多维数组。\n\n问：什么是梯度？\n答：导数。\n", "question/answer pairs",
     ["什么是张量？", "什么是梯度？"], [1, 2]),
    ("Intro.\n\n1. What is X?\nX.\n2. What is Y?\nY.\n3. What is Z?\n", "numbered list",
     ["What is X?", "What is Y?", "What is Z?"], [1, 2, 3]),
    ("# Notes\n\n## Closures\nA closure.\n\n### Example\nmore\n\n## Decorators\nA decorator.\n", "headings",
     ["Closures", "Decorators"], [1, 2]),
    ("# 第一章\n## 1.1 向量\n### 1.1.1 什么是张量\n多维数组。\n### 1.1.2 张量与矩阵的区别？\n阶数不同。\n"
     "## 1.2 导数\n### 1.2.1 导数偏导计算\n求导。\n", "numbered headings",
     ["什么是张量", "张量与矩阵的区别？", "导数偏导计算"], [1, 2, 3]),
    ("## 1. What is an LLM?\n#### 1. Tokens\nx\n#### 2. Layers\ny\n## 2. What is RoPE?\n"
     "#### 1. Rotation\nz\n", "numbered headings", ["What is an LLM?", "What is RoPE?"], [1, 2]),
    ("## Basics\n\n**What is regression? 👶**\n\nPredicting a number.\n\n**What is a tree? ⭐️**\n\nSplits.\n<br/>\n",
     "bold questions", ["What is regression? 👶", "What is a tree? ⭐️"], [1, 2]),
], ids=["numbered", "zero-padded", "qa", "bold-qa", "chinese-qa", "numbered-list", "headings", "section-numbers",
        "steps-inside-answers", "bold-questions"])
def test_the_structure_people_write_is_found(text, kind, titles, numbers):
    found = detect(text, "notes.md")
    assert found.kind == kind
    assert [e.title for e in found.entries] == titles and [e.number for e in found.entries] == numbers


def test_sub_headings_stay_inside_their_entry_and_code_comments_are_no_headings():
    text = "## Closures\nA closure.\n\n### Example\n```python\n# 1. not a heading\n```\n\n## Decorators\nWraps.\n"
    first, second = detect(text, "n.md").entries
    assert "### Example" in first.answer and "# 1. not a heading" in first.answer and second.title == "Decorators"


def test_an_unstructured_document_becomes_passages_with_a_warning():
    text = "\n\n".join(f"Paragraph {n} talks about caching layers and eviction policies at length." * 3
                       for n in range(20))
    found = detect(text, "essay.txt")
    assert found.kind == "passages" and len(found.entries) > 1 and all(e.passage for e in found.entries)
    assert "essay.txt:1: no questions found" in str(found.warnings[0])


def test_repeated_numbers_are_numbered_in_order_with_a_warning():
    text = "# Part A\n\n## 1. X?\nx\n\n## 2. Y?\ny\n\n# Part B\n\n## 1. Z?\nz\n"
    found = detect(text, "parts.md")
    assert [e.number for e in found.entries] == [1, 2, 3] and "not unique" in str(found.warnings[0])


# ------------------------------------------------------------------------------------------- names and ids
def test_prefixes_follow_the_id_grammar_and_avoid_every_prefix_taken():
    assert pick_prefix("interview-notes", set()) == "IN"
    assert pick_prefix("interview-notes", {"IN"}) == "IA"
    assert pick_prefix("面试题", set()) == "D"
    assert all(is_prefix(pick_prefix(n, {"Q", "E", "T"})) for n in ["a b c d e", "x", "Deep Learning Q&A", "题"])
    assert QID.startswith("[A-Z]{1,3}")


def test_file_names_lose_directories_and_control_characters():
    assert clean_file_name("../../etc/pass\x1bwd.md")[0] == "passwd.md"
    assert "cleaned" in clean_file_name("..\\evil\r\n.md")[1]
    assert document_name("my notes (v2).md") == "my-notes-v2"
    with pytest.raises(DocumentError, match="may not hold"):
        document_name("x.md", "../escape")
    with pytest.raises(DocumentError, match="start with a dot"):
        document_name("x.md", "..")
    assert document_name("catalog.json.md") == "catalog.json-document"


def test_ids_are_stable_when_the_same_or_an_edited_file_is_added_again(library):
    library.add_bytes("sql.md", make.markdown().encode())
    doc, before = entries_of(library, "sql")
    again = library.add_bytes("sql.md", make.markdown().encode())
    assert again.status == "unchanged" and "nothing changed" in again.summary()
    edited = make.markdown(make.QUESTIONS + [(4, "What is a view?", "A stored query.")])
    assert library.add_bytes("sql.md", edited.encode()).status == "replaced"
    _, after = entries_of(library, "sql")
    assert [q.id for q in after][:3] == [q.id for q in before] and after[3].id == f"{doc.prefix}4"


def test_a_removed_document_takes_its_entries_and_files_with_it(library, config):
    library.add_bytes("sql.md", make.markdown().encode())
    library.add_bytes("other.txt", b"Q: What is a heap?\nA: A tree.\nQ: What is a stack?\nA: LIFO.\n")
    library.remove("sql")
    assert [d.name for d in library.documents()] == ["other"]
    assert not (config.data_dir / "documents" / "sql").exists()
    with pytest.raises(DocumentError, match="no added document named 'sql'"):
        library.remove("sql")


def test_a_document_never_takes_a_shipped_prefix_or_series(library):
    result = library.add_bytes("S.md", make.markdown().encode())
    assert result.document.prefix != "S"
    with pytest.raises(DocumentError, match="shipped series"):
        library.add_bytes("demo.md", make.markdown().encode())


# ------------------------------------------------------------------------------------------- bad input
BAD = [
    ("empty.md", b"", "empty.md: the file is empty"),
    ("blank.txt", b" \n\t\n", "blank.txt: the file is empty"),
    ("scan.pdf", make.image_only_pdf(), "scan.pdf: the PDF has no text layer"),
    ("locked.pdf", make.encrypted_pdf(), "locked.pdf: the PDF is encrypted"),
    ("photo.md", bytes(range(256)) * 8, "photo.md: a binary file, not text"),
    ("broken.pdf", b"%PDF-1.7 this is not really a pdf", "broken.pdf: not a readable PDF"),
    ("bomb.docx", make.zip_bomb_docx(), "bomb.docx: unpacks to 21 MB"),
    ("old.docx", b"\xd0\xcf\x11\xe0 an old binary .doc", "old.docx: not a Word .docx file"),
    ("big.md", b"x" * (1024 * 1024 + 1), "big.md: 1.0 MB is over the 1 MB limit"),
    ("slides.pptx", b"PK\x03\x04", "slides.pptx: unsupported file type '.pptx'"),
    ("image.pdf", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "image.pdf: not a PDF file"),
    ("image.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "image.html: a binary file, not HTML"),
]


@pytest.mark.parametrize("file_name, data, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_naming_the_file_and_nothing_added_is_lost(library, file_name, data, message):
    library.add_bytes("sql.md", make.markdown().encode())
    with pytest.raises(DocumentError) as refused:
        library.add_bytes(file_name, data)
    assert str(refused.value).startswith(message)
    assert [d.name for d in library.documents()] == ["sql"] and len(library.entries().questions) == 3


def test_the_same_file_under_a_second_name_is_refused(library):
    library.add_bytes("sql.md", make.markdown().encode())
    with pytest.raises(DocumentError, match="already added as 'sql'"):
        library.add_bytes("copy.md", make.markdown().encode())


def test_a_file_over_the_limit_is_refused_before_it_is_read(library, tmp_path):
    big = make.write(tmp_path, "big.pdf", b"%PDF" + b"0" * (2 * 1024 * 1024))
    with pytest.raises(DocumentError, match="big.pdf: 2.0 MB is over the 1 MB limit"):
        library.add_file(big)


def test_text_that_is_not_utf8_is_read_as_gbk():
    assert "张量" in convert("zh.txt", "问：什么是张量？\n答：多维数组。\n".encode("gb18030"), max_bytes=10**6).text


def test_utf16_text_and_html_with_a_bom_are_read():
    assert "张量" in convert("zh.txt", "问：什么是张量？\n答：多维数组。\n".encode("utf-16"), max_bytes=10**6).text
    assert "## 1. 什么是张量？" in convert("zh.html", "<h2>1. 什么是张量？</h2><p>数组</p>".encode("utf-16"),
                                         max_bytes=10**6).text


def test_a_converter_crash_is_named_without_a_traceback(config, tmp_path, capsys, monkeypatch):
    def crash(*_args, **_kwargs):
        raise RuntimeError("code=7: premature end of data")

    monkeypatch.setattr("indexer.documents.library.convert", crash)
    assert cli(config, "add", str(make.write(tmp_path, "odd.pdf", b"%PDF-1.7"))) == 1
    assert "error: odd.pdf: cannot be converted (RuntimeError: code=7" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------- the command line
def cli(config, *argv: str) -> int:
    return indexer_main([*argv[:1], "--kb", str(config.kb_dir), "--data-dir", str(config.data_dir), *argv[1:]])


def test_list_shows_name_prefix_entries_answered_and_warnings(config, library, capsys):
    library.add_bytes("sql.md", make.markdown().encode())
    library.add_bytes("essay.txt", ("Words about caching. " * 60).encode())
    assert cli(config, "list", "--json") == 0
    listed = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    assert listed["sql"]["prefix"] and listed["sql"]["entries"] == 3 and listed["sql"]["answered"] == 3
    assert listed["essay"]["structure"] == "passages" and listed["essay"]["answered"] == 0
    assert "no questions found" in listed["essay"]["warnings"][0]


def test_add_reports_each_bad_file_and_still_adds_the_good_ones(config, tmp_path, capsys, monkeypatch):
    embedded = []
    monkeypatch.setattr("indexer.__main__._embed_documents", lambda cfg: embedded.append(cfg.data_dir))
    good = make.write(tmp_path, "sql.md", make.markdown())
    empty = make.write(tmp_path, "empty.md", "")
    assert cli(config, "add", str(empty), str(good)) == 1
    out, err = capsys.readouterr()
    assert "error: empty.md: the file is empty" in err and "sql.md: added as 'sql'" in out
    assert embedded == [config.data_dir] and [d.name for d in DocumentLibrary(config).documents()] == ["sql"]
    assert cli(config, "remove", "nope") == 1 and "no added document named 'nope'" in capsys.readouterr().err
    assert cli(config, "remove", "sql") == 0 and "removed 'sql' (3 entries" in capsys.readouterr().out
    assert DocumentLibrary(config).documents() == [] and embedded == [config.data_dir]  # removing embeds nothing
