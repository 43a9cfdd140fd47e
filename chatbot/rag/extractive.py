"""Answers without an LLM: the best passages, trimmed to the sentences that match the question."""
from __future__ import annotations

from chatbot.calibration import SECOND_PASSAGE_GAP
from chatbot.rag.kbcode import code_overlap
from chatbot.records import Hit
from indexer.index.keyword import tokenize
from indexer.text import answer_blocks, is_code_block

MAX_PROSE_CHARS = 360

TEXT = {
    "zh": {"intro": "知识库中最相关的内容（摘录，未经模型改写）：",
           "title_only": "知识库只列出了这个问题，没有书面答案。"},
    "en": {"intro": "The most relevant knowledge-base passages (quoted in Chinese, not rewritten by a model):",
           "title_only": "The knowledge base lists this question without a written answer."},
}


def trim_to_query(answer: str, query: str, max_prose_chars: int = MAX_PROSE_CHARS,
                  max_code_chars: int | None = None) -> str:
    """Keeps the opening paragraph, the paragraphs that share words with the question, and the code block
    that uses most of the question's words, the first on a tie (whole, or left out when longer than
    `max_code_chars`): "StepLR 的代码例子" got Q10's first block, an autograd example."""
    query_tokens = set(tokenize(query))
    blocks = answer_blocks(answer)
    prose = [b for b in blocks if not is_code_block(b)]
    codes = [b for b in blocks if is_code_block(b)]
    code = max(codes, key=lambda b: code_overlap(b, query_tokens), default="")  # max keeps the first of ties
    if max_code_chars is not None and len(code) > max_code_chars:
        code = ""
    text = "\n\n".join(closest_within(prose, query_tokens, max_prose_chars, first=True))
    return f"{text}\n\n{code}".strip() if code else text


def closest_within(units: list[str], query_tokens: set[str], budget: int, *, first: bool = False) -> list[str]:
    """The units (paragraphs, sentences) that share most of the query's words, the earlier on a tie, added while
    they fit in `budget` characters, in their own order; with `first`, the opening unit whatever its size."""
    ranked = sorted(range(len(units)), key=lambda i: (-len(set(tokenize(units[i])) & query_tokens), i))
    keep, size = ({0}, len(units[0])) if first and units else (set(), 0)
    for i in ranked:
        if i not in keep and size + len(units[i]) <= budget:
            keep.add(i)
            size += len(units[i])
    return [units[i] for i in sorted(keep)]


def answered_passages(hits: list[Hit], max_passages: int = 2) -> list[Hit]:
    """The best answered hits: a second one only when it is nearly as close as the first (else it is noise)."""
    answered = [h for h in hits if h.question.has_answer][:max_passages]
    return [h for h in answered if h.dense_score >= answered[0].dense_score - SECOND_PASSAGE_GAP.value]


def extractive_answer(query: str, hits: list[Hit], language: str, max_passages: int = 2) -> tuple[str, list[str]]:
    """(Markdown answer, cited ids)."""
    text = TEXT[language]
    parts, cited = [text["intro"]], []
    answered = answered_passages(hits, max_passages)
    top = hits[0].question if hits else None
    if top is not None and not top.has_answer:
        parts.append(f"**{top.id} {top.title}** — {text['title_only']} [{top.id}]")
        cited.append(top.id)
    for h in answered:
        q = h.question
        parts.append(f"**{q.id} {q.title}**\n\n{trim_to_query(q.answer, query)}\n\n[{q.id}]")
        cited.append(q.id)
    return "\n\n".join(parts), cited
