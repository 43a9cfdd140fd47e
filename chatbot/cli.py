"""`python -m chatbot search|ask|grade|interview|progress|feedback|eval-*|model-path` – the command-line front end."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import NamedTuple

from chatbot.interview.config import InterviewConfig
from chatbot.interview.limits import MAX_ANSWER_CHARS
from chatbot.rag.limits import MAX_QUESTION_CHARS
from chatbot.store.open import LOCAL_PROFILE
from indexer.config import add_config_flags, config_from_cli
from indexer.errors import KBChatError
from indexer.text import bound_user_text


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise SystemExit(f"error: file not found: {path}") from None
    except IsADirectoryError:
        raise SystemExit(f"error: {path} is a folder, not a file") from None
    except UnicodeDecodeError:
        raise SystemExit(f"error: {path} is not UTF-8 text") from None


class QueryLine(NamedTuple):
    line: int  # 1-based line of the file
    text: str  # the query ("" when the line is empty or could not be read)
    error: str  # why the line could not be read ("" when it could)


def _read_queries(path: str) -> list[QueryLine]:
    """One query per line of plain text, or JSON Lines (`{"q": "…"}` per line, so a query can hold newlines),
    detected by a `.jsonl` name or a first character `{`. In JSON Lines, blank lines are skipped and a line
    that is not such an object is an error of its own line, never of the whole file."""
    lines = _read_lines(path)
    first = next((line.lstrip() for line in lines if line.strip()), "")
    if not (path.endswith(".jsonl") or first.startswith("{")):
        return [QueryLine(n, line, "") for n, line in enumerate(lines, 1)]
    queries = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("q"), str):
                raise ValueError('expected an object with a string "q"')
            queries.append(QueryLine(n, item["q"], ""))
        except ValueError as exc:
            queries.append(QueryLine(n, "", f'line {n} of {path} is not {{"q": "…"}} ({exc})'))
    return queries


def _note_if_cut(text: str, limit: int, what: str) -> str:
    """`text` made safe and cut to `limit` characters, with a note on stderr when it was cut."""
    bounded, cut_from = bound_user_text(text, limit)
    if cut_from:
        print(f"note: the {what} has {cut_from} characters; only the first {limit} were used", file=sys.stderr)
    return bounded


def _model_or_notice(engine):
    """The LLM, or None with a notice on stderr saying why and how to fix it (answers are then extractive,
    grades by embeddings)."""
    model = engine.chat_model()
    if model is None and engine.config.llm_enabled:
        print(f"note: no language model, so answers are extractive and grades by embeddings: {engine.llm_error}",
              file=sys.stderr)
    return model


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
        status = 0
        for item in _read_queries(args.queries_file):
            query = _note_if_cut(item.text, MAX_QUESTION_CHARS, f"query on line {item.line}").strip()
            if item.error or not query:
                print(f"warning: {item.error or f'line {item.line} of {args.queries_file} is empty'}; printed []",
                      file=sys.stderr)
                status = 2 if item.error else status
                _print_json([])
                continue
            _print_json([h.to_json() for h in engine.retriever.search(query, top_k=engine.config.top_k)])
        return status
    query = _note_if_cut(args.query or "", MAX_QUESTION_CHARS, "query").strip()
    if not query:  # before loading anything: a typo should fail fast
        print("error: the query is empty: type a question, keywords or an id such as Q73 "
              "(or use --queries-file)", file=sys.stderr)
        return 2
    hits = engine.retriever.search(query, top_k=engine.config.top_k)
    if args.json:
        _print_json([h.to_json() for h in hits])
    else:
        print(_format_table(hits))
    return 0


def cmd_eval_retrieval(args, engine) -> int:
    from chatbot.eval.retrieval import RETRIEVAL_SET, evaluate_retrieval, format_metrics, load_labelled

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
    from chatbot.records import Delta

    # A terminal cannot take back what it printed, and the growing answer changes at its end (a citation marker
    # moves along, a sentence is dropped): only what two successive versions share is printed, and nothing more
    # once the answer no longer starts with it (a retry); the checked answer is printed whole afterwards.
    printed = previous = ""
    for event in answerer.stream(prepared, history, use_llm=use_llm):
        if isinstance(event, Delta):
            settled = os.path.commonprefix([previous, event.text])
            if stream_to is not None and settled.startswith(printed) and event.text.startswith(printed):
                stream_to.write(settled[len(printed):])
                stream_to.flush()
                printed = settled
            previous = event.text
        else:
            return event.answer
    raise RuntimeError("the answer stream ended without a final answer")


def cmd_ask(args, engine) -> int:
    from chatbot.rag.answerer import Answerer
    from chatbot.rag.followup import Turn

    use_llm = not args.no_llm
    if args.queries_file:
        questions = _read_queries(args.queries_file)
    elif bound_user_text(args.question or "", MAX_QUESTION_CHARS)[0]:
        questions = [QueryLine(0, args.question, "")]
    else:
        print("error: the question is empty: type a question (or use --queries-file)", file=sys.stderr)
        return 2
    if use_llm:
        _model_or_notice(engine)
    answerer = Answerer(engine)
    history: list[Turn] = []
    status = 0
    for item in questions:
        question = item.text
        if item.error or not bound_user_text(question, MAX_QUESTION_CHARS)[0]:
            where = f"line {item.line}" if item.line else "the question"
            print(f"warning: {item.error or f'{where} is empty'}; printed an error object", file=sys.stderr)
            _print_json({"question": question, "error": item.error or "empty question"})
            status = 2 if item.error else status
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
    return status


def _run_report(args, engine, evaluate, default_set: Path, render, **extra) -> int:
    """The shared shape of the eval-* commands: evaluate a labelled set, print JSON or the readable report."""
    report = evaluate(engine, Path(args.file) if args.file else default_set, use_llm=not args.no_llm,
                      limit=args.limit, **extra)
    if args.json:
        _print_json(report)
    else:
        print(render(report))
    return 0


def cmd_eval_answers(args, engine) -> int:
    from chatbot.eval.answers import ANSWER_SET, evaluate_answers, format_report

    return _run_report(args, engine, evaluate_answers, ANSWER_SET, format_report)


def cmd_eval_grading(args, engine) -> int:
    from chatbot.eval.grading import GRADING_SET, evaluate_grading, format_grading_report

    return _run_report(args, engine, evaluate_grading, GRADING_SET, format_grading_report)


def cmd_eval_facts(args, engine) -> int:
    from chatbot.eval.facts import FACTS_SET, evaluate_facts, format_facts_report, rescore_facts

    if args.rescore:  # a saved report's answers, scored again with the current labels: no model, no index
        try:
            saved = json.loads(Path(args.rescore).read_text(encoding="utf-8"))
            report = rescore_facts(saved, Path(args.file) if args.file else FACTS_SET)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"error: cannot rescore {args.rescore}: not a readable eval-facts --json report ({exc})",
                  file=sys.stderr)
            return 2
        _print_json(report) if args.json else print(format_facts_report(report, show=args.show))
        return 0

    def progress(row: dict) -> None:
        print(f"{row['id']} [{row['mode']}] facts {len(row['stated'])}/{row['facts']} false {len(row['false_claims'])} "
              f"{row['total_ms'] / 1000:.1f} s", file=sys.stderr, flush=True)

    def evaluate(engine, path: Path, **kwargs) -> dict:
        report = evaluate_facts(engine, path, progress=progress, **kwargs)
        if args.pairs_out:
            from chatbot.eval.facts import citation_candidates
            from indexer.runtime import write_text_atomic

            pairs = citation_candidates(engine, report["rows"])
            write_text_atomic(Path(args.pairs_out), "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs))
            print(f"wrote {len(pairs)} sentence-passage pairs to label to {args.pairs_out}", file=sys.stderr)
        return report

    return _run_report(args, engine, evaluate, FACTS_SET, lambda r: format_facts_report(r, show=args.show))


def _grade_one(engine, qid_text: str, answer: str, model) -> tuple[dict, int]:
    """(JSON object, exit status) for one answer; an unknown or title-only id is the user's error (2)."""
    from chatbot.interview.grading import grade_answer
    from indexer.ids import parse_question_id

    qid_text = bound_user_text(str(qid_text), 40)[0]
    answer = _note_if_cut(answer, MAX_ANSWER_CHARS, f"answer to {qid_text}")
    qid = parse_question_id(qid_text, engine.index.questions)
    if qid is None:
        return {"id": qid_text, "error": f"unknown question id {qid_text!r} (e.g. Q73 or E5)"}, 2
    question = engine.index.questions[qid]
    if not question.has_answer:
        return {"id": qid, "error": f"{qid} has no reference answer in the knowledge base, so it cannot be "
                                    "graded"}, 2
    grade = grade_answer(engine.index.embedder, question, answer, chat_model=model)
    return {"id": qid, **grade.to_json()}, 0


def cmd_grade(args, engine) -> int:
    model = None if args.no_llm or not engine.config.llm_grading else _model_or_notice(engine)
    if args.answers_file:
        status = 0
        for n, line in enumerate(_read_lines(args.answers_file), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                qid, answer = item["id"], item["answer"]
                if not isinstance(answer, str):
                    raise TypeError("answer must be a string")
            except (ValueError, KeyError, TypeError) as exc:
                print(f"error: line {n} of {args.answers_file} is not an object with \"id\" and \"answer\" "
                      f"({exc})", file=sys.stderr)
                _print_json({"line": n, "error": "expected {\"id\": …, \"answer\": …}"})
                status = 2
                continue
            result, code = _grade_one(engine, qid, answer, model)
            if code:
                print(f"error: line {n}: {result['error']}", file=sys.stderr)
                status = 2
            _print_json(result)
        return status
    if not args.question:
        print("error: give --question ID and --answer TEXT, or --answers-file FILE", file=sys.stderr)
        return 2
    result, code = _grade_one(engine, args.question, args.answer or "", model)
    if code:
        print(f"error: {result['error']}", file=sys.stderr)
        return code
    if args.json:
        _print_json(result)
    else:
        by = "no answer to grade" if result["graded_by"] == "none" else f"graded by {result['graded_by']}"
        print(f"{result['id']}: {result['score']:g}/10 ({by})\n\n{result['feedback']}")
    return 0


def _open_store(config):
    """The progress store, with what happened on opening and why nothing will be saved (if so) on stderr."""
    from chatbot.store.open import open_store

    store = open_store(config.database_url, config.data_dir)
    if store.opened.notice:
        print(f"note: {store.opened.notice}", file=sys.stderr)
    if not store.available:
        print(f"note: progress is not saved: {store.problem}", file=sys.stderr)
    return store


def _profile(args) -> str | None:
    """The --profile name, checked; None (after a message) when it cannot be used."""
    from chatbot.interview.practice import check_profile

    try:
        return check_profile(args.profile)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def cmd_interview(args, engine) -> int:
    """A mock interview in the terminal: ask, read the answer (an empty line skips), grade, save, summarise."""
    from fsrs import Rating

    from chatbot.interview.practice import Practice
    from chatbot.interview.report import format_summary_markdown, reference_markdown, summary
    from chatbot.interview.review import RATING_NAMES
    from chatbot.interview.session import hint
    from chatbot.interview.warm_prompts import warm_judge_while_typing
    from chatbot.store.errors import StoreError

    profile = _profile(args)
    if profile is None:
        return 2
    store = _open_store(engine.config)
    practice = Practice(store, engine.index.questions.values())
    try:
        session = practice.start(profile, args.topics, args.n, series=args.series, mode=args.mode)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model = None if args.no_llm or not engine.config.llm_grading else _model_or_notice(engine)
    print(f"Profile {profile!r}, {session.mode} questions. Answer each question (end with an empty line; '?' alone "
          "for a hint, 'skip' to skip, Ctrl-D to stop).\n")
    while (item := session.current()) is not None:
        q = item.question
        print(f"[{session.position + 1}/{len(session.items)}] {q.id} {q.title}")
        if model is not None:
            warm_judge_while_typing(engine, q)
        lines: list[str] = []
        try:
            while True:
                line = input("> " if not lines else "  ")
                if line.strip() == "?" and not lines:
                    print(hint(session))
                    continue
                if not line.strip():
                    break
                lines.append(line)
        except EOFError:
            print()
            break
        text = _note_if_cut("\n".join(lines), MAX_ANSWER_CHARS, "answer").strip()
        if not text or text.lower() == "skip":
            practice.skip(session)
            print("skipped (rated Again).\n" + reference_markdown(q, "zh") + "\n")
            if item.not_saved:
                print(f"note: not saved: {item.not_saved}", file=sys.stderr)
            continue
        grade = practice.answer(session, engine.index.embedder, text, chat_model=model)
        print(f"\nscore {grade.score:g}/10\n{grade.feedback}\n")
        if item.not_saved:
            print(f"note: this grade was not saved: {item.not_saved}", file=sys.stderr)
            continue
        suggested = RATING_NAMES[Rating(item.rating)]
        try:
            choice = input(f"rating {suggested} (Enter keeps it, or type again / hard / good / easy): ").strip()
        except EOFError:
            choice = ""
        if choice:
            try:
                _, card = practice.rerate(session, choice)
                print(f"rated {RATING_NAMES[Rating(item.rating)]}: next review {card.due:%Y-%m-%d}")
            except (ValueError, StoreError) as exc:
                print(f"note: rating kept as {suggested}: {exc}", file=sys.stderr)
        print()
    print(format_summary_markdown(summary(session), language="zh" if args.lang == "zh" else "en"))
    store.close()
    return 0


def _questions(config) -> list:
    """The knowledge base's questions, read from kb/ (no index or model needed)."""
    from indexer.kb.parser import parse_kb

    return parse_kb(config.kb_dir).questions


def _confirm_reset(args, profile: str, answers: int) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print("error: --reset deletes the profile's interview history: add --yes to confirm", file=sys.stderr)
        return False
    reply = input(f"Delete {answers} graded answers of profile {profile!r}? Type the profile name to confirm: ")
    return reply.strip() == profile


def cmd_progress(args, engine) -> int:
    """Progress figures, and a profile's history out (JSON Lines, CSV, Anki) and in, or reset."""
    from datetime import UTC, datetime

    from chatbot.interview import anki, history_io
    from chatbot.interview.progress import build_progress, format_progress_text
    from chatbot.store.errors import StoreError

    profile = _profile(args)
    if profile is None:
        return 2
    store = _open_store(engine.config)
    if not store.available:
        print(f"error: the progress database cannot be used: {store.problem}", file=sys.stderr)
        return 2
    try:
        if args.import_file:
            path = Path(args.import_file)
            if not path.is_file():
                print(f"error: file not found: {path}", file=sys.stderr)
                return 2
            result = history_io.import_history(store, profile, path)
            for error in result.errors:
                print(f"error: {error} (line skipped)", file=sys.stderr)
            print(f"imported {result.imported} answers into {profile!r}"
                  + (f", {result.duplicates} already there" if result.duplicates else "")
                  + (f", {len(result.errors)} lines skipped" if result.errors else ""))
            return 2 if result.errors else 0
        if args.reset:
            if not _confirm_reset(args, profile, len(store.answers(profile))):
                print("nothing deleted", file=sys.stderr)
                return 2
            print(f"deleted {store.reset(profile)} graded answers of {profile!r}")
            return 0
        if args.export:
            path = Path(args.export)
            answers = store.answers(profile)
            text = history_io.export_text(answers, history_io.format_of(path))
            from indexer.runtime import write_text_atomic

            write_text_atomic(path, text)
            print(f"wrote {len(answers)} answers of {profile!r} to {path}")  # a CSV field may hold line breaks
            return 0
        if args.export_anki:
            return _export_anki(args, engine, store, profile, anki)
        report = build_progress(store, profile, _questions(engine.config), datetime.now(UTC))
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if args.json:
        _print_json(report.to_json())
    else:
        print(format_progress_text(report))
    return 0


def _export_anki(args, engine, store, profile: str, anki) -> int:
    from chatbot.interview.topics import TOPICS, topic_of
    from chatbot.interview.twins import card_keys

    questions = [q for q in _questions(engine.config) if q.has_answer and not q.same_as]
    unknown = [t for t in args.topics if t not in TOPICS]
    if unknown:
        print(f"error: unknown topic(s) {', '.join(unknown)}: choose from {', '.join(TOPICS)}", file=sys.stderr)
        return 2
    if args.topics:
        questions = [q for q in questions if topic_of(q) in args.topics]
    if args.weakest:
        keys = card_keys(questions)
        weakest = [c.card_key for c in sorted(store.cards(profile), key=lambda c: (c.last_score, c.card_key))]
        rank = {key: n for n, key in enumerate(weakest)}
        questions = sorted((q for q in questions if keys.get(q.id, q.id) in rank and keys.get(q.id) == q.id),
                           key=lambda q: rank[keys[q.id]])[:args.weakest]
    if not questions:
        print("error: no question to export (none answered yet for --weakest, or no question in those topics)",
              file=sys.stderr)
        return 2
    n = anki.write_deck(questions, Path(args.export_anki))
    print(f"wrote {n} questions to {args.export_anki} (an Anki deck)")
    return 0


def cmd_feedback(args, engine) -> int:
    """The 👍/👎 given in the Chat tab, as a labelled set in eval-answers' shape (one JSON object a line)."""
    from chatbot.rag.language import detect_language
    from chatbot.store.errors import StoreError
    from indexer.runtime import write_text_atomic

    store = _open_store(engine.config)
    try:
        rows = store.feedback(args.profile or None)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    lines = [json.dumps({"question": r.question, "lang": detect_language(r.question), "in_scope": True,
                         "expected": r.sources, "answer": r.answer, "label": "good" if r.liked else "bad",
                         "liked": r.liked, "model": r.model, "profile": r.profile,
                         "created_at": r.created_at.isoformat() if r.created_at else None}, ensure_ascii=False)
             for r in rows]
    try:
        write_text_atomic(Path(args.export), "".join(line + "\n" for line in lines))
    except OSError as exc:
        print(f"error: cannot write {args.export} ({exc.strerror})", file=sys.stderr)
        return 2
    print(f"wrote {len(lines)} rated answers ({sum(r.liked for r in rows)} 👍, {sum(not r.liked for r in rows)} 👎) "
          f"to {args.export}")
    return 0


def cmd_model_path(args, engine) -> int:
    """Prints the path of a packaged model's assembled, sha256-checked GGUF (for llama.cpp's server)."""
    from chatbot.llm import packaged
    from chatbot.llm.errors import ModelUnavailable

    try:
        path = packaged.ensure_gguf(args.name, Path(engine.config.cache_dir).expanduser(), progress=True)
    except ModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if args.name not in packaged.REGISTRY else 1
    print(path)
    return 0


def cmd_warm(args, engine) -> int:
    """Builds every saved prompt state the app's background warmer would build and translates the lead sentences
    English questions most likely get, then exits; a second run skips what is saved already (for an image build:
    the first questions are then as quick as later ones)."""
    from chatbot.interview.warm_prompts import warm_sources
    from chatbot.rag.citations import CitationChecker
    from chatbot.rag.translation import LeadTranslator, TranslationStore, warm_translations
    from chatbot.rag.warmup import warm_all
    from indexer.runtime import progress_bar

    model = engine.chat_model()
    if model is None:
        print(f"error: no language model to warm: {engine.llm_error or 'the LLM is disabled'}", file=sys.stderr)
        return 2
    if not model.supports_prompt_states:
        print(f"error: the {model.backend} backend keeps no saved prompt states; nothing to warm", file=sys.stderr)
        return 2
    questions = list(engine.index.questions.values())
    checker = CitationChecker(engine.index)  # the entries' sentence vectors, kept beside the index
    answered = [q.id for q in questions if q.has_answer]
    vectors_bar = progress_bar(len(answered), "sentence vectors", enabled=not args.json)
    for qid in answered:
        checker.prose_of(qid)
        vectors_bar.update(1)
    vectors_bar.close()
    embedded = engine.index.sentences.embedded if engine.index.sentences is not None else 0
    prompts = [m for source in warm_sources(questions, grading=engine.config.llm_grading) for m in source]
    bar = progress_bar(len(prompts), "prompt states", enabled=not args.json)
    report = warm_all(model, prompts, lambda _: bar.update(1))  # called once per prompt done
    bar.close()
    # the English lead's translations of each entry's likely lead sentences (chatbot/rag/translation.py)
    started = time.monotonic()
    translator = LeadTranslator(model, checker, TranslationStore(engine.config.cache_dir))
    bar = progress_bar(len(questions), "lead translations", enabled=not args.json)
    translated, stored = warm_translations(translator, questions, bar.update)
    bar.close()
    result = {"prompts": len(prompts), "built": report.built, "already_saved": report.present,
              "failed": report.failed, "budget_reached": report.budget_reached,
              "seconds": round(report.seconds, 1), "fill": round(model.prompt_state_fill(), 3),
              "sentence_vectors_embedded": embedded, "translated": translated, "translations_stored": stored,
              "translation_seconds": round(time.monotonic() - started, 1)}
    if args.json:
        _print_json(result)
    else:
        print(f"{report.built} prompt states built, {report.present} already saved, {report.failed} failed "
              f"({report.seconds:.0f} s); the store is {result['fill']:.0%} full; {embedded} sentence vectors "
              f"embedded; {translated} lead sentences translated, {stored} already stored "
              f"({result['translation_seconds']:.0f} s)")
        if report.budget_reached:
            print("the state budget is nearly full: raise --state-cache-mb to warm the rest", file=sys.stderr)
    return 0 if not report.failed else 1


def _setting_flags(parser: argparse.ArgumentParser, *names: str) -> None:
    # every command's settings are the interview's (the most derived it needs: no login or port here)
    add_config_flags(parser, *names, config=InterviewConfig)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chatbot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    search = sub.add_parser("search", help="hybrid search over the knowledge base")
    search.add_argument("query", nargs="?", help="question, keywords or an id such as Q73")
    search.add_argument("--queries-file", help="one query per line; prints JSON Lines in order")
    search.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _setting_flags(search, "kb_dir", "cache_dir", "data_dir", "embed_model", "device", "top_k")
    search.set_defaults(func=cmd_search)

    ask = sub.add_parser("ask", help="a grounded answer from the local LLM, with checked citations")
    ask.add_argument("question", nargs="?", help="the question, in Chinese or English")
    ask.add_argument("--queries-file", help="one question per line; prints JSON Lines in order")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--no-llm", action="store_true", help="extractive answer without a language model")
    ask.add_argument("--conversation", action="store_true",
                     help="treat the lines of --queries-file as one conversation (follow-ups resolved)")
    _setting_flags(ask, "kb_dir", "cache_dir", "data_dir", "embed_model", "llm_model", "llm_backend", "device",
                     "top_k", "max_new_tokens")
    ask.set_defaults(func=cmd_ask)

    qa = sub.add_parser("eval-answers", help="answer-quality report: citations, refusals, language")
    qa.add_argument("--file", help="questions (JSON Lines); default eval/answer_questions.jsonl")
    qa.add_argument("--json", action="store_true")
    qa.add_argument("--no-llm", action="store_true")
    qa.add_argument("--limit", type=int, default=0, help="only the first N questions")
    _setting_flags(qa, "kb_dir", "cache_dir", "embed_model", "llm_model", "llm_backend", "device")
    qa.set_defaults(func=cmd_eval_answers)

    grade = sub.add_parser("grade", help="grade an interview answer against the reference")
    grade.add_argument("--question", help="question id, e.g. Q73")
    grade.add_argument("--answer", help="the answer to grade")
    grade.add_argument("--answers-file", help="JSON Lines of {\"id\": …, \"answer\": …}; one result line each")
    grade.add_argument("--json", action="store_true")
    grade.add_argument("--no-llm", action="store_true", help="embedding grade only")
    _setting_flags(grade, "kb_dir", "cache_dir", "embed_model", "llm_model", "llm_backend", "device", "llm_grading")
    grade.set_defaults(func=cmd_grade)

    iv = sub.add_parser("interview", help="a mock interview in the terminal")
    iv.add_argument("--topics", nargs="*", default=[], help="topic keys (default: all)")
    iv.add_argument("-n", type=int, default=5, help="number of questions")
    iv.add_argument("--series", default="all", help="all, or one series name (main, interview)")
    iv.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the summary")
    iv.add_argument("--no-llm", action="store_true", help="embedding grade only")
    iv.add_argument("--profile", default=LOCAL_PROFILE, help=f"whose progress (default {LOCAL_PROFILE!r})")
    choice = iv.add_mutually_exclusive_group()
    choice.add_argument("--due", dest="mode", action="store_const", const="due",
                        help="questions due for review (the default when any are due)")
    choice.add_argument("--new", dest="mode", action="store_const", const="new", help="questions never answered")
    choice.add_argument("--weak", dest="mode", action="store_const", const="weak", help="weakest topics first")
    choice.add_argument("--random", dest="mode", action="store_const", const="random",
                        help="a random set (the default when nothing is due)")
    _setting_flags(iv, "kb_dir", "cache_dir", "data_dir", "embed_model", "llm_model", "llm_backend", "device",
                   "llm_grading")
    iv.set_defaults(func=cmd_interview, mode=None)

    pr = sub.add_parser("progress", help="interview progress: figures, export / import / reset, an Anki deck")
    pr.add_argument("--profile", default=LOCAL_PROFILE, help=f"whose progress (default {LOCAL_PROFILE!r})")
    pr.add_argument("--json", action="store_true", help="print the figures as JSON")
    what = pr.add_mutually_exclusive_group()
    what.add_argument("--export", metavar="F", help="write the history to F.jsonl or F.csv")
    what.add_argument("--import", dest="import_file", metavar="F", help="add the history in F (.jsonl or .csv)")
    what.add_argument("--reset", action="store_true", help="delete the profile's interview history")
    what.add_argument("--export-anki", metavar="F", help="write questions to F.apkg (an Anki deck)")
    pr.add_argument("--yes", action="store_true", help="confirm --reset without asking")
    pr.add_argument("--topics", nargs="*", default=[], help="--export-anki: only these topics")
    pr.add_argument("--weakest", type=int, default=0, metavar="N", help="--export-anki: the N weakest answered")
    _setting_flags(pr, "kb_dir", "data_dir")
    pr.set_defaults(func=cmd_progress)

    fb = sub.add_parser("feedback", help="export the 👍/👎 given to chat answers as a labelled set")
    fb.add_argument("--export", metavar="F", required=True, help="write the labelled answers to F (JSON Lines)")
    fb.add_argument("--profile", default="", help="one profile's only (default: every profile's)")
    _setting_flags(fb, "kb_dir", "data_dir")
    fb.set_defaults(func=cmd_feedback)

    eg = sub.add_parser("eval-grading", help="grading quality on eval/grading_answers.jsonl")
    eg.add_argument("--file", help="labelled answers (JSON Lines); default eval/grading_answers.jsonl")
    eg.add_argument("--json", action="store_true")
    eg.add_argument("--no-llm", action="store_true")
    eg.add_argument("--limit", type=int, default=0)
    _setting_flags(eg, "kb_dir", "cache_dir", "embed_model", "llm_model", "llm_backend", "device")
    eg.set_defaults(func=cmd_eval_grading)

    facts = sub.add_parser("eval-facts", help="correctness: key facts, false claims, degenerate answers, citations")
    facts.add_argument("--file", help="questions (JSON Lines); default eval/facts_questions.jsonl")
    facts.add_argument("--json", action="store_true")
    facts.add_argument("--no-llm", action="store_true")
    facts.add_argument("--show", action="store_true", help="print the answers that miss facts")
    facts.add_argument("--limit", type=int, default=0, help="only the first N questions")
    facts.add_argument("--pairs-out", help="also write the answers' sentence-passage pairs (JSON Lines) for labelling")
    facts.add_argument("--rescore", metavar="REPORT",
                       help="score a saved --json report's answers again with the current labels (any version's "
                            "answers; nothing generated)")
    _setting_flags(facts, "kb_dir", "cache_dir", "embed_model", "llm_model", "llm_backend", "device",
                     "max_new_tokens")
    facts.set_defaults(func=cmd_eval_facts)

    wm = sub.add_parser("warm", help="build every saved prompt state the app would build in the background, then exit")
    wm.add_argument("--json", action="store_true")
    _setting_flags(wm, "kb_dir", "cache_dir", "embed_model", "llm_model", "llm_backend", "device", "llm_grading",
                   "state_cache_mb")
    wm.set_defaults(func=cmd_warm)

    mp = sub.add_parser("model-path", help="print the path of a packaged model's checked GGUF (assembled if needed)")
    mp.add_argument("name", help="qwen-0.5b or qwen-1.5b")
    _setting_flags(mp, "kb_dir", "cache_dir")
    mp.set_defaults(func=cmd_model_path)

    ev = sub.add_parser("eval-retrieval", help="hit@1, hit@5 and MRR@10 on the labelled query set")
    ev.add_argument("--file", help="labelled queries (JSON Lines); default eval/retrieval_queries.jsonl")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--show-misses", action="store_true", help="list queries whose first hit is wrong")
    _setting_flags(ev, "kb_dir", "cache_dir", "embed_model", "device")
    ev.set_defaults(func=cmd_eval_retrieval)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from chatbot.rag.engine import Engine

    config = config_from_cli(args, InterviewConfig)
    try:
        return args.func(args, Engine(config))
    except KBChatError as exc:  # a deliberate error says what to do; no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
