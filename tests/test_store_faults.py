"""A progress database that cannot be used never stops the app: a corrupt or foreign file is moved aside (never
deleted) and a fresh one started, a newer schema is refused untouched, a folder that cannot be written leaves the
store unavailable with the reason, and a write that fails says "not saved"."""
from __future__ import annotations

import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from chatbot.store import schema
from chatbot.store.database import SQLITE_FILE
from chatbot.store.errors import StoreError
from chatbot.store.open import open_store
from tests.store_backends import *  # noqa: F403  (the backend and profile fixtures)
from tests.store_backends import T0
from tests.test_store import counting_schedule, graded

running_as_root = hasattr(os, "geteuid") and os.geteuid() == 0


def test_a_corrupt_file_is_moved_aside_and_a_fresh_database_started(tmp_path):
    (tmp_path / SQLITE_FILE).write_bytes(b"this is not a database " * 200)
    store = open_store("", tmp_path, T0)
    assert store.available and "moved to" in store.opened.notice and "corrupt" in store.opened.notice
    aside = list(tmp_path.glob(f"{SQLITE_FILE}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    store.record_answer("me", None, graded(), suggested=3, rating=3, now=T0, schedule=counting_schedule)
    assert len(store.answers("me")) == 1


def test_a_file_with_damaged_pages_is_moved_aside_though_its_schema_still_reads(tmp_path):
    store = open_store("", tmp_path, T0)
    for n in range(40):  # rows over many pages, so the damage below misses the schema on page 1
        store.record_answer("me", None, graded(f"Q{n}", answer="答案 " * 400), suggested=3, rating=3, now=T0,
                            schedule=counting_schedule)
    store.close()  # the last connection checkpoints the WAL into the file
    path = tmp_path / SQLITE_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2:] = b"\xab" * (len(data) - len(data) // 2)
    path.write_bytes(bytes(data))
    reopened = open_store("", tmp_path, T0)
    assert reopened.available and "corrupt" in reopened.opened.notice and reopened.answers("me") == []
    (aside,) = tmp_path.glob(f"{SQLITE_FILE}.corrupt-*")
    assert aside.read_bytes() == bytes(data)  # kept as it was, never deleted
    reopened.close()


def test_another_programs_database_is_moved_aside_not_reused(tmp_path):
    with sqlite3.connect(tmp_path / SQLITE_FILE) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")
    store = open_store("", tmp_path, T0)
    assert store.available and "another program" in store.opened.notice
    (aside,) = tmp_path.glob(f"{SQLITE_FILE}.foreign-*")
    with sqlite3.connect(aside) as conn:
        assert conn.execute("SELECT name FROM recipes").fetchall() == [("soup",)]


def test_a_newer_schema_is_refused_and_left_untouched(backend, profile):
    url, folder = backend
    store = open_store(url, folder, T0)
    store.record_answer(profile, None, graded(), suggested=3, rating=3, now=T0, schedule=counting_schedule)
    with store.opened.engine.begin() as conn:
        conn.execute(update(schema.meta).where(schema.meta.c.key == "schema_version").values(value="99"))
    store.close()
    try:
        newer = open_store(url, folder, T0)
        assert not newer.available and "newer" in newer.problem and "99" in newer.problem
        with pytest.raises(StoreError, match="newer"):
            newer.record_answer(profile, None, graded(), suggested=3, rating=3, now=T0, schedule=counting_schedule)
        assert not list(Path(folder).glob(f"{SQLITE_FILE}.*-*"))  # nothing moved aside
    finally:
        from sqlalchemy import create_engine

        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://") if url
                               else f"sqlite:///{Path(folder) / SQLITE_FILE}")
        with engine.begin() as conn:
            conn.execute(update(schema.meta).where(schema.meta.c.key == "schema_version")
                         .values(value=str(schema.SCHEMA_VERSION)))
        engine.dispose()
    again = open_store(url, folder, T0)
    assert len(again.answers(profile)) == 1  # the data was never touched
    again.close()


@pytest.mark.skipif(running_as_root, reason="root writes into read-only folders")
def test_a_read_only_data_folder_leaves_the_store_unavailable_with_the_reason(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        store = open_store("", folder, T0)
        assert not store.available and "cannot write" in store.problem
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_data_folder_that_cannot_be_created_leaves_the_store_unavailable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    store = open_store("", blocker / "data", T0)
    assert not store.available and "cannot create the data folder" in store.problem


def test_a_write_that_fails_says_not_saved_and_keeps_what_was_there(tmp_path):
    store = open_store("", tmp_path, T0)
    store.record_answer("me", None, graded(), suggested=3, rating=3, now=T0, schedule=counting_schedule)

    from sqlalchemy.exc import OperationalError

    def full_disk(state, rating, when):
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    with pytest.raises(StoreError, match="the disk is full"):
        store.record_answer("me", None, graded(), suggested=3, rating=3, now=T0 + timedelta(days=1),
                            schedule=full_disk)
    assert len(store.answers("me")) == 1 and store.cards("me")[0].reviews == 1  # the transaction rolled back


def test_an_unreachable_server_leaves_the_store_unavailable(tmp_path):
    store = open_store("postgresql://nobody:secret@127.0.0.1:9/nowhere", tmp_path, T0)
    assert not store.available and "cannot reach" in store.problem and "secret" not in store.problem


def test_a_bad_database_url_is_a_clear_problem(tmp_path):
    store = open_store("not a url at all", tmp_path, T0)
    assert not store.available and "KBCHAT_DATABASE_URL" in store.problem
