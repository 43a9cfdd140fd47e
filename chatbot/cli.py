"""`python -m chatbot search|ask|eval-retrieval|eval-answers` – the command-line front end."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from indexer.config import add_config_flags, config_from_cli


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


def _ask_one(answerer, question: str, history, *, use_llm: bool, stream_to=None):
    prepared = answerer.prepare(question, history)
    shown, final = "", None
    for event in answerer.stream(prepared, history, use_llm=use_llm):
        if isinstance(event, str):
            if stream_to is not None and event.startswith(shown):
                stream_to.write(event[len(shown):])
                stream_to.flush()
            shown = event
        else:
            final = event
    return final


def cmd_ask(args, engine) -> int:
    from chatbot.answerer import Answerer
    from chatbot.followup import Turn

    use_llm = not args.no_llm
    if args.queries_file:
        questions = _read_queries(args.queries_file)
    elif (args.question or "").strip():
        questions = [args.question]
    else:
        print("error: the question is empty: type a question (or use --queries-file)", file=sys.stderr)
        return 2
    answerer = Answerer(engine)
    history: list[Turn] = []
    for n, question in enumerate(questions, 1):
        if not question.strip():
            print(f"warning: line {n} is empty; printed an error object", file=sys.stderr)
            _print_json({"question": question, "error": "empty question"})
            continue
        streaming = not args.json
        answer = _ask_one(answerer, question, history if args.conversation else [], use_llm=use_llm,
                          stream_to=sys.stdout if streaming else None)
        if args.conversation:
            history.append(Turn(question, answer.resolved_query, answer.text))
        if args.json:
            _print_json(answer.to_json())
        else:
            # The streamed text had the model's raw markers removed; print the checked, cited version.
            print("\n\n--- checked answer ---\n" + answer.text)
            sources = ", ".join(f"{h.question.id} {h.question.title}" for h in answer.sources) or "none"
            print(f"\ncitations: {answer.citations or 'none'}  |  sources: {sources}  |  mode: {answer.mode}"
                  f"  |  first token {answer.first_token_ms:.0f} ms, total {answer.total_ms:.0f} ms")
    return 0


def cmd_eval_answers(args, engine) -> int:
    from chatbot.answer_quality import ANSWER_SET, evaluate_answers, format_report

    report = evaluate_answers(engine, Path(args.file) if args.file else ANSWER_SET, use_llm=not args.no_llm,
                              limit=args.limit)
    if args.json:
        _print_json(report)
    else:
        print(format_report(report))
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

    ask = sub.add_parser("ask", help="a grounded answer from the local LLM, with checked citations")
    ask.add_argument("question", nargs="?", help="the question, in Chinese or English")
    ask.add_argument("--queries-file", help="one question per line; prints JSON Lines in order")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--no-llm", action="store_true", help="extractive answer without a language model")
    ask.add_argument("--conversation", action="store_true",
                     help="treat the lines of --queries-file as one conversation (follow-ups resolved)")
    add_config_flags(ask, "kb_dir", "cache_dir", "embed_model", "llm_model", "llm_backend", "device", "top_k",
                     "max_new_tokens")
    ask.set_defaults(func=cmd_ask)

    qa = sub.add_parser("eval-answers", help="answer-quality report: citations, refusals, language")
    qa.add_argument("--file", help="questions (JSON Lines); default eval/answer_questions.jsonl")
    qa.add_argument("--json", action="store_true")
    qa.add_argument("--no-llm", action="store_true")
    qa.add_argument("--limit", type=int, default=0, help="only the first N questions")
    add_config_flags(qa, "kb_dir", "cache_dir", "embed_model", "llm_model", "llm_backend", "device")
    qa.set_defaults(func=cmd_eval_answers)

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

    config = config_from_cli(args)
    return args.func(args, Engine(config))
