"""The index cache under faults: damaged files, a knowledge base changed under a running app, a build killed
halfway, two builds at once. Each is detected, then rebuilt or reported; never a crash at query time, never
wrong ids. A hash-based stand-in embedder keeps these fast (no model to load)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chatbot.rag.engine import Engine
from chatbot.rag.retriever import Retriever
from indexer.config import REPO_ROOT, Config
from indexer.index.build import build_index, kb_changes, open_index
from indexer.index.store import CHECKSUM, CHUNKS, EMBEDDINGS, FAISS_INDEX, MANIFEST, index_dir, read_index
from indexer.runtime import file_lock
from tests.fakes import HashEmbedder

FRONT = "---\nseries: demo\nprefix: D\n---\n"
N_CHUNKS = 6


@pytest.fixture
def small(tmp_path) -> Config:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text(FRONT + "## 1. 什么是张量？\n张量是多维数组。\n\n## 2. 如何保存模型？\n用 torch.save。\n",
                             encoding="utf-8")
    (kb / "b.md").write_text("---\nseries: other\nprefix: O\n---\n## 1. 什么是优化器？\n优化器更新参数。\n",
                             encoding="utf-8")
    return Config(kb_dir=kb, cache_dir=tmp_path / "cache")


def built(config: Config):
    stored, _, report = build_index(config, embedder=HashEmbedder(), progress=False)
    return stored, report


def edit_a_file(config: Config) -> None:
    path = config.kb_dir / "a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("用 torch.save。", "用 torch.save 保存 state_dict。"),
                    encoding="utf-8")


# ----------------------------------------------------------------------------- damaged files

def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) - 64, len(data) - 4, 7):  # the end of the file: the data, not the header
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name, damage", [
    (EMBEDDINGS, _truncate), (EMBEDDINGS, _flip_bytes), (CHUNKS, _truncate), (MANIFEST, _truncate),
    (CHECKSUM, _flip_bytes), (EMBEDDINGS, lambda p: p.write_bytes(b"")), (CHUNKS, lambda p: p.write_text('[{"x": 1}]')),
    (MANIFEST, lambda p: p.write_text("[]")),
])
def test_a_truncated_or_corrupted_index_file_is_detected_and_rebuilt(small, name, damage):
    before, _ = built(small)
    damage(index_dir(small.cache_dir) / name)
    assert read_index(index_dir(small.cache_dir))[0] is None  # detected
    stored, report = built(small)
    assert report.reason and report.embedded == N_CHUNKS  # rebuilt from scratch, nothing reused blindly
    assert np.array_equal(stored.embeddings, before.embeddings)
    assert read_index(index_dir(small.cache_dir))[1] == ""


def test_bytes_changed_inside_the_embeddings_are_caught_by_the_checksum(small):
    built(small)
    path = index_dir(small.cache_dir) / EMBEDDINGS
    matrix = np.load(path)
    matrix[2] = matrix[3]  # still a valid .npy of the right shape: only the checksum can tell
    np.save(path, matrix)
    stored, reason = read_index(index_dir(small.cache_dir))
    assert stored is None and "checksum" in reason


def test_a_cache_written_before_checksums_gets_one_without_a_rebuild(small):
    built(small)
    (index_dir(small.cache_dir) / CHECKSUM).unlink()
    _, report = built(small)
    assert report.reason == "" and report.embedded == 0
    assert (index_dir(small.cache_dir) / CHECKSUM).exists()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "another index"])
def test_a_damaged_dense_index_is_rebuilt_from_the_embeddings_and_ids_stay_right(small, damage):
    built(small)
    path = index_dir(small.cache_dir) / FAISS_INDEX
    if damage == "truncated":
        _truncate(path)
    elif damage == "garbage":
        path.write_bytes(os.urandom(path.stat().st_size))
    else:  # a valid FAISS file whose rows belong to other chunks
        from indexer.index.store import write_faiss

        stored = read_index(index_dir(small.cache_dir))[0]
        assert stored is not None
        write_faiss(path, stored.embeddings[::-1].copy())
    index = open_index(small, embedder=HashEmbedder(), progress=False)
    assert "dense index" in index.report.reason
    retriever = Retriever(index)
    for chunk in index.chunks:  # each chunk's own text finds its own question first
        dense = retriever._dense(retriever.encode_query(chunk.text))
        assert max(dense, key=lambda qid: dense[qid]) == chunk.question_id
    # and the file on disk was repaired: the next open has nothing to say
    assert open_index(small, embedder=HashEmbedder(), progress=False).report.reason == ""


def test_ids_come_from_the_knowledge_base_not_from_a_tampered_chunk_list(small):
    built(small)
    path = index_dir(small.cache_dir) / CHUNKS
    chunks = json.loads(path.read_text(encoding="utf-8"))
    chunks[0]["question_id"] = "Z99"  # same text and hash, wrong id
    raw = json.dumps(chunks, ensure_ascii=False).encode("utf-8")
    path.write_bytes(raw)
    (index_dir(small.cache_dir) / CHECKSUM).unlink()  # as if written before checksums: only the ids can tell
    index = open_index(small, embedder=HashEmbedder(), progress=False)
    assert "Z99" not in index.chunk_qids and set(index.chunk_qids) == {"D1", "D2", "O1"}


@pytest.mark.parametrize("field, value", [("format_version", 0), ("embed_model", "another-model"), ("dim", 7),
                                          ("chunk_max_chars", 123)])
def test_a_manifest_from_another_version_or_model_is_rebuilt_not_mixed(small, field, value):
    built(small)
    path = index_dir(small.cache_dir) / MANIFEST
    manifest = json.loads(path.read_text())
    manifest[field] = value
    path.write_text(json.dumps(manifest))
    _, report = built(small)
    assert report.embedded == N_CHUNKS and report.reason


# ----------------------------------------------------------------------------- knowledge base changed while running

def test_a_knowledge_base_changed_while_running_is_reported_and_answers_stay_consistent(small):
    engine = Engine(small, index=open_index(small, embedder=HashEmbedder(), progress=False))
    assert engine.kb_changed_notice() == ""
    edit_a_file(small)
    (small.kb_dir / "b.md").unlink()
    assert kb_changes(small, engine.index) == ["a.md", "b.md"]
    notice = engine.kb_changed_notice()
    assert "a.md, b.md" in notice and "restart" in notice
    hits = engine.retriever.search("什么是优化器", top_k=3)  # the open index still answers, with its own ids
    assert {h.question.id for h in hits} <= set(engine.index.questions) and "O1" in engine.index.questions


def test_the_status_line_shows_that_the_knowledge_base_changed(small):
    from chatbot.ui import Handlers

    engine = Engine(small, index=open_index(small, embedder=HashEmbedder(), progress=False))
    handlers = Handlers(engine, use_llm=False)
    assert "changed on disk" not in handlers.status_markdown()
    edit_a_file(small)
    assert "changed on disk" in handlers.status_markdown() and "a.md" in handlers.status_markdown()


# ----------------------------------------------------------------------------- killed builds and concurrent builds

BUILD_SCRIPT = r"""
import json, pathlib, sys, time
sys.path.insert(0, sys.argv[1])
from indexer.config import Config
from indexer.index.build import build_index
from tests.fakes import HashEmbedder

kb, cache, stage, flag, delay = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
embedder = HashEmbedder(delay=delay, signal=flag if stage == "embedding" else "")
if stage == "swap":  # stop between moving the old index aside and moving the new one in
    rename = pathlib.Path.rename
    def slow_rename(self, target):
        result = rename(self, target)
        if ".old-" in str(target):
            pathlib.Path(flag).touch()
            time.sleep(120)
        return result
    pathlib.Path.rename = slow_rename
start = time.monotonic()
_, _, report = build_index(Config(kb_dir=pathlib.Path(kb), cache_dir=pathlib.Path(cache)), embedder=embedder,
                           progress=False)
print(json.dumps({"embedded": report.embedded, "reason": report.reason, "seconds": time.monotonic() - start}))
"""


def start_build(config: Config, stage: str, flag: Path, delay: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, str(REPO_ROOT), str(config.kb_dir),
                             str(config.cache_dir), stage, str(flag), str(delay)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the build ended before the point to kill it: {proc.stderr.read() if proc.stderr else ''}")
        assert time.monotonic() < deadline, "the build never reached the point to kill it"
        time.sleep(0.05)


@pytest.mark.parametrize("stage", ["embedding", "swap"])
def test_a_build_killed_halfway_leaves_the_previous_index_usable(small, tmp_path, stage):
    built(small)
    edit_a_file(small)  # the next build has work to do
    flag = tmp_path / "reached"
    proc = start_build(small, stage, flag, delay=120 if stage == "embedding" else 0)
    wait_for(flag, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # the next build starts from the previous index: only the edited chunk is embedded again
    _, report = built(small)
    assert report.embedded == 1 and report.reused == N_CHUNKS - 1, report
    index = open_index(small, embedder=HashEmbedder(), progress=False)
    assert any("state_dict" in c.text for c in index.chunks)
    assert not list(small.cache_dir.glob(".index.old-*"))  # nothing set aside is left behind


def test_two_builds_at_once_take_turns_and_the_second_reuses_the_first(small, tmp_path):
    procs = [start_build(small, "embedding", tmp_path / f"flag{n}", delay=1.0) for n in range(2)]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["embedded"] for r in reports) == [0, N_CHUNKS]  # one built, the other found it built
    stored, reason = read_index(index_dir(small.cache_dir))
    assert stored is not None and reason == "" and len(stored.chunks) == N_CHUNKS


def test_the_build_lock_is_held_while_building(small, tmp_path):
    """A build waits for a lock holder (another process's build) instead of writing beside it."""
    flag = tmp_path / "started"
    with file_lock(small.cache_dir / "index.lock"):
        proc = start_build(small, "embedding", flag)
        time.sleep(3)
        assert not flag.exists() and proc.poll() is None  # waiting, not embedding
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert flag.exists()


def test_a_cache_whose_lock_cannot_be_created_still_opens_read_only(small):
    """A shared, read-only cache folder: nothing needs writing, so opening needs no lock."""
    built(small)
    lock = small.cache_dir / "index.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()  # stands in for a folder where the lock file cannot be created
    index = open_index(small, embedder=HashEmbedder(), progress=False)
    assert index.report.reason == "" and Retriever(index).search("如何保存模型", top_k=1)[0].question.id == "D2"
