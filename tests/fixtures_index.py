"""The shipped knowledge base indexed once per test session, in the regular cache (reused by CI and the app)."""
import pytest

from indexer.config import Config


@pytest.fixture(scope="session")
def config():
    cfg = Config.from_env()
    cfg.llm_backend = "none"
    return cfg


@pytest.fixture(scope="session")
def engine(config, embedder):
    from chatbot.rag.engine import Engine

    eng = Engine(config)
    eng.index  # noqa: B018 – build or load once
    return eng


@pytest.fixture(scope="session")
def retriever(engine):
    return engine.retriever
