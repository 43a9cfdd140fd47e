"""A profile's interview history in and out: JSON Lines or CSV (one graded answer a line, the columns of
`StoredAnswer`). An import names each line it cannot read and imports the rest; answers already in the profile
(same question, same time) are not imported twice."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

from chatbot.interview.review import Reviewer
from chatbot.store import schema
from chatbot.store.progress import ProgressStore
from chatbot.store.records import StoredAnswer
from chatbot.store.times import utc

COLUMNS = [f.name for f in fields(StoredAnswer)]
LIST_COLUMNS = {"covered", "missing", "wrong"}
MAX_IMPORT_BYTES = 50_000_000  # an import file larger than this is refused before it is read


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)  # "<file>:<line>: why"


def _row(answer: StoredAnswer) -> dict:
    row = asdict(answer)
    row["answered_at"] = answer.answered_at.isoformat() if answer.answered_at else None
    return row


def export_text(answers: list[StoredAnswer], fmt: str) -> str:
    """The answers as JSON Lines ("jsonl") or CSV ("csv", list columns JSON-encoded)."""
    if fmt == "jsonl":
        return "".join(json.dumps(_row(a), ensure_ascii=False) + "\n" for a in answers)
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}: use a .jsonl or .csv file name")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for a in answers:
        row = _row(a)
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if k in LIST_COLUMNS else v for k, v in row.items()})
    return out.getvalue()


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".json"}:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ValueError(f"{path.name}: use a .jsonl or .csv file")


def _answer(raw: dict) -> StoredAnswer:
    """A StoredAnswer from one exported row; ValueError naming what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    missing = [k for k in ("question_id", "score", "answered_at") if raw.get(k) in (None, "")]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    try:
        return _checked(raw)
    except _Refused:
        raise
    except (TypeError, ValueError, AttributeError) as exc:  # a value of the wrong kind ("hints": "x", "seconds": [1])
        raise ValueError(f"bad value ({exc})") from None


class _Refused(ValueError):
    """A value read but out of bounds: its message is the whole reason."""


def _checked(raw: dict) -> StoredAnswer:
    when = utc(datetime.fromisoformat(str(raw["answered_at"])))
    score = float(raw["score"])
    rating = int(raw.get("rating") or 0)
    if not 0.0 <= score <= 10.0:
        raise _Refused(f"score {score} is not between 0 and 10")
    if rating not in {1, 2, 3, 4}:
        raise _Refused(f"rating {raw.get('rating')!r} is not 1-4")
    lists: dict[str, list[str]] = {}
    for key in sorted(LIST_COLUMNS):
        value = raw.get(key) or []
        if isinstance(value, str):
            value = json.loads(value) if value.startswith("[") else [value]
        if not isinstance(value, list):
            raise _Refused(f"{key} is not a list")
        lists[key] = [str(v) for v in value]
    qid = str(raw["question_id"])
    answer = StoredAnswer(
        question_id=qid, card_key=str(raw.get("card_key") or qid), topic=str(raw.get("topic") or ""),
        answer=str(raw.get("answer") or ""), score=score, graded_by=str(raw.get("graded_by") or "none"),
        feedback=str(raw.get("feedback") or ""), seconds=float(raw.get("seconds") or 0.0),
        answer_seconds=float(raw.get("answer_seconds") or 0.0), hints=int(raw.get("hints") or 0),
        skipped=str(raw.get("skipped")).lower() in {"true", "1"}, answered_at=when,
        suggested_rating=int(raw.get("suggested_rating") or rating), rating=rating, covered=lists["covered"],
        missing=lists["missing"], wrong=lists["wrong"])
    for name in ("question_id", "card_key", "topic", "graded_by"):  # what the columns hold (PostgreSQL enforces it)
        limit = getattr(schema.answers.c[name].type, "length", None)
        if limit and len(getattr(answer, name)) > limit:
            raise _Refused(f"{name} is longer than {limit} characters")
    return answer


def read_import(path: Path) -> tuple[list[StoredAnswer], list[str]]:
    """(answers read, one error per line that could not be read)."""
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise ValueError(f"{path} is larger than {MAX_IMPORT_BYTES // 1_000_000} MB")
    text = path.read_text(encoding="utf-8-sig")
    answers, errors = [], []
    if format_of(path) == "jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                answers.append(_answer(json.loads(line)))
            except ValueError as exc:  # json.JSONDecodeError is one
                errors.append(f"{path}:{n}: {exc}")
        return answers, errors
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "question_id" not in reader.fieldnames:
        return [], [f"{path}:1: not a CSV export (no question_id column)"]
    for row in reader:
        try:
            answers.append(_answer(row))
        except ValueError as exc:
            errors.append(f"{path}:{reader.line_num}: {exc}")
    return answers, errors


def import_history(store: ProgressStore, profile: str, path: Path, reviewer: Reviewer | None = None) -> ImportResult:
    """Adds the readable lines of `path` to `profile`, replaying them through FSRS oldest first."""
    answers, errors = read_import(path)
    have = {(a.question_id, a.answered_at) for a in store.answers(profile)}
    fresh = []
    for a in answers:  # neither one already there nor a line repeated in the file is added twice
        if (a.question_id, a.answered_at) not in have:
            have.add((a.question_id, a.answered_at))
            fresh.append(a)
    imported = store.import_answers(profile, fresh, schedule=reviewer or Reviewer())
    return ImportResult(imported, len(answers) - len(fresh), errors)
