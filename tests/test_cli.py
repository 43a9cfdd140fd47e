"""The command-line contract that later work and outside checks rely on."""
import json
import subprocess
import sys

import pytest

from indexer.config import REPO_ROOT


def run(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "chatbot", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def built(engine):
    """The index exists before the subprocesses start (they would build it themselves otherwise)."""


def test_search_json_contract():
    out = run("search", "如何实现梯度累积", "--top-k", "5", "--json")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 5 and hits[0]["id"] == "Q73"
    assert {"id", "title", "score", "has_answer", "source"} <= set(hits[0])
    assert hits[0]["has_answer"] is True and hits[0]["source"].startswith("main_series_answers_071-080.md:")


def test_search_table_is_readable():
    out = run("search", "ResNet")
    assert out.returncode == 0 and "Q74" in out.stdout and "title" in out.stdout.splitlines()[0]


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_is_a_clear_error(query):
    out = run("search", query, "--json")
    assert out.returncode == 2 and "empty" in out.stderr and out.stdout == ""


def test_queries_file_prints_json_lines_in_order(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("梯度累积\nResNet是什么\n\nload_state_dict\n", encoding="utf-8")
    out = run("search", "--queries-file", str(path), "--top-k", "3", "--json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 4 and lines[2] == [] and "line 3" in out.stderr
    assert lines[0][0]["id"] == "Q73" and lines[1][0]["id"] == "Q74"


def test_missing_queries_file_is_a_clear_error(tmp_path):
    out = run("search", "--queries-file", str(tmp_path / "nope.txt"), "--json")
    assert out.returncode != 0 and "not found" in out.stderr


def test_ask_json_without_llm():
    out = run("ask", "梯度累积有什么缺点？", "--json", "--no-llm")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert {"answer", "citations", "refused", "sources", "retrieval_ms", "first_token_ms", "total_ms"} <= set(answer)
    assert "Q73" in answer["citations"] and answer["refused"] is False
    assert {"id", "title", "has_answer"} <= set(answer["sources"][0])


def test_ask_queries_file_refuses_off_topic(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("What is the weather in Paris tomorrow?\nWhat is a tensor in PyTorch?\n", encoding="utf-8")
    out = run("ask", "--queries-file", str(path), "--json", "--no-llm")
    assert out.returncode == 0, out.stderr
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    assert first["refused"] and first["citations"] == []
    assert not second["refused"] and second["citations"]
