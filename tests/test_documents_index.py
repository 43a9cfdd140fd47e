"""Added documents in the running index: only new chunks are embedded, the next question sees them (also when
`python -m indexer add` made the change), and their ids work in search, Lookup, the interview and the gate."""
from __future__ import annotations

import numpy as np
import pytest

from chatbot.interview.session import start_interview
from chatbot.rag.engine import Engine
from chatbot.rag.relevance import RelevanceGate, shares_topic
from chatbot.ui.config import WebConfig
from chatbot.ui.documents import DocumentsTab, may_manage
from chatbot.ui.lookup import LookupTab, series_choices
from indexer.documents.library import DocumentLibrary
from indexer.index.build import open_index
from indexer.index.documents import documents_index_dir
from indexer.index.store import read_index
from indexer.records import Question
from tests import documents_maker as make
from tests.fakes import HashEmbedder


class RecordingEmbedder(HashEmbedder):
    """Remembers every passage it was asked to embed; fails like a model out of memory once `broken` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.passages: list[str] = []
        self.broken = False

    def encode_passages(self, texts, *, progress: bool = False, batch_size: int = 16) -> np.ndarray:
        if self.broken:
            raise RuntimeError("out of memory")
        self.passages += list(texts)
        return super().encode_passages(texts)


@pytest.fixture
def config(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text("---\nseries: demo\nprefix: S\n---\n## 1. 什么是张量？\n张量是多维数组。\n\n"
                             "## 2. 如何保存模型？\n用 torch.save 保存 state_dict。\n", encoding="utf-8")
    cfg = WebConfig(kb_dir=kb, cache_dir=tmp_path / "cache", data_dir=tmp_path / "data")
    cfg.llm_backend = "none"
    return cfg


@pytest.fixture
def recorder():
    return RecordingEmbedder()


@pytest.fixture
def live(config, recorder):
    return Engine(config, progress=False, index=open_index(config, embedder=recorder, progress=False))


def add(config, file_name, data, name=""):
    return DocumentLibrary(config).add_bytes(file_name, data.encode() if isinstance(data, str) else data, name)


def test_an_added_document_is_searchable_at_the_next_question_without_a_restart(config, live):
    assert live.retriever.search("LEFT JOIN NULL", top_k=1)[0].question.document == ""
    result = add(config, "sql.md", make.markdown())  # as `python -m indexer add` does, outside the live
    hit = live.retriever.search("LEFT JOIN NULL", top_k=1)[0]
    assert hit.question.id == f"{result.document.prefix}1"
    assert hit.to_json()["source"].startswith("sql.md:") and hit.to_json()["series"] == "sql"


def test_only_the_new_chunks_are_embedded_never_the_shipped_ones(config, live, recorder):
    shipped = len(recorder.passages)
    add(config, "sql.md", make.markdown())
    live.refresh_documents()
    first = recorder.passages[shipped:]
    assert first and all("JOIN" in t or "index" in t or "transaction" in t for t in first)
    add(config, "more.txt", "Q: What is a heap?\nA: A tree ordered by priority.\nQ: What is a stack?\nA: LIFO.\n")
    live.refresh_documents()
    second = recorder.passages[shipped + len(first):]
    assert second and all("JOIN" not in t for t in second)
    DocumentLibrary(config).remove("more")
    live.refresh_documents()
    assert len(recorder.passages) == shipped + len(first) + len(second)  # removing embeds nothing
    stored, _ = read_index(documents_index_dir(config))
    assert stored is not None and {c.source for c in stored.chunks} == {"sql.md"}


def test_a_fresh_process_reuses_the_stored_document_embeddings(config, live):
    add(config, "sql.md", make.markdown())
    live.refresh_documents()
    again = RecordingEmbedder()
    index = open_index(config, embedder=again, progress=False)
    assert again.passages == [] and index.report.documents == 1
    assert any(q.document == "sql" for q in index.questions.values())


def test_removal_takes_the_entries_out_of_search_and_lookup(config, live):
    prefix = add(config, "sql.md", make.markdown()).document.prefix
    assert f"{prefix}1" in live.index.questions
    DocumentLibrary(config).remove("sql")
    assert f"{prefix}1" not in live.index.questions
    assert all(h.question.document == "" for h in live.retriever.search("LEFT JOIN", top_k=3))
    assert "There is no question" in LookupTab(live).lookup(f"{prefix}1")


def test_document_ids_work_in_lookup_series_and_the_mock_interview(config, live):
    prefix = add(config, "sql.md", make.markdown()).document.prefix
    shown = LookupTab(live).lookup(f"{prefix.lower()} 2")
    assert "database index" in shown and "B-tree" in shown
    assert ("sql", ) == tuple(key for _, key in series_choices(live) if key == "sql")
    session = start_interview(list(live.index.questions.values()), None, 5, series="sql", seed=1)
    assert sorted(item.question.id for item in session.items) == [f"{prefix}{n}" for n in (1, 2, 3)]


def test_a_replaced_document_keeps_its_ids_and_shows_the_new_text(config, live):
    prefix = add(config, "sql.md", make.markdown()).document.prefix
    live.refresh_documents()
    edited = make.markdown([(1, "What is a LEFT JOIN?", "Every left row, matched or padded with NULLs.")])
    add(config, "sql.md", edited)
    assert live.index.questions[f"{prefix}1"].answer.startswith("Every left row")
    assert f"{prefix}2" not in live.index.questions


def test_the_gate_covers_a_question_about_an_added_document_whatever_its_subject(config, live):
    add(config, "cooking.md", "## 1. How long do I boil fresh pasta?\nFresh pasta boils in two to three minutes.\n\n"
                              "## 2. Why salt the pasta water?\nSalt seasons the pasta from the inside.\n")
    gate = RelevanceGate(live.retriever, anchors=["cooking recipe, how to cook a dish"])
    hits = live.retriever.search("how long should fresh pasta boil", top_k=3)
    assert hits[0].question.document == "cooking" and gate.covered_by_document("how long should fresh pasta boil",
                                                                               hits)
    shipped_only = [h for h in live.retriever.search("什么是张量", top_k=3) if not h.question.document]
    assert not gate.covered_by_document("什么是张量", shipped_only)


@pytest.mark.parametrize("query, covered", [
    ("how long should fresh pasta boil", True),
    ("新鲜意面要煮多久", True),
    ("what is the capital of Italy", False),  # one common word ("capital") is no topic
    ("明天天气怎么样", False),
])
def test_a_question_is_about_an_entry_when_it_shares_its_distinctive_words(query, covered):
    entry = Question("K1", "kitchen", 1, "How long does fresh pasta boil? 新鲜意面要煮多久？",
                     "Fresh egg pasta boils in two to three minutes; the capital of flavour is salt.",
                     document="kitchen")
    assert shares_topic(query, entry) is covered


# ------------------------------------------------------------------------------------------- who may add
@pytest.mark.parametrize("host, login, user, admins, share, allowed", [
    ("127.0.0.1", False, None, "", False, True),  # one's own machine, no login
    ("0.0.0.0", False, None, "", False, False),  # reachable by others without a login
    ("127.0.0.1", False, None, "", True, False),  # a public share link
    ("0.0.0.0", True, "ana", "ana, bo", False, True),  # an admin
    ("0.0.0.0", True, "cy", "ana, bo", False, False),  # a logged-in user who is no admin
    ("127.0.0.1", True, "cy", "", False, False),  # a login and no admins named: nobody adds
])
def test_who_may_add_or_remove_documents(host, login, user, admins, share, allowed):
    config = WebConfig(host=host, admins=admins)
    ok, why = may_manage(config, user, login=login, share=share)
    assert ok is allowed and (ok or why)


def test_the_documents_tab_adds_several_files_reports_each_and_shows_progress(config, live, tmp_path):
    tab = DocumentsTab(live)
    files = [make.write(tmp_path, "sql.pdf", make.questions_pdf()), make.write(tmp_path, "empty.md", ""),
             make.write(tmp_path, "page.html", make.html_page([(7, "What is <b>bold</b>?", "Strong text.")]))]
    steps: list[tuple[float, str]] = []
    report = tab.add(files, progress=lambda fraction, what: steps.append((fraction, what)))
    assert "✅ sql.pdf: added" in report and "❌ empty.md: the file is empty" in report and "page.html: added" in report
    assert any("embedding" in what for _, what in steps) and all(0 <= f <= 1 for f, _ in steps)
    assert "| sql |" in tab.listing() and "| page |" in tab.listing()
    assert "removed" in tab.remove("page") and tab.names() == ["sql"]


def test_a_user_who_may_not_add_changes_nothing(config, live, tmp_path):
    config.host = "0.0.0.0"
    report = DocumentsTab(live, login=True).add([make.write(tmp_path, "sql.md", make.markdown())], user="guest")
    assert "only admins" in report and DocumentLibrary(config).documents() == []


def test_a_document_that_cannot_be_embedded_leaves_the_index_answering(config, live, recorder):
    recorder.broken = True
    add(config, "sql.md", make.markdown())
    assert live.retriever.search("什么是张量", top_k=1)[0].question.id == "S1"  # served by the index it had
    assert not any(q.document for q in live.index.questions.values())


def test_questions_are_answered_from_the_old_index_while_a_document_is_embedded(config, tmp_path):
    import threading

    signal = tmp_path / "embedding-started"

    class SlowPassages(HashEmbedder):
        """Queries at once; passages only after a pause, announced by the signal file."""

        def encode_passages(self, texts, *, progress: bool = False, batch_size: int = 16) -> np.ndarray:
            import time

            signal.touch()
            time.sleep(3.0)
            return super().encode_passages(texts)

    engine = Engine(config, progress=False, index=open_index(config, embedder=HashEmbedder(), progress=False))
    engine.index.embedder = SlowPassages()  # the shipped part was embedded already: only the document is slow
    add(config, "sql.md", make.markdown())
    upload = threading.Thread(target=engine.refresh_documents)
    upload.start()
    while not signal.exists():
        upload.join(0.01)
    hits = engine.retriever.search("什么是张量", top_k=1)  # does not wait for the embedding
    assert upload.is_alive() and hits[0].question.id == "S1"
    upload.join()
    assert any(q.document == "sql" for q in engine.index.questions.values())


def test_markup_in_a_document_is_shown_as_text_never_run(config, live):
    prefix = add(config, "x.md", "## 1. What is XSS?\n<script>alert(1)</script><img src=x onerror=alert(2)> "
                                 "[click](javascript:alert(3))\n\n## 2. Other?\nText.\n").document.prefix
    shown = LookupTab(live).lookup(f"{prefix}1")
    assert "<script" not in shown and "<img" not in shown and "](javascript" not in shown
    assert "&lt;script&gt;" in shown or "&lt;script>" in shown


def test_deleting_the_cache_only_means_embedding_the_documents_again(config, live):
    import shutil

    prefix = add(config, "sql.md", make.markdown()).document.prefix
    live.refresh_documents()
    shutil.rmtree(config.cache_dir)  # the documents live in the data folder, not the cache
    again = RecordingEmbedder()
    index = open_index(config, embedder=again, progress=False)
    assert any("LEFT JOIN" in t for t in again.passages) and f"{prefix}1" in index.questions
    assert (config.data_dir / "documents" / "sql" / "original.md").is_file()


def test_the_api_cites_an_added_document(config, live):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from chatbot.api import ChatAPI
    from chatbot.rag.answerer import Answerer

    prefix = add(config, "sql.md", make.markdown()).document.prefix
    app = FastAPI()
    ChatAPI(Answerer(live), use_llm=False).install(app)
    reply = TestClient(app).post("/v1/chat/completions",
                                 json={"messages": [{"role": "user", "content": "What is a LEFT JOIN?"}]}).json()
    assert not reply["kbchat"]["refused"] and f"{prefix}1" in reply["kbchat"]["citations"]
    assert f"[{prefix}1]" in reply["choices"][0]["message"]["content"]
