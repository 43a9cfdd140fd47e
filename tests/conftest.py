"""Session fixtures, and the two test tiers: `python -m pytest` runs everything (the README's and CI's command);
`python -m pytest -m "not slow"` runs the logic tests without the index, an embedder or a model.

A test is slow when it needs one of the fixtures that load them (directly or through another fixture: pytest's
`item.fixturenames` holds the whole closure), or when it is marked `pytest.mark.slow` itself because it loads
them another way (a subprocess of the CLI or the app, the knowledge base's own code). In a run without the slow
tests, a test that still loads an embedder or a chat model in this process fails, naming itself."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures_app import *  # noqa: F403
from tests.fixtures_embed import *  # noqa: F403
from tests.fixtures_index import *  # noqa: F403
from tests.fixtures_llm import *  # noqa: F403

# The fixtures that load the index, an embedder, a model, the app or a browser; every fixture built on them
# (engine, retriever, answerer, handlers, ...) is slow through them.
LOADING_FIXTURES = frozenset({
    "embedder",  # e5-small, converted into the cache on first use
    "engine", "retriever",  # the shipped knowledge base's index (through `embedder`)
    "chat_model",  # the packaged 0.5B LLM
    "app_url", "auth_app_url",  # `python app.py` in a subprocess: builds or opens the index
    "gguf", "llama_server",  # the assembled GGUF, llama.cpp's server on it
    "browser",  # Chromium
})


@pytest.fixture(scope="session", autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests (and the app or CLI they start, which inherit the environment) never read or write the user's own
    data folder: added documents and interview progress go to a fresh folder per session."""
    folder = tmp_path_factory.mktemp("kbchat-data")
    before = os.environ.get("KBCHAT_DATA_DIR")
    os.environ["KBCHAT_DATA_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("KBCHAT_DATA_DIR", None)
    else:
        os.environ["KBCHAT_DATA_DIR"] = before


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if LOADING_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _fast_tier(config: pytest.Config) -> bool:
    return "not slow" in " ".join(str(config.getoption("markexpr") or "").split())


def _loaded_models() -> list[str]:
    """The embedders and chat models this process has loaded: both are shared per process, so their registries
    list every one (read only when the module was imported, which loading needs)."""
    loaded: list[str] = []
    if (models := sys.modules.get("indexer.models")) is not None:
        loaded += [spec for spec, _, _ in models._instances]
    if (registry := sys.modules.get("chatbot.llm.registry")) is not None:
        loaded += [model.name for model in registry.loaded_models()]
    return loaded


_LOADED_BEFORE = pytest.StashKey[list[str]]()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _fast_tier(item.config):
        item.stash[_LOADED_BEFORE] = _loaded_models()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    before = item.stash.get(_LOADED_BEFORE, None)
    if before is not None and (new := sorted(set(_loaded_models()) - set(before))):
        pytest.fail(f"{item.nodeid} loaded {', '.join(new)} in the fast tier: mark it slow, or give it a fake "
                    "(tests/fakes.py)", pytrace=False)
