"""End to end with the packaged models: a question about an added, non-PyTorch document is answered and cited
from it by the 0.5B model, while other off-topic questions are still refused."""
from __future__ import annotations

from dataclasses import replace

import pytest

from chatbot.rag.answerer import Answerer
from chatbot.rag.engine import Engine
from indexer.documents.library import DocumentLibrary
from indexer.index.build import open_index

COOKING = """# Kitchen interview notes

## 1. How long does fresh pasta boil?

Fresh egg pasta boils in two to three minutes; dried pasta needs eight to twelve minutes.

## 2. Why is pasta water salted?

Salt in the boiling water seasons the pasta from the inside; about ten grams per litre is usual.
"""


@pytest.fixture(scope="module")
def kitchen(engine, chat_model, llm_config, tmp_path_factory):
    config = replace(engine.config, data_dir=tmp_path_factory.mktemp("kitchen-data"), llm_model=llm_config.llm_model,
                     llm_backend=llm_config.llm_backend, max_new_tokens=96)
    prefix = DocumentLibrary(config).add_bytes("kitchen.md", COOKING.encode()).document.prefix
    index = open_index(config, embedder=engine.index.embedder, progress=False)  # the shipped part from the cache
    return Answerer(Engine(config, index=index, chat_model=chat_model)), prefix


def test_a_question_about_an_added_document_is_answered_and_cited_from_it(kitchen):
    answerer, prefix = kitchen
    answer = answerer.answer("How long does fresh pasta boil?")
    assert not answer.refused and answer.mode == "llm"
    assert f"{prefix}1" in answer.citations and answer.sources[0].question.id == f"{prefix}1"


def test_other_off_topic_questions_are_still_refused(kitchen):
    answerer, _ = kitchen
    assert answerer.answer("明天北京天气怎么样？", use_llm=False).refused
