"""The answer prompt's layout: the system message holds one passage (its saved state is warmed for every entry),
and what varies per question (further passages cut to the question, notes, the question) follows it."""
from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.rag.prompts import TAIL_PASSAGE_CHARS, build_messages, system_message, tail_passage_text
from indexer.kb.parser import parse_kb
from indexer.records import Question

KB_DIR = Path(__file__).resolve().parent.parent / "kb"


@pytest.fixture(scope="module")
def kb():
    return {q.id: q for q in parse_kb(KB_DIR).questions}


def test_a_two_passage_prompt_starts_with_the_first_passage_s_own_warmed_system_message(kb):
    messages = build_messages("How does torch.compile speed up a model?", [kb["Q14"], kb["Q18"]], "en")
    assert messages[0] == system_message([kb["Q14"]])  # the state the warmer built for Q14 serves this prompt
    assert "[Q18]" not in messages[0]["content"] and "[Q18]" in messages[-1]["content"]


def test_the_second_passage_is_cut_to_the_sentences_that_share_the_question_s_words(kb):
    user = build_messages("How does torch.compile speed up a model?", [kb["Q14"], kb["Q18"]], "en")[-1]["content"]
    excerpt = user.split("<context>\n", 1)[1].split("\n</context>", 1)[0]
    body = excerpt.split("\n", 1)[1]
    assert "torch.compile" in body and len(body) <= TAIL_PASSAGE_CHARS + 10  # joined by spaces
    assert user.rstrip().endswith("(Answer in English.)") and "Question: How does torch.compile" in user


def test_a_title_only_best_entry_goes_into_the_question_s_turn_and_the_answered_one_is_cached(kb):
    title_only = Question("MN3", "notes", 3, "一个只有题目的问题", "")  # an added document's entry
    messages = build_messages("?", [title_only, kb["Q73"]], "zh", title_only=title_only.id)
    assert messages[0] == system_message([kb["Q73"]])
    assert f"[{title_only.id}]" in messages[-1]["content"]


def test_a_one_passage_prompt_is_unchanged_by_the_layout(kb):
    messages = build_messages("如何在PyTorch中实现梯度累积？", [kb["Q73"]], "zh")
    assert messages[0] == system_message([kb["Q73"]]) and "<context>" not in messages[-1]["content"]


def test_the_second_passage_s_excerpt_carries_no_bare_list_numbers():
    q = Question("Q9001", "main", 9001, "执行流程？", "执行流程包含以下几个步骤：\n\n1. 数据准备：先准备数据。\n2. 模型构建：再构建模型。")
    excerpt = tail_passage_text(q, "怎么构建模型，有哪些步骤？")
    assert "1." not in excerpt and "2." not in excerpt and "模型构建：再构建模型。" in excerpt
