"""The labelled sets the eval-* commands measure with are themselves checked: a metric whose patterns miss
a correct answer, or pass a wrong one, would report figures that mean nothing."""
import json

import pytest

from chatbot.eval.facts import CITATION_PAIRS, FACTS_SET, load_fact_questions
from chatbot.eval.grading import GRADING_SET, LABEL_RANK, load_grading_set

QUESTIONS = {q.id: q for q in load_fact_questions()}
SELFCHECK = [json.loads(line) for line in (FACTS_SET.parent / "facts_selfcheck.jsonl").read_text("utf-8").splitlines()
             if line.strip()]


def test_the_facts_set_has_the_shape_the_issue_asks_for():
    qs = list(QUESTIONS.values())
    assert len(qs) >= 40
    assert abs(sum(q.lang == "zh" for q in qs) - sum(q.lang == "en" for q in qs)) <= 4
    assert sum(q.asks_code for q in qs) >= len(qs) // 5
    assert all(2 <= len(q.facts) <= 4 and q.false_claims for q in qs)


@pytest.mark.parametrize("item", SELFCHECK, ids=[s["id"] for s in SELFCHECK])
def test_a_correct_answer_states_every_fact_and_no_false_claim(item):
    q = QUESTIONS[item["id"]]
    for text in filter(None, [item["correct"], item.get("correct_alt")]):
        stated, false = q.check(text)
        assert stated == [f.name for f in q.facts] and false == []


@pytest.mark.parametrize("item", SELFCHECK, ids=[s["id"] for s in SELFCHECK])
def test_a_wrong_answer_is_caught(item):
    stated, false = QUESTIONS[item["id"]].check(item["wrong"])
    assert false or len(stated) < len(QUESTIONS[item["id"]].facts)


def test_a_false_claim_seen_in_a_real_answer_is_caught():
    real = ("The `model.eval()` method in PyTorch is used to set the model to evaluation mode, which means that the "
            "model will not perform any forward or backward operations.")  # the 0.5B model, issue #8
    assert QUESTIONS["f02"].check(real)[1]


def test_labelled_citation_pairs_and_grading_answers_are_well_formed():
    pairs = [json.loads(line) for line in CITATION_PAIRS.read_text("utf-8").splitlines() if line.strip()]
    assert len(pairs) >= 60 and all({"sentence", "qid", "supported"} <= p.keys() for p in pairs)
    answers = load_grading_set(GRADING_SET)
    assert len(answers) >= 80 and len({a["qid"] for a in answers}) >= 20
    assert {a["label"] for a in answers} <= LABEL_RANK.keys()


NEARKB_SET = FACTS_SET.parent / "nearkb_questions.jsonl"


def test_the_near_kb_set_loads_with_the_shape_issue_21_asks_for():
    qs = load_fact_questions(NEARKB_SET)
    raw = [json.loads(line) for line in NEARKB_SET.read_text("utf-8").splitlines() if line.strip()]
    assert len(qs) >= 40 and len({q.id for q in qs}) == len(qs)
    assert abs(sum(q.lang == "zh" for q in qs) - sum(q.lang == "en" for q in qs)) <= 4
    assert all(2 <= len(q.facts) <= 4 and q.false_claims and q.expected_ids for q in qs)
    assert all(r.get("checked") for r in raw)  # the documentation page each fact was checked against
