"""Which sentences lead an answer (chatbot/rag/lead.py).

The word weight (chatbot/calibration.py: LEAD_WORDS_WEIGHT): for each question of the facts set (fit) and the
near-KB set (reported only, never fitted on), the lead `choose_lead` gives from the best answered passage at
each weight, and whether it states one of the question's key facts (the set's own regexes).

The lead's size (`--reports`): given saved `eval-facts --json` reports of both sets, the share of key facts the
answer or a lead of each size states (the answers are the model's; the lead is put before them).

    python -m chatbot.eval.lead_choice [--reports FACTS.json NEARKB.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from chatbot.eval.facts import FACTS_SET, NEARKB_SET, load_fact_questions

WEIGHTS = (0.0, 0.05, 0.1, 0.2)
SIZES = ((2, 160, 1), (4, 360, 1), (4, 360, 2), (6, 600, 2))  # sentences, characters, passages


def main(argv: list[str] | None = None) -> int:
    from chatbot.rag.answerer import LEAD_PASSAGES, LLM_PASSAGES, Answerer
    from chatbot.rag.config import RAGConfig
    from chatbot.rag.engine import Engine
    from chatbot.rag.extractive import answered_passages
    from chatbot.rag.lead import choose_lead

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", nargs=2, type=Path, metavar=("FACTS", "NEARKB"),
                        help="saved eval-facts --json reports of the facts and near-KB sets: compare lead sizes")
    args = parser.parse_args(argv)
    answerer = Answerer(Engine(RAGConfig.from_env(), progress=False))
    sets = (("facts (fit)", FACTS_SET), ("near-KB (reported)", NEARKB_SET))
    if args.reports:
        for (name, path), report in zip(sets, args.reports):
            rows = {r["id"]: r for r in json.loads(report.read_text(encoding="utf-8"))["rows"]}
            items = [(item, answerer.prepare(item.question)) for item in load_fact_questions(path) if item.id in rows]
            total = sum(len(item.facts) for item, _ in items)
            before = sum(len(rows[item.id]["stated"]) for item, _ in items)
            print(f"{name}: key facts stated by the answer {before / total:.3f}; with a lead of")
            for sentences, chars, npass in SIZES:
                stated = 0
                for item, prepared in items:
                    passages = [h.question for h in answered_passages(prepared.hits, LLM_PASSAGES)][:npass]
                    lead = (choose_lead(prepared.question, passages, answerer.checker, max_sentences=sentences,
                                        max_chars=chars) if passages and not prepared.refused else None)
                    text = rows[item.id]["answer"] + (lead.text if lead else "")
                    stated += sum(f.stated_in(text) for f in item.facts)
                print(f"  {sentences} sentences, {chars} characters, {npass} passage(s): {stated / total:.3f}")
        return 0
    for name, path in sets:
        states = {w: {"all": 0, "zh": 0} for w in WEIGHTS}
        counts = {"all": 0, "zh": 0}
        for item in load_fact_questions(path):
            prepared = answerer.prepare(item.question)
            passages = [h.question for h in answered_passages(prepared.hits, LLM_PASSAGES)]
            if prepared.refused or not passages:
                continue
            langs = ("all", "zh") if item.lang == "zh" else ("all",)
            for weight in WEIGHTS:
                lead = choose_lead(prepared.question, passages[:LEAD_PASSAGES], answerer.checker, weight)
                if lead is None:
                    continue
                if weight == WEIGHTS[0]:
                    for lang in langs:
                        counts[lang] += 1
                if any(p.search(lead.text) for fact in item.facts for p in fact.patterns):
                    for lang in langs:
                        states[weight][lang] += 1
        print(f"{name}: leads stating a key fact")
        for weight in WEIGHTS:
            print(f"  weight {weight:<5} all {states[weight]['all']}/{counts['all']}"
                  f"  Chinese {states[weight]['zh']}/{counts['zh']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
