"""Answers a user can trust: degenerate model output is detected and repaired, the knowledge base's code is
quoted verbatim, and citation markers are only stripped from prose. Driven by a scripted model over the
real index."""
from __future__ import annotations

import re

import pytest

from chatbot.calibration import MOSTLY_CODE
from chatbot.rag.answerer import Answerer
from chatbot.rag.degenerate import diagnose, title_texts
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import parse
from chatbot.rag.draft.stages.notes import TEXT as NOTES
from chatbot.rag.engine import Engine
from chatbot.rag.kbcode import asks_for_code, code_share, select_code
from chatbot.rag.named_apis import named_apis
from chatbot.rag.prompts import CODE_CUE
from chatbot.rag.translation import TranslationStore
from indexer.index.keyword import distinctive_words
from indexer.records import ADDENDUM_HEADING, CodeBlock, Question
from tests.fakes import ScriptedModel

GOOD_ZH = ("数据增强是在训练时对样本做随机变换（翻转、旋转、裁剪、颜色抖动等），让模型见到更多样的数据，"
           "从而减轻过拟合、提高泛化能力。通常把多个变换组合成一个流水线，作为数据集的 transform 使用。")
GOOD_EN = ("Gradient accumulation sums the gradients of several small batches before one optimizer step, "
           "so a model can train with a larger effective batch size than fits in memory at once.")

# a structured answer naming its topic in each point: a repeated phrase, not a loop
STRUCTURED_EN = ("1. What: Gradient accumulation sums the gradients of several mini-batches before one optimizer step. "
                 "2. Why: Gradient accumulation gives a large effective batch when the full batch does not fit in "
                 "GPU memory. 3. How: Gradient accumulation divides each loss by the number of steps, calls "
                 "backward() every batch and optimizer.step() plus zero_grad() every N batches.")


def body(answer) -> str:
    """What the model wrote, as the answer shows it: after the line the product may put first (the scripted
    model gives no yes/no log-odds, so its sentences stay unconfirmed, and a mostly unconfirmed answer opens by
    saying so) and after the entry's own statement a Chinese answer opens with (its own paragraph)."""
    partial = NOTES[answer.language]["partial"]
    text = answer.text[len(partial):].lstrip() if answer.text.startswith(partial) else answer.text
    quoted = answer.draft is not None and any(s.support == "quoted" for s in answer.draft.sentences())
    return text.split("\n\n", 1)[1] if quoted else text


def answer_with(engine, replies, question, **kwargs):
    return answer_with_model(engine, ScriptedModel(replies, sequence=True), question, **kwargs)


def answerer_with(engine, model):
    """An answerer on `model` whose lead translations stay in memory: a test's fake translations neither reach the
    cache folder (shared with the app and other runs) nor come back from an earlier run."""
    answerer = Answerer(Engine(engine.config, index=engine.index, chat_model=model))
    answerer.translations = TranslationStore(None)
    return answerer


def answer_with_model(engine, model, question, **kwargs):
    return answerer_with(engine, model).answer(question, **kwargs), model


# ----------------------------------------------------------------------------- detection, one pathology each
@pytest.mark.parametrize("raw, problem", [
    ("PyTorch中如何实现数据增强？ [E21]", "echo"),
    ("如何在PyTorch中实现数据增强？", "echo"),
    ("梯度累积是把多个小批量的梯度累加后再更新参数。" * 6, "repetition"),
    ("数据增强可以这样写：\n```python\nimport torch\ntransform = (", "cut_in_code"),
    ("是的。", "too_short"),
    (GOOD_ZH + "\n\n什么是优化器？ [E6]", "pasted_title"),
])
def test_each_pathology_is_detected(engine, raw, problem):
    titles = title_texts(engine.index.questions.values())
    passages = [engine.index.questions["E21"], engine.index.questions["E20"]]
    found = diagnose(raw, "PyTorch里怎么做数据增强？", "zh", passages, titles)
    assert found is not None and found.problem == problem, found


def test_english_question_answered_with_a_chinese_copy_is_detected(engine):
    titles = title_texts(engine.index.questions.values())
    found = diagnose(engine.index.questions["Q73"].answer[:300], "How does gradient accumulation work?", "en",
                     [engine.index.questions["Q73"]], titles)
    assert found is not None and found.problem == "wrong_language"


@pytest.mark.parametrize("raw, lang, question", [
    (GOOD_ZH, "zh", "PyTorch里怎么做数据增强？"),
    (GOOD_EN, "en", "How does gradient accumulation work and why would I use it?"),
    (STRUCTURED_EN, "en", "How does gradient accumulation work and why would I use it?"),
])
def test_a_real_answer_is_not_flagged(engine, raw, lang, question):
    titles = title_texts(engine.index.questions.values())
    assert diagnose(raw, question, lang, [engine.index.questions["E20"]], titles) is None


# ----------------------------------------------------------------------------- repair
def test_an_echo_is_retried_with_a_corrected_prompt(engine):
    a, model = answer_with(engine, [["PyTorch中如何实现数据增强？ [E21]"], [GOOD_ZH]], "数据增强是什么？有什么作用？")
    assert a.mode == "llm" and a.repaired == ["echo"] and "泛化" in a.text
    assert len(model.calls) == 2
    retry_prompt = model.calls[1][0][-1]["content"]
    assert "重复了题目" in retry_prompt and "重复了题目" not in model.calls[0][0][-1]["content"]


def test_twice_degenerate_falls_back_to_the_extractive_answer(engine):
    a, model = answer_with(engine, [["梯度累积。"]], "How does gradient accumulation work and why would I use it?")
    assert len(model.calls) == 2 and a.mode == "extractive"
    assert a.repaired and "Q73" in a.citations and "unusable" in a.text


def test_a_loop_is_repaired(engine):
    a, _ = answer_with(engine, [["Gradient accumulation accumulates gradients. " * 12], [GOOD_EN]],
                       "How does gradient accumulation work and why would I use it?")
    assert a.mode == "llm" and a.repaired == ["repetition"] and a.text.count("accumulates gradients") <= 1


def test_a_line_repeating_the_prompt_cues_is_dropped(engine):
    # the 1.5B model's eval()-vs-no_grad() answer ended with a question of its own, shaped like the user turn
    reply = GOOD_EN + "\n What is Dropout? (Answer in English.) [code attached]\n"
    a, model = answer_with(engine, [[reply]], "What is gradient accumulation and why would I use it?")
    assert len(model.calls) == 1 and "What is Dropout" not in a.text and "[code attached]" not in a.text
    assert GOOD_EN[:50] in a.text


# ----------------------------------------------------------------------------- the knowledge base's code
AUGMENTATION_WITH_CODE = {"E21", "Q44", "Q90"}  # the KB's data-augmentation entries (their order may vary)


def quoted_code(engine, text: str) -> tuple[str, str]:
    """The id the answer's code line cites, and that entry's first selected block."""
    m = re.search(r"知识库 \[(\w+)\] 中的代码（原样引用）：\n\n```\w*\n", text)
    assert m, text
    return m.group(1), text[m.end():text.index("\n```", m.end())]


def test_code_questions_get_the_kb_code_verbatim_under_a_citing_line(engine):
    a, model = answer_with(engine, [[GOOD_ZH]], "PyTorch里怎么做数据增强？给个例子")
    qid, code = quoted_code(engine, a.text)
    assert qid in AUGMENTATION_WITH_CODE and qid in a.citations
    assert code.strip() in {b.code.strip() for b in engine.index.questions[qid].code_blocks}  # exactly as stored
    messages = model.calls[0][0]
    assert messages[-1]["content"].endswith(CODE_CUE) and CODE_CUE.strip() in messages[0]["content"]  # prose only


def test_model_code_is_replaced_by_the_kb_code_when_there_is_some(engine):
    model_code = "以下是完整的示例代码：\n\n```python\nself.fc1 = nn.Linear\n```"
    a, _ = answer_with(engine, [[GOOD_ZH + "\n\n" + model_code]], "PyTorch里怎么做数据增强？给个例子")
    qid, code = quoted_code(engine, a.text)
    assert "nn.Linear\n" not in a.text and qid in AUGMENTATION_WITH_CODE
    assert "以下是完整的示例代码" not in a.text  # the line announcing the removed code goes with it


def test_only_the_clause_announcing_removed_code_goes_not_its_paragraph(engine):
    # the 1.5B model's reply to "如何冻结模型的部分参数": one line, its last clause introducing the code
    reply = ("在PyTorch中，冻结模型的部分参数可以通过把这些参数的 requires_grad 属性设为 False 来实现。"
             "这样，这些参数就不会在训练过程中被更新。例如，如果你想冻结模型的第5层，可以这样做：\n\n"
             "```python\nfor param in model.layer5.parameters():\n    param.requires_grad = False\n```\n\n"
             "这样，模型的第5层就不会被训练，而其他层可以继续训练。")
    a, _ = answer_with(engine, [[reply]], "PyTorch中如何冻结模型的部分参数？")
    assert body(a).startswith("在PyTorch中，冻结模型的部分参数") and "不会在训练过程中被更新。" in a.text
    assert "可以这样做" not in a.text and "model.layer5" not in a.text
    assert "第5层" not in a.text  # "这样，模型的第5层就不会被训练" spoke of the removed code


def test_a_paragraph_describing_the_models_removed_code_goes_with_it(engine):
    # f01: the model described its own MNIST example, shown above Q44's code, which has no MNIST
    reply = ("在PyTorch中实现数据增强，可以使用`torchvision.transforms`模块中的随机变换，增加数据的多样性。例如：\n\n"
             "```python\ntransform = transforms.Compose([transforms.RandomHorizontalFlip()])\n```\n\n"
             "在这个例子中，我们定义了一个随机水平翻转的变换，然后加载了MNIST数据集。\n\n"
             "注意：测试集只做归一化，不做随机增强。")
    a, _ = answer_with(engine, [[reply]], "PyTorch里怎么做数据增强？给个例子")
    assert "MNIST" not in a.text and "增加数据的多样性" in a.text and "测试集只做归一化" in a.text


def test_the_announcing_clause_of_english_prose_is_cut_at_its_sentence_start(engine):
    first = ("Data augmentation applies random transforms such as flips, crops and colour jitter to each "
             "training sample, so the model sees more varied data and overfits less.")
    reply = first + " For example, compose them with transforms.Compose like this:\n```python\nx = 1\n```"
    a, _ = answer_with(engine, [[reply]], "How do I do data augmentation in PyTorch? Give an example")
    assert body(a).startswith(first[:60]) and "like this" not in a.text and "x = 1" not in a.text


def test_the_announcement_of_code_the_length_limit_cut_off_goes_with_it(engine):
    # it was left standing above the KB's block: "Here's an example … that demonstrates per-sample gradients:"
    reply = GOOD_EN + "\n\nHere's an example that demonstrates it:\n\n```python\nimport torch\nbatch = augment_batch("
    a, _ = answer_with(engine, [[reply]], "How do I do data augmentation in PyTorch? Give an example")
    assert GOOD_EN[:60] in a.text and "demonstrates it" not in a.text and "augment_batch(" not in a.text


def test_a_description_of_code_like_the_kbs_stays_above_the_kbs_code(engine):
    # the model often writes code like the passage's and then explains it well; the KB's block replaces its code
    described = ("在这个示例中，我们创建了一个 `StepLR` 学习率调度器，并将其与 `SGD` 优化器关联起来。在训练循环中，"
                 "每个 epoch 先调用 `optimizer.step()` 更新参数，再调用 `scheduler.step()` 更新学习率，"
                 "学习率每 10 个 epoch 乘以 `gamma`。")
    reply = "```python\nscheduler = StepLR(optimizer, step_size=10, gamma=0.1)\n```\n\n" + described
    a, model = answer_with(engine, [[reply]], "给一个在PyTorch中使用StepLR学习率调度器的代码例子")
    assert len(model.calls) == 1 and described[:30] in a.text and "知识库 [" in a.text


def test_the_heading_between_removed_code_and_its_explanation_goes_with_the_code(engine):
    # the one-layer-net answer opened with a bare "解释：" once the model's code above it was replaced
    explained = "这个网络只有一个全连接层 `nn.Linear(10, 1)`，`forward` 把输入直接送进这一层，输出一个值。"
    reply = "```python\nself.fc = nn.Linear(10, 1)\n```\n\n解释：\n" + explained
    a, _ = answer_with(engine, [[reply]], "给我写一段代码：用 PyTorch 定义一个只有一个全连接层的简单神经网络")
    assert body(a).startswith(explained[:20]) and "解释：" not in a.text


def test_a_code_only_reply_describing_other_code_is_retried_for_prose(engine):
    # f20: "这个代码定义了一个名为 KnowledgeDistillationLoss 的类" above Q79's code, which defines a function
    reply = ("```python\nclass KnowledgeDistillationLoss(nn.Module):\n    pass\n```\n\n"
             "这个代码定义了一个名为 `KnowledgeDistillationLoss` 的类，它继承自 `nn.Module`，用 `nn.KLDivLoss` 计算蒸馏损失。")
    a, model = answer_with(engine, [[reply], [GOOD_ZH]], "写一个知识蒸馏损失函数的PyTorch代码")
    assert len(model.calls) == 2 and a.repaired == ["too_short"]
    assert "KnowledgeDistillationLoss" not in a.text and GOOD_ZH[:20] in a.text and "知识库 [" in a.text


def test_steps_that_only_announced_code_leave_no_empty_list_items(engine):
    # the 1.5B model's "Write PyTorch code for a simple CNN classifier": each step introduced its own snippet
    steps = "\n\n".join(f"{n}. {what}:\n```python\nx = {n}\n```" for n, what in
                        enumerate(["Import the libraries", "Define the model", "Train it", "Evaluate it"], 1))
    reply = "Data augmentation applies random flips and crops to each training sample so the model overfits less. " \
            "Follow these steps.\n\n" + steps
    a, _ = answer_with(engine, [[reply]], "How do I do data augmentation in PyTorch? Give an example")
    assert not re.search(r"^\s*\d\.\s*$", a.text, re.M) and "x = 1" not in a.text


def test_a_code_block_inside_a_list_item_leaves_no_gap(engine):
    listed = "1. **保存**：\n   ```python\n   torch.save(m.state_dict(), 'm.pt')\n   ```\n\n2. **加载**：先建模型。"
    a, _ = answer_with(engine, [[GOOD_ZH + "\n\n" + listed]], "PyTorch里怎么做数据增强？给个例子")
    assert "\n   \n" not in a.text and "\n\n\n" not in a.text


def test_a_question_naming_two_steps_gets_both_blocks_of_the_best_passage(engine):
    q100 = engine.index.questions["Q100"]
    blocks = [c.block for c in select_code("How do I save and load a model in PyTorch?", [q100])]
    assert len(blocks) == 2 and "torch.save" in blocks[0].code + blocks[1].code
    assert "load_state_dict" in blocks[0].code + blocks[1].code


def test_both_steps_are_shown_in_the_passage_order(engine):
    q100 = engine.index.questions["Q100"]
    # "保存和加载" names no "how" or "example": the passage is shown for being mostly code, with both blocks
    blocks = [c.block for c in select_code("用 PyTorch 保存和加载模型", [q100])]
    assert len(blocks) == 2 and "torch.save" in blocks[0].code and "torch.load" in blocks[1].code


def test_an_explanation_followed_by_cut_off_code_keeps_the_explanation_without_the_code(engine):
    reply = GOOD_EN + "\n\nFor example:\n```python\nfor step, (x, y) in enumerate(loader):\n    loss = crit("
    a, model = answer_with(engine, [[reply]], "What is gradient accumulation and why would I use it?")
    assert a.mode == "llm" and len(model.calls) == 1  # no retry: the explanation stands
    assert "loss = crit(" not in a.text and "```" not in a.text and "length limit" in a.text


def test_a_reply_that_is_mostly_cut_off_code_is_retried(engine):
    reply = "Here:\n```python\nfor step, (x, y) in enumerate(loader):\n    loss = crit("
    a, model = answer_with(engine, [[reply], [GOOD_EN]], "What is gradient accumulation and why would I use it?")
    assert len(model.calls) == 2 and a.repaired == ["cut_in_code"] and GOOD_EN[:40] in a.text


def test_model_code_without_kb_code_is_marked_as_not_from_the_kb(engine):
    reply = (GOOD_EN + "\n\n```python\nloss = loss / accumulation_steps\nloss.backward()\n```")
    a, _ = answer_with(engine, [[reply]], "What is gradient accumulation and why would I use it?")
    assert NOTES["en"]["model_code"] in a.text and "loss = loss / accumulation_steps" in a.text


def test_the_block_using_the_name_the_question_spells_wins_a_tie(engine):
    # Q9 has three blocks that all tokenise to "dataset"; only one defines a Dataset class
    q9 = engine.index.questions["Q9"]
    [chosen] = select_code("如何自定义一个Dataset类来加载自己的数据？给个例子", [q9])
    assert "class MyDataset(Dataset)" in chosen.block.code


def test_a_question_naming_an_api_gets_code_only_from_an_entry_that_uses_it(engine):
    qs, vocabulary = engine.index.questions, engine.index.keyword
    question = "How do I use torch.func.vmap to compute per-sample gradients?"
    assert select_code(question, [qs["E11"]], vocabulary) == []  # the loss-functions entry: no vmap
    assert [c.question.id for c in select_code(question, [qs["E11"], qs["Q24"]], vocabulary)] == ["Q24"]
    # a name the knowledge base never uses cannot point elsewhere: the best passage's code stays
    assert select_code("How do I use torch.func.jacrev?", [qs["E11"]], vocabulary)


def test_a_block_that_does_not_use_the_named_api_is_not_attached_though_its_entry_names_it():
    # Q14's prose suggests `torch.compile(model)`; its code is a NaN-debugging script
    script = CodeBlock("python", "x = torch.tensor([-1.0, 4.0], requires_grad=True)\n"
                                 "with torch.autograd.detect_anomaly():\n    torch.sqrt(x).sum().backward()")
    q14 = Question("Q14", "main", 14, "如何调试模型？", "加速可用 `torch.compile(model)`。\n\n```python\n"
                   f"{script.code}\n```", [script])
    assert select_code("How does torch.compile speed up a model?", [q14], {"compile"}) == []
    assert select_code("How does detect_anomaly find a NaN?", [q14], {"detect_anomaly"})


def test_the_functional_spelling_of_a_named_module_counts_as_using_it():
    block = CodeBlock("python", "loss = F.cross_entropy(logits, target)\nloss.backward()")
    q26 = Question("Q26", "main", 26, "交叉熵损失", f"`nn.CrossEntropyLoss` 接收 logits。\n\n```python\n{block.code}\n```", [block])
    assert select_code("nn.CrossEntropyLoss", [q26], {"crossentropyloss"})


def test_named_apis_are_the_specific_known_names_of_a_short_question(engine):
    vocabulary = engine.index.keyword
    assert named_apis("StepLR怎么用", vocabulary) == {"steplr"}  # ASCII names: "StepLR怎么用" is not one name
    assert named_apis("PyTorch中如何用nn.Module保存模型", vocabulary) == set()  # too generic to choose by
    assert named_apis("RuntimeError from torch.load", vocabulary) == {"load"}  # the error names the symptom
    assert named_apis("How do I use torch.func.jacrev?", vocabulary) == set()  # unknown to the knowledge base


def test_names_in_a_long_question_describe_the_situation_and_do_not_restrict_code(engine):
    qs, vocabulary = engine.index.questions, engine.index.keyword
    question = ("我们训练了一个 ResNet-50 的缺陷检测模型，权重文件大概100MB。现在要部署到产线上的一台 ARM 工控机上，"
                "没有 GPU，内存只有2GB，要求单张图推理在50毫秒以内。有哪些办法可以把模型变小？给个例子")
    assert [c.question.id for c in select_code(question, [qs["Q20"]], vocabulary)] == ["Q20"]


def test_a_prose_addendum_does_not_make_a_code_answer_stop_being_mostly_code():
    save = "# 保存模型的状态字典\ntorch.save(model.state_dict(), PATH)"
    load = "# 加载模型的状态字典\nmodel.load_state_dict(torch.load(PATH))"
    original = f"1. 保存\n```python\n{save}\n```\n2. 加载\n```python\n{load}\n```"
    addendum = "推荐只保存 state_dict，不保存整个模型对象：pickle 不保存类的代码，只记录类所在的模块路径，重构后加载会失败。" * 3
    blocks = [CodeBlock("python", save), CodeBlock("python", load)]
    plain = Question("Q1", "main", 1, "模型保存和加载", original, blocks)
    added = Question("Q1", "main", 1, "模型保存和加载", f"{original}\n\n{ADDENDUM_HEADING}\n\n{addendum}", blocks,
                     addendum=addendum)
    assert code_share(plain) >= MOSTLY_CODE.value and code_share(added) >= MOSTLY_CODE.value
    assert len(select_code("用 PyTorch 保存和加载模型", [added])) == 2
    # prose that is the entry's own answer still counts: the same text without the addendum mark is not code
    merged = Question("Q1", "main", 1, "模型保存和加载", f"{original}\n\n{addendum}", blocks)
    assert code_share(merged) < MOSTLY_CODE.value and select_code("用 PyTorch 保存和加载模型", [merged]) == []


def test_only_the_best_passage_brings_code_unasked(engine):
    qs = engine.index.questions
    mostly_code = [q for q in qs.values() if q.code_blocks and code_share(q) >= MOSTLY_CODE.value]
    other = next(q for q in qs.values() if q.has_answer and not q.code_blocks)
    assert [c.question.id for c in select_code("What is this?", [mostly_code[0], other])] == [mostly_code[0].id]
    assert select_code("What is this?", [other, mostly_code[0]]) == []  # a neighbour's code stays out
    assert [c.question.id for c in select_code("给个例子", [other, mostly_code[0]])] == [mostly_code[0].id]


def test_a_second_passage_adds_code_only_when_it_uses_a_word_the_question_is_about(engine):
    qs = engine.index.questions
    # Q28's CNN shares only `torch` with a request for a one-layer network: E3's Linear net stands alone
    one_layer = "给我写一段代码：用 PyTorch 定义一个只有一个全连接层的简单神经网络"
    assert [c.question.id for c in select_code(one_layer, [qs["E3"], qs["Q28"]])] == ["E3"]
    # Q92's block uses StepLR, which the question names: both entries' code is shown
    assert [c.question.id for c in select_code("StepLR怎么用", [qs["Q10"], qs["Q92"]])] == ["Q10", "Q92"]
    # with nothing chosen before it, a later passage's code is still the best there is
    assert [c.question.id for c in select_code(one_layer, [qs["Q1"], qs["E3"]])] == ["E3"]


def test_distinctive_words_leave_out_generic_ones():
    words = distinctive_words("用 PyTorch 定义一个简单神经网络")
    assert {"定义", "神经网络"} <= words and not words & {"py", "pytorch", "torch", "一个", "简单", "用"}
    assert distinctive_words("Write a simple CNN model") == {"write", "cnn"}


@pytest.mark.parametrize("question, wanted", [
    ("PyTorch里怎么做数据增强？给个例子", True), ("Show me code for a training loop", True),
    ("How do I save a model?", True), ("什么是张量？", False), ("What is autograd?", False),
])
def test_code_requests_are_recognised(question, wanted):
    assert asks_for_code(question) is wanted


# ----------------------------------------------------------------------------- citation markers
@pytest.mark.parametrize("text, clean, ids", [
    ("Use nn.Linear(10, 1) here [Q73].", "Use nn.Linear(10, 1) here.", ["Q73"]),
    ("```python\nself.fc = nn.Linear(10, 1)\ntotal += targets.size(0)\nx[0]\n```\nDone 【E5】.",
     "```python\nself.fc = nn.Linear(10, 1)\ntotal += targets.size(0)\nx[0]\n```\nDone.", ["E5"]),
    ("Index with `x[2]` or a[1]; see [2].", "Index with `x[2]` or a[1]; see.", []),
    ("Both [Q73, E5] agree.", "Both agree.", ["Q73", "E5"]),
])
def test_markers_are_stripped_from_prose_only(text, clean, ids):
    draft = parse(text)
    assert (render(draft), draft.proposed) == (clean, ids)


# ----------------------------------------------------------------------------- an English answer's lead
def test_an_english_answer_asks_for_its_leads_translation_first_and_answers_without_a_rejected_one(engine):
    from chatbot.rag.lead import choose_lead
    from chatbot.records import Delta

    model = ScriptedModel([GOOD_EN], translation="梯度累积")  # replies in Chinese: every translation rejected
    answerer = answerer_with(engine, model)
    prepared = answerer.prepare("How does gradient accumulation work?")
    lead = choose_lead(prepared.question, answerer.prompt_passages(prepared)[:1], answerer.checker)
    assert lead is not None
    events = list(answerer.stream(prepared))
    assert model.translated == [s.text for s in lead.sentences]  # each of the lead's sentences, in order
    answer = events[-1].answer  # type: ignore[union-attr]
    assert body(answer).startswith(GOOD_EN) and "梯度累积" not in answer.text
    assert all(isinstance(e, Delta) for e in events[:-1])


def test_a_translation_that_fails_leaves_the_answer_without_its_lead_not_without_its_answer(engine):
    model = ScriptedModel([GOOD_EN], translation=ConnectionError("server down"))
    answer, _ = answer_with_model(engine, model, "How does gradient accumulation work?")
    assert answer.mode == "llm" and body(answer).startswith(GOOD_EN) and len(model.translated) == 1
