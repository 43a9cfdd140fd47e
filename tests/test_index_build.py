"""Incremental, cache-safe index builds."""
import json

import pytest

from indexer.config import Config
from indexer.index.build import build_index, open_index
from indexer.index.store import MANIFEST, index_dir

FRONT = "---\nseries: demo\nprefix: D\n---\n"


@pytest.fixture
def small(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text(FRONT + "## 1. 什么是张量？\n张量是多维数组。\n\n## 2. 如何保存模型？\n用 torch.save。\n",
                             encoding="utf-8")
    (kb / "b.md").write_text("---\nseries: other\nprefix: O\n---\n## 1. 什么是优化器？\n优化器更新参数。\n",
                             encoding="utf-8")
    return Config(kb_dir=kb, cache_dir=tmp_path / "cache")


def test_first_build_embeds_everything_and_rebuild_embeds_nothing(small, embedder):
    _, kb, first = build_index(small, embedder=embedder, progress=False)
    assert [q.id for q in kb.questions] == ["D1", "D2", "O1"]
    assert first.embedded == first.n_chunks == 6 and first.reason == "no index yet"
    _, _, again = build_index(small, embedder=embedder, progress=False)
    assert again.embedded == 0 and again.reused == 6 and again.reason == ""


def test_changing_one_file_re_embeds_only_its_changed_chunks(small, embedder):
    build_index(small, embedder=embedder, progress=False)
    path = small.kb_dir / "a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("用 torch.save。", "用 torch.save 保存 state_dict。"),
                    encoding="utf-8")
    stored, _, report = build_index(small, embedder=embedder, progress=False)
    assert report.embedded == 1 and report.reused == 5 and report.reason == "knowledge base changed"
    assert any("state_dict" in c.text for c in stored.chunks)


def test_a_cache_from_another_model_is_rebuilt_not_mixed(small, embedder):
    build_index(small, embedder=embedder, progress=False)
    manifest_path = index_dir(small.cache_dir) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["embed_model"] = "some-other-model"
    manifest_path.write_text(json.dumps(manifest))
    _, _, report = build_index(small, embedder=embedder, progress=False)
    assert report.embedded == 6 and "some-other-model" in report.reason


@pytest.mark.parametrize("damage", ["format", "truncate"])
def test_an_old_format_or_damaged_cache_is_rebuilt(small, embedder, damage):
    build_index(small, embedder=embedder, progress=False)
    directory = index_dir(small.cache_dir)
    if damage == "format":
        manifest = json.loads((directory / MANIFEST).read_text())
        manifest["format_version"] = 0
        (directory / MANIFEST).write_text(json.dumps(manifest))
    else:
        (directory / "chunks.json").write_text("[")
    _, _, report = build_index(small, embedder=embedder, progress=False)
    assert report.embedded == 6 and report.reason


def test_opened_index_searches_both_indexes(small, embedder):
    from chatbot.rag.retriever import Retriever

    retriever = Retriever(open_index(small, embedder=embedder, progress=False))
    assert retriever.search("torch.save", top_k=1)[0].question.id == "D2"
    assert retriever.search("what does an optimizer do", top_k=1)[0].question.id == "O1"
