"""Twins: one topic asked twice in the knowledge base (Q17/Q35/Q45 transfer learning; Q35 and Q45 point to Q17
with `same_as`, E18/E19 share Q17's title). A session never asks two twins, and they share one review card."""
from __future__ import annotations

from collections.abc import Iterable

from chatbot.rag.retriever import topic_key
from indexer.records import Question


def twin_groups(questions: Iterable[Question]) -> dict[str, list[Question]]:
    """card key -> the answered questions that count as one, first in knowledge-base order. The key is the first
    one's id; a question with `same_as` joins its twin's group."""
    questions = [q for q in questions if q.has_answer]
    by_id = {q.id: q for q in questions}
    key_of_title: dict[str, str] = {}
    groups: dict[str, list[Question]] = {}
    for q in questions:
        if q.same_as:
            continue
        key = key_of_title.setdefault(topic_key(q.title), q.id)
        groups.setdefault(key, []).append(q)
    for q in questions:
        if q.same_as:
            root = by_id.get(q.same_as)
            key = key_of_title.get(topic_key(root.title), root.id) if root is not None else q.id
            groups.setdefault(key, []).append(q)
    return groups


def card_keys(questions: Iterable[Question]) -> dict[str, str]:
    """question id -> its card key."""
    return {q.id: key for key, group in twin_groups(questions).items() for q in group}
