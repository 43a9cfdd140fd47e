"""Splits questions into retrieval chunks.

Chunk 0 of every question is its title plus its Chinese aliases, and the English title and
keywords make a chunk of their own (one language per vector embeds more sharply): short and
focused, they are what title-like and English queries match best. Answers follow in chunks of
about `max_chars`, each prefixed with the question title for context; a code fence is never split.
"""
from __future__ import annotations

import hashlib

from indexer.records import Chunk, Question
from indexer.text import answer_blocks

DEFAULT_MAX_CHARS = 600


def _pack(blocks: list[str], max_chars: int) -> list[str]:
    pieces, current = [], ""
    for block in blocks:
        if current and len(current) + len(block) + 2 > max_chars:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{block}" if current else block
    if current:
        pieces.append(current)
    return pieces


def content_hash(text: str, salt: str = "") -> str:
    return hashlib.sha256(f"{salt}\x00{text}".encode()).hexdigest()


def chunk_question(q: Question, max_chars: int = DEFAULT_MAX_CHARS, salt: str = "") -> list[Chunk]:
    texts = [f"{q.title}\n{q.aliases_zh}" if q.aliases_zh else q.title]
    if q.aliases:
        texts.append(q.aliases)
    if not q.same_as:  # a twin sharing another question's answer is found by its title; the answer is indexed once
        texts += [f"{q.title}\n{piece}" for piece in _pack(answer_blocks(q.answer), max_chars)]
    return [
        Chunk(f"{q.id}#{n}", q.id, text, q.source, content_hash(text, salt))
        for n, text in enumerate(texts)
    ]


def chunk_questions(questions: list[Question], max_chars: int = DEFAULT_MAX_CHARS, salt: str = "") -> list[Chunk]:
    return [c for q in questions for c in chunk_question(q, max_chars, salt)]
