"""Opening the progress database: the SQLite file in the user data folder by default, or the server named by
KBCHAT_DATABASE_URL. A file that cannot be used is moved aside (never deleted) and a fresh one started; a newer
schema or a folder that cannot be written leaves the store unavailable, with a reason to show, and the app runs on
(grades are shown, marked as not saved)."""
from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError

from chatbot.store.errors import StoreUnavailable
from chatbot.store.migrations import migrate, recorded_version

log = logging.getLogger(__name__)

SQLITE_FILE = "progress.sqlite3"
# Several tabs and app threads write at once: a writer waits this long for another's transaction to end.
BUSY_TIMEOUT_S = 30


@dataclass
class Opened:
    """An open database, or why there is none."""

    engine: Engine | None
    where: str  # the file, or the URL without its password
    notice: str = ""  # what was done on opening (a file moved aside), to show once
    problem: str = ""  # why nothing can be saved ("" when the store works)


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # SQLAlchemy's pysqlite recipe: the driver must not BEGIN on its own, so the "begin" hook below decides
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # A writer takes the write lock up front (IMMEDIATE): two read-then-write transactions cannot interleave
        # and lose an update; a busy database is waited for (timeout) instead of failing at the first write.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("kbchat_write") else "BEGIN")

    return engine


def _server_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, the driver requirements.txt installs
    return create_engine(parsed, pool_pre_ping=True)


def _move_aside(path: Path, why: str, now: datetime) -> Path:
    """Renames the file (and SQLite's -wal/-shm beside it) to `<name>.<why>-<time>`; never deletes anything."""
    stamp = now.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists():
            side.rename(Path(str(target) + suffix))
    return target


def _prepare(engine: Engine, where: str) -> None:
    """Migrates to the current schema; raises DatabaseError for a corrupt file, _Foreign for another program's."""
    with engine.connect() as conn:
        conn = conn.execution_options(kbchat_write=True)
        with conn.begin():
            version = recorded_version(conn)
            if version is None:
                raise _Foreign()
            migrate(conn, version, where)


class _Foreign(Exception):
    pass


def open_database(url: str, data_dir: Path, now: datetime) -> Opened:
    """The progress database: `url` (any SQLAlchemy URL, e.g. postgresql://user:pw@host/db) or, when empty,
    `data_dir`/progress.sqlite3, migrated to the current schema."""
    if url:
        return _open_server(url)
    return _open_sqlite(Path(data_dir).expanduser() / SQLITE_FILE, now)


def _open_server(url: str) -> Opened:
    try:
        engine = _server_engine(url)
    except (ArgumentError, ImportError, ValueError) as exc:
        return Opened(None, "KBCHAT_DATABASE_URL", problem=f"KBCHAT_DATABASE_URL cannot be used ({exc})")
    where = engine.url.render_as_string(hide_password=True)
    try:
        _prepare(engine, where)
    except StoreUnavailable as exc:
        engine.dispose()
        return Opened(None, where, problem=str(exc))
    except _Foreign:
        engine.dispose()
        return Opened(None, where, problem=f"{where} holds tables of another program under this app's names; "
                                           "point KBCHAT_DATABASE_URL at a database of its own")
    except SQLAlchemyError as exc:
        engine.dispose()
        return Opened(None, where, problem=f"cannot reach {where} ({_short(exc)})")
    return Opened(engine, where)


def _open_sqlite(path: Path, now: datetime) -> Opened:
    where = str(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return Opened(None, where, problem=f"cannot create the data folder {path.parent} ({exc.strerror})")
    notice = ""
    for _attempt in range(2):  # a second try after moving a bad file aside
        engine = _sqlite_engine(path)
        try:
            _check_pages(engine)
            _prepare(engine, where)
            return Opened(engine, where, notice=notice)
        except StoreUnavailable as exc:
            engine.dispose()
            return Opened(None, where, notice=notice, problem=str(exc))
        except (_Foreign, DatabaseError, sqlite3.DatabaseError) as exc:
            engine.dispose()
            if isinstance(exc, OperationalError) and not _is_corruption(exc):
                return Opened(None, where, notice=notice,
                              problem=f"cannot write progress to {path} ({_short(exc)}): check the folder's "
                                      "permissions and free space (KBCHAT_DATA_DIR / --data-dir)")
            why = "foreign" if isinstance(exc, _Foreign) else "corrupt"
            try:
                moved = _move_aside(path, why, now)
            except OSError as move_error:
                return Opened(None, where, problem=f"{path} is not a usable progress database ({why}) and cannot "
                                                   f"be moved aside ({move_error.strerror})")
            log.warning("progress database %s was %s: moved to %s", path, why, moved)
            kind = "another program's database" if why == "foreign" else "not a readable database (corrupt)"
            notice = (f"{path} was {kind}: it was moved to {moved.name} (nothing deleted) and a fresh progress "
                      "database was started")
    return Opened(None, where, notice=notice, problem=f"cannot start a progress database at {path}")


def _check_pages(engine: Engine) -> None:
    """SQLite's quick_check: a file whose pages are damaged is corrupt even when its schema still reads (about
    0.25 s for 100,000 answers, once per start); raises sqlite3.DatabaseError for a damaged one."""
    with engine.connect() as conn:
        found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check(1)")]
    if found != ["ok"]:
        raise sqlite3.DatabaseError(f"database disk image is malformed ({'; '.join(found)[:200]})")


def _is_corruption(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "not a database" in text or "malformed" in text or "could not decode" in text


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0][:200]
