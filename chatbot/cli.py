"""`python -m chatbot search|ask|eval-retrieval|eval-answers` – the command-line front end."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from indexer.config import Config, add_config_flags


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _read_queries(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SystemExit(f"error: queries file not found: {path}") from None
    except UnicodeDecodeError:
        raise SystemExit(f"error: queries file is not UTF-8 text: {path}") from None


def _format_table(hits) -> str:
    if not hits:
        return "no matching questions"
    rows = [f"{'#':>2}  {'id':<5} {'score':>7}  {'answer':<6}  title"]
    for n, h in enumerate(hits, 1):
        rows.append(f"{n:>2}  {h.question.id:<5} {h.score:>7.4f}  {'yes' if h.question.has_answer else 'title':<6}  "
                    f"{h.question.title}  ({h.question.source}:{h.question.line})")
    return "\n".join(rows)


def cmd_search(args, engine) -> int:
    if args.queries_file:
        for n, query in enumerate(_read_queries(args.queries_file), 1):
            if not query.strip():
                print(f"warning: line {n} of {args.queries_file} is empty; printed []", file=sys.stderr)
                _print_json([])
                continue
            _print_json([h.to_json() for h in engine.retriever.search(query, top_k=engine.config.top_k)])
        return 0
    if not (args.query or "").strip():  # before loading anything: a typo should fail fast
        print("error: the query is empty: type a question, keywords or an id such as Q73 "
              "(or use --queries-file)", file=sys.stderr)
        return 2
    hits = engine.retriever.search(args.query, top_k=engine.config.top_k)
    if args.json:
        _print_json([h.to_json() for h in hits])
    else:
        print(_format_table(hits))
    return 0


def cmd_eval_retrieval(args, engine) -> int:
    from chatbot.evaluation import RETRIEVAL_SET, evaluate_retrieval, format_metrics, load_labelled

    result = evaluate_retrieval(engine.retriever, load_labelled(Path(args.file) if args.file else RETRIEVAL_SET))
    if args.json:
        _print_json(result)
        return 0
    print(format_metrics(result["metrics"]))
    if args.show_misses:
        for miss in result["misses"]:
            print(f"  rank={miss['rank']} {miss['query']!r} want {miss['relevant']} got {miss['got']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chatbot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    search = sub.add_parser("search", help="hybrid search over the knowledge base")
    search.add_argument("query", nargs="?", help="question, keywords or an id such as Q73")
    search.add_argument("--queries-file", help="one query per line; prints JSON Lines in order")
    search.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_config_flags(search, "kb_dir", "cache_dir", "embed_model", "device", "top_k")
    search.set_defaults(func=cmd_search)

    ev = sub.add_parser("eval-retrieval", help="hit@1, hit@5 and MRR@10 on the labelled query set")
    ev.add_argument("--file", help="labelled queries (JSON Lines); default eval/retrieval_queries.jsonl")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--show-misses", action="store_true", help="list queries whose first hit is wrong")
    add_config_flags(ev, "kb_dir", "cache_dir", "embed_model", "device")
    ev.set_defaults(func=cmd_eval_retrieval)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from chatbot.engine import Engine

    config = Config.from_env().apply_args(args)
    if not config.kb_dir.is_dir():
        print(f"error: knowledge-base folder not found: {config.kb_dir}", file=sys.stderr)
        return 2
    return args.func(args, Engine(config))
