"""The LLM judge's grade (chatbot/interview/graders/judge.py), its arithmetic checked with a fake judge.

The fake judge (tests/fakes.py's JudgingModel) gives chosen yes/no log-odds to the three whole-answer questions
and to each "does this statement agree with the reference?"; the stand-in embedder (HashEmbedder) loads no model,
so these tests need neither an index nor a real model. What real embeddings add is tested in test_interview.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.calibration import (
    CHECKED_HIGH,
    COMPLETE_HIGH,
    COMPLETE_LOW,
    CORRECT_HIGH,
    CORRECT_LOW,
    CORRECT_SHARE,
    OTHER_TOPIC_CAP,
    WRONG_CAP,
)
from chatbot.interview.grading import grade_answer
from indexer.kb.parser import parse_kb
from indexer.records import Question
from indexer.text import sentences, strip_code
from tests.fakes import HashEmbedder, JudgingModel, ScriptedModel

KB_DIR = Path(__file__).resolve().parent.parent / "kb"
EMBEDDER = HashEmbedder()
# E20 "什么是数据增强？" has two key points; this answer shares the first one's keywords, so the embedding grade
# lists that point as covered whatever the embeddings say
E20_PARTIAL = "数据增强通过改变输入数据来增加数据多样性。"


@pytest.fixture(scope="module")
def by_id() -> dict[str, Question]:
    return {q.id: q for q in parse_kb(KB_DIR).questions}


def fake_judge(correct: float = 3.0, on_topic: float = 3.0, complete: float = 3.0, claims: float = 0.0) -> JudgingModel:
    """A fake judge giving these log-odds to its three questions, and `claims` to every "does it agree?" check."""
    return JudgingModel({"agree with the reference": claims, "correct": correct, "actually answer": on_topic,
                         "cover": complete})


def expected_score(correctness: float, completeness: float) -> float:
    return round(10.0 * (CORRECT_SHARE.value * correctness + (1 - CORRECT_SHARE.value) * completeness), 1)


def between(low: float, high: float, share: float) -> float:
    """The log-odds `share` of the way from `low` to `high`."""
    return low + share * (high - low)


# ----------------------------------------------------------------------------------- the three questions
def test_the_fake_judge_is_asked_three_yes_no_questions_under_one_system_message_and_nothing_is_generated(by_id):
    q = by_id["Q73"]
    model = fake_judge()
    answer = "梯度累积把几个小批量的梯度加起来，累积若干步后再调用 optimizer.step() 更新一次参数。"
    g = grade_answer(EMBEDDER, q, answer, chat_model=model)
    assert g.graded_by == "llm" and not g.states_false and not model.calls  # nothing generated
    assert len(model.asked) == 3 and len({c[0]["content"] for c in model.asked}) == 1  # one system message
    system = model.asked[0][0]["content"]
    assert system.count(q.title) == 1 and all(p in system for p in g.key_points)
    assert all(answer in c[-1]["content"] for c in model.asked)
    assert set(g.judged) == {"correct", "on_topic", "complete"}
    assert "[Q73]" in g.feedback and "语言模型" in g.feedback


@pytest.mark.parametrize("correct_share, complete_share", [(1.0, 1.0), (0.5, 0.5), (0.5, 0.0), (0.2, 0.9)])
def test_the_score_weighs_the_fake_judges_correctness_and_completeness(by_id, correct_share, complete_share):
    correct = between(CORRECT_LOW.value, CORRECT_HIGH.value, correct_share)
    complete = between(COMPLETE_LOW.value, COMPLETE_HIGH.value, complete_share)
    g = grade_answer(EMBEDDER, by_id["Q73"], "梯度累积把几个小批量的梯度加起来再更新参数。",
                     chat_model=fake_judge(correct=correct, complete=complete))
    assert g.score == expected_score(correct_share, complete_share)


def test_log_odds_beyond_the_fitted_ranges_count_as_zero_or_full_marks(by_id):
    grade = lambda **odds: grade_answer(EMBEDDER, by_id["Q73"], "梯度累积把几个小批量的梯度加起来再更新参数。",
                                        chat_model=fake_judge(**odds)).score
    assert grade(correct=9.0, complete=9.0) == 10.0
    assert grade(correct=CORRECT_HIGH.value, complete=-9.0) == expected_score(1.0, 0.0)


def test_a_correct_partial_answer_scores_above_a_complete_sounding_doubted_one_by_the_fake_judge(by_id):
    grade = lambda **odds: grade_answer(EMBEDDER, by_id["Q73"], "梯度累积可以节省显存。",
                                        chat_model=fake_judge(**odds)).score
    correct_only, complete_only = grade(correct=3.0, complete=-1.0), grade(correct=-0.5, complete=3.0)
    assert 0 < complete_only < correct_only < 10


def test_an_answer_the_fake_judge_calls_another_concept_scores_at_most_the_other_topic_cap(by_id):
    g = grade_answer(EMBEDDER, by_id["E20"], "Autograd records operations to compute gradients.",
                     chat_model=fake_judge(on_topic=-2.0))
    assert g.score == OTHER_TOPIC_CAP.value and g.other_topic and "different concept" in g.feedback


# ------------------------------------------------------------------------------- the statement check
def test_an_answer_the_fake_judge_trusts_has_no_statement_checked(by_id):
    model = fake_judge(correct=CORRECT_LOW.value + 0.1)
    grade_answer(EMBEDDER, by_id["Q73"], "梯度累积把几个小批量的梯度加起来再更新参数。", chat_model=model)
    assert len(model.asked) == 3


def test_each_statement_of_an_answer_the_fake_judge_doubts_is_shown_beside_a_reference_sentence(by_id):
    q = by_id["Q73"]
    model = fake_judge(correct=-0.5)
    grade_answer(EMBEDDER, q, "梯度累积把几个小批量的梯度加起来。", chat_model=model)
    [check] = model.asked[3:]
    assert "梯度累积把几个小批量的梯度加起来。" in check[-1]["content"] and q.title in check[0]["content"]
    evidence = check[-1]["content"].split("What the reference says on this:")[1]
    assert any(s in evidence for s in sentences(strip_code(q.plain_answer)))  # a sentence of the reference


def test_the_weakest_statement_joins_the_fake_judges_correctness(by_id):
    correct, weakest = -0.5, 1.5
    g = grade_answer(EMBEDDER, by_id["E20"], E20_PARTIAL,
                     chat_model=fake_judge(correct=correct, complete=COMPLETE_LOW.value, claims=weakest))
    correctness = (correct + weakest - CORRECT_LOW.value) / (CHECKED_HIGH.value - CORRECT_LOW.value)
    assert g.judged["claims"] == weakest and g.score == expected_score(correctness, 0.0)


def test_a_false_statement_found_by_the_fake_judge_caps_the_score_and_is_quoted(by_id):
    false = "它的本质是每个 epoch 降低学习率。"
    answer = "梯度累积会把几个小批量的梯度加起来再更新。" + false
    model = JudgingModel({"降低学习率": -3.0, "加起来": 1.0, "correct": -0.5})
    g = grade_answer(EMBEDDER, by_id["Q73"], answer, chat_model=model)
    assert g.score <= WRONG_CAP.value and g.states_false and g.wrong == false and false in g.feedback
    assert len(model.asked) == 3 + 2 and not model.calls  # one "does it agree?" per statement; nothing generated
    assert g.judged["claims"] == -3.0


def test_checking_stops_at_a_plainly_false_statement_by_the_fake_judge(by_id):
    answer = "梯度累积就是每个 epoch 降低学习率。它和显存没有关系。它只用于强化学习。"
    model = JudgingModel({"降低学习率": -3.0, "correct": -0.5})
    g = grade_answer(EMBEDDER, by_id["Q73"], answer, chat_model=model)
    assert len(model.asked) == 3 + 1 and g.states_false and g.wrong == "梯度累积就是每个 epoch 降低学习率。"


def test_a_one_sentence_answer_the_fake_judge_calls_false_is_quoted_whole(by_id):
    answer = "梯度累积就是每个 epoch 降低学习率，让训练更稳定。"
    model = fake_judge(correct=-2.0)
    g = grade_answer(EMBEDDER, by_id["Q73"], answer, chat_model=model)
    assert g.states_false and g.wrong == answer and len(model.asked) == 3 + 1 and answer in g.feedback


def test_a_doubted_answer_whose_statements_agree_keeps_its_points_and_is_called_brief_by_the_fake_judge(by_id):
    # the 1.5B judge read the correct one-liner "VGG 使用 3x3 的小卷积核。" as doubtful (-0.2), like wrong answers
    q = by_id["E20"]
    agreeing = grade_answer(EMBEDDER, q, E20_PARTIAL, chat_model=fake_judge(correct=-0.5, complete=-0.5, claims=1.5))
    disputed = grade_answer(EMBEDDER, q, E20_PARTIAL, chat_model=fake_judge(correct=-0.5, complete=-0.5, claims=-0.5))
    assert agreeing.score > disputed.score and agreeing.covered and agreeing.agrees and not agreeing.states_false
    # correct as far as it goes: a low score, but not "far from the reference"
    assert agreeing.score < 4 and agreeing.feedback.startswith("所说的与参考答案一致，但过于简略")
    assert disputed.feedback.startswith("回答与参考答案差距较大")
    assert not disputed.states_false  # in doubt, but not shown to be false


def test_an_answer_the_fake_judge_doubts_lists_no_key_point_and_reports_no_coverage(by_id):
    # shared words are not coverage: the doubted answer had `covered == []` but still the embeddings' coverage (0.5)
    q = by_id["E20"]
    assert grade_answer(EMBEDDER, q, E20_PARTIAL).covered  # by its keywords, without the judge
    g = grade_answer(EMBEDDER, q, E20_PARTIAL, chat_model=fake_judge(correct=-0.5, complete=0.5, claims=-0.5))
    assert g.covered == [] and g.missing == g.key_points and g.coverage == 0.0
    assert "答到的要点" not in g.feedback and "（覆盖参考答案要点 0/2）" in g.feedback


# ----------------------------------------------------------------------------------------- fallback
@pytest.mark.parametrize("model", [
    ScriptedModel(["points: Y Y Y"]),  # a model (e.g. a remote server) that gives no probabilities
    JudgingModel({}, error=RuntimeError("model crashed")),
    JudgingModel({"correct": float("nan")}),
], ids=["no-probabilities", "raises", "nan"])
def test_a_fake_judge_that_cannot_judge_leaves_the_embedding_grade(by_id, model):
    g = grade_answer(EMBEDDER, by_id["E20"], E20_PARTIAL, chat_model=model)
    assert g.graded_by == "embedding" and "向量相似度" in g.feedback
    assert g.score == grade_answer(EMBEDDER, by_id["E20"], E20_PARTIAL).score


def test_a_failing_statement_check_leaves_the_fake_judges_doubt_standing(by_id):
    class FailingChecks(JudgingModel):
        def yes_logodds(self, conversations):
            if "agree with the reference" in conversations[0][-1]["content"]:
                raise RuntimeError("model crashed")
            return super().yes_logodds(conversations)

    g = grade_answer(EMBEDDER, by_id["E20"], E20_PARTIAL, chat_model=FailingChecks({"correct": -0.5}))
    assert g.graded_by == "llm" and "claims" not in g.judged and g.covered == [] and not g.states_false
