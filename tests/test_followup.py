"""Follow-up questions: a short question that cannot be understood alone borrows the previous turn's topic, and
"alone" is judged by retrieval (chatbot/rag/followup.py), not by the words it uses."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatbot.calibration import FOLLOWUP_GAIN
from chatbot.rag.answerer import Answerer
from chatbot.rag.followup import CONTEXT_CHARS, MAX_FOLLOWUP_CHARS, Turn, bounded, context_gain, resolve_query
from chatbot.records import Hit
from indexer.records import Question

PAIRS = Path(__file__).resolve().parent.parent / "eval" / "followup_pairs.jsonl"
GRADIENT_ACCUMULATION = [Turn("什么是梯度累积？", "什么是梯度累积？", "梯度累积把多个小批量的梯度累加后再更新参数。 [Q73]")]


class TopicRetriever:
    """A stand-in knowledge base of a few topics: a query's best hit is the topic whose name it contains first,
    with cosine 0.80 plus `lift` when it names one (0.80 alone), and every query is recorded."""

    topics = {"梯度累积": "Q73", "DataLoader": "Q82", "Adam": "Q41"}

    def __init__(self, lift: float = 0.06) -> None:
        self.lift, self.queries = lift, []

    def search(self, query: str, top_k: int = 5) -> list[Hit]:
        self.queries.append(query)
        named = [qid for name, qid in self.topics.items() if name in query]
        qid = named[0] if named else "Q1"
        return [Hit(Question(qid, "main", int(qid[1:]), qid, ""), 0.03, 0.80 + (self.lift if named else 0.0))]


def pairs() -> list[dict]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]


# ----------------------------------------------------------------------------- the rule (no index, no model)
def test_a_question_without_a_conversation_is_its_own_query_and_costs_no_search():
    retriever = TopicRetriever()
    assert resolve_query("  给个例子 ", [], retriever) == "给个例子"
    assert retriever.queries == []


def test_a_question_the_previous_topic_lifts_borrows_it():
    assert resolve_query("给个例子", GRADIENT_ACCUMULATION, TopicRetriever()) == "什么是梯度累积？ 给个例子"


def test_a_question_that_finds_its_own_topic_stands_alone():
    assert resolve_query("Show code for DataLoader", GRADIENT_ACCUMULATION, TopicRetriever()) == \
        "Show code for DataLoader"


def test_a_follow_up_needs_a_lift_above_the_calibrated_gain():
    below = TopicRetriever(lift=FOLLOWUP_GAIN.value - 0.001)
    above = TopicRetriever(lift=FOLLOWUP_GAIN.value + 0.001)
    assert resolve_query("给个例子", GRADIENT_ACCUMULATION, below) == "给个例子"
    assert resolve_query("给个例子", GRADIENT_ACCUMULATION, above).endswith(" 给个例子")


def test_the_decision_compares_the_question_alone_with_the_question_after_the_previous_query():
    retriever = TopicRetriever()
    assert context_gain("给个例子", "什么是梯度累积？", retriever) == pytest.approx(0.06)
    assert retriever.queries == ["给个例子", "什么是梯度累积？ 给个例子"]


def test_a_long_question_carries_its_own_topic_and_costs_no_search():
    retriever = TopicRetriever()
    question = "给" * (MAX_FOLLOWUP_CHARS + 1)
    assert resolve_query(question, GRADIENT_ACCUMULATION, retriever) == question
    assert retriever.queries == []


def test_a_chain_of_follow_ups_keeps_the_first_topic_in_front_cut_to_its_length():
    retriever = TopicRetriever()
    first = resolve_query("再详细一点", GRADIENT_ACCUMULATION, retriever)
    second = resolve_query("还有呢", GRADIENT_ACCUMULATION + [Turn("再详细一点", first, "……")], retriever)
    assert second == f"{first} 还有呢"
    long_topic = [Turn("梯度累积" * 100, "梯度累积" * 100, "……")]
    assert resolve_query("给个例子", long_topic, retriever) == f"{('梯度累积' * 100)[:CONTEXT_CHARS]} 给个例子"


def test_without_a_retriever_a_short_question_keeps_the_previous_topic():
    """The API rebuilds earlier turns without searching; their queries only serve as the next turn's topic."""
    assert resolve_query("它有什么缺点？", GRADIENT_ACCUMULATION) == "什么是梯度累积？ 它有什么缺点？"
    assert resolve_query("给个例子", []) == "给个例子"


def test_history_is_bounded_to_the_last_turns():
    turns = [Turn(str(n), str(n), "") for n in range(5)]
    assert [t.question for t in bounded(turns, 2)] == ["3", "4"] and bounded(turns, 0) == []


def test_the_labelled_pairs_cover_both_labels_and_languages_and_hold_out_half():
    rows = pairs()
    for label in ("followup", "standalone"):
        for lang in ("zh", "en"):
            group = [r for r in rows if r["label"] == label and r["lang"] == lang]
            assert len(group) >= 15 and {r["split"] for r in group} == {"fit", "test"}
    assert all(r["previous"] and r["answer"] and r["question"] for r in rows)
    assert all(len(r["question"]) <= MAX_FOLLOWUP_CHARS for r in rows)  # longer ones never reach the rule


# ----------------------------------------------------------------------------- the shipped index (slow)
@pytest.mark.parametrize("previous, question", [
    ("什么是梯度累积？", "给个例子"),
    ("什么是梯度累积？", "给个代码例子"),
    ("什么是梯度累积？", "它有什么缺点？"),
    ("什么是梯度累积？", "and its drawbacks?"),
    ("什么是梯度累积？", "show me code for it"),
    ("PyTorch中的SGD优化器怎么用？", "那 Adam 呢？"),
])
def test_real_follow_ups_borrow_the_previous_topic(retriever, previous, question):
    assert resolve_query(question, [Turn(previous, previous, "")], retriever) == f"{previous} {question}"


@pytest.mark.parametrize("question", ["Show code for DataLoader", "DataLoader 怎么用？", "PyTorch中的ResNet是什么？"])
def test_a_question_naming_its_own_topic_stands_alone_even_asking_for_code(retriever, question):
    assert resolve_query(question, GRADIENT_ACCUMULATION, retriever) == question


def test_the_answerer_searches_a_standalone_question_alone_and_a_follow_up_with_its_topic(engine):
    answerer = Answerer(engine)
    standalone = answerer.prepare("Show code for DataLoader", GRADIENT_ACCUMULATION)
    assert standalone.resolved_query == "Show code for DataLoader" and standalone.hits[0].question.id == "Q82"
    follow_up = answerer.prepare("show me code for it", GRADIENT_ACCUMULATION)
    assert follow_up.resolved_query.startswith("什么是梯度累积？") and follow_up.hits[0].question.id == "Q73"


def test_the_labelled_pairs(retriever):
    """The figures of calibration.FOLLOWUP_GAIN: accuracy 0.90 on the fit half and 0.90 on the held-out half."""
    accuracy = {}
    for split in ("fit", "test"):
        rows = [r for r in pairs() if r["split"] == split]
        said = [context_gain(r["question"], r["previous"], retriever) > FOLLOWUP_GAIN.value for r in rows]
        right = [followup == (r["label"] == "followup") for followup, r in zip(said, rows)]
        accuracy[split] = sum(right) / len(rows)
    print(f"follow-up accuracy: {accuracy}")
    assert accuracy["fit"] >= 0.875 and accuracy["test"] >= 0.875
