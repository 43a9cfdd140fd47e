"""The parser turns the shipped knowledge base into 139 questions and survives malformed files."""
from pathlib import Path

import pytest

from indexer.config import REPO_ROOT
from indexer.kb.parser import extract_code_blocks, parse_kb
from indexer.records import ADDENDUM_HEADING

KB = REPO_ROOT / "kb"


@pytest.fixture(scope="module")
def shipped():
    return parse_kb(KB)


def test_shipped_kb_has_all_139_ids_in_order(shipped):
    ids = [q.id for q in shipped.questions]
    assert ids == [f"Q{n}" for n in range(1, 101)] + [f"E{n}" for n in range(1, 32)] + [f"T{n}" for n in range(1, 9)]
    assert shipped.warnings == []


def test_61_questions_have_answers(shipped):
    answered = {q.id for q in shipped.questions if q.has_answer and not q.supplement}
    expected = {f"Q{n}" for n in [*range(1, 11), *range(71, 81), *range(91, 101)]} | {f"E{n}" for n in range(1, 32)}
    assert answered == expected  # from the original documents
    supplemented = {q.id for q in shipped.questions if q.supplement}
    topics = {f"T{n}" for n in range(1, 9)}  # the topics series, all written for the product
    assert supplemented == {f"Q{n}" for n in [*range(11, 71), *range(81, 91)]} | topics  # the other 70, written for the product
    assert all(q.has_answer for q in shipped.questions)


def test_tolerates_two_spaces_after_hashes_and_missing_space_in_list(shipped):
    q = shipped.by_id()
    assert q["Q5"].title == "请简要介绍一下PyTorch的层次结构。" and q["Q5"].has_answer
    assert q["Q60"].title == "PyTorch中的深度强化学习是什么？它有什么应用？"


def test_supplemented_questions_point_to_their_supplement_file(shipped):
    q = shipped.by_id()["Q27"]
    assert q.has_answer and q.supplement and q.source.startswith("supplement_main_") and q.line > 1
    assert "循环神经网络" in q.title
    twin = shipped.by_id()["Q35"]
    assert twin.same_as == "Q17" and twin.answer == shipped.by_id()["Q17"].answer


def test_code_blocks_are_kept_whole(shipped):
    by_id = shipped.by_id()
    e3 = by_id["E3"]
    assert e3.answer.startswith("```python")  # the **答案：** marker is stripped
    assert len(e3.code_blocks) == 1 and e3.code_blocks[0].language == "python"
    assert e3.code_blocks[0].code.startswith("import torch") and e3.code_blocks[0].code.endswith("model = SimpleNN()")
    # `# comment` lines inside code are not headings: Q8's training script stays in one block
    q8 = by_id["Q8"]
    assert len(q8.code_blocks) == 1 and "# 保存模型" in q8.code_blocks[0].code
    originals = [q for q in shipped.questions if not q.supplement]
    assert sum(len(extract_code_blocks(q.original_answer)) for q in originals) == 28  # the original documents


def test_records_carry_source_file_and_line(shipped):
    q = shipped.by_id()["Q73"]
    assert q.source == "main_series_answers_071-080.md" and q.line == 48
    assert q.series == "main" and q.number == 73


def test_aliases_are_attached(shipped):
    q73 = shipped.by_id()["Q73"]
    assert "gradient accumulation" in q73.aliases.lower() and "梯度累积" in q73.aliases_zh


def test_errata_correct_the_original_answer_in_memory_and_say_why(shipped):
    q73 = shipped.by_id()["Q73"]
    original = (KB / q73.source).read_text(encoding="utf-8")
    assert "每个小批量都进行前向传播、反向传播和参数更新" in original  # the file stays as received
    assert "每个小批量都进行前向传播、反向传播和参数更新" not in q73.answer
    assert "optimizer.step()" in q73.answer and len(q73.corrections) == 7 and "backward()" in q73.corrections[0]
    assert "提高训练效率" not in q73.answer  # accumulation trades time for memory: it does not speed training up


def test_addenda_extend_thin_original_answers_under_a_heading_that_says_so(shipped):
    q79 = shipped.by_id()["Q79"]
    original = (KB / q79.source).read_text(encoding="utf-8")
    assert "KL" not in original  # the file stays as received
    assert q79.answer.startswith(q79.original_answer) and q79.original_answer in original
    assert q79.answer.index(ADDENDUM_HEADING) > len(q79.original_answer)
    assert "reduction=\"batchmean\"" in q79.addendum and q79.code_blocks  # the addendum's code is the answer's code
    assert shipped.by_id()["Q43"].addendum == shipped.by_id()["Q72"].addendum  # a twin shares it


def write(kb: Path, name: str, text: str | bytes) -> None:
    (kb / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


FRONT = "---\nseries: extra\nprefix: X\n---\n"


@pytest.fixture
def kb(tmp_path):
    write(tmp_path, "good.md", FRONT + "## 1. 好问题\n答案一\n\n## 2. 第二题\n答案二\n")
    return tmp_path


def messages(parsed):
    return [str(w) for w in parsed.warnings]


def test_new_file_with_front_matter_is_indexed(kb):
    parsed = parse_kb(kb)
    assert [q.id for q in parsed.questions] == ["X1", "X2"]
    assert parsed.by_id()["X1"].line == 5  # lines count from the top of the file, front matter included


def test_file_without_declaration_is_skipped_with_a_warning(kb):
    write(kb, "stray.md", "## 1. 无系列\n内容\n")
    parsed = parse_kb(kb)
    assert [q.id for q in parsed.questions] == ["X1", "X2"]
    assert any(m.startswith("stray.md:1:") and "no series declared" in m for m in messages(parsed))


def test_duplicate_numbers_warn_and_keep_the_first(kb):
    write(kb, "dup.md", FRONT.replace("extra", "dup").replace("X", "D") + "## 1. 甲\n一\n\n## 1. 乙\n二\n")
    parsed = parse_kb(kb)
    assert parsed.by_id()["D1"].title == "甲"
    assert any(m.startswith("dup.md:8:") and "duplicate question number 1" in m for m in messages(parsed))


def test_heading_without_number_warns_and_keeps_its_text(kb):
    write(kb, "nonum.md", FRONT.replace("extra", "nn").replace("X", "N") + "## 1. 甲\n一\n## 小结\n总结文字\n## 2. 乙\n二\n")
    parsed = parse_kb(kb)
    assert "总结文字" in parsed.by_id()["N1"].answer
    assert any(m.startswith("nonum.md:7:") and "heading without a number" in m for m in messages(parsed))


def test_unclosed_code_fence_is_closed_before_the_next_question(kb):
    text = FRONT.replace("extra", "uc").replace("X", "U") + "## 1. 甲\n```python\nx = 1\n## 2. 乙\n二\n"
    write(kb, "unclosed.md", text)
    parsed = parse_kb(kb)
    q = parsed.by_id()
    assert q["U1"].code_blocks[0].code == "x = 1" and q["U1"].answer.endswith("```")
    assert q["U2"].answer == "二"
    assert any(m.startswith("unclosed.md:6:") and "unclosed code fence" in m for m in messages(parsed))


@pytest.mark.parametrize("content, expected", [
    (b"", "empty file"),
    (b"  \n\n", "empty file"),
    ("## 1. 甲\n".encode("gbk") + b"\xff\xfe", "not valid UTF-8"),
])
def test_empty_and_non_utf8_files_warn_and_do_not_break_the_rest(kb, content, expected):
    write(kb, "bad.md", content)
    parsed = parse_kb(kb)
    assert [q.id for q in parsed.questions] == ["X1", "X2"]
    assert any(m.startswith("bad.md:") and expected in m for m in messages(parsed))


def test_bad_front_matter_is_reported(kb):
    write(kb, "fm.md", "---\nseries: s\nprefix: lowercase\n---\n## 1. 甲\n")
    parsed = parse_kb(kb)
    assert any(m.startswith("fm.md:1:") and "front matter" in m for m in messages(parsed))


# ----------------------------------------------------------------------------- supplement files and twins
def test_a_supplement_file_answers_title_only_questions_and_twins_share_one_answer(tmp_path):
    (tmp_path / "list.md").write_text("---\nseries: s\nprefix: S\nrole: titles\n---\n1. 甲是什么？\n2. 乙是什么？\n"
                                      "3. 甲是什么呢？\n", encoding="utf-8")
    (tmp_path / "orig.md").write_text("---\nseries: s\nprefix: S\n---\n## 2. 乙是什么？\n乙是原文的答案。\n",
                                      encoding="utf-8")
    (tmp_path / "supplement_s.md").write_text(
        "---\nseries: s\nprefix: S\nrole: answers\nsupplement: true\n---\n"
        "## 1. 甲是什么？\n甲是补充的答案。\n\n## 3. 甲是什么呢？\n<!-- same-as: S1 -->\n", encoding="utf-8")
    kb = parse_kb(tmp_path)
    by_id = kb.by_id()
    assert not kb.warnings
    assert by_id["S1"].supplement and by_id["S1"].answer == "甲是补充的答案。"
    assert not by_id["S2"].supplement and by_id["S2"].answer == "乙是原文的答案。"
    assert by_id["S3"].same_as == "S1" and by_id["S3"].answer == by_id["S1"].answer and by_id["S3"].supplement


def test_same_as_a_question_without_an_answer_is_a_warning(tmp_path):
    (tmp_path / "supplement_s.md").write_text(
        "---\nseries: s\nprefix: S\nsupplement: true\n---\n## 1. 甲？\n<!-- same-as: S9 -->\n", encoding="utf-8")
    kb = parse_kb(tmp_path)
    assert not kb.by_id()["S1"].has_answer and "same-as S9" in str(kb.warnings[0])


def test_a_twin_is_indexed_by_its_title_only(tmp_path):
    from indexer.kb.chunker import chunk_question

    (tmp_path / "supplement_s.md").write_text(
        "---\nseries: s\nprefix: S\nsupplement: true\n---\n## 1. 甲？\n甲的答案。\n\n## 2. 甲呢？\n<!-- same-as: S1 -->\n",
        encoding="utf-8")
    by_id = parse_kb(tmp_path).by_id()
    assert len(chunk_question(by_id["S2"])) == 1 and len(chunk_question(by_id["S1"])) == 2


def test_an_erratum_that_no_longer_matches_is_a_warning_not_a_silent_skip(kb):
    write(kb, "errata.toml", '[[erratum]]\nid = "X1"\nwrong = "答案一"\nright = "更正的答案"\nwhy = "原文有误"\n\n'
                             '[[erratum]]\nid = "X2"\nwrong = "不在答案里"\nright = "…"\nwhy = "…"\n\n'
                             '[[erratum]]\nid = "X2"\nwrong = "答案二"\n')
    parsed = parse_kb(kb)
    assert parsed.by_id()["X1"].answer == "更正的答案" and parsed.by_id()["X1"].corrections == ["原文有误"]
    assert parsed.by_id()["X2"].answer == "答案二"
    assert any(m.startswith("errata.toml:7:") and "not in the answer" in m for m in messages(parsed))
    assert any(m.startswith("errata.toml:13:") and "needs non-empty" in m for m in messages(parsed))


def test_an_unreadable_errata_file_is_reported_and_changes_nothing(kb):
    write(kb, "errata.toml", "[[erratum]\nid = ")
    parsed = parse_kb(kb)
    assert [q.answer for q in parsed.questions] == ["答案一", "答案二"]
    assert any(m.startswith("errata.toml:0:") and "unreadable" in m for m in messages(parsed))


ADDENDA = "---\nseries: extra\nprefix: X\nrole: addenda\n---\n"


def test_an_addendum_is_appended_to_the_original_answer(kb):
    write(kb, "more.md", ADDENDA + "## 2. 第二题\n补充的内容。\n")
    x2 = parse_kb(kb).by_id()["X2"]
    assert x2.answer == f"答案二\n\n{ADDENDUM_HEADING}\n\n补充的内容。" and x2.original_answer == "答案二"
    assert x2.addendum == "补充的内容。" and not x2.supplement
    assert x2.plain_answer == "答案二\n\n补充的内容。"  # what graders and the citation check read


def test_an_addendum_with_nothing_to_extend_is_a_warning(kb):
    write(kb, "more.md", ADDENDA + "## 2. 第二题\n一。\n\n## 2. 第二题\n二。\n\n## 7. 没有这题\n三。\n")
    parsed = parse_kb(kb)
    assert parsed.by_id()["X2"].addendum == "一。" and "X7" not in parsed.by_id()
    assert any("more.md:12:" in m and "no answer to add to" in m for m in messages(parsed))
    assert any("more.md:9:" in m and "second addendum for X2" in m for m in messages(parsed))
