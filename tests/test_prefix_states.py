"""Saved prompt states: a bounded store, and with the real model the same answer whether the state was
built or restored."""
from __future__ import annotations

import numpy as np
import pytest

from chatbot.llm.llamacpp_backend import LlamaCppChatModel
from chatbot.llm.prefix_states import PrefixState, PrefixStateStore, state_key
from chatbot.rag.warmup import PrefixWarmer, prefix_prompt, warm_all
from tests.fakes import ScriptedModel, StatefulModel


def _state(n_tokens: int, size: int) -> PrefixState:
    return PrefixState(np.arange(n_tokens, dtype=np.int32), bytes(size))


def test_states_round_trip_through_disk(tmp_path):
    store = PrefixStateStore(tmp_path, max_disk_bytes=10_000_000)
    key = state_key("model", [1, 2, 3])
    store.put(key, _state(3, 1000))
    fresh = PrefixStateStore(tmp_path, max_disk_bytes=10_000_000)  # a new process: only the disk
    got = fresh.get(key)
    assert got is not None and list(got.tokens) == [0, 1, 2] and got.data == bytes(1000)
    assert fresh.get(state_key("model", [1, 2, 4])) is None


def test_the_disk_budget_evicts_least_recently_used_first(tmp_path):
    store = PrefixStateStore(tmp_path, max_disk_bytes=2500, memory_states=0)
    for name in ("a", "b", "c"):
        store.put(name, _state(1, 1000))
    assert store.disk_bytes() <= 2500
    assert not (tmp_path / "a.state").exists() and (tmp_path / "c.state").exists()


def test_a_corrupt_state_file_is_dropped_not_loaded(tmp_path):
    store = PrefixStateStore(tmp_path, max_disk_bytes=10_000, memory_states=0)
    (tmp_path / "bad.state").write_bytes(b"not a state")
    assert store.get("bad") is None and not (tmp_path / "bad.state").exists()


def prompts(*systems: str):
    return (prefix_prompt({"role": "system", "content": s}) for s in systems)


def test_the_warmer_warms_its_sources_in_order_until_the_budget_is_nearly_full():
    model = StatefulModel(room=5)
    warmer = PrefixWarmer(model, [prompts("a", "b"), prompts("c", "d", "e")])
    warmer.run()  # in this thread: it returns when done
    assert model.warmed == ["a", "b", "c", "d"] and warmer.built == 4  # 4 of 5 is BUDGET_SHARE (0.8)


def test_the_passages_the_deployments_answers_cite_most_are_warmed_first():
    from chatbot.rag.warmup import by_use
    from indexer.records import Question

    kb = [Question(qid, "main", n, f"title {n}", "answer") for n, qid in enumerate(["Q1", "Q2", "Q3", "E5"], 1)]
    answers = ["… [Q3] … [Q3, E5]", "… [E5] and [Q3]", "no citation at all"]
    assert [q.id for q in by_use(kb, answers)] == ["Q3", "E5", "Q1", "Q2"]  # Q3 cited thrice, E5 twice
    assert by_use(kb, []) == kb  # a fresh install keeps the knowledge base's order


def test_warming_ahead_builds_what_is_missing_skips_what_is_saved_and_stops_near_the_budget():
    model = StatefulModel(room=10)
    first = warm_all(model, list(prompts("a", "b")))
    assert (first.built, first.present, first.budget_reached) == (2, 0, False)
    seen = []
    again = warm_all(model, list(prompts("a", "b", "c")), progress=lambda r: seen.append(r.built + r.present))
    assert (again.built, again.present) == (1, 2) and model.warmed == ["a", "b", "c"] and seen == [1, 2, 3]
    full = warm_all(model, list(prompts(*"defghij")))
    assert full.budget_reached and model.warmed[-1] == "h" and full.built == 5  # 8 of 10 is BUDGET_SHARE


def test_a_wanted_prompt_is_built_before_the_queued_ones_even_past_the_budget():
    model = StatefulModel(room=2)  # full after one state (1 of 2 is below BUDGET_SHARE, 2 is not)
    warmer = PrefixWarmer(model, [prompts("a", "b", "c")])
    assert warmer.want(prompts("judge"))
    warmer.run()
    assert model.warmed == ["judge", "a"] and warmer.total == 3 and warmer.position == 1
    assert warmer.status() == "saved prompt states ready"


def test_a_warmer_that_has_ended_refuses_more_work_so_the_caller_starts_another():
    model = StatefulModel(room=10)
    warmer = PrefixWarmer(model, [prompts("a", "b")])
    assert warmer.status() == "listing the prompts to warm"
    warmer.want(prompts("judge"))
    warmer.run()
    assert not warmer.want(prompts("next")) and model.warmed == ["judge", "a", "b"] and warmer.position == 2


def test_the_engine_warms_what_is_wanted_soon_and_skips_what_is_saved(tmp_path):
    from chatbot.rag.config import RAGConfig
    from chatbot.rag.engine import Engine

    model = StatefulModel(room=10)
    engine = Engine(RAGConfig(cache_dir=tmp_path), progress=False, chat_model=model)
    engine.warm_soon(list(prompts("judge")))
    first = engine.warmer
    assert first is not None
    first.join(timeout=10)
    assert model.warmed == ["judge"]
    engine.warm_soon(list(prompts("judge")))  # saved already: nothing to do, no new warmer
    assert engine.warmer is first
    engine.warm_soon(list(prompts("next")))  # the first warmer has ended: a second one builds it
    assert engine.warmer is not first
    engine.warmer.join(timeout=10)
    assert model.warmed == ["judge", "next"]


def test_the_warmer_leaves_a_model_without_prompt_states_alone():
    model = ScriptedModel()
    warmer = PrefixWarmer(model, [prompts("a")])
    warmer.run()
    assert warmer.built == 0 and model.calls == []


@pytest.fixture()
def model_with_fresh_store(chat_model, tmp_path):
    if not isinstance(chat_model, LlamaCppChatModel):
        pytest.skip("prompt states are a llama.cpp feature")
    saved = chat_model.states
    chat_model.states = PrefixStateStore(tmp_path, max_disk_bytes=200 << 20)
    yield chat_model
    chat_model.states = saved


MESSAGES = [
    {"role": "system", "content": "You answer PyTorch questions briefly.\n\n<context>\n[Q73] 梯度累积：把多个小批量的梯度"
                                  "累加起来，每 N 步才调用一次 optimizer.step() 和 optimizer.zero_grad()。\n</context>"},
    {"role": "user", "content": "Question: what is gradient accumulation?"},
]


@pytest.mark.slow
def test_restored_state_gives_the_same_answer_as_a_built_one(model_with_fresh_store):
    model = model_with_fresh_store
    built = model.chat(MESSAGES, max_new_tokens=24)  # miss: evaluates the prefix and saves it
    assert model.states.misses == 1 and len(list(model.states.folder.glob("*.state"))) == 1
    model.states._memory.clear()  # force the disk path
    restored = model.chat(MESSAGES, max_new_tokens=24)
    assert model.states.hits >= 1 and restored == built


@pytest.mark.slow
def test_warm_builds_the_state_without_answering(model_with_fresh_store):
    model = model_with_fresh_store
    assert model.supports_prompt_states and model.supports_yes_no and model.prompt_state_fill() == 0
    assert model.warm([MESSAGES[0], {"role": "user", "content": "?"}])
    assert 0 < model.prompt_state_fill() < 1
    tokens, n, _ = model.render(MESSAGES)
    assert n > 0 and state_key(model._model_id, tokens[:n]) in model.states


@pytest.mark.slow
def test_warming_ahead_with_the_real_model_skips_states_saved_by_an_earlier_run(model_with_fresh_store):
    model = model_with_fresh_store
    prompt = [MESSAGES[0], {"role": "user", "content": "?"}]
    assert not model.has_prompt_state(prompt)
    assert warm_all(model, [prompt]).built == 1 and model.has_prompt_state(MESSAGES)  # any question after it
    assert (warm_all(model, [prompt]).built, warm_all(model, [prompt]).present) == (0, 1)


def _ask(question: str) -> list[dict[str, str]]:
    return [MESSAGES[0], {"role": "user", "content": f"{question} Answer yes or no."}]


@pytest.mark.slow
def test_yes_logodds_reads_the_models_yes_no_preference_without_generating(model_with_fresh_store):
    model = model_with_fresh_store
    # the 0.5B model is poorly calibrated out of context (it leans to "no" even for 2 + 2 = 4), so the pair is
    # one the context decides: -1.0 against 0.07 measured
    true, false = model.yes_logodds([
        _ask("According to the context, does gradient accumulation add up the gradients of several mini-batches?"),
        _ask("According to the context, does gradient accumulation lower the learning rate every epoch?")])
    assert true > false + 0.5


@pytest.mark.slow
def test_yes_logodds_gives_the_same_values_one_by_one_and_with_a_shared_start(model_with_fresh_store):
    model = model_with_fresh_store
    asks = [_ask("Is gradient accumulation a way to save memory?"), _ask("Is 2 + 2 equal to 5?")]
    together = model.yes_logodds(asks)
    alone = [model.yes_logodds([a])[0] for a in asks]
    # evaluated in other splits the (quantized) numbers move a little: 0.08 measured; the judge's thresholds
    # are ~0.5 apart, and one answer's asks are always split the same way
    assert together == pytest.approx(alone, abs=0.25)
    assert model.chat(MESSAGES, max_new_tokens=8)  # generation still works after judgements


@pytest.mark.slow
def test_yes_logodds_handles_conversations_with_different_system_messages(model_with_fresh_store):
    model = model_with_fresh_store
    other = [{"role": "system", "content": "You check facts about Python lists.\n\n<context>\nlist.append(x) adds x "
                                           "to the end of the list.\n</context>"},
             {"role": "user", "content": "According to the context, does append add to the end? Answer yes or no."}]
    mixed = model.yes_logodds([_ask("Is 2 + 2 equal to 5?"), other])
    alone = [model.yes_logodds([_ask("Is 2 + 2 equal to 5?")])[0], model.yes_logodds([other])[0]]
    assert mixed == pytest.approx(alone, abs=0.25) and model.yes_logodds([]) == []


def test_the_status_line_says_how_far_the_warmer_is():
    seen = []

    class Watched(StatefulModel):
        def warm(self, messages) -> bool:
            seen.append(warmer.status())
            return super().warm(messages)

    warmer = PrefixWarmer(Watched(room=10), [prompts("a", "b", "c")])
    warmer.run()
    assert seen == [f"warming saved prompt states while idle: {n} of 3" for n in (1, 2, 3)]
    assert warmer.status() == "saved prompt states ready"
