"""An English answer's lead is the entry's statements translated by the chat model: streamed as they are
written, kept only when checked, translated once per sentence. No index and no model: fakes stand in."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from chatbot.rag.draft import pipeline
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import Draft
from chatbot.rag.lead import Lead, LeadSentence
from chatbot.rag.translation import (
    LeadTranslator,
    TranslationStore,
    TranslationWarmer,
    kept_exactly,
    likely_leads,
    warm_translations,
)
from indexer.records import Question
from tests.fakes import ScriptedModel

LOGITS = "`nn.CrossEntropyLoss` 的输入是未归一化的 logits，内部等价于 `LogSoftmax` + `NLLLoss`。"
LOGITS_EN = "The input of `nn.CrossEntropyLoss` is unnormalised logits; it equals `LogSoftmax` + `NLLLoss`."
BATCH = "默认 `prefetch_factor=2`，每个 worker 预取 2 个 batch。"
NEIGHBOUR = "交叉熵衡量两个概率分布之间的差异。"
LEAD = Lead((LeadSentence("Q26", LOGITS),))


class MeaningEmbedder:
    """Vectors by meaning: a text and the texts listed as meaning the same share one direction; any other
    text gets one of its own."""

    def __init__(self, same: dict[str, str]) -> None:
        self.same = same
        self.directions: dict[str, int] = {}

    def encode_queries(self, texts):
        rows = np.zeros((len(texts), 16), dtype=np.float32)
        for i, text in enumerate(texts):
            rows[i, self.directions.setdefault(self.same.get(text, text), len(self.directions))] = 1.0
        return rows


class EntryChecker:
    """The part of the citation checker a translation is checked with: the entry's prose sentences and their
    vectors (a neighbour of the translated sentence first)."""

    def __init__(self, same: dict[str, str]) -> None:
        self.index = SimpleNamespace(embedder=MeaningEmbedder(same))
        self.prose = [NEIGHBOUR, LOGITS, BATCH]

    def prose_of(self, qid):
        return self.prose, self.index.embedder.encode_queries(self.prose)

    def nearest(self, sentences, qids, k=1):
        near = self.index.embedder.encode_queries(sentences) @ self.prose_of(qids[0])[1].T
        return [self.prose[int(np.argmax(row))] for row in near]


FAITHFUL = {LOGITS_EN: LOGITS}  # e5 puts the translation nearest to the sentence it translates


def translate(lead: Lead, model: ScriptedModel, *, checker: EntryChecker | None = None,
              store: TranslationStore | None = None) -> list[Lead]:
    translator = LeadTranslator(model, checker or EntryChecker(FAITHFUL), store or TranslationStore(None))  # type: ignore[arg-type]
    return list(translator.stream(lead))


def test_the_translation_streams_as_it_is_written_and_ends_as_the_checked_lead():
    pieces = ["The input of `nn.CrossEntropyLoss` ", "is unnormalised logits; ", "it equals `LogSoftmax` + `NLLLoss`."]
    steps = translate(LEAD, ScriptedModel(translation=pieces))
    assert [s.text for s in steps[:3]] == ["The input of `nn.CrossEntropyLoss`",
                                           "The input of `nn.CrossEntropyLoss` is unnormalised logits;", LOGITS_EN]
    assert steps[-1] == Lead((LeadSentence("Q26", LOGITS_EN),))


def test_an_english_answer_opens_with_the_translation_cited():
    ctx = AnswerContext("What does CrossEntropyLoss take?", "en", [], ["Q26"], streaming=True,
                        lead=translate(LEAD, ScriptedModel(translation=[LOGITS_EN]))[-1])
    assert render(pipeline.run(Draft([]), ctx)) == f"{LOGITS_EN} [Q26]"
    assert render(pipeline.run(Draft([]), replace(ctx, lead=Lead(())))) == ""  # nothing kept: no opening


def test_a_translation_that_changes_code_or_numbers_is_left_out():
    assert kept_exactly(BATCH, "By default `prefetch_factor=2`: each worker prefetches 2 batches.")
    assert not kept_exactly(BATCH, "By default each worker prefetches two batches.")
    assert not kept_exactly(LOGITS, "The input is logits, like LogSoftmax followed by NLLLoss.")
    assert translate(LEAD, ScriptedModel(translation=["The input is logits, like LogSoftmax followed by NLLLoss."]))[-1] == Lead(())


def test_a_translation_nearer_another_sentence_of_its_entry_than_the_one_it_translates_is_left_out():
    drifted = EntryChecker({LOGITS_EN: NEIGHBOUR})  # reads as the entry's sentence on what cross-entropy measures
    assert translate(LEAD, ScriptedModel(translation=[LOGITS_EN]), checker=drifted)[-1] == Lead(())


def test_a_reply_still_in_chinese_or_cut_off_by_the_token_limit_is_left_out():
    assert translate(LEAD, ScriptedModel(translation=[LOGITS]))[-1] == Lead(())
    assert translate(LEAD, ScriptedModel(translation=[LOGITS_EN + " more" * 200]))[-1] == Lead(())


def test_a_wrapped_reply_is_unwrapped():
    assert translate(LEAD, ScriptedModel(translation=[f'Translation: "{LOGITS_EN}"\n\nNote: …']))[-1].text == LOGITS_EN


def test_each_sentence_is_translated_once_across_answers_and_processes(tmp_path):
    model = ScriptedModel(translation=[LOGITS_EN])
    translate(LEAD, model, store=TranslationStore(tmp_path))
    again = translate(LEAD, model, store=TranslationStore(tmp_path))  # a new process: the same cache folder
    assert len(model.translated) == 1 and again[-1].text == LOGITS_EN


def test_a_rejected_translation_is_not_asked_for_again(tmp_path):
    model = ScriptedModel(translation=[LOGITS])  # answers in Chinese
    store = TranslationStore(tmp_path)
    translate(LEAD, model, store=store)
    assert translate(LEAD, model, store=store)[-1] == Lead(()) and len(model.translated) == 1


def test_a_read_only_cache_folder_keeps_translations_in_memory(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    store = TranslationStore(blocked)
    store.put("m", LOGITS, LOGITS_EN)
    assert store.path is None and store.get("m", LOGITS) == LOGITS_EN


def test_english_lead_sentences_are_spaced_and_cited_once_per_entry():
    lead = Lead((LeadSentence("Q26", LOGITS_EN), LeadSentence("Q26", "Use `nn.NLLLoss` after `log_softmax`.")))
    ctx = AnswerContext("What does CrossEntropyLoss take?", "en", [], ["Q26"], streaming=True, lead=lead)
    assert render(pipeline.run(Draft([]), ctx)) == f"{LOGITS_EN} Use `nn.NLLLoss` after `log_softmax`. [Q26]"


def test_warming_translates_each_entrys_likely_lead_once(tmp_path):
    entry = Question("Q26", "main", 26, "交叉熵损失是什么？", f"{NEIGHBOUR}{LOGITS}{BATCH}",
                     aliases="What is cross-entropy loss? | logits, NLLLoss")
    checker = EntryChecker(FAITHFUL)
    sentences = [s.text for s in likely_leads(entry, checker)]  # type: ignore[arg-type]
    assert sentences and set(sentences) <= {NEIGHBOUR, LOGITS, BATCH}
    model = ScriptedModel(translation=[LOGITS_EN])
    translator = LeadTranslator(model, checker, TranslationStore(tmp_path))  # type: ignore[arg-type]
    assert warm_translations(translator, [entry]) == (len(sentences), 0)
    again = LeadTranslator(model, checker, TranslationStore(tmp_path))  # type: ignore[arg-type]
    assert warm_translations(again, [entry]) == (0, len(sentences)) and model.translated == sentences


def test_a_damaged_store_keeps_translations_in_memory(tmp_path):
    (tmp_path / "translations.sqlite3").write_bytes(b"not a database" * 100)
    store = TranslationStore(tmp_path)
    store.put("m", LOGITS, LOGITS_EN)
    assert store.path is None and store.get("m", LOGITS) == LOGITS_EN


def test_the_background_warmer_translates_after_the_states_and_again_after_an_interruption(tmp_path):
    entry = Question("Q26", "main", 26, "交叉熵损失是什么？", f"{NEIGHBOUR}{LOGITS}{BATCH}",
                     aliases="What is cross-entropy loss? | logits, NLLLoss")
    checker = EntryChecker(FAITHFUL)
    model = ScriptedModel(translation=[LOGITS_EN])
    model.interrupted_times = 1  # a user's question arrives during the first sentence
    store = TranslationStore(tmp_path)
    states_built = threading.Event()
    warmer = TranslationWarmer(LeadTranslator(model, checker, store), [entry],  # type: ignore[arg-type]
                               ready=states_built.is_set, idle_seconds=0)
    warmer.start()
    time.sleep(0.3)
    assert model.translated == [] and not warmer.done  # nothing before the prompt states are built
    states_built.set()
    warmer.join(10)
    sentences = [s.text for s in likely_leads(entry, checker)]  # type: ignore[arg-type]
    assert warmer.done and model.translated == sentences  # the interrupted one was done again, once
    assert all(store.get(model.name, s) is not None for s in sentences)
