"""The labelled sets the eval-* commands measure with are themselves checked: a metric whose patterns miss
a correct answer, or pass a wrong one, would report figures that mean nothing."""
import json
from pathlib import Path

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


def test_the_near_kb_labels_find_a_fact_in_the_knowledge_bases_own_words():
    """An answer that restates Q47's addendum ("每个 worker 持有一份 Dataset 副本 … 内存随 worker 数增长；组好的 batch
    要经进程间队列传回主进程") states all four of n03's facts; the first patterns wanted "副本" before "Dataset" and
    "进程间通信", and scored a copy of that paragraph 2 of 4."""
    from indexer.kb.parser import parse_kb

    n03 = {q.id: q for q in load_fact_questions(NEARKB_SET)}["n03"]
    addendum = parse_kb(Path(__file__).parent.parent / "kb").by_id()["Q47"].addendum
    stated, false = n03.check(addendum)
    assert stated == [f.name for f in n03.facts] and false == []


def _saved_report(rows: list[dict]) -> dict:
    return {"summary": {"model": "old", "citation_precision": 0.9}, "rows": rows}


def test_a_saved_report_is_scored_again_with_the_current_labels(tmp_path):
    from chatbot.eval.facts import rescore_facts

    right = "CrossEntropyLoss takes raw logits and applies log_softmax internally."
    wrong = "CrossEntropyLoss expects probabilities, so apply softmax first, and"
    rows = [
        {"id": "n01", "mode": "llm", "answer": right, "citations": ["Q26"], "degenerate": "", "repaired": [],
         "first_token_ms": 1.0, "total_ms": 2.0},
        {"id": "n01", "mode": "llm", "answer": wrong, "citations": [], "degenerate": "", "repaired": [],
         "first_token_ms": 3.0, "total_ms": 4.0},
        {"id": "gone", "mode": "llm", "answer": right, "citations": [], "degenerate": "", "repaired": [],
         "first_token_ms": 1.0, "total_ms": 2.0},
    ]
    report = rescore_facts(_saved_report(rows), NEARKB_SET)
    first, second = report["rows"]
    assert len(report["rows"]) == 2  # an id the set no longer has is left out
    assert len(first["stated"]) == 2 and not first["false_claims"] and first["cites_expected"]
    assert second["false_claims"] and second["unfinished"]  # ends in the middle of a sentence
    assert report["summary"]["cut_off_or_hollow_answers"] == 1
    assert report["summary"]["answers_with_false_claim"] == 0.5
    assert report["summary"]["citation_precision"] == 0.9  # kept from the saved report


def test_rescoring_a_file_that_is_no_report_says_so(tmp_path, capsys):
    from chatbot.cli import main

    bad = tmp_path / "notes.json"
    bad.write_text("[1, 2", encoding="utf-8")
    assert main(["eval-facts", "--rescore", str(bad)]) == 2
    assert "not a readable eval-facts --json report" in capsys.readouterr().err


def test_the_check_cost_is_reported_as_run_and_for_the_wider_policies():
    from chatbot.eval.facts import check_cost

    def row(cited, checked, marked, contradicted, calls, seconds):
        return {"mode": "llm", "sentences": {"cited": cited, "checked": checked, "marked": marked,
                                             "contradicted": contradicted, "check_calls": calls,
                                             "check_seconds": seconds}}

    cost = check_cost([row(4, 1, 2, 1, 2, 3.0), row(2, 0, 1, 0, 0, 0.0), {"mode": "extractive", "sentences": {}}])
    assert cost["check_seconds_per_statement"] == 1.5
    assert cost["check_seconds_per_answer_p50"] == 1.5 and cost["check_seconds_per_answer_max"] == 3.0
    # uncited: 4 and 1 sentences; every sentence: 8 and 3 (at 1.5 s each), medians of two answers
    assert cost["check_if_all_uncited_seconds_p50"] == 3.75
    assert cost["check_if_every_sentence_seconds_p50"] == 8.25
    assert cost["sentences_contradicted_dropped"] == 1
    assert check_cost([row(3, 0, 0, 0, 0, 0.0)]) == {}  # nothing was checked: no cost to report


def test_an_answer_is_cut_off_only_when_the_models_last_sentence_is():
    from chatbot.eval.facts import ends_unfinished

    assert ends_unfinished("Gradient accumulation sums the gradients of several batches. It is useful when the")
    assert not ends_unfinished("Gradient accumulation sums the gradients of several batches. [Q73]")
    # the product's mark after an unconfirmed sentence does not make a finished sentence look cut off
    assert not ends_unfinished("It is used for detection, segmentation, etc. ⁽?⁾\n")
    assert not ends_unfinished("通过这种方式，生成器和判别器可以相互学习。 ⁽?⁾")
