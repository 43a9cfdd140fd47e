"""Fits the lead's word weight (chatbot/calibration.py: LEAD_WORDS_WEIGHT): for each question of the facts set
(fit) and the near-KB set (reported only, never fitted on), the lead `choose_lead` gives from the best answered
passage at each weight, and whether it states one of the question's key facts (the set's own regexes).

    python -m chatbot.eval.lead_choice
"""
from __future__ import annotations

import argparse

from chatbot.eval.facts import FACTS_SET, NEARKB_SET, load_fact_questions

WEIGHTS = (0.0, 0.05, 0.1, 0.2)


def main(argv: list[str] | None = None) -> int:
    from chatbot.rag.answerer import LEAD_PASSAGES, LLM_PASSAGES, Answerer
    from chatbot.rag.config import RAGConfig
    from chatbot.rag.engine import Engine
    from chatbot.rag.extractive import answered_passages
    from chatbot.rag.lead import choose_lead

    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    answerer = Answerer(Engine(RAGConfig.from_env(), progress=False))
    for name, path in (("facts (fit)", FACTS_SET), ("near-KB (reported)", NEARKB_SET)):
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
