"""The shipped knowledge base indexed once per test session, in the regular cache (reused by CI and the app)."""
import pytest

from chatbot.ui.config import WebConfig


@pytest.fixture(scope="session")
def config():
    """The most derived settings (the web app's), as the program at the top would make them."""
    cfg = WebConfig.from_env()
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
