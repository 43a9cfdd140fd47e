"""Citations are attached and verified by code; the model's own markers are never trusted."""
from dataclasses import dataclass

import pytest

from chatbot.rag.citations import CitationChecker
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.markers import strip_model_markers
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import parse
from chatbot.rag.draft.stages.cite import Cite

Q73_SENTENCE = "梯度累积将训练数据分成多个小批量，只有在累积了一定数量的小批量之后，才会进行一次真正的权重更新。"


@dataclass
class Cited:
    text: str
    citations: list[str]
    rejected: list[str]
    uncited_sentences: int


class CitingChecker:
    """The checker as the pipeline's citation stage uses it, on one model reply."""

    def __init__(self, engine):
        self.engine = engine
        self.checker = CitationChecker(engine.index)

    def cite(self, text: str, retrieved: list[str]) -> Cited:
        questions = [self.engine.index.questions[q] for q in retrieved[:2]]
        draft = parse(text)
        Cite().apply(draft, AnswerContext("", "zh", questions, retrieved, checker=self.checker))
        cited = Cite.citations(draft)
        return Cited(render(draft), cited, sorted({p for p in draft.proposed if p not in cited}),
                     sum(s.support == "uncited" for s in draft.sentences()))


@pytest.fixture(scope="module")
def checker(engine):
    return CitingChecker(engine)


def test_strip_markers_removes_every_bracket_style_and_reports_ids():
    text, ids = strip_model_markers("甲 [Q73]。乙【E5】。丙 (Q1)。丁 [3]。戊 [Q7, Q8]。")
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


def test_an_english_translation_of_a_passage_sentence_is_cited(checker):
    # Q7: "nn.Module 是 PyTorch 中的一个基类，所有的神经网络模型都应该继承自它"
    sentence = "nn.Module is a base class in PyTorch that all neural network models should inherit from."
    assert checker.cite(sentence, ["Q7", "E1"]).citations == ["Q7"]
    assert checker.cite(sentence, ["E1", "E2", "Q7"]).citations == []  # only passages the model saw


def test_code_copied_from_a_passage_is_cited(checker, engine):
    code = engine.index.questions["E3"].code_blocks[0].code
    result = checker.cite(f"示例：\n```python\n{code}\n```", ["E1", "E3"])
    assert "E3" in result.citations and result.text.count("```") == 2


def test_a_copied_sentence_with_its_subject_swapped_is_not_supported(checker):
    # Q5 says this of Module; the 0.5B model wrote it about Variable, with every other word copied
    swapped = "Variable：PyTorch 中的变量，可以看作是一个可重用的网络层，可以封装一组操作，并且具有可学习的参数。"
    assert checker.cite(swapped, ["Q5"]).citations == []


def test_an_english_claim_the_passage_does_not_make_is_not_cited(checker):
    false = ("The model.eval() method sets the model to evaluation mode, which means that the model will not "
             "perform any forward or backward operations.")
    assert checker.cite(false, ["E31", "E23"]).citations == []


def test_an_api_the_passage_never_names_blocks_the_citation(checker, engine):
    assert "PolynomialLR" not in engine.index.questions["Q92"].answer
    sentence = "在 PyTorch 中，可以使用 `torch.optim.lr_scheduler.PolynomialLR` 来实现学习率调度器。"
    assert checker.cite(sentence, ["Q92"]).citations == []


def test_labelled_pairs_from_real_answers_meet_the_precision_target(engine):
    from chatbot.eval.facts import citation_precision

    result = citation_precision(engine)
    assert result["citation_pairs"] >= 60
    assert result["citation_precision"] >= 0.95 and result["citation_recall"] >= 0.5


def test_what_the_checker_read_of_a_passage_is_read_again_after_documents_change():
    from types import SimpleNamespace

    from chatbot.rag.citations import CitationChecker
    from indexer.records import Question
    from tests.fakes import HashEmbedder

    old = Question("DOC1", "doc", 1, "怎么做蛋糕？", "先把面粉和鸡蛋搅拌均匀，再放进烤箱烤三十分钟。")
    index = SimpleNamespace(questions={"DOC1": old}, embedder=HashEmbedder(), generation=0, sentences=None)
    checker = CitationChecker(index)
    sentence = "先把面粉和鸡蛋搅拌均匀，再放进烤箱烤三十分钟。"
    assert checker.support([sentence], ["DOC1"])[0, 0] >= 0
    # the document is replaced under the same id: the old text no longer supports the sentence
    index.questions = {"DOC1": Question("DOC1", "doc", 1, "怎么做面包？", "面团发酵两小时后揉成型。")}
    index.generation = 1
    assert checker.support([sentence], ["DOC1"])[0, 0] < 0


class _PassagesOnly:
    """An index of two passages (Chinese sentences need no embedder)."""

    generation, sentences = 0, None

    def __init__(self, *questions) -> None:
        self.questions = {q.id: q for q in questions}


def test_a_sentence_that_borrows_the_passage_s_words_for_the_question_s_subject_is_not_supported():
    from indexer.records import Question

    t2 = Question("T2", "topics", 2, "如何自定义 autograd.Function？",
                  "自定义算子的代码需要继承 torch.autograd.Function，并实现 forward 和 backward 两个静态方法，"
                  "forward 用 ctx.save_for_backward 保存反向传播要用的张量，backward 返回每个输入的梯度，"
                  "调用时用 MyFunction.apply(x) 而不是直接调用 forward，不需要梯度的输入返回 None 即可。")
    checker = CitationChecker(_PassagesOnly(t2))
    swapped = ("梯度累积的代码需要继承 torch.autograd.Function，并实现 forward 和 backward 两个静态方法，"
               "forward 用 ctx.save_for_backward 保存反向传播要用的张量，backward 返回每个输入的梯度，"
               "调用时用 MyFunction.apply(x) 而不是直接调用 forward，不需要梯度的输入返回 None 即可。")
    assert checker.support([swapped], ["T2"])[0, 0] >= 0  # the words alone are the passage's
    assert checker.support([swapped], ["T2"], asked="梯度累积的代码怎么写？")[0, 0] < 0  # T2 never says 累积
    own = swapped.replace("梯度累积", "自定义算子")
    assert checker.support([own], ["T2"], asked="怎么自定义 autograd.Function？写个算子")[0, 0] >= 0


def test_a_sentence_is_supported_only_where_the_passage_names_the_apis_it_names():
    from indexer.records import Question

    # Q38's words on BatchNorm; the passage names LayerNorm, but elsewhere
    q38 = Question("Q38", "main", 38, "Batch Normalization是什么？",
                   "BatchNorm 在训练时用当前 mini-batch 的统计量对每个特征通道做标准化，再做可学习的仿射变换。"
                   "对于 BatchNorm2d，均值和方差按通道在 N、H、W 维度上计算。"
                   "使用要点：batch 很小时统计量噪声大，可改用 GroupNorm 或 LayerNorm。")
    checker = CitationChecker(_PassagesOnly(q38))
    own = "BatchNorm 在训练时用当前 mini-batch 的统计量对每个特征通道做标准化。"
    assert checker.support([own], ["Q38"])[0, 0] >= 0
    assert checker.support([own.replace("BatchNorm", "LayerNorm")], ["Q38"])[0, 0] < 0


def test_the_evidence_for_a_statement_is_the_nearest_passage_sentences_in_their_order(engine):
    checker = CitationChecker(engine.index)
    [one] = checker.nearest([Q73_SENTENCE], ["Q73"])
    [two] = checker.nearest([Q73_SENTENCE], ["Q73"], k=2)
    prose = checker.prose_of("Q73")[0]
    assert one in prose and (two.startswith(one) or two.endswith(one))  # the nearest one, and one more
    first, second = (s for s in prose if s in two)
    assert prose.index(first) < prose.index(second)
