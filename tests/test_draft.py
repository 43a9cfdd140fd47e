"""The answer pipeline on its own: a reply is parsed once into a typed draft, stages change it in one order,
and one renderer writes it, for the stream and the final answer alike. No index and no model: these run in
the fast tier."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.rag.draft import pipeline
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import Code, Gap, Sentence, parse
from chatbot.rag.draft.stages.base import Degenerate
from chatbot.rag.draft.stages.notes import TEXT as NOTES
from chatbot.rag.kbcode import KBCode
from indexer.records import CodeBlock, Question

EXPLANATION = ("Gradient accumulation sums the gradients of several small batches before one optimizer step, "
               "so a model can train with a larger effective batch size than fits in memory at once.")
KB_BLOCK = CodeBlock("python", "for i, (x, y) in enumerate(loader):\n    (loss_fn(model(x), y) / 4).backward()")
Q73 = Question("Q73", "main", 73, "梯度累积是什么", "梯度累积……\n\n```python\n" + KB_BLOCK.code + "\n```",
               code_blocks=[KB_BLOCK])


def context(*, kb_code: bool = False, streaming: bool = False, question: str = "What is gradient accumulation?"):
    return AnswerContext(question, "en", [Q73], ["Q73"], [KBCode(Q73, KB_BLOCK)] if kb_code else [],
                         streaming=streaming)


# ----------------------------------------------------------------------------- parsing and rendering
def test_a_reply_is_parsed_into_sentences_gaps_and_code():
    draft = parse("First point. Second point [Q73].\n\n```python\nx = 1\n```\nDone.")
    kinds = [type(s).__name__ for s in draft.segments]
    assert kinds == ["Sentence", "Gap", "Sentence", "Gap", "Code", "Gap", "Sentence"]
    assert draft.sentences()[1].text == "Second point." and draft.proposed == ["Q73"]
    assert draft.codes()[0].body == "x = 1" and draft.codes()[0].closed


def test_a_block_the_reply_ends_inside_is_open():
    [code] = parse("Here:\n```python\nfor x in loader:\n    loss = crit(").codes()
    assert not code.closed and code.body.endswith("crit(")


def test_markers_inside_code_are_code_not_citations():
    draft = parse("Use `x[1]` here.\n```python\nself.fc = nn.Linear(10, 1)\nx[0]\n```")
    assert draft.proposed == [] and "x[0]" in draft.codes()[0].text


_PROSE = st.text(st.sampled_from(list("ab 中文。.，!?\n-1*`")), max_size=80)


@given(_PROSE)
def test_rendering_a_parsed_reply_without_markers_gives_it_back(text):
    # the draft holds all of the reply: nothing is lost or reordered between parsing and rendering
    assert render(parse(text)) == _normalised(text)


def _normalised(text: str) -> str:
    import re

    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)*", "\n\n", text).strip()


def test_one_marker_per_run_of_sentences_citing_the_same_entry():
    draft = parse("One. Two. Three.")
    for s in draft.sentences():
        s.citation = "Q73"
    assert render(draft) == "One. Two. Three. [Q73]"


# ----------------------------------------------------------------------------- stages, in pipeline order
def test_the_stage_order_is_written_once_and_judging_comes_before_citing():
    names = [s.name for s in pipeline.STAGES]
    assert names.index("cut_code") < names.index("diagnose") < names.index("cite") < names.index("closing_notes")


def test_code_cut_off_by_the_length_limit_goes_with_its_announcement_and_is_noted():
    draft = pipeline.run(parse(EXPLANATION + "\n\nFor example:\n```python\nfor x in loader:\n    loss = crit("),
                         context())
    text = render(draft)
    assert "crit(" not in text and "For example" not in text and NOTES["en"]["code_cut"] in text


def test_a_reply_that_is_mostly_cut_off_code_is_judged_cut_in_code():
    with pytest.raises(Degenerate) as err:
        pipeline.run(parse("Here:\n```python\nfor step, (x, y) in enumerate(loader):\n    loss = crit("), context())
    assert err.value.diagnosis.problem == "cut_in_code"


def test_the_models_code_gives_way_to_the_kbs_with_its_announcement():
    reply = EXPLANATION + " Like this:\n```python\nmodel.fit(x)\n```"
    text = render(pipeline.run(parse(reply), context(kb_code=True)))
    assert "model.fit" not in text and "Like this" not in text
    assert text.index(EXPLANATION[:40]) < text.index("[Q73]") < text.index(KB_BLOCK.code)


def test_model_code_without_kb_code_is_marked_as_the_models():
    text = render(pipeline.run(parse(EXPLANATION + "\n\n```python\nloss.backward()\n```"), context()))
    assert text.index(NOTES["en"]["model_code"]) < text.index("loss.backward()")


def test_list_items_left_empty_do_not_reach_the_user():
    reply = EXPLANATION + "\n\n1. Import the libraries:\n```python\nimport torch\n```\n2. Train it."
    text = render(pipeline.run(parse(reply), context(kb_code=True)))
    assert "1." not in text.split("\n") and "Import the libraries" not in text and "2. Train it." in text


def test_numbered_headings_with_nothing_under_them_do_not_reach_the_user():
    # the 1.5B model's DistributedDataParallel answer, above the KB's code
    reply = (EXPLANATION + "\n\n1. **Install PyTorch**:\n2. **Initialise the process group**:\n"
             "3. **Wrap the model**: call `DDP(model, device_ids=[rank])`.\n4. **Train**:")
    text = render(pipeline.run(parse(reply), context(kb_code=True)))
    assert "Install" not in text and "Initialise" not in text and "**Train**" not in text
    assert "3. **Wrap the model**: call `DDP(model, device_ids=[rank])`." in text


def test_a_label_followed_by_its_items_stays():
    reply = EXPLANATION + "\n\n1. **Steps**:\n   - divide the loss by N\n   - step every N batches."
    assert "**Steps**" in render(pipeline.run(parse(reply), context()))


def test_an_answer_the_length_limit_stopped_ends_at_its_last_full_sentence():
    reply = EXPLANATION + " By using the cell state and forget gate"
    stopped = pipeline.run(parse(reply), replace(context(), cut_off=True))
    assert render(stopped) .endswith("at once.") and "forget gate" not in render(stopped)
    # a reply that ended by itself keeps its last words, even without a full stop
    assert render(pipeline.run(parse(reply), context())).endswith("forget gate")


def test_a_line_repeating_the_prompts_cues_is_dropped():
    text = render(pipeline.run(parse(EXPLANATION + "\nWhat is Dropout? (Answer in English.) [code attached]"),
                               context()))
    assert "Dropout" not in text and EXPLANATION[:40] in text


# ----------------------------------------------------------------------------- the stream
def test_the_stream_never_shows_what_the_final_answer_removes():
    reply = EXPLANATION + " Like this:\n```python\nmodel.fit(x)\n```\nIn this example, we call fit."
    final = render(pipeline.run(parse(reply), context(kb_code=True)))
    for end in range(1, len(reply) + 1):
        shown = pipeline.preview(reply[:end], context(kb_code=True, streaming=True))
        assert "model.fit" not in shown and "In this example" not in shown, end
    assert "model.fit" not in final


def test_the_stream_grows_a_numbered_list_without_showing_an_unfinished_marker():
    reply = "可以尝试以下方法：\n\n1. 观察训练过程中的损失。\n2. 使用学习率调度器。"
    shown = [pipeline.preview(reply[:end], context(streaming=True)) for end in range(1, len(reply) + 1)]
    assert not any(s.rstrip().endswith(("\n1", "\n2")) for s in shown)
    for before, after in zip(shown, shown[1:]):  # each preview extends the last one, as a terminal prints it
        assert after.startswith(before.rstrip()), (before, after)


def test_a_code_block_appears_in_the_stream_only_once_it_is_finished():
    reply = EXPLANATION + "\n\n```python\nloss.backward()\n```"
    assert "loss.back" not in pipeline.preview(reply[:-5], context(streaming=True))
    assert "loss.backward()" in pipeline.preview(reply, context(streaming=True))


def test_the_stream_runs_no_judging_and_adds_no_closing_notes():
    shown = pipeline.preview("Short.", context(streaming=True))  # too short, but still being written
    assert shown == "Short."


def test_segments_are_typed_records():
    draft = parse("A. B.\n```\nc\n```")
    assert all(isinstance(s, Sentence | Gap | Code) for s in draft.segments)


# ----------------------------------------------------------------------------- every sentence checked
class FakeJudge:
    """Log-odds by keyword, as a yes/no judge would give them; records what it was asked."""

    def __init__(self, odds: dict[str, float]) -> None:
        self.odds = odds
        self.asked: list[str] = []

    def __call__(self, statements: list[str]) -> list[float]:
        self.asked += statements
        return [next((v for k, v in self.odds.items() if k in s), 0.3) for s in statements]


def checked(reply: str, judge: FakeJudge, **kwargs) -> str:
    draft = parse(reply)
    for s in draft.sentences():
        s.support = "uncited"  # as the citation stage leaves sentences no passage holds
    ctx = replace(context(), judge=judge, **kwargs)
    for stage in (s for s in pipeline.STAGES if s.name in ("check", "partial_coverage", "closing_notes")):
        stage.apply(draft, ctx)
    return render(draft)


def test_a_sentence_the_passages_contradict_is_never_shown():
    judge = FakeJudge({"probabilities": -1.5, "logits": 2.0})
    text = checked("CrossEntropyLoss takes raw logits. CrossEntropyLoss expects probabilities after softmax.", judge)
    assert "probabilities" not in text and "raw logits." in text and "⁽?⁾" not in text


def test_a_list_item_whose_only_sentence_the_check_dropped_leaves_no_empty_marker():
    judge = FakeJudge({"probabilities": -1.5, "GroupNorm": 2.0, "accumulation": 2.0})
    draft = parse("When the batch is small:\n\n1. Use nn.GroupNorm instead of BatchNorm.\n"
                  "2. CrossEntropyLoss expects probabilities after softmax.\n3. Use gradient accumulation over 4 steps.")
    for s in draft.sentences():
        s.support = "uncited" if len(s.text) > 3 else "unchecked"  # as the citation stage leaves them ("2." is not)
    ctx = replace(context(), judge=judge)
    at = [s.name for s in pipeline.STAGES].index("check")
    text = render(pipeline.run(draft, ctx, pipeline.STAGES[at:]))
    assert "probabilities" not in text and "GroupNorm" in text and "accumulation" in text
    assert not any(re.fullmatch(r"\d\.\s*(⁽\?⁾)?\s*", line) for line in text.splitlines()), text


def test_a_sentence_the_check_cannot_settle_is_marked_where_it_stands():
    judge = FakeJudge({"NLLLoss": 0.3, "log_softmax": 2.0, "backward": 2.0})
    text = checked("Use nn.NLLLoss after the loss. Apply log_softmax first. Then call backward().", judge)
    assert "after the loss. ⁽?⁾" in text and "first. ⁽?⁾" not in text and NOTES["en"]["unconfirmed"] in text


def test_only_sentences_naming_an_api_or_a_number_are_paid_for_unless_all_are_asked():
    judge = FakeJudge({})
    checked("Set num_workers to 4. It depends on the machine.", judge)
    assert judge.asked == ["Set num_workers to 4."]
    judge = FakeJudge({})
    checked("Set num_workers to 4. It depends on the machine.", judge, check_all=True)
    assert len(judge.asked) == 2


def test_a_list_item_s_number_is_not_a_number_worth_a_check():
    judge = FakeJudge({})
    checked("1、数据复制会占用更多显存。\n2、学习率设为 0.1 时收敛更快。", judge)
    assert judge.asked == ["2、学习率设为 0.1 时收敛更快。"]


def test_a_label_announcing_a_list_is_neither_cited_nor_marked():
    from chatbot.rag.citations import CitationChecker
    from chatbot.rag.draft.stages.cite import Cite

    class Index:
        generation, questions, sentences = 0, {"Q73": Q73}, None

    draft = parse("1. **数据复制**：\n   reshape 在无法返回视图时会复制数据。")
    Cite().apply(draft, replace(context(), checker=CitationChecker(Index())))
    _, label, claim = draft.sentences()  # "1." alone is a sentence too short to check
    assert label.support == "unchecked" and claim.support == "uncited"
    assert "⁽?⁾" not in checked_draft_label(draft)


def checked_draft_label(draft) -> str:
    for stage in (s for s in pipeline.STAGES if s.name == "check"):
        stage.apply(draft, replace(context(), judge=None))
    return render(draft).splitlines()[0]  # "1. **数据复制**：", no mark


def test_without_a_judge_unconfirmed_sentences_are_marked_not_dropped():
    text = checked("Set num_workers to 4.", None)  # type: ignore[arg-type]
    assert "Set num_workers to 4. ⁽?⁾" in text


def test_an_answer_mostly_unconfirmed_says_so_in_its_first_line():
    text = checked("Use torch.compile(model). It uses 3 passes. It is fast.", FakeJudge({}))
    assert text.startswith(NOTES["en"]["partial"]) and NOTES["en"]["unconfirmed"] not in text


def test_a_judge_that_fails_leaves_the_sentences_marked_and_the_answer_whole():
    def broken(statements: list[str]) -> list[float]:
        raise ValueError("a judgement prompt exceeds the context window")

    text = checked("Set num_workers to 4. Then call backward().", broken)  # type: ignore[arg-type]
    assert "Set num_workers to 4. ⁽?⁾" in text and "backward(). ⁽?⁾" in text


def test_restating_a_given_passage_s_title_is_not_a_pasted_title_but_another_entry_s_is():
    from chatbot.rag.degenerate import diagnose

    q99 = Question("Q99", "main", 99, "如何在PyTorch中实现多任务学习模型？", "多任务学习共享底层特征。")
    e6 = "PyTorch中的优化器有哪些区别？"
    good = ("多任务学习让一个模型同时学习多个相关任务，共享底层特征，再由各任务自己的输出层给出结果。"
            "训练时把各任务的损失加权求和后一起反向传播。")
    titles = [q99.title, "PyTorch中怎么实现多任务学习模型？", e6]
    assert diagnose(good + "\n\n如何在PyTorch中实现多任务学习模型？", "多任务学习是什么？", "zh", [q99], titles) is None
    found = diagnose(good + "\n\n" + e6, "多任务学习是什么？", "zh", [q99], titles)
    assert found is not None and found.problem == "pasted_title"
