"""The rules that reduce a long or pasted question to what it asks (chatbot/rag/query_focus.py)."""
from chatbot.rag.query_focus import error_messages, extract, focus_text


def test_a_short_plain_question_has_no_extract():
    for query in ["梯度累积怎么做", "how do I accumulate gradients over several batches", "ReduceLROnPlateau",
                  "代码一边执行一边建图，可以直接用 Python 的 if、for 还能打断点，跟先把整张图定义好再执行的方式相比各有什么优缺点"]:
        assert focus_text(query) == ""


def test_an_error_keeps_its_class_and_message_without_shapes():
    focus = extract("UserWarning: Using a target size (torch.Size([128])) that is different to the input size "
                    "(torch.Size([128, 1])). This will likely lead to incorrect results due to broadcasting.")
    assert focus.errors == ["UserWarning Using a target size ( ) that is different to the input size ( )"]
    text = focus_text("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB "
                      "total capacity)\nany way to fix this without buying a new gpu?")
    assert text == "OutOfMemoryError CUDA out of memory\nany way to fix this without buying a new gpu?"


def test_a_traceback_drops_its_scaffolding_and_keeps_the_details_of_the_message():
    query = ('Traceback (most recent call last):\n  File "train.py", line 12, in <module>\n'
             '    model.load_state_dict(torch.load("ckpt.pt"))\n'
             "RuntimeError: Error(s) in loading state_dict for Net:\n"
             '\tMissing key(s) in state_dict: "fc.weight", "fc.bias".\n'
             '\tUnexpected key(s) in state_dict: "module.fc.weight".')
    focus = extract(query)
    assert focus.errors == ["RuntimeError Error(s) in loading state_dict for Net", "Missing key(s) in state_dict",
                            "Unexpected key(s) in state_dict"]
    assert "train.py" not in focus_text(query)


def test_code_gives_its_api_names_and_the_question_beside_it():
    focus = extract("loss = nn.CrossEntropyLoss()(torch.softmax(logits, dim=1), labels)\n这样写对吗")
    assert focus.apis == ["nn.CrossEntropyLoss", "torch.softmax"] and focus.questions == ["这样写对吗"]
    focus = extract("model.eval()\nwith torch.no_grad():\n    out = model(x)\n# 已经 eval 了，为什么每次输出还不一样？")
    assert focus.questions == ["已经 eval 了，为什么每次输出还不一样？"]
    assert {"model.eval", "torch.no_grad"} <= set(focus.apis)


def test_a_long_paragraph_is_reduced_to_its_question():
    query = ("I have three years of daily electricity consumption for a factory and my manager wants a forecast for "
             "the next 7 days. I cut the data into windows, shuffled them and split 80/20 into train and test. How "
             "should I set up the data split, the model and the baselines in PyTorch?")
    assert focus_text(query) == "How should I set up the data split, the model and the baselines in PyTorch?"


def test_a_question_that_says_little_takes_the_sentence_before_it():
    query = ("I'm a beginner and just wrote my first training loop: forward pass, compute the loss, loss.backward(), "
             "optimizer.step(). The loss goes down and then blows up. Someone said I forgot a line that resets "
             "something between iterations. What did I miss and why does it matter?")
    assert extract(query).questions == ["Someone said I forgot a line that resets something between iterations.",
                                        "What did I miss and why does it matter?"]


def test_a_chinese_paragraph_counts_as_long():
    query = ("我们医院有两万张胸片，但只有八百张有医生的标注，请专家再标注太贵了，短期内也不可能。现在只用这八百张训练的分类模型效果一般。"
             "剩下那些没标注的片子能不能也拿来提升模型？在 PyTorch 里具体应该怎么做？")
    assert focus_text(query) == "剩下那些没标注的片子能不能也拿来提升模型？\n在 PyTorch 里具体应该怎么做？"


def test_error_messages_are_those_of_a_paste_only():
    assert error_messages("How do I save a model?") == []
    messages = error_messages("Traceback (most recent call last):\n  File \"t.py\", line 3, in <module>\n"
                              "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x20 and 10x5)")
    assert messages == ["RuntimeError mat1 and mat2 shapes cannot be multiplied"]


def test_message_runs_leave_out_numbers_so_a_paste_meets_the_alias():
    from chatbot.rag.retriever import message_runs

    alias = message_runs("RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output")
    paste = message_runs("RuntimeError Function DivBackward0 returned nan values in its output")
    assert ("returned", "nan", "values", "in") in alias & paste
    assert not any(w[0].isdigit() for run in alias for w in run)
