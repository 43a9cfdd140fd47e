"""Claim checking: each statement of an answer against the reference sentences nearest to it.

The whole-answer question "is everything the candidate says correct?" is where the 1.5B judge fails on short
answers: it reads "leaves things out" as "is wrong", so the correct one-liner "先继承 nn.Module 来定义模型结构。"
got −1.0 and a wrong answer built on a nonexistent `torch.build(config)` −0.1. Shown one statement beside the
reference sentence e5 finds nearest to it, and asked "does it agree?", the same model mostly separates them: on
eval/grading_answers.jsonl the weakest statement of the partial answer scored above the wrong answer's weakest
on 26 of 28 questions (partial −0.7…3.0, wrong −3.7…1.1; the whole-answer question: 23 of 28 after scoring).
Each statement costs one yes/no read (about 1.3 s on 2 cores), so grading checks claims only where the
whole-answer judge doubts the answer (chatbot/interview/graders/judge.py).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from chatbot.calibration import EVIDENCE_SENTENCES
from chatbot.interview.embedding_cache import embed
from chatbot.interview.judge import ask
from chatbot.interview.reference import reference_text
from chatbot.llm.base import ChatModel
from chatbot.rag.safety import neutralise
from indexer.records import Question
from indexer.text import sentences, strip_code

# Not calibration: a time budget. Statements checked, the answer's first: each costs about 1.3 s, and grading aims
# at under 5 s an answer.
MAX_CLAIMS = 4

SYSTEM = "You check statements from a PyTorch job interview against a correct reference answer.\nQuestion: {title}"
ASK = ("Candidate's statement: \"{statement}\"\nWhat the reference says on this: \"{evidence}\"\n"
       "Does the candidate's statement agree with the reference? Answer yes or no.")


@dataclass(frozen=True)
class Claim:
    statement: str  # verbatim from the answer
    evidence: list[str]  # the reference sentence(s) nearest to it, in the reference's order


def claims_of(embedder, question: Question, answer: str) -> list[Claim]:
    """The answer's first statements, each with the reference sentence(s) e5 puts nearest to it."""
    statements = [s for s in sentences(strip_code(answer)) if len(s) >= 4][:MAX_CLAIMS]
    # a code-only reference (E3's one-layer net) is checked against its lines of code
    reference = [s for s in sentences(reference_text(question)) if len(s) >= 6 and not s.startswith("```")]
    if not statements or not reference:
        return []
    near = embed(embedder, statements, "query") @ embed(embedder, reference, "passage").T
    nearest = int(EVIDENCE_SENTENCES.value)
    return [Claim(s, [reference[j] for j in sorted(np.argsort(-near[i])[:nearest])]) for i, s in enumerate(statements)]


def claim_messages(question: Question, claim: Claim) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM.format(title=question.title)},
            {"role": "user", "content": ASK.format(statement=neutralise(claim.statement),
                                                   evidence=neutralise(" ".join(claim.evidence)))}]


def check_claims(model: ChatModel, question: Question, claims: list[Claim],
                 settled: Callable[[float], bool] = lambda _: False) -> list[float]:
    """Log-odds that each claim agrees with its evidence (the model's yes over no), in order, stopping after
    the first one for which `settled` says the rest cannot change the grade (a wrong answer's first statement
    is often plainly false: checking its others took 1.3 s each)."""
    odds: list[float] = []
    for claim in claims:
        odds += ask(model, [claim_messages(question, claim)])
        if settled(odds[-1]):
            break
    return odds
