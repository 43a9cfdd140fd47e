"""Session-wide LLM fixtures (one loaded model per test session)."""
from __future__ import annotations

import sys

import pytest

__all__ = ["chat_model", "close_models_at_the_end", "llm_config"]


@pytest.fixture(scope="session", autouse=True)
def close_models_at_the_end():
    """Closes the chat models the session loaded (the most recent first) once its last test is done, before
    pytest's own teardown, rather than leaving them to the interpreter's exit."""
    yield
    if (registry := sys.modules.get("chatbot.llm.registry")) is not None:  # never imported: nothing was loaded
        registry.close_all()


@pytest.fixture(scope="session")
def llm_config():
    """Config for the real packaged 0.5B model: the default cache dir (KBCHAT_CACHE_DIR
    respected, so the assembled GGUF and any conversion are reused across runs) and the
    llama.cpp backend when it is installed, else transformers."""
    from chatbot.llm.config import LLMConfig
    from chatbot.llm.registry import available_backends

    cfg = LLMConfig.from_env()
    cfg.llm_model = "qwen-0.5b"
    backends = available_backends()
    cfg.llm_backend = "llamacpp" if "llamacpp" in backends else "transformers"
    return cfg


@pytest.fixture(scope="session")
def chat_model(llm_config):
    """The real qwen-0.5b chat model, loaded once (fails loudly if it cannot load)."""
    from chatbot.llm.errors import ModelUnavailable
    from chatbot.llm.registry import load_chat_model

    try:
        return load_chat_model(llm_config, progress=False)
    except ModelUnavailable as exc:
        pytest.fail(f"the packaged 0.5B model could not be loaded: {exc}", pytrace=False)
