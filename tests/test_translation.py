"""An English answer's lead is the entry's statements translated by the chat model: streamed as they are
written, kept only when checked, translated once per sentence. No index and no model: fakes stand in."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from chatbot.rag.draft import pipeline
from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import render
from chatbot.rag.draft.segments import Draft
from chatbot.rag.lead import Lead, LeadSentence
from chatbot.rag.translation import LeadTranslator, TranslationStore, kept_exactly
from tests.fakes import ScriptedModel

LOGITS = "`nn.CrossEntropyLoss` 的输入是未归一化的 logits，内部等价于 `LogSoftmax` + `NLLLoss`。"
LOGITS_EN = "The input of `nn.CrossEntropyLoss` is unnormalised logits; it equals `LogSoftmax` + `NLLLoss`."
BATCH = "默认 `prefetch_factor=2`，每个 worker 预取 2 个 batch。"
LEAD = Lead((LeadSentence("Q26", LOGITS),))


class SupportChecker:
    """The part of the citation checker a translation is checked with: a fixed support score for every pair."""

    def __init__(self, score: float = 0.5) -> None:
        self.score = score
        self.asked: list[tuple[list[str], list[str]]] = []

    def support(self, sentences, qids, *, seen=None, asked=""):
        self.asked.append((list(sentences), list(qids)))
        return np.full((len(sentences), len(qids)), self.score, dtype=np.float32)


def translate(lead: Lead, model: ScriptedModel, *, checker: SupportChecker | None = None,
              store: TranslationStore | None = None) -> list[Lead]:
    translator = LeadTranslator(model, checker or SupportChecker(), store or TranslationStore(None))  # type: ignore[arg-type]
    return list(translator.stream(lead))


def test_the_translation_streams_as_it_is_written_and_ends_as_the_checked_lead():
    pieces = ["The input of `nn.CrossEntropyLoss` ", "is unnormalised logits; ", "it equals `LogSoftmax` + `NLLLoss`."]
    steps = translate(LEAD, ScriptedModel(translation=pieces))
    assert [s.text for s in steps[:3]] == ["The input of `nn.CrossEntropyLoss`",
                                           "The input of `nn.CrossEntropyLoss` is unnormalised logits;", LOGITS_EN]
    assert steps[-1] == Lead((LeadSentence("Q26", LOGITS_EN, LOGITS),))


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


def test_a_translation_the_citation_check_does_not_find_in_its_entry_is_left_out():
    checker = SupportChecker(score=-0.2)
    assert translate(LEAD, ScriptedModel(translation=[LOGITS_EN]), checker=checker)[-1] == Lead(())
    assert checker.asked == [([LOGITS_EN], ["Q26"])]


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
