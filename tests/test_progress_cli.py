"""`python -m chatbot progress` and `feedback`: the figures, export / import / reset, the Anki deck, and what a
bad file or database says. Progress written in one process is read back by another (a restart keeps
everything). Grades are given by hand through `Practice` (no model is loaded)."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chatbot.cli import main
from chatbot.store.database import SQLITE_FILE
from chatbot.store.open import open_store
from chatbot.store.records import FeedbackRecord

REPO_ROOT = Path(__file__).resolve().parent.parent

# Three answers for "ann" on 2026-03-02, one of them wrong, and one for "bob": written by a separate process.
WRITER = """
import sys
from datetime import UTC, datetime
from chatbot.interview.grade import Grade
from chatbot.interview.practice import Practice
from chatbot.store.open import open_store
from indexer.kb.parser import parse_kb
from pathlib import Path
clock = lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
practice = Practice(open_store("", Path(sys.argv[1])), parse_kb(Path("kb")).questions, clock=clock)
for profile, scores in (("ann", [1.0, 9.5, 7.0]), ("bob", [5.0])):
    session = practice.start(profile, None, len(scores), mode="new", seed=1)
    for score in scores:
        practice.answer_graded(session, "answer", Grade(score, ["p"], [], ["p"], "embedding"))
    print(" ".join(i.question.id for i in session.items))
"""


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def data_dir(tmp_path) -> Path:
    folder = tmp_path / "data"
    done = subprocess.run([sys.executable, "-c", WRITER, str(folder)], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return folder


def progress_json(capsys, data_dir: Path, profile: str) -> dict:
    code, out, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", profile, "--json")
    assert code == 0, err
    return json.loads(out)


def test_a_restart_keeps_everything_and_each_user_sees_their_own(capsys, data_dir):
    ann = progress_json(capsys, data_dir, "ann")
    assert ann["answers"] == 3 and len(ann["cards"]) == 3 and len(ann["sessions"]) == 1
    row = min(ann["cards"], key=lambda c: c["latest_score"])
    assert row["latest_score"] == 1.0 and row["reviews"] == 1 and row["due"].startswith("2026-03-03")
    assert ann["days"] == [{"day": "2026-03-02", "mean": round((1.0 + 9.5 + 7.0) / 3, 2), "answers": 3}]
    bob = progress_json(capsys, data_dir, "bob")
    assert bob["answers"] == 1 and len(bob["cards"]) == 1 and bob["cards"][0]["latest_score"] == 5.0
    assert progress_json(capsys, data_dir, "carol")["answers"] == 0


def test_the_figures_print_as_a_table(capsys, data_dir):
    code, out, _ = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", "ann")
    assert code == 0 and "Progress of 'ann' (3 graded answers)" in out and "Due this week" in out


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_export_then_import_into_another_profile_gives_the_same_cards(capsys, data_dir, tmp_path, suffix):
    path = tmp_path / f"ann{suffix}"
    code, out, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", "ann", "--export",
                             str(path))
    assert code == 0 and "wrote 3 answers" in out, err
    code, out, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", "ann2", "--import",
                             str(path))
    assert code == 0 and "imported 3 answers" in out, err
    cards = lambda p: sorted((c["id"], c["latest_score"], c["reviews"], c["due"])
                             for c in progress_json(capsys, data_dir, p)["cards"])
    assert cards("ann2") == cards("ann")
    code, out, _ = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", "ann2", "--import",
                           str(path))
    assert "imported 0 answers" in out and "3 already there" in out  # not twice


def test_an_import_names_its_bad_lines_and_imports_the_rest(capsys, data_dir, tmp_path):
    good = {"question_id": "Q73", "score": 8.0, "rating": 3, "answered_at": "2026-03-01T10:00:00+00:00"}
    lines = [json.dumps(good), "not json", json.dumps({**good, "score": 42}), json.dumps({"question_id": "Q1"}),
             "", json.dumps({**good, "question_id": "Q74"}), json.dumps({**good, "covered": 5}),
             json.dumps({**good, "question_id": "Q" * 40}), json.dumps(good)]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", "dan", "--import",
                             str(path))
    assert code == 2 and "imported 2 answers" in out and "5 lines skipped" in out, err
    assert f"{path}:2:" in err and f"{path}:3: score 42.0" in err and f"{path}:4: missing score, answered_at" in err
    assert f"{path}:7: covered is not a list" in err and f"{path}:8: question_id is longer than 16" in err
    assert "Traceback" not in err
    assert "1 already there" in out  # line 9 repeats line 1: added once
    assert sorted((c["id"], c["reviews"]) for c in progress_json(capsys, data_dir, "dan")["cards"]) == [
        ("Q73", 1), ("Q74", 1)]


def test_an_import_of_a_missing_or_wrong_kind_of_file_is_a_message(capsys, data_dir, tmp_path):
    code, _, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--import", str(tmp_path / "nope.jsonl"))
    assert code == 2 and "file not found" in err
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    code, _, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--import", str(other))
    assert code == 2 and ".jsonl or .csv" in err


def test_reset_asks_for_confirmation_and_touches_no_other_profile(capsys, data_dir, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))  # not a terminal: no way to ask
    code, _, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", "ann", "--reset")
    assert code == 2 and "--yes" in err and progress_json(capsys, data_dir, "ann")["answers"] == 3
    code, out, _ = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", "ann", "--reset", "--yes")
    assert code == 0 and "deleted 3" in out
    assert progress_json(capsys, data_dir, "ann")["answers"] == 0
    assert progress_json(capsys, data_dir, "bob")["answers"] == 1


def _notes(apkg: Path) -> list[list[str]]:
    with zipfile.ZipFile(apkg) as z:
        z.extract("collection.anki2", apkg.parent)
    with sqlite3.connect(apkg.parent / "collection.anki2") as conn:
        return [row[0].split("\x1f") for row in conn.execute("SELECT flds FROM notes")]


def test_an_anki_deck_of_a_topic_and_of_the_weakest(capsys, data_dir, tmp_path):
    deck = tmp_path / "cnn" / "cnn.apkg"
    deck.parent.mkdir()
    code, out, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--export-anki", str(deck),
                             "--topics", "cnn_vision")
    assert code == 0, err
    notes = _notes(deck)
    assert len(notes) == int(out.split()[1]) > 5
    q74 = next(n for n in notes if n[0] == "Q74")
    assert "ResNet" in q74[1] and "<pre><code>" in q74[2]  # the reference answer keeps its code
    weakest = tmp_path / "weak" / "weak.apkg"
    weakest.parent.mkdir()
    code, out, _ = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--profile", "ann", "--export-anki",
                           str(weakest), "--weakest", "1")
    ann = progress_json(capsys, data_dir, "ann")
    worst = min(ann["cards"], key=lambda c: c["latest_score"])["id"]
    assert code == 0 and [n[0] for n in _notes(weakest)] == [worst]


def test_an_unknown_topic_for_the_deck_is_a_message(capsys, data_dir, tmp_path):
    code, _, err = run_cli(capsys, "progress", "--data-dir", str(data_dir), "--export-anki", str(tmp_path / "x.apkg"),
                           "--topics", "cooking")
    assert code == 2 and "unknown topic" in err


def test_a_corrupt_database_is_moved_aside_and_said(capsys, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / SQLITE_FILE).write_bytes(b"garbage" * 100)
    code, out, err = run_cli(capsys, "progress", "--data-dir", str(folder), "--json")
    assert code == 0 and "moved to" in err and json.loads(out)["answers"] == 0
    assert list(folder.glob(f"{SQLITE_FILE}.corrupt-*"))


def test_a_newer_database_is_refused_with_a_message(capsys, data_dir):
    with sqlite3.connect(data_dir / SQLITE_FILE) as conn:
        conn.execute("UPDATE kbchat_meta SET value = '7' WHERE key = 'schema_version'")
    code, _, err = run_cli(capsys, "progress", "--data-dir", str(data_dir))
    assert code == 2 and "newer" in err and "Traceback" not in err


def test_feedback_exports_a_labelled_set_eval_answers_can_read(capsys, tmp_path):
    folder = tmp_path / "data"
    store = open_store("", folder)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    store.add_feedback("ann", FeedbackRecord("如何实现梯度累积？", "累加梯度 [Q73]", ["Q73"], "qwen-1.5b", True), now)
    store.add_feedback("bob", FeedbackRecord("What is a GAN?", "…", ["Q78"], "qwen-1.5b", False), now)
    store.close()
    out_file = tmp_path / "feedback.jsonl"
    code, out, _ = run_cli(capsys, "feedback", "--data-dir", str(folder), "--export", str(out_file))
    rows = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert code == 0 and "wrote 2 rated answers" in out
    assert [(r["label"], r["lang"], r["expected"]) for r in rows] == [("good", "zh", ["Q73"]), ("bad", "en", ["Q78"])]
    assert {"question", "lang", "in_scope", "expected"} <= rows[0].keys()  # eval-answers' fields
    run_cli(capsys, "feedback", "--data-dir", str(folder), "--export", str(out_file), "--profile", "bob")
    assert len(out_file.read_text(encoding="utf-8").splitlines()) == 1
