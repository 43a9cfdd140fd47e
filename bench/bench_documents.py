"""Adding documents: a generated 200-page PDF of questions from file to searchable (each stage timed, peak
memory), then search latency with 10 added documents against none. Printed as Markdown tables.

    python -m bench.bench_documents              # 200 pages, 10 documents
    python -m bench.bench_documents --pages 20   # quicker
    python -m bench.bench_documents --own-titles # the documents already added (KBCHAT_DATA_DIR): is each entry
                                                 # the first hit for its own title?

Runs in a temporary data folder and cache (the shipped index is copied in, so only the documents are embedded).
Figures are printed, never asserted: these machines are noisy.
"""
from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from chatbot.eval.retrieval import load_labelled
from chatbot.rag.engine import Engine
from chatbot.ui.config import WebConfig
from indexer.documents.library import DocumentLibrary
from indexer.index.build import open_index
from indexer.index.store import index_dir
from indexer.models import load_embedder

SUBJECTS = ["hash map", "binary search", "TCP handshake", "garbage collector", "B-tree index", "mutex", "cache line",
            "load balancer", "message queue", "virtual memory", "bloom filter", "consistent hashing", "event loop",
            "thread pool", "write-ahead log", "skip list", "rate limiter", "DNS lookup", "CAP theorem", "LRU cache"]
ASPECTS = ["What is a {s} and when is it used?", "How does a {s} fail under load?", "Explain the cost of a {s}.",
           "Compare a {s} with its usual alternative.", "How would you test a {s}?"]
QUESTIONS_PER_PAGE = 6


def generated_questions(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        subject = SUBJECTS[k % len(SUBJECTS)]
        title = ASPECTS[(k // len(SUBJECTS)) % len(ASPECTS)].format(s=subject) + f" (case {k + 1})"
        words = rng.sample(["latency", "throughput", "memory", "locking", "ordering", "failure", "retries",
                            "amortised", "worst case", "eviction", "replication", "backpressure"], 4)
        answer = (f"A {subject} trades {words[0]} against {words[1]}. In practice the {words[2]} behaviour "
                  f"decides it, and {words[3]} is what interviewers probe next. Case {k + 1} adds a concrete "
                  f"example with numbers for the {subject}.")
        out.append((title, answer))
    return out


def question_pdf(path: Path, pages: int) -> int:
    import pymupdf

    questions = generated_questions(pages * QUESTIONS_PER_PAGE, seed=1)
    doc = pymupdf.open()
    for p in range(pages):
        block = questions[p * QUESTIONS_PER_PAGE:(p + 1) * QUESTIONS_PER_PAGE]
        text = "\n".join(f"{p * QUESTIONS_PER_PAGE + i + 1}. {title}\n{answer}\n" for i, (title, answer) in
                         enumerate(block))
        doc.new_page().insert_textbox(pymupdf.Rect(40, 40, 560, 810), text, fontsize=9)
    doc.save(path)
    doc.close()
    return len(questions)


def markdown_doc(path: Path, n: int, seed: int) -> None:
    questions = generated_questions(n, seed)
    path.write_text("".join(f"## {i}. {t}\n\n{a}\n\n" for i, (t, a) in enumerate(questions, 1)), encoding="utf-8")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def hit_at_1(engine: Engine, labelled) -> float:
    """Share of the labelled (shipped) queries whose first hit is right: added documents must not push them down."""
    return sum(engine.retriever.search(q.query, 1)[0].question.id in q.relevant for q in labelled) / len(labelled)


def search_ms(engine: Engine, queries: list[str]) -> tuple[float, float]:
    engine.retriever.search(queries[0], 5)
    samples = []
    for q in queries:
        t = time.perf_counter()
        engine.retriever.search(q, 5)
        samples.append((time.perf_counter() - t) * 1000)
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def own_titles(config: WebConfig) -> None:
    """Per added document: how many entries are the first search hit for their own title."""
    engine = Engine(config, progress=False)
    found: dict[str, list[bool]] = {}
    for q in engine.index.questions.values():
        if q.document:
            top = engine.retriever.search(q.title, 1)[0].question
            found.setdefault(q.document, []).append(top.id == q.id or top.title == q.title)
    print("| document | entries | first hit for their own title |\n|---|---|---|")
    for name, ok in found.items():
        print(f"| {name} | {len(ok)} | {sum(ok)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--own-titles", action="store_true", help="check the documents already added instead")
    args = parser.parse_args()
    base = WebConfig.from_env()
    if args.own_titles:
        own_titles(base)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = replace(base, cache_dir=folder / "cache", data_dir=folder / "data", max_document_mb=200)
        shutil.copytree(index_dir(base.cache_dir), index_dir(config.cache_dir))
        embedder = load_embedder(config.embed_model, base.cache_dir, config.device)
        engine = Engine(config, progress=False, index=open_index(config, embedder=embedder, progress=False))
        labelled = load_labelled()
        queries = [item.query for item in labelled][:200]
        no_docs = search_ms(engine, queries)
        hit1_before = hit_at_1(engine, labelled)
        rss_before = peak_rss_mb()

        pdf = folder / "questions.pdf"
        n_questions = question_pdf(pdf, args.pages)
        library = DocumentLibrary(config)
        t0 = time.perf_counter()
        added = library.add_file(pdf)
        t1 = time.perf_counter()
        engine.refresh_documents()  # embeds the new chunks, then swaps them in
        t2 = time.perf_counter()
        probe = generated_questions(n_questions, seed=1)[n_questions // 2][0]
        top = engine.retriever.search(probe, 1)[0].question
        t3 = time.perf_counter()
        part = engine.index.report
        print(f"## A {args.pages}-page PDF ({pdf.stat().st_size / 1e6:.1f} MB, {n_questions} questions)\n")
        print("| stage | seconds |\n|---|---|")
        print(f"| convert + find entries + store | {t1 - t0:.1f} |")
        print(f"| embed {part.n_chunks - len(engine.index.shipped.chunks) if engine.index.shipped else '?'} "
              f"chunks + swap into the index | {t2 - t1:.1f} |")
        print(f"| first search | {(t3 - t2) * 1000:.0f} ms |")
        print(f"| **file to searchable** | **{t3 - t0:.1f}** |\n")
        print(f"entries found: {added.document.entries} of {n_questions} ({added.document.answered} with an answer); "
              f"the probe question's top hit: {top.id} {'(right)' if top.title == probe else '(WRONG)'}")
        print(f"peak RSS: {rss_before:.0f} MB before the PDF, {peak_rss_mb():.0f} MB after\n")

        for n in range(1, args.documents):
            doc = folder / f"notes-{n}.md"
            markdown_doc(doc, 60, seed=100 + n)
            library.add_file(doc)
        engine.refresh_documents()
        with_docs = search_ms(engine, queries)
        hit1_after = hit_at_1(engine, labelled)
        print(f"## Search with {args.documents} added documents ({len(engine.index.chunks)} chunks)\n")
        print(f"| index | search p50 ms | p95 ms | hit@1, {len(labelled)} labelled shipped queries |\n|---|---|---|---|")
        print(f"| shipped only | {no_docs[0]:.1f} | {no_docs[1]:.1f} | {hit1_before:.3f} |")
        print(f"| + {args.documents} documents | {with_docs[0]:.1f} | {with_docs[1]:.1f} | {hit1_after:.3f} |")


if __name__ == "__main__":
    main()
