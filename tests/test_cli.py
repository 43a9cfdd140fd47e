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


# ----------------------------------------------------------------------------- grading and the terminal interview
def test_grade_one_answer_as_json():
    out = run("grade", "--question", "Q73", "--answer", "把多个小批量的梯度累加起来，每 N 步才更新一次参数。",
              "--json", "--no-llm")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {"id", "score", "covered", "missing", "wrong", "feedback", "graded_by"} <= set(result)
    assert result["id"] == "Q73" and 0 <= result["score"] <= 10 and result["graded_by"] == "embedding"


def test_saying_i_dont_know_is_reported_as_no_answer():
    out = run("grade", "--question", "Q73", "--answer", "不知道", "--no-llm")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Q73: 0/10 (no answer to grade)") and "未作答" in out.stdout


@pytest.mark.parametrize("qid, why", [("Q999", "unknown question id"), ("Z1", "unknown question id")])
def test_grading_an_unknown_question_is_a_clear_error(qid, why):
    out = run("grade", "--question", qid, "--answer", "anything", "--json", "--no-llm")
    assert out.returncode == 2 and why in out.stderr and "Traceback" not in out.stderr


def test_grading_a_question_without_a_reference_is_a_clear_error(engine):
    title_only = next((q for q in engine.index.questions.values() if not q.has_answer), None)
    if title_only is None:
        pytest.skip("every question has an answer now")
    out = run("grade", "--question", title_only.id, "--answer", "anything", "--no-llm")
    assert out.returncode == 2 and "no reference answer" in out.stderr


def test_grade_answers_file_prints_one_line_per_answer(tmp_path):
    path = tmp_path / "answers.jsonl"
    rows = [{"id": "Q73", "answer": "梯度累积就是每个 epoch 降低学习率。"}, {"id": "E6", "answer": ""},
            {"id": "Q999", "answer": "x"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n", encoding="utf-8")
    out = run("grade", "--answers-file", str(path), "--json", "--no-llm")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 2 and len(lines) == 4  # every line answered, the bad ones with an error
    assert lines[0]["id"] == "Q73" and lines[1]["score"] == 0 and "error" in lines[2] and "error" in lines[3]


def test_terminal_interview_reads_answers_and_prints_a_summary(tmp_path):
    # an answer, its rating changed to Hard; a hint then an empty answer (a skip); "skip"
    answers = "把多个小批量的梯度累加，每 N 步更新一次参数。\n\nhard\n?\n\nskip\n\n"
    done = subprocess.run([sys.executable, "-m", "chatbot", "interview", "-n", "3", "--no-llm", "--lang", "en",
                           "--profile", "ann", "--data-dir", str(tmp_path)],
                          cwd=REPO_ROOT, input=answers, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "[1/3]" in done.stdout and "score" in done.stdout and "Interview summary" in done.stdout
    assert "rated Hard" in done.stdout and "random questions" in done.stdout
    shown = subprocess.run([sys.executable, "-m", "chatbot", "progress", "--profile", "ann", "--json", "--data-dir",
                            str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    report = json.loads(shown.stdout)
    assert report["answers"] == 1 and len(report["cards"]) == 3  # one graded, two skipped: three cards to review


def test_warming_without_a_language_model_is_a_clear_error():
    out = run("warm", "--backend", "none")
    assert out.returncode == 2 and "no language model to warm" in out.stderr and "Traceback" not in out.stderr
