"""End to end with the real packaged 0.5B model (loaded once per test session)."""
from dataclasses import replace

import pytest

from chatbot.answerer import Answer, Answerer
from chatbot.engine import Engine


@pytest.fixture(scope="module")
def llm_answerer(engine, chat_model, llm_config):
    eng = Engine(replace(engine.config, llm_model=llm_config.llm_model, llm_backend=llm_config.llm_backend,
                         max_new_tokens=96))
    eng.__dict__["index"] = engine.index  # share the session's index and retriever
    eng.__dict__["retriever"] = engine.retriever
    assert eng.chat_model() is chat_model  # the same loaded instance
    return Answerer(eng)


@pytest.mark.slow
def test_generated_answer_streams_and_cites_only_retrieved_questions(llm_answerer):
    prepared = llm_answerer.prepare("什么是梯度累积？")
    events = list(llm_answerer.stream(prepared))
    partial, final = events[:-1], events[-1]
    assert isinstance(final, Answer) and final.mode == "llm" and final.text.strip()
    assert len(partial) >= 3 and all(isinstance(p, str) for p in partial)  # it streamed
    assert final.citations and set(final.citations) <= {h.question.id for h in final.sources}
    assert "Q73" in final.citations
    assert 0 < final.first_token_ms <= final.total_ms


@pytest.mark.slow
def test_off_topic_is_refused_before_the_model_runs(llm_answerer):
    a = llm_answerer.answer("What is the best pizza topping?")
    assert a.refused and a.mode == "refused" and a.citations == []
