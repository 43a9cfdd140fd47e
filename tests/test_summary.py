"""A closing summary only restates the answer, and is where the small model conflates what it said right above
(f02: "In summary, `model.eval()` is used to … disable gradient computation"): it does not reach the user. No
index and no model: the pipeline runs on parsed replies."""
from __future__ import annotations

from chatbot.rag.draft import pipeline
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import parse
from chatbot.rag.draft.stages.summary import DropSummary

BODY = ("`model.eval()` switches Dropout and BatchNorm to inference behaviour. It does not disable gradient "
        "computation; `torch.no_grad()` does.")
F02 = (f"{BODY}\n\nIn summary, `model.eval()` is used to set evaluation mode and disable gradient computation, "
       "while `torch.no_grad()` disables it for a block. Use both when evaluating.")


CTX = AnswerContext("model.eval() vs torch.no_grad()?", "en", [], [])


def shown(reply: str, *, streaming: bool = False) -> str:
    ctx = AnswerContext("model.eval() vs torch.no_grad()?", "en", [], [], streaming=streaming)
    return render(pipeline.run(parse(reply), ctx))


def summary_dropped(reply: str) -> str:
    draft = parse(reply)
    DropSummary().apply(draft, CTX)
    return render(draft)


def test_a_closing_summary_paragraph_goes_whole():
    assert shown(F02) == BODY


def test_it_is_never_shown_while_the_answer_streams():
    assert "In summary" not in shown(F02[: F02.index("In summary") + len("In summary, `model")], streaming=True)


def test_chinese_summaries_and_summary_headings_go_too():
    assert summary_dropped("autograd 会记录运算并自动求梯度。\n\n总之，autograd 非常灵活和易于使用。") == "autograd 会记录运算并自动求梯度。"
    assert summary_dropped("梯度会累加。\n\n### 总结\n每次迭代前要清零。\n\n") == "梯度会累加。"


def test_a_sentence_that_merely_starts_with_overall_stays_and_an_answer_that_is_only_a_summary_stays():
    reply = "Gradients accumulate in `.grad`.\nOverall memory grows with the batch size."
    assert summary_dropped(reply) == reply
    assert summary_dropped("总之，要先清零梯度再反向传播。") == "总之，要先清零梯度再反向传播。"
