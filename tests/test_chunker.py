"""Chunks: one per question, more for long answers, never splitting a code fence."""
from indexer.kb.chunker import chunk_question
from indexer.records import Question


def question(answer: str) -> Question:
    return Question("Q9", "main", 9, "标题", answer, source="f.md", line=1, aliases="Title | kw",
                    aliases_zh="别名, 描述")


def test_title_only_question_has_a_title_chunk_and_an_english_alias_chunk():
    chunks = chunk_question(question(""))
    assert [c.chunk_id for c in chunks] == ["Q9#0", "Q9#1"]
    assert [c.text for c in chunks] == ["标题\n别名, 描述", "Title | kw"]


def test_long_answer_is_split_and_every_chunk_carries_the_title():
    answer = "\n\n".join(f"第{n}段" + "字" * 200 for n in range(6))
    chunks = chunk_question(question(answer), max_chars=450)
    body = chunks[2:]
    assert len(body) >= 3
    assert all(c.question_id == "Q9" and c.text.startswith("标题\n") for c in body)
    assert all(len(c.text) <= 450 + len("标题\n") for c in body)


def test_code_fence_is_never_split_even_when_longer_than_the_limit():
    code = "```python\n" + "\n\nx = 1\n" * 200 + "```"
    chunks = chunk_question(question("前言\n\n" + code + "\n\n后记"), max_chars=300)
    holding = [c for c in chunks if "```python" in c.text]
    assert len(holding) == 1 and holding[0].text.count("```") == 2 and holding[0].text.count("x = 1") == 200


def test_hash_changes_with_text_and_embedding_model():
    a = chunk_question(question("甲"), salt="m1")[-1]
    assert a.content_hash == chunk_question(question("甲"), salt="m1")[-1].content_hash
    assert a.content_hash != chunk_question(question("乙"), salt="m1")[-1].content_hash
    assert a.content_hash != chunk_question(question("甲"), salt="m2")[-1].content_hash
