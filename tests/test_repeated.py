"""A sentence the answer already said is not shown twice (the TorchScript answer closed both its trace and its
script item with "这使得代码在运行时可以被优化…"); sentences that share their wording but differ in the word that
matters both stay. No index and no model: the pipeline runs on parsed replies."""
from __future__ import annotations

from chatbot.rag.draft import pipeline
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import parse
from chatbot.rag.draft.stages.repeated import DropRepeated, said

OPTIMISED = "这使得代码在运行时可以被优化，如算子融合、常量折叠和内存复用。"
TORCHSCRIPT = (f"1. **trace**：记录一次实际执行的运算。{OPTIMISED}\n"
               f"2. **script**：编译 Python 源代码，保留控制流。{OPTIMISED}")


def shown(reply: str, *, streaming: bool = False) -> str:
    ctx = AnswerContext("trace 和 script 有什么区别？", "zh", [], [], streaming=streaming)
    return render(pipeline.run(parse(reply), ctx))


def repeats_dropped(reply: str) -> str:
    draft = parse(reply)
    DropRepeated().apply(draft, AnswerContext("", "zh", [], []))
    return render(draft)


def test_the_second_time_a_sentence_is_said_it_goes_and_the_first_stays():
    assert shown(TORCHSCRIPT) == ("1. **trace**：记录一次实际执行的运算。" + OPTIMISED +
                                  "\n2. **script**：编译 Python 源代码，保留控制流。")


def test_a_repeat_is_never_shown_while_the_answer_streams():
    assert shown(TORCHSCRIPT, streaming=True).count(OPTIMISED) == 1


def test_a_repeat_with_another_label_or_a_connective_in_front_is_still_a_repeat():
    reply = "`reshape` 能返回 view 时就返回 view，不能时复制一份。\n\n而 `reshape` 能返回 view 时就返回 view，不能时复制一份。"
    assert repeats_dropped(reply) == "`reshape` 能返回 view 时就返回 view，不能时复制一份。"
    items = ("- **Text generation**: conditional models can generate text from a prompt.\n"
             "- **Captioning**: conditional models can generate text from a prompt.")
    assert repeats_dropped(items).count("conditional models") == 1


def test_sentences_that_differ_in_the_word_that_matters_both_stay():
    reply = ("- **trace**：适用于简单的模型，但不适合复杂的模型或需要动态调整的场景。\n"
             "- **script**：适用于复杂的模型，但不适合简单的模型或需要动态调整的场景。\n"
             "If the model is already on the GPU, this operation will have no effect.\n"
             "If the data is already on the GPU, this operation will have no effect.")
    assert repeats_dropped(reply) == reply


def test_short_pieces_may_repeat():
    assert repeats_dropped("1. 是的。\n2. 是的。") == "1. 是的。\n2. 是的。"


def test_what_a_sentence_says_leaves_out_its_marker_label_and_punctuation():
    assert said("2. **CPU 核数**：如果 CPU 核数较少，会变慢。") == said("如果CPU核数较少会变慢")
