"""Mock-interview mode: topics, drawing questions, the embedding grade, hints, skipping and the summary.

The embedding grade runs the real e5-small embedder (session fixture `embedder`); one test asks the real chat
model for a verdict (session fixture `chat_model`). The LLM judge's arithmetic is tested with a fake judge in
test_grading_judge.py, and what every grader shares (no answer, invented APIs, feedback) in test_grading.py.

Calibration of the embedding grade (e5-small; the constants are in chatbot/calibration.py, which cites this
table; scores of good / partial / bad answers, written by hand for 14 questions – the cases below are a subset):

    question                 good zh  good en  partial zh  partial en  bad zh  bad en
    Q73 gradient accum.        10.0     10.0      4.2         3.0       0.0     0.6
    Q74 ResNet                 10.0     10.0      5.7         5.7       0.0     0.0
    Q78 GAN                    10.0     10.0      4.2         4.2       0.0     0.0
    Q92 LR scheduler           10.0      8.8      4.2         5.3       0.0     0.8
    Q4  autograd               10.0      8.8      4.2         4.2       0.0     0.0
    Q79 distillation           10.0     10.0      4.2         5.3       0.0     0.0
    Q96 data parallel          10.0      9.2      6.1         5.3       0.0     0.0
    Q100 save/load (code)      10.0      7.7      5.3         4.2       0.0     0.0
    E6  optimizer (short)      10.0     10.0      6.5         3.3       0.0     1.8
    E8  define optim. (code)   10.0     10.0      6.5         6.5       0.0     0.0
    E12 CNN (short)            10.0     10.0      6.5         3.3       0.0     0.0
    E20 data augm. (short)     10.0     10.0      6.5         0.8       0.0     0.8
    E23 deployment (code)      10.0      8.6      4.9         4.0       0.0     0.0
    E31 evaluation (code)      10.0     10.0      5.3         4.3       0.0     0.0
    Q73 only restating the question ("梯度累积就是在PyTorch中实现梯度累积。"): 1.5

Good answers are paraphrases of the reference (condensed, 1–4 sentences); partial ones state a single
point; bad ones are about another topic, small talk or "I don't know". Raw cosines for the same answers:
good zh 0.92–0.96, good en 0.82–0.94, bad zh 0.82–0.88 (!), bad en 0.72–0.86 – hence the background
contrast instead of fixed cosine thresholds. The weak spot is a one-line English partial answer (E20 "It
flips and rotates the training images.": 0.8): cross-lingual e5-small cosines are compressed.
"""
from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from chatbot.interview.grade import Grade
from chatbot.interview.grading import grade_answer
from chatbot.interview.keypoints import key_points
from chatbot.interview.report import format_summary_markdown, reference_markdown, summary
from chatbot.interview.session import InterviewItem, InterviewSession, hint, skip, start_interview, submit_answer
from chatbot.interview.topics import TOPICS, questions_by_topic, topic_name, topic_of
from chatbot.rag.language import answer_language_ok
from indexer.kb.parser import parse_kb
from indexer.records import Question
from tests.fakes import JudgingModel

KB_DIR = Path(__file__).resolve().parent.parent / "kb"


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return parse_kb(KB_DIR).questions


@pytest.fixture(scope="module")
def by_id(questions) -> dict[str, Question]:
    return {q.id: q for q in questions}


# ------------------------------------------------------------------------------------------- topics
def test_topics_keys_and_names():
    assert list(TOPICS) == ["tensors_autograd", "training_optimisation", "cnn_vision", "sequence_nlp",
                            "generative", "deployment_performance", "fundamentals"]
    for names in TOPICS.values():
        assert names["zh"] and names["en"]
    assert topic_name("cnn_vision", "zh") == "CNN 与视觉"
    assert topic_name("cnn_vision", "en") == "CNNs & vision"


@pytest.mark.parametrize("qid, topic", [
    ("Q73", "training_optimisation"),  # gradient accumulation
    ("Q92", "training_optimisation"),  # learning-rate scheduler
    ("E7", "training_optimisation"),  # optimizers
    ("Q50", "cnn_vision"), ("Q74", "cnn_vision"),  # ResNet (title-only and answered)
    ("E12", "cnn_vision"), ("Q22", "cnn_vision"),  # CNN, image segmentation
    ("Q78", "generative"), ("Q91", "generative"), ("E16", "generative"),  # GAN
    ("Q93", "generative"),  # image *generation* is generative, not vision
    ("Q70", "generative"),  # neural style *transfer* is not transfer learning
    ("Q100", "deployment_performance"), ("Q15", "deployment_performance"),  # save / load
    ("E23", "deployment_performance"), ("Q79", "deployment_performance"),  # deployment, distillation
    ("Q14", "deployment_performance"),  # "调试和性能优化": performance wins over "优化"
    ("Q96", "deployment_performance"),  # data parallelism
    ("Q4", "tensors_autograd"), ("Q2", "tensors_autograd"), ("E4", "tensors_autograd"), ("E5", "tensors_autograd"),
    ("Q72", "sequence_nlp"), ("Q80", "sequence_nlp"), ("E14", "sequence_nlp"), ("Q76", "sequence_nlp"),
    ("Q1", "fundamentals"), ("E1", "fundamentals"), ("Q9", "fundamentals"), ("E21", "fundamentals"),
])
def test_topic_of_known_questions(by_id, qid, topic):
    assert topic_of(by_id[qid]) == topic


def test_every_question_gets_one_topic_and_every_topic_can_be_practised(questions):
    grouped = questions_by_topic(questions)
    assert list(grouped) == list(TOPICS)
    assert sorted(q.id for qs in grouped.values() for q in qs) == sorted(q.id for q in questions)
    for topic, qs in grouped.items():
        assert qs == [q for q in questions if topic_of(q) == topic]  # input order kept
        assert any(q.has_answer for q in qs), f"{topic} has no answered question to ask"


def test_a_passage_of_an_unstructured_document_is_never_asked():
    question = Question("DOC1", "doc", 1, "什么是张量？", "张量是多维数组。")
    passage = Question("DOC2", "doc", 2, "第二段", "这一段只是一段说明文字。", passage=True)
    session = start_interview([question, passage], None, 5, seed=1)
    assert [item.question.id for item in session.items] == ["DOC1"]


def test_topic_of_falls_back_to_alias_keywords_then_fundamentals():
    by_keywords = Question("X1", "main", 1, "第一题", "", aliases="Question one | LSTM, attention, sequence")
    assert topic_of(by_keywords) == "sequence_nlp"
    assert topic_of(Question("X2", "main", 2, "杂项", "")) == "fundamentals"


# ---------------------------------------------------------------------------------- start_interview
def test_start_interview_draws_n_distinct_answered_questions(questions):
    session = start_interview(questions, None, 5, seed=1)
    ids = [item.question.id for item in session.items]
    assert len(ids) == 5 == len(set(ids))
    assert all(item.question.has_answer for item in session.items)
    assert session.position == 0 and not session.finished and session.current() is session.items[0]
    assert session.series == "all" and session.topics == list(TOPICS)
    assert [i.question.id for i in start_interview(questions, None, 5, seed=1).items] == ids  # seeded


def test_title_only_questions_are_never_asked(questions):
    without_supplement = [q for q in questions if not q.supplement]  # the original documents: 61 answered
    answered = {q.id for q in without_supplement if q.has_answer}
    assert len(answered) == 61
    session = start_interview(without_supplement, [], 500, seed=3)
    asked = {item.question.id for item in session.items}
    assert asked <= answered and len(asked) >= 50  # answerable only, one per twin group (52 groups)


def test_twins_are_never_asked_in_one_session(questions):
    from chatbot.rag.retriever import topic_key

    session = start_interview(questions, [], 500, seed=4)
    asked = [item.question for item in session.items]
    assert not any(q.same_as for q in asked)
    assert len({topic_key(q.title) for q in asked}) == len(asked)
    assert "Q35" not in {q.id for q in asked} and "Q45" not in {q.id for q in asked}


@pytest.mark.parametrize("series, prefix", [("main", "Q"), ("interview", "E")])
def test_start_interview_respects_series(questions, series, prefix):
    session = start_interview(questions, None, 8, series=series, seed=2)
    assert len(session.items) == 8 and session.series == series
    assert all(item.question.id.startswith(prefix) and item.question.series == series for item in session.items)


def test_start_interview_respects_topics_and_uses_fewer_when_fewer_exist(questions):
    session = start_interview(questions, ["cnn_vision", "generative"], 4, seed=0)
    assert len(session.items) == 4
    assert {topic_of(item.question) for item in session.items} <= {"cnn_vision", "generative"}
    assert session.topics == ["cnn_vision", "generative"]
    few = start_interview([q for q in questions if not q.supplement], ["tensors_autograd"], 10, series="main",
                          seed=0)
    assert sorted(item.question.id for item in few.items) == ["Q2", "Q4"]  # only two answered there


def test_start_interview_rejects_impossible_or_invalid_requests(questions):
    from dataclasses import replace

    # the original documents alone: the supplement's answers removed, so title-only questions exist again
    questions = [replace(q, answer="", same_as="") if q.supplement else q for q in questions]
    only_title_only_main = [q for q in questions if q.series == "interview" or not q.has_answer]
    with pytest.raises(ValueError, match="no answered question"):
        start_interview(only_title_only_main, None, 3, series="main")
    with pytest.raises(ValueError, match="no answered question"):
        start_interview([q for q in questions if not q.has_answer], ["cnn_vision"], 3)
    with pytest.raises(ValueError, match="unknown topic"):
        start_interview(questions, ["cooking"], 3)
    with pytest.raises(ValueError, match="unknown series"):
        start_interview(questions, None, 3, series="bonus")
    with pytest.raises(ValueError, match="at least 1"):
        start_interview(questions, None, 0)


def test_session_is_plain_copyable_data(questions):
    session = start_interview(questions, None, 3, seed=4)
    session.items[0].answer = "x"
    clone = copy.deepcopy(session)
    assert clone == session and clone.items[0] is not session.items[0]
    assert pickle.loads(pickle.dumps(session)) == session


# -------------------------------------------------------------------------------------- key points
def test_key_points_of_a_prose_answer(by_id):
    points = key_points(by_id["Q73"].answer)
    assert 4 <= len(points) <= 8
    assert all(len(p) <= 61 and p == p.strip() for p in points)
    assert any(p.startswith("减少内存使用") for p in points) and any(p.startswith("增加训练时间") for p in points)
    assert not any(p.startswith("总之") or p.endswith(("：", ":")) for p in points)  # no summary, no lead-in


def test_key_points_leave_code_out(by_id):
    points = key_points(by_id["Q100"].answer)
    assert points and not any("```" in p or "torch.save({" in p or "import torch" in p for p in points)


def test_key_points_of_short_and_code_only_answers(by_id):
    assert key_points(by_id["E2"].answer) == ["Tensor（张量）", "Variable（变量）", "autograd（自动微分）", "nn（神经网络）"]
    assert key_points(by_id["E4"].answer) == ["自动微分是一种数学运算", "用于计算复杂函数的导数", "是深度学习框架的核心技术之一"]
    assert "optim.Adam" in key_points(by_id["E8"].answer)  # code only: the APIs it calls
    e19 = key_points(by_id["E19"].plain_answer)
    assert e19[:2] == ["加载预训练的ResNet50模型", "修改模型的最后一层，以适应新任务"]  # comments first
    assert "models.resnet50" in e19 and not any(p.startswith("假设") for p in e19)
    # a code-only original with the product's addendum: the addendum's prose, not its heading
    e23 = key_points(by_id["E23"].plain_answer)
    assert e23[0].startswith("部署时推荐只保存和加载 state_dict") and not any("补充" in p for p in e23)


def test_every_answered_question_has_key_points(questions):
    for q in questions:
        if q.has_answer:
            assert 1 <= len(key_points(q.plain_answer)) <= 8, q.id


# ------------------------------------------------------------------------------------------ grading
CASES = {
    "Q73": {
        "good": ["梯度累积是在显存不够时使用的训练技巧：把一个大批量拆成多个小批量，每个小批量做前向和反向传播，"
                 "但不立即更新参数，而是把梯度累加起来，累积若干步之后再调用 optimizer.step() 更新一次权重并清零梯度。"
                 "这样可以减少显存占用，等效于用更大的 batch 训练，训练更稳定。缺点是需要调整累积步数这个超参数，"
                 "而且训练时间可能变长。",
                 "Gradient accumulation is a trick for training with limited GPU memory: split a large batch into "
                 "several micro-batches, run forward and backward on each one and add up the gradients, and only call "
                 "optimizer.step() and zero_grad() after a number of accumulation steps. It reduces memory use and "
                 "behaves like a larger effective batch size, making training more stable. The downside is an extra "
                 "hyperparameter (accumulation steps) to tune and possibly longer training time."],
        "partial": ["梯度累积就是多次反向传播后再更新一次参数，可以节省显存。",
                    "You call backward several times before calling optimizer.step, which saves memory."],
        "bad": ["ResNet 通过残差连接解决深层网络的梯度消失问题，广泛用于图像分类。",
                "I like to cook pasta on weekends with my family."],
    },
    "Q74": {
        "good": ["ResNet 即残差网络，通过引入残差连接（快捷连接）让输入直接跳过若干层加到输出上，缓解了深层网络中的"
                 "梯度消失和梯度爆炸问题，使网络可以训练到上百层。它在图像分类（ImageNet 上取得第一名）、目标检测"
                 "（作为 Faster R-CNN、Mask R-CNN 的骨干网络）和人脸识别等视觉任务中有广泛应用。",
                 "ResNet (residual network) adds residual shortcut connections that let the input skip layers and be "
                 "added to the output; this mitigates vanishing and exploding gradients so networks with hundreds of "
                 "layers can be trained. It is widely used in computer vision: image classification (it won "
                 "ImageNet), object detection as the backbone of Faster R-CNN and Mask R-CNN, and face recognition."],
        "partial": ["ResNet 是一种很深的卷积网络，常用于图像分类。", "ResNet is a deep CNN that is used for image classification."],
        "bad": ["学习率调度器可以在训练中动态调整学习率。", "The weather is nice today, let's go for a walk."],
    },
    "E6": {  # a one-sentence reference
        "good": ["优化器是根据梯度调整模型参数、使损失函数最小化的算法，比如 SGD 和 Adam。",
                 "An optimizer is the algorithm that adjusts the model's parameters to minimise the loss function."],
        "partial": ["优化器就是用来调整参数的。"],
        "bad": ["卷积神经网络用卷积提取图像特征。", "我不知道。"],
    },
    "E8": {  # a code-only reference
        "good": ["用 torch.optim 创建，例如 optimizer = optim.Adam(model.parameters(), lr=0.001)，把模型参数和学习率传进去。",
                 "Create it from torch.optim, passing the model parameters and a learning rate: "
                 "optimizer = optim.Adam(model.parameters(), lr=1e-3)."],
        "partial": ["用 optim 里的 Adam 优化器。", "Use the Adam optimizer."],
        "bad": ["把图片随机翻转做数据增强。", "Save the model with torch.save."],
    },
}


@pytest.fixture(scope="module")
def graded(embedder, by_id) -> dict[str, dict[str, list[Grade]]]:
    return {qid: {kind: [grade_answer(embedder, by_id[qid], a) for a in answers] for kind, answers in kinds.items()}
            for qid, kinds in CASES.items()}


@pytest.mark.parametrize("qid", list(CASES))
def test_grading_orders_good_partial_bad(graded, qid):
    scores = {kind: [g.score for g in grades] for kind, grades in graded[qid].items()}
    assert min(scores["good"]) >= 7.0, scores  # a paraphrase of the reference, Chinese or English
    assert all(2.0 < s < 7.0 for s in scores["partial"]), scores  # one point of several
    assert max(scores["bad"]) <= 2.0, scores  # another topic, small talk, "I don't know"
    assert min(scores["good"]) > max(scores["partial"]) > max(scores["bad"])


def test_grade_fields_and_rule_based_feedback(graded, by_id):
    for kinds in graded.values():
        for grades in kinds.values():
            for g in grades:
                assert 0.0 <= g.score <= 10.0 and g.score == round(g.score, 1)
                assert 0.0 <= g.coverage <= 1.0 and -1.0 <= g.similarity <= 1.0
                assert sorted(g.covered + g.missing) == sorted(g.key_points)
                assert g.graded_by != "llm" and g.feedback
    partial = graded["Q73"]["partial"][0]
    assert partial.key_points == key_points(by_id["Q73"].plain_answer)  # the addendum included, not its heading
    assert partial.missing and "可以补充的要点" in partial.feedback and partial.missing[0] in partial.feedback
    english = graded["Q73"]["partial"][1]
    assert "Key points to add" in english.feedback  # feedback in the user's language


def test_similarity_is_the_answer_reference_cosine(graded):
    good_zh, bad_zh = graded["Q73"]["good"][0], graded["Q73"]["bad"][0]
    assert good_zh.similarity > bad_zh.similarity > 0.5  # raw e5 cosines are compressed; the score is not


@pytest.mark.parametrize("answer", ["hello", "whatever"])
def test_a_lone_word_covers_no_key_point(embedder, by_id, answer):
    # "pass" scored 3.4 on Q72 (now read as declining): the one word, embedded, sat nearer a key point than the
    # background lines
    g = grade_answer(embedder, by_id["Q72"], answer)
    assert g.covered == [] and g.score <= 1.0


def test_repeating_the_question_is_not_an_answer(embedder, by_id):
    restated = grade_answer(embedder, by_id["Q73"], "梯度累积就是在PyTorch中实现梯度累积。")
    partial = grade_answer(embedder, by_id["Q73"], CASES["Q73"]["partial"][0])
    assert restated.score < 3.0 < partial.score and not restated.covered


# ------------------------------------------------------------------------------------- LLM judge
def fake_judge(correct: float = 3.0, on_topic: float = 3.0, complete: float = 3.0, claims: float = 0.0) -> JudgingModel:
    """A fake judge giving these log-odds to its three questions, and `claims` to every "does it agree?" check (the
    judge's arithmetic is tested in test_grading_judge.py)."""
    return JudgingModel({"agree with the reference": claims, "correct": correct, "actually answer": on_topic,
                         "cover": complete})


def test_points_e5_finds_covered_by_shared_words_are_not_listed_when_the_fake_judge_doubts_the_answer(embedder, by_id):
    answer = "Data augmentation means adding more layers to the network to increase its capacity."
    alone = grade_answer(embedder, by_id["E20"], answer)
    assert alone.covered and alone.coverage > 0  # shared words, by embeddings alone
    g = grade_answer(embedder, by_id["E20"], answer, chat_model=fake_judge(correct=-0.5, complete=0.5, claims=-0.5))
    assert g.covered == [] and g.missing == g.key_points and g.coverage == 0.0
    assert "Key points covered" not in g.feedback and "All key points" not in g.feedback


@pytest.mark.slow
def test_real_llm_returns_a_verdict(embedder, by_id, chat_model):
    g = grade_answer(embedder, by_id["E6"], CASES["E6"]["good"][0], chat_model=chat_model)
    assert g.graded_by == "llm", g.feedback
    assert g.feedback and answer_language_ok(g.feedback, "zh")


# ------------------------------------------------------------------------------- session actions
def _session(by_id, *ids) -> InterviewSession:
    return InterviewSession([InterviewItem(by_id[i]) for i in ids], topics=list(TOPICS), series="all")


def test_hints_reveal_progressively_and_are_counted(by_id):
    session = _session(by_id, "Q73", "E6")
    points = key_points(by_id["Q73"].answer)
    first = hint(session)
    assert f"共有 {len(points)} 个要点" in first and points[0][:8] in first and points[1] not in first
    assert session.items[0].hints == 1
    second = hint(session)
    assert points[1] in second and session.items[0].hints == 2
    third = hint(session, language="en")
    assert third.startswith("Hint 3") and points[2] in third
    for _ in range(len(points) - 2):  # the remaining points, the first one in full last
        hint(session)
    assert session.items[0].hints == len(points) + 1
    assert hint(session) == "没有更多提示了。" and session.items[0].hints == len(points) + 1  # not counted
    skip(session)
    assert session.current().question.id == "E6" and session.current().hints == 0


def test_skip_and_submit_advance_until_finished(embedder, by_id):
    session = _session(by_id, "E6", "E12")
    skip(session)
    assert session.items[0].skipped and session.items[0].grade is None and session.position == 1
    grade = submit_answer(session, embedder, CASES["E6"]["good"][0])  # answers the *current* item, E12
    assert session.items[1].grade is grade and session.items[1].answer == CASES["E6"]["good"][0]
    assert session.finished and session.current() is None
    skip(session)  # no-op once finished
    assert session.position == 2
    assert hint(session) == "面试已结束。"
    with pytest.raises(ValueError, match="finished"):
        submit_answer(session, embedder, "more")


def test_summary_rows_average_and_review_topics(embedder, by_id):
    session = _session(by_id, "Q74", "E16", "Q73", "E6")
    hint(session)
    submit_answer(session, embedder, CASES["Q74"]["good"][0])  # cnn_vision: high
    skip(session)  # generative: skipped -> review
    submit_answer(session, embedder, CASES["Q73"]["bad"][0])  # training_optimisation: low -> review
    # E6 never reached
    result = summary(session)
    rows = result.rows
    assert [r.id for r in rows] == ["Q74", "E16", "Q73", "E6"]
    assert rows[0].hints == 1 and rows[0].score >= 7.0 and rows[0].topic == "cnn_vision"
    assert rows[1].score is None and rows[1].status == "skipped"
    assert rows[2].score <= 2.0 and rows[3].score is None and rows[3].status == "pending"
    assert (result.answered, result.skipped, result.pending, result.total) == (2, 1, 1, 4)
    assert result.average == round((rows[0].score + rows[2].score) / 2, 1)
    assert result.review_topics == ["training_optimisation", "generative"]  # TOPICS order
    assert result.topic_scores["cnn_vision"] == rows[0].score and result.topic_scores["generative"] is None

    zh = format_summary_markdown(result)
    assert "| Q74 |" in zh and "跳过" in zh and "未作答" in zh and f"{result.average:.1f} / 10" in zh
    assert "建议复习" in zh and "训练与优化" in zh and "生成模型" in zh
    en = format_summary_markdown(result, language="en")
    assert "skipped" in en and "Topics to review" in en and "Training & optimisation" in en


def test_summary_of_an_untouched_session(by_id):
    result = summary(_session(by_id, "E6"))
    assert result.average is None and result.review_topics == [] and result.pending == 1
    assert "没有作答" in format_summary_markdown(result)


def test_reference_markdown_ends_with_its_citation(by_id):
    q = by_id["Q73"]
    text = reference_markdown(q)
    assert q.answer.strip() in text and "Q73" in text.splitlines()[0]
    assert text.splitlines()[-1].startswith("[Q73]") and q.source in text.splitlines()[-1]


@pytest.mark.parametrize("llm_grading, graded_by", [(False, "embedding"), (True, "llm")])
def test_the_interview_tab_asks_the_llm_judge_only_when_llm_grading_is_on(engine, llm_grading, graded_by):
    import dataclasses

    from chatbot.interview.config import InterviewConfig as Config
    from chatbot.rag.engine import Engine
    from chatbot.ui.interview import InterviewTab

    model = fake_judge()
    eng = Engine(dataclasses.replace(engine.config, llm_grading=llm_grading), index=engine.index, chat_model=model)
    session = start_interview(list(eng.index.questions.values()), None, 1)
    session.items[0] = InterviewItem(eng.index.questions["Q73"])
    InterviewTab(eng).answer(CASES["Q73"]["partial"][0], session)
    assert session.items[0].grade is not None and session.items[0].grade.graded_by == graded_by
    assert len(model.asked) == (3 if llm_grading else 0)
    assert Config().llm_grading and not Config.from_env({"KBCHAT_LLM_GRADING": "0"}).llm_grading


def test_the_interview_tab_shows_i_dont_know_as_no_answer(engine):
    from chatbot.rag.engine import Engine
    from chatbot.ui.interview import InterviewTab

    model = fake_judge()
    eng = Engine(engine.config, index=engine.index, chat_model=model)
    session = start_interview(list(eng.index.questions.values()), None, 1)
    session.items[0] = InterviewItem(eng.index.questions["Q73"])
    view = InterviewTab(eng).answer("不知道", session)
    assert "未作答 / no answer" in view.feedback and "0/10" in view.feedback and not model.asked


def test_llm_grading_is_on_by_default_and_a_flag_turns_it_off():
    import argparse

    from chatbot.interview.config import InterviewConfig as Config
    from indexer.config import add_config_flags

    parser = argparse.ArgumentParser()
    add_config_flags(parser, "llm_grading", config=Config)
    parse = lambda *argv: Config().apply_args(parser.parse_args(list(argv))).llm_grading
    assert parse() and not parse("--no-llm-grading") and parse("--llm-grading")
