"""What every grader shares (chatbot/interview/graders/base.py, grade.py, feedback.py, no_answer.py): an answer with
nothing to grade, PyTorch names that do not exist, the two rules of doubt and falsity, feedback composed from the
grade, which grader grades, and where the graders' constants come from.

No index and no real model: the stand-in embedder (HashEmbedder) and the fake judge (JudgingModel) of tests/fakes.py.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import chatbot.calibration as calibration
from chatbot.calibration import WRONG_CAP
from chatbot.interview.feedback import TEXT, compose_feedback
from chatbot.interview.grade import Grade
from chatbot.interview.graders.embedding import EmbeddingGrader
from chatbot.interview.graders.judge import JudgeGrader
from chatbot.interview.grading import grade_answer, grader_for
from chatbot.interview.invented_apis import invented_apis
from chatbot.interview.no_answer import declines
from chatbot.rag.language import detect_language
from indexer.kb.parser import parse_kb
from indexer.records import Question
from tests.fakes import HashEmbedder, JudgingModel

REPO = Path(__file__).resolve().parent.parent
EMBEDDER = HashEmbedder()


@pytest.fixture(scope="module")
def by_id() -> dict[str, Question]:
    return {q.id: q for q in parse_kb(REPO / "kb").questions}


def fake_judge(correct: float = 3.0, complete: float = 3.0) -> JudgingModel:
    return JudgingModel({"correct": correct, "actually answer": 3.0, "cover": complete})


# ------------------------------------------------------------------------------------------ no answer
@pytest.mark.parametrize("answer", ["", "   ", "？？", None])
def test_an_empty_answer_scores_zero_in_both_languages_without_an_embedder(by_id, answer):
    g = grade_answer(None, by_id["Q73"], answer)  # no embedder needed
    assert g.score == 0.0 and g.coverage == 0.0 and not g.covered and g.graded_by == "none"
    assert g.missing == g.key_points and "未作答" in g.feedback and "No answer" in g.feedback


@pytest.mark.parametrize("answer", ["不知道", "我不会，抱歉", "I don't know", "No idea, sorry.", "pass", "跳过"])
def test_saying_one_cannot_answer_is_no_answer_and_the_fake_judge_is_not_asked(by_id, answer):
    # the judge had called "不知道" false and quoted it as an incorrect statement
    model = fake_judge(correct=-2.0)
    g = grade_answer(EMBEDDER, by_id["Q73"], answer, chat_model=model)
    assert g.score == 0.0 and not g.states_false and g.wrong == "" and not model.asked and g.graded_by == "none"
    assert g.feedback == TEXT[detect_language(answer)]["empty"]


def test_an_answer_that_only_starts_with_i_dont_know_is_graded():
    assert not declines("不知道怎么说，梯度累积就是把几个 batch 的梯度加起来再更新")
    assert not declines("passing the gradients along is what backward() does")


# ----------------------------------------------------------------------------------- invented APIs
def test_real_pytorch_names_are_not_called_invented():
    text = ("Call model.eval() and wrap inference in torch.no_grad(); save with torch.save(model.state_dict(), p), "
            "then model.load_state_dict(torch.load(p, weights_only=True)). nn.Linear, F.cross_entropy, "
            "optim.AdamW, torch.nn.utils.clip_grad_norm_, torch.distributed.fsdp, optimizer.zero_grad(), and "
            "the candidate's own layer model.fc1(x) all exist.")
    assert invented_apis(text) == []
    assert invented_apis('model = torch.jit.script(model)\nmodel.save("model.pt")') == []  # TorchScript has save()
    assert invented_apis("build it with torch.build(config) and train with model.fit(x, y)") == [
        "torch.build()", "model.fit()"]


@pytest.mark.parametrize("judge_model", [None, "fake judge"])
def test_an_answer_built_on_apis_pytorch_does_not_have_is_false_by_either_grader(by_id, judge_model):
    # Q100's "wrong" answer in eval/grading_answers.jsonl scored 3.1: fluent, on topic, and Keras, not PyTorch
    answer = ("Saving a model means calling model.save('model.h5'), which writes the architecture as JSON. To load "
              "it you call torch.load_model() and the optimizer state is restored automatically.")
    model = fake_judge(correct=1.0, complete=1.5) if judge_model else None
    g = grade_answer(EMBEDDER, by_id["Q100"], answer, chat_model=model)
    assert g.score <= WRONG_CAP.value and g.states_false and g.invented == ["model.save()", "torch.load_model()"]
    assert g.covered == [] and g.missing == g.key_points and g.coverage == 0.0  # "加载模型" had been listed
    assert g.wrong == "Saving a model means calling model.save('model.h5'), which writes the architecture as JSON."
    assert "model.save(), torch.load_model()" in g.feedback and "do not exist in PyTorch" in g.feedback
    assert g.to_json()["invented_apis"] == g.invented


# -------------------------------------------------------------------------------- doubt and falsity
GRADE = Grade(7.5, ["a", "b"], ["a"], ["b"], "llm", similarity=0.9, coverage=0.5, agrees=True)


def test_a_grade_in_doubt_lists_no_key_point_as_covered_and_keeps_its_score():
    g = GRADE.in_doubt()
    assert (g.covered, g.missing, g.coverage, g.agrees) == ([], ["a", "b"], 0.0, False)
    assert g.score == 7.5 and not g.states_false


def test_a_grade_stating_something_false_is_in_doubt_capped_and_quotes_the_statement():
    g = GRADE.stating_false("torch.build(config) builds the model.")
    assert g.score == WRONG_CAP.value and g.states_false and g.wrong == "torch.build(config) builds the model."
    assert g.covered == [] and g.coverage == 0.0
    assert GRADE.stating_false("").wrong == "" and Grade(1.0, [], [], [], "llm").stating_false("").score == 1.0


# ---------------------------------------------------------------------------------------- feedback
def test_feedback_calls_a_low_score_whose_statements_agree_brief_and_otherwise_far_from_the_reference(by_id):
    low = Grade(2.0, ["a", "b"], ["a"], ["b"], "llm")
    assert compose_feedback(low, by_id["Q73"], "en").startswith("The answer is far from the reference.")
    brief = compose_feedback(Grade(2.0, ["a", "b"], ["a"], ["b"], "llm", agrees=True), by_id["Q73"], "en")
    assert brief.startswith("What you say agrees with the reference, but it is brief")


def test_feedback_lists_the_points_the_statement_and_the_grader(by_id):
    g = Grade(2.5, ["point one", "point two"], ["point one"], ["point two"], "embedding", wrong="x is y",
              states_false=True)
    text = compose_feedback(g, by_id["Q73"], "en")
    assert "(key points of the reference covered: 1/2)" in text and "- point one" in text and "- point two" in text
    assert "“x is y”" in text and "[Q73]" in text and "no language model was used" in text


# ----------------------------------------------------------------------------------- which grader
def test_the_fake_judge_grades_when_a_chat_model_is_given_and_the_embeddings_otherwise():
    assert isinstance(grader_for(EMBEDDER, fake_judge()), JudgeGrader)
    assert type(grader_for(EMBEDDER)) is EmbeddingGrader


# -------------------------------------------------------------------------------------- calibration
def _calibrated_names_read_by(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "chatbot.calibration":
                names.update(a.name for a in node.names)
    return names


def test_every_grading_constant_names_its_labelled_data_the_command_that_measures_it_and_its_figure():
    names = _calibrated_names_read_by(REPO / "chatbot" / "interview")
    assert {"CORRECT_SHARE", "CLAIM_AGREE", "WRONG_CAP", "RELEVANCE_LOW", "COVERAGE_FULL", "KEYWORD_SHARE"} <= names
    for name in names:
        entry = getattr(calibration, name)
        assert isinstance(entry, calibration.Calibrated), name
        assert "eval/grading_answers.jsonl" in entry.fitted_on or "tests/test_interview.py" in entry.fitted_on, name
        assert "eval-grading" in entry.fitted_on and entry.figure, name
