"""Answers open with what the knowledge base says: the best entry's own statements nearest to the question, cited,
from the first moment of the stream; verbatim in Chinese, translated and checked in English. No index and no
model: fakes stand in."""
from __future__ import annotations

import inspect
from dataclasses import replace
from types import SimpleNamespace

from chatbot.rag.draft import pipeline
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import Draft, parse
from chatbot.rag.lead import LEAD_CHARS, MAX_SENTENCES, Lead, LeadSentence, choose_lead
from chatbot.rag.prompts import build_messages
from indexer.records import Question
from tests.fakes import HashEmbedder

TITLE = "CrossEntropyLoss 和 NLLLoss 有什么区别？"
LOGITS = "nn.CrossEntropyLoss 的输入是未归一化的 logits，它在内部先做 log_softmax 再取负对数似然。"
LOG_PROBS = "nn.NLLLoss 的输入必须是对数概率，通常由 LogSoftmax 得到。"
INTRO = "两者的区别如下："
E11 = Question("E11", "main", 11, TITLE, f"{INTRO}\n\n- {LOGITS}\n- {LOG_PROBS}")


class ProseChecker:
    """The part of the citation checker a lead reads: an entry's prose sentences and their vectors."""

    def __init__(self, prose: dict[str, list[str]]) -> None:
        self.prose = prose
        self.index = SimpleNamespace(embedder=HashEmbedder())

    def prose_of(self, qid: str):
        texts = self.prose[qid]
        return texts, self.index.embedder.encode_queries(texts)


CHECKER = ProseChecker({"E11": [TITLE, INTRO, LOGITS, LOG_PROBS]})


def context(language: str = "zh", *, streaming: bool = False) -> AnswerContext:
    lead = Lead((LeadSentence("E11", LOGITS),))
    return AnswerContext("CrossEntropyLoss 要不要先 softmax？", language, [E11], ["E11"], lead=lead,
                         streaming=streaming)


def texts(lead: Lead) -> tuple[str, ...]:
    return tuple(s.text for s in lead.sentences)


# ----------------------------------------------------------------------------- choosing the statement
def test_the_lead_is_the_entrys_statement_nearest_to_the_question_never_its_title_or_an_announcement():
    lead = choose_lead(LOG_PROBS, [E11], CHECKER)  # type: ignore[arg-type]
    assert lead is not None and lead.qids == ["E11"]
    assert LOG_PROBS in texts(lead)
    assert TITLE not in texts(lead) and INTRO not in texts(lead)


def test_two_statements_keep_the_entrys_order():
    lead = choose_lead(LOG_PROBS, [E11], CHECKER)  # type: ignore[arg-type]
    assert lead is not None and texts(lead) == (LOGITS, LOG_PROBS)


def test_a_piece_of_a_sentence_split_inside_brackets_is_never_a_lead():
    piece = "多 worker 时需要自行分片，否则数据会重复）。"
    checker = ProseChecker({"E11": [piece, LOGITS]})
    lead = choose_lead(piece, [E11], checker)  # type: ignore[arg-type]
    assert lead is not None and piece not in texts(lead) and LOGITS in texts(lead)


def test_the_questions_own_words_lift_the_sentence_that_uses_them():
    fillers = ["训练时每个批次都要先清零梯度再反向传播。", "学习率调度器按轮次调整学习率的大小。",
               "数据增强在每个轮次重新随机变换样本。"]
    checker = ProseChecker({"E11": [*fillers, LOG_PROBS]})
    lead = choose_lead("NLLLoss 需要先做 LogSoftmax 吗", [E11], checker, words_weight=10.0)  # type: ignore[arg-type]
    assert lead is not None and LOG_PROBS in texts(lead)


def test_statements_are_ranked_across_entries_and_shown_by_entry():
    other = Question("E12", "main", 12, "什么是 log_softmax？", "log_softmax 返回对数概率。")
    checker = ProseChecker({"E11": [TITLE, INTRO, LOGITS, LOG_PROBS], "E12": ["log_softmax 返回对数概率，数值更稳定。"]})
    lead = choose_lead(LOG_PROBS, [E11, other], checker)  # type: ignore[arg-type]
    assert lead is not None and lead.qids == ["E11", "E12"] and len(lead.sentences) <= MAX_SENTENCES
    assert [s.qid for s in lead.sentences] == sorted(s.qid for s in lead.sentences)


def test_the_lead_stays_short_enough_to_leave_room_for_the_explanation():
    long = "模型输出" + "很长的说明，" * 70 + "到此为止。"
    checker = ProseChecker({"E11": [long, LOG_PROBS]})
    lead = choose_lead(LOG_PROBS, [E11], checker)  # type: ignore[arg-type]
    assert lead is not None and texts(lead) == (LOG_PROBS,) and len(long) > LEAD_CHARS


def test_a_list_items_marker_and_semicolon_do_not_come_along():
    checker = ProseChecker({"E11": ["- 数据较多时解冻全部或后几层；"]})
    lead = choose_lead("什么时候解冻？", [E11], checker)  # type: ignore[arg-type]
    assert lead is not None and texts(lead) == ("数据较多时解冻全部或后几层。",)


def test_an_entry_without_a_written_answer_or_a_statement_gives_no_lead():
    assert choose_lead("x", [Question("Q1", "main", 1, "标题？", "")], CHECKER) is None  # type: ignore[arg-type]
    assert choose_lead("x", [E11], ProseChecker({"E11": [TITLE, INTRO]})) is None  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the answer opens with it
def test_a_chinese_answer_opens_with_the_statement_verbatim_and_cited_before_the_model_writes():
    shown = render(pipeline.run(Draft([]), context("zh", streaming=True)))
    assert shown == f"{LOGITS} [E11]"


def test_the_models_copy_of_the_lead_goes_and_its_own_sentences_stay():
    reply = f"{LOGITS} 所以训练时不要先手动做 softmax，否则相当于做了两次。"
    draft = pipeline.run(parse(reply), context("zh"))
    text = render(draft)
    assert text.count("未归一化的 logits") == 1 and "两次" in text and "copied_lead" in draft.removed
    near = LOGITS.replace("未归一化的", "未经归一化的")  # a word of its own: not a copy
    draft = parse(near)
    next(s for s in pipeline.STAGES if s.name == "drop_copied_lead").apply(draft, context("zh"))
    assert render(draft) == near


def test_an_answer_without_a_lead_is_left_as_the_model_wrote_it():
    reply = "CrossEntropyLoss takes raw logits, and NLLLoss takes log-probabilities."
    draft = parse(reply)
    for stage in (s for s in pipeline.STAGES if s.name in ("drop_copied_lead", "lead")):
        stage.apply(draft, replace(context("en"), lead=None))  # English answers get none
    assert render(draft) == reply


def test_the_model_writes_as_it_would_without_a_lead():
    # told about the lead, the 1.5B model copied it and stopped (f06): its prompt does not mention it
    assert "Lead" not in str(inspect.signature(build_messages))


def test_the_lead_keeps_its_citation_when_the_models_next_paragraph_cites_the_same_entry():
    draft = parse("CrossEntropyLoss 内部先做 log_softmax。")
    draft.sentences()[0].citation, draft.sentences()[0].support = "E11", "cited"
    next(s for s in pipeline.STAGES if s.name == "lead").apply(draft, context("zh"))
    assert render(draft) == f"{LOGITS} [E11]\n\nCrossEntropyLoss 内部先做 log_softmax。 [E11]"
