"""`python -m indexer build` – bring the persisted index up to date;
`python -m indexer add FILE… [--name NAME]`, `list [--json]`, `remove NAME` – the user's own documents."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from indexer.config import Config, add_config_flags, config_from_cli
from indexer.errors import DocumentError, KBChatError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="parse, chunk and embed the knowledge base (only what changed)")
    add_config_flags(build, "kb_dir", "cache_dir", "embed_model", "device")
    add = sub.add_parser("add", help="add documents (Markdown, text, PDF, Word .docx, HTML) to the knowledge base; "
                                     "a document of the same name is replaced")
    add.add_argument("files", nargs="+", metavar="FILE")
    add.add_argument("--name", default="", help="the document's name (default: the file's name); one file only")
    add_config_flags(add, "kb_dir", "cache_dir", "data_dir", "embed_model", "device", "max_document_mb")
    listing = sub.add_parser("list", help="the added documents: name, id prefix, entries, warnings")
    listing.add_argument("--json", action="store_true", help="as JSON")
    add_config_flags(listing, "kb_dir", "data_dir")
    remove = sub.add_parser("remove", help="remove an added document (its original and its entries)")
    remove.add_argument("name")
    add_config_flags(remove, "kb_dir", "data_dir")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    config = config_from_cli(args)
    try:
        return {"build": _build, "add": _add, "list": _list, "remove": _remove}[args.command](config, args)
    except KBChatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _build(config: Config, args: argparse.Namespace) -> int:
    from indexer.index.build import build_index

    _, _, report = build_index(config, progress=True)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(report.summary())
    return 0


def _add(config: Config, args: argparse.Namespace) -> int:
    from indexer.documents.library import DocumentLibrary

    if args.name and len(args.files) > 1:
        print("error: --name names one document: give one file with it", file=sys.stderr)
        return 2
    library = DocumentLibrary(config)
    failed, changed = 0, False
    for file in args.files:
        try:
            result = library.add_file(Path(file), args.name)
        except DocumentError as exc:  # the others are still added; nothing stored is touched
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        except Exception as exc:  # a converter's own failure: named, no traceback, the others still go in
            logging.getLogger(__name__).debug("adding %s failed", file, exc_info=True)
            print(f"error: {Path(file).name}: cannot be converted ({exc.__class__.__name__}: {exc})", file=sys.stderr)
            failed += 1
            continue
        for note in result.notes + (result.document.warnings if result.status != "unchanged" else []):
            print(f"warning: {note}", file=sys.stderr)
        print(result.summary())
        changed |= result.status != "unchanged"
    if changed:
        _embed_documents(config)
    return 1 if failed else 0


def _remove(config: Config, args: argparse.Namespace) -> int:
    from indexer.documents.library import DocumentLibrary

    doc = DocumentLibrary(config).remove(args.name)
    # Nothing to embed: its stored chunks are dropped at the next update (and reused if it comes back meanwhile).
    print(f"removed {doc.name!r} ({doc.entries} entries, ids {doc.prefix}…)")
    return 0


def _embed_documents(config: Config) -> None:
    """Embeds the new chunks now, so a running app (which notices the change) only has to read them."""
    from indexer.index.documents import build_documents_part
    from indexer.models import load_embedder

    def report(fraction: float, what: str) -> None:
        print(f"  {fraction:4.0%} {what}", file=sys.stderr, flush=True)

    part = build_documents_part(config, load_embedder(config.embed_model, config.cache_dir, config.device),
                                progress=report)
    print(f"documents index: {len(part.chunks)} chunks; embedded {part.embedded}, reused {part.reused} "
          f"in {part.seconds:.1f} s")


def _list(config: Config, args: argparse.Namespace) -> int:
    from indexer.documents.library import DocumentLibrary

    documents = DocumentLibrary(config).documents()
    if args.json:
        print(json.dumps([asdict(d) for d in documents], ensure_ascii=False, indent=2))
        return 0
    if not documents:
        print("no documents added (python -m indexer add FILE…)")
        return 0
    for d in documents:
        print(f"{d.name}\t{d.prefix}\t{d.entries} entries\t{d.answered} with an answer\t{d.structure}\t"
              f"{d.file_name}\t{len(d.warnings)} warnings")
        for warning in d.warnings:
            print(f"    warning: {warning}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
