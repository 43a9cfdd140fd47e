"""Settings: each layer adds its own fields to the indexer's; defaults < KBCHAT_* environment < flags, the same
names as before the split."""
from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import pytest

from chatbot.interview.config import InterviewConfig
from chatbot.llm.config import LLMConfig
from chatbot.rag.config import RAGConfig
from chatbot.ui.config import WebConfig
from indexer.config import Config, add_config_flags, config_from_cli

# field -> its flag (None: environment only), as the app and the CLI have always spelled them
FLAGS = {
    "kb_dir": "--kb", "cache_dir": "--cache-dir", "data_dir": "--data-dir", "embed_model": "--embed-model", "device": "--device",
    "llm_model": "--model", "llm_backend": "--backend", "max_new_tokens": "--max-new-tokens",
    "state_cache_mb": "--state-cache-mb", "llm_url": "--llm-url", "llm_timeout": "--llm-timeout",
    "llm_parallel": None, "llm_api_key": None,
    "top_k": "--top-k", "history_turns": None,
    "llm_grading": "--no-llm-grading", "database_url": None,
    "auth": "--auth", "auth_file": "--auth-file", "host": "--host", "port": "--port", "api_key": None,
    "max_document_mb": "--max-document-mb", "admins": "--admins",
}
OWN_FIELDS = {
    Config: {"kb_dir", "cache_dir", "data_dir", "embed_model", "device", "max_document_mb"},
    LLMConfig: {"llm_model", "llm_backend", "max_new_tokens", "state_cache_mb", "llm_url", "llm_timeout",
                "llm_parallel", "llm_api_key"},
    RAGConfig: {"top_k", "history_turns"},
    InterviewConfig: {"llm_grading", "database_url"},
    WebConfig: {"auth", "auth_file", "host", "port", "api_key", "admins"},
}


def parse(config: type[Config], *argv: str) -> Config:
    parser = argparse.ArgumentParser()
    add_config_flags(parser, *[n for n, flag in FLAGS.items() if flag and n in {f.name for f in fields(config)}],
                     config=config)
    return config.from_env({}).apply_args(parser.parse_args(list(argv)))


def test_each_layer_adds_only_its_own_settings():
    seen: set[str] = set()
    for config, own in OWN_FIELDS.items():
        names = {f.name for f in fields(config)}
        assert names - seen == own and seen <= names
        seen = names
    assert seen == set(FLAGS)


def test_the_flags_keep_their_names():
    for name, flag in FLAGS.items():
        field = next(f for f in fields(WebConfig) if f.name == name)
        assert (field.metadata["flag"] or None) == flag, name
        assert not flag or field.metadata["help"]


def test_environment_overrides_defaults_and_flags_override_the_environment():
    env = {"KBCHAT_TOP_K": "7", "KBCHAT_LLM_BACKEND": "none", "KBCHAT_HOST": "0.0.0.0", "KBCHAT_LLM_GRADING": "0",
           "KBCHAT_CACHE_DIR": "~/elsewhere", "KBCHAT_API_KEY": "k", "KBCHAT_LLM_PARALLEL": "", "KBCHAT_PORT": "8000"}
    cfg = WebConfig.from_env(env)
    assert (cfg.top_k, cfg.llm_backend, cfg.host, cfg.llm_grading, cfg.api_key, cfg.port) == (7, "none", "0.0.0.0",
                                                                                              False, "k", 8000)
    assert cfg.cache_dir == Path("~/elsewhere").expanduser() and cfg.llm_parallel == 4  # empty means unset
    parser = argparse.ArgumentParser()
    add_config_flags(parser, "top_k", "host", "llm_grading", config=WebConfig)
    cfg.apply_args(parser.parse_args(["--top-k", "2", "--llm-grading"]))
    assert (cfg.top_k, cfg.host, cfg.llm_grading) == (2, "0.0.0.0", True)  # an unset flag leaves the env value


def test_a_lower_layer_reads_only_its_own_environment():
    cfg = LLMConfig.from_env({"KBCHAT_LLM_MODEL": "qwen-0.5b", "KBCHAT_TOP_K": "9", "KBCHAT_KB_DIR": "/kb"})
    assert cfg.llm_model == "qwen-0.5b" and cfg.kb_dir == Path("/kb") and not hasattr(cfg, "top_k")
    assert type(cfg) is LLMConfig and cfg.llm_enabled and not LLMConfig(llm_backend="none").llm_enabled


def test_flags_parse_to_the_fields_types():
    cfg = parse(WebConfig, "--kb", "/tmp", "--port", "9000", "--max-new-tokens", "64", "--no-llm-grading",
                "--backend", "llamacpp")
    assert cfg.kb_dir == Path("/tmp") and cfg.port == 9000 and cfg.max_new_tokens == 64
    assert cfg.llm_grading is False and cfg.llm_backend == "llamacpp"
    with pytest.raises(SystemExit):
        parse(WebConfig, "--port", "many")


def test_a_bad_environment_value_is_a_clear_error():
    with pytest.raises(SystemExit, match="invalid value 'x' for top_k"):
        RAGConfig.from_env({"KBCHAT_TOP_K": "x"})


def test_a_flag_of_a_higher_layer_is_refused():
    with pytest.raises(ValueError, match="LLMConfig has no flag for 'top_k'"):
        add_config_flags(argparse.ArgumentParser(), "top_k", config=LLMConfig)
    with pytest.raises(ValueError, match="no flag for 'api_key'"):  # environment only
        add_config_flags(argparse.ArgumentParser(), "api_key", config=WebConfig)


def test_config_from_cli_makes_the_class_asked_for_and_exits_2_without_a_kb(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KBCHAT_KB_DIR", raising=False)
    args = argparse.Namespace(kb_dir=str(tmp_path), top_k=3)
    assert type(config_from_cli(args)) is Config
    cfg = config_from_cli(args, InterviewConfig)
    assert type(cfg) is InterviewConfig and cfg.top_k == 3 and cfg.kb_dir == tmp_path
    with pytest.raises(SystemExit) as exit_:
        config_from_cli(argparse.Namespace(kb_dir=str(tmp_path / "missing")), WebConfig)
    assert exit_.value.code == 2 and "knowledge-base folder not found" in capsys.readouterr().err


def test_user_data_lives_apart_from_the_cache():
    defaults = Config()
    assert defaults.data_dir != defaults.cache_dir
    assert not defaults.data_dir.is_relative_to(defaults.cache_dir)
    assert Config.from_env({"KBCHAT_DATA_DIR": "/srv/kb-data"}).data_dir == Path("/srv/kb-data")
