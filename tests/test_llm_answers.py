"""End to end with the real packaged 0.5B model (loaded once per test session)."""
from dataclasses import replace

import pytest

from chatbot.rag.answerer import Answerer
from chatbot.rag.engine import Engine
from chatbot.records import Delta, Final
from tests.fakes import CountingModel


@pytest.fixture(scope="module")
def llm_answerer(engine, chat_model, llm_config):
    eng = engine.with_config(replace(engine.config, llm_model=llm_config.llm_model,
                                     llm_backend=llm_config.llm_backend, max_new_tokens=96))
    assert eng.chat_model() is chat_model  # the same loaded instance
    return Answerer(eng)


@pytest.mark.slow
def test_generated_answer_streams_and_cites_only_retrieved_questions(llm_answerer):
    prepared = llm_answerer.prepare("什么是梯度累积？")
    events = list(llm_answerer.stream(prepared))
    partial, final = events[:-1], events[-1]
    assert isinstance(final, Final)
    final = final.answer
    assert final.mode == "llm" and final.text.strip()
    assert len(partial) >= 3 and all(isinstance(p, Delta) for p in partial)  # it streamed
    assert final.citations and set(final.citations) <= {h.question.id for h in final.sources}
    assert "Q73" in final.citations
    assert 0 < final.first_token_ms <= final.total_ms


@pytest.mark.slow
def test_a_chinese_answer_opens_with_the_entrys_own_words_before_the_model_writes(llm_answerer):
    prepared = llm_answerer.prepare("梯度累积有什么用？")
    events = llm_answerer.stream(prepared)
    first = next(events)
    top = prepared.hits[0].question
    assert isinstance(first, Delta) and first.text.endswith(f"[{top.id}]")  # the lead, cited, at once
    lead = first.text.removesuffix(f"[{top.id}]").strip()
    assert lead and lead.split("。")[0] in top.plain_answer  # the entry's own words
    final = [e for e in events if isinstance(e, Final)][0].answer
    assert lead in final.text and top.id in final.citations  # (a "covered only in part" line may come first)


@pytest.mark.slow
def test_off_topic_is_refused_before_the_model_runs(engine, chat_model):
    counting = CountingModel(chat_model)
    answerer = Answerer(Engine(engine.config, index=engine.index, chat_model=counting))
    a = answerer.answer("What is the best pizza topping?")
    assert a.refused and a.mode == "refused" and a.citations == []
    assert counting.calls == 0
