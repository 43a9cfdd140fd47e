"""An interview question's judge state is built while the user types the answer: showing a question asks the
engine's warmer for it, in the web tab and only when the LLM grades."""
from __future__ import annotations

from pathlib import Path

from chatbot.interview.config import InterviewConfig
from chatbot.interview.practice import Practice
from chatbot.rag.engine import Engine
from chatbot.store.open import open_store
from chatbot.ui.interview import InterviewTab
from indexer.kb.parser import parse_kb
from tests.fakes import StatefulModel

KB_DIR = Path(__file__).resolve().parent.parent / "kb"


def _tab(tmp_path, *, grading: bool) -> tuple[InterviewTab, StatefulModel, Engine]:
    model = StatefulModel(room=1000)
    config = InterviewConfig(cache_dir=tmp_path / "cache", data_dir=tmp_path / "data", llm_grading=grading)
    engine = Engine(config, progress=False, chat_model=model)
    practice = Practice(open_store("", tmp_path / "data"), parse_kb(KB_DIR).questions)
    return InterviewTab(engine, practice=practice), model, engine


def test_showing_a_question_builds_its_judge_state_while_the_answer_is_typed(tmp_path):
    tab, model, engine = _tab(tmp_path, grading=True)
    view = tab.start([], 2, "main", mode="random")
    shown = view.session.current().question
    assert engine.warmer is not None
    engine.warmer.join(timeout=10)
    assert len(model.warmed) == 1 and shown.title in model.warmed[0]  # the judge's prompt names the question
    tab.skip(view.session)  # the next question is shown: its judge state next
    engine.warmer.join(timeout=10)
    assert len(model.warmed) == 2 and view.session.current().question.title in model.warmed[1]


def test_no_judge_state_is_built_when_answers_are_graded_without_the_llm(tmp_path):
    tab, model, engine = _tab(tmp_path, grading=False)
    tab.start([], 1, "main", mode="random")
    assert engine.warmer is None and model.warmed == []
