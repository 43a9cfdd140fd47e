"""Claim checking: each statement of an answer against the reference sentences nearest to it.

The whole-answer question "is everything the candidate says correct?" is where the 1.5B judge fails on short
answers: it reads "leaves things out" as "is wrong", so the correct one-liner "先继承 nn.Module 来定义模型结构。"
got −1.0 and a wrong answer built on a nonexistent `torch.build(config)` −0.1. Shown one statement beside the
reference sentence e5 finds nearest to it, and asked "does it agree?", the same model mostly separates them: on
eval/grading_answers.jsonl the weakest statement of the partial answer scored above the wrong answer's weakest
on 26 of 28 questions (partial −0.7…3.0, wrong −3.7…1.1; the whole-answer question: 23 of 28 after scoring).
Each statement costs one yes/no read (about 1.3 s on 2 cores), so grading checks claims only where the
whole-answer judge doubts the answer (chatbot/interview/grading.py).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chatbot.interview.judge import ask
from chatbot.llm.base import ChatModel
from chatbot.rag.safety import neutralise
from indexer.records import Question

SYSTEM = "You check statements from a PyTorch job interview against a correct reference answer.\nQuestion: {title}"
ASK = ("Candidate's statement: \"{statement}\"\nWhat the reference says on this: \"{evidence}\"\n"
       "Does the candidate's statement agree with the reference? Answer yes or no.")


@dataclass(frozen=True)
class Claim:
    statement: str  # verbatim from the answer
    evidence: list[str]  # the reference sentence(s) nearest to it, in the reference's order


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
