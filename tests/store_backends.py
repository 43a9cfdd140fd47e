"""The progress store under test on each backend: SQLite in a temporary folder always, PostgreSQL when
KBCHAT_TEST_DATABASE_URL names one (.ci/run starts Debian's PostgreSQL and sets it). Each test gets its own
profiles (a fresh name), so tests on one shared server never see each other's rows."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chatbot.store.conversations import ConversationStore
from chatbot.store.open import open_store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning


def test_database_url() -> str:
    return os.environ.get("KBCHAT_TEST_DATABASE_URL", "")


test_database_url.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(database URL, data folder): "" and a fresh folder for SQLite; the server's URL for PostgreSQL."""
    if request.param == "postgresql":
        url = test_database_url()
        if not url:
            pytest.skip("no PostgreSQL: set KBCHAT_TEST_DATABASE_URL (.ci/run starts one)")
        yield url, tmp_path
    else:
        yield "", tmp_path


@pytest.fixture
def store(backend: tuple[str, Path]) -> Iterator[ConversationStore]:
    url, folder = backend
    opened = open_store(url, folder, T0)
    assert opened.available, opened.problem
    yield opened
    opened.close()


@pytest.fixture
def profile() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"
