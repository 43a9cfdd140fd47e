"""Citations are attached and verified by code; the model's own markers are never trusted."""
import pytest

from chatbot.rag.citations import CitationChecker, strip_markers

Q73_SENTENCE = "梯度累积将训练数据分成多个小批量，只有在累积了一定数量的小批量之后，才会进行一次真正的权重更新。"


@pytest.fixture(scope="module")
def checker(engine):
    return CitationChecker(engine.index)


def test_strip_markers_removes_every_bracket_style_and_reports_ids():
    text, ids = strip_markers("甲 [Q73]。乙【E5】。丙 (Q1)。丁 [3]。戊 [Q7, Q8]。")
    assert "[" not in text and "【" not in text and "(Q1)" not in text
    assert ids == ["Q73", "E5", "Q1", "Q7", "Q8"]


def test_supported_sentence_gets_the_supporting_id(checker):
    result = checker.cite(Q73_SENTENCE, ["Q73", "Q74"])
    assert result.citations == ["Q73"] and result.text.endswith("[Q73]")


def test_a_wrong_number_from_the_model_is_replaced(checker):
    result = checker.cite(Q73_SENTENCE + " [Q74]", ["Q73", "Q74"])
    assert result.citations == ["Q73"] and "Q74" in result.rejected and "[Q74]" not in result.text


def test_an_id_that_was_not_retrieved_is_never_cited(checker):
    result = checker.cite(Q73_SENTENCE + " [Q73]", ["Q74", "E1"])
    assert "Q73" not in result.citations and "Q73" in result.rejected


def test_unsupported_sentence_is_left_uncited(checker):
    result = checker.cite("今天天气很好，适合去公园散步和野餐。", ["Q73", "Q74"])
    assert result.citations == [] and result.uncited_sentences == 1


def test_english_sentence_is_checked_against_the_chinese_passage(checker):
    sentence = ("Gradient accumulation adds up the gradients of several small batches and only then "
                "performs one real weight update, which reduces memory use.")
    assert checker.cite(sentence, ["Q74", "Q73", "E1"]).citations == ["Q73"]


def test_code_copied_from_a_passage_is_cited(checker, engine):
    code = engine.index.questions["E3"].code_blocks[0].code
    result = checker.cite(f"示例：\n```python\n{code}\n```", ["E1", "E3"])
    assert "E3" in result.citations and result.text.count("```") == 2
