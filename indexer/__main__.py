"""`python -m indexer build [--kb DIR] [--cache-dir DIR]` – bring the persisted index up to date."""
from __future__ import annotations

import argparse
import logging
import sys

from indexer.config import add_config_flags, config_from_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="parse, chunk and embed the knowledge base (only what changed)")
    add_config_flags(build, "kb_dir", "cache_dir", "embed_model", "device")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    config = config_from_cli(args)
    from indexer.index.build import build_index

    _, _, report = build_index(config, progress=True)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(report.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
