"""Schema versions and the migrations between them: one list for SQLite and PostgreSQL alike (SQLAlchemy Core
emits each dialect's DDL). A migration takes a database from version n-1 to n inside one transaction; the version
is recorded in `kbchat_meta` with it, so a crash half-way leaves the older version whole."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, select

from chatbot.store import schema
from chatbot.store.errors import NewerSchemaError

VERSION_KEY, APPLICATION_KEY = "schema_version", "application"


def _v1(conn: Connection) -> None:
    """The first schema: sessions, graded answers, review cards, conversations, feedback."""
    schema.metadata.create_all(conn, tables=[schema.meta, schema.sessions, schema.answers, schema.cards,
                                             schema.conversations, schema.feedback])


# MIGRATIONS[n - 1] takes a database at version n - 1 to n; append, never edit a released one.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1]
assert len(MIGRATIONS) == schema.SCHEMA_VERSION, "every schema version needs its migration"


def recorded_version(conn: Connection) -> int | None:
    """The schema version the database says it has: 0 when it is empty (or holds only tables of ours, from a first
    start that stopped half-way), None when it holds other tables and no `kbchat_meta` of this application
    (another program's database: never written into)."""
    tables = set(inspect(conn).get_table_names())
    if schema.meta.name not in tables:
        ours = {t.name for t in schema.metadata.sorted_tables}
        return 0 if tables <= ours else None
    rows = {key: value for key, value in conn.execute(select(schema.meta.c.key, schema.meta.c.value))}
    if rows.get(APPLICATION_KEY) != schema.APPLICATION:
        return None
    try:
        return int(rows.get(VERSION_KEY, ""))
    except ValueError:
        return None


def _set(conn: Connection, key: str, value: str) -> None:
    table = schema.meta
    if conn.execute(select(table.c.key).where(table.c.key == key)).first() is None:
        conn.execute(table.insert().values(key=key, value=value))
    else:
        conn.execute(table.update().where(table.c.key == key).values(value=value))


def migrate(conn: Connection, version: int, where: str) -> int:
    """Brings a database at `version` (0 = empty) up to schema.SCHEMA_VERSION, one migration per step, each with
    its version; returns the number of steps run. A newer database is refused untouched."""
    if version > schema.SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{where} has progress schema version {version}, newer than this app's {schema.SCHEMA_VERSION}: "
            "it was written by a newer version of pytorch-kb-chat. It is left as it is; update the app to use it. "
            "Progress is not saved until then.")
    for step in range(version, schema.SCHEMA_VERSION):
        MIGRATIONS[step](conn)
        _set(conn, APPLICATION_KEY, schema.APPLICATION)
        _set(conn, VERSION_KEY, str(step + 1))
    return schema.SCHEMA_VERSION - version
