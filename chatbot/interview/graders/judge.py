"""The LLM judge's grade: yes/no log-odds of three questions (chatbot/interview/judge.py), and, where the judge
doubts the answer, each statement checked against the reference sentence nearest to it (chatbot/interview/claims.py).

score = 10 × (CORRECT_SHARE × correctness + (1 − CORRECT_SHARE) × completeness), where correctness is "is
everything correct?" mapped over CORRECT_LOW…CORRECT_HIGH, or, for an answer the judge doubts ("correct?" below
CORRECT_LOW), "correct?" plus CLAIM_WEIGHT × the weakest statement's "agrees?" mapped over CORRECT_LOW…CHECKED_HIGH;
completeness is "covers the key points?" mapped over COMPLETE_LOW…COMPLETE_HIGH. "correct?" below WRONG_BELOW or a
statement below CLAIM_FALSE_BELOW: false (capped at WRONG_CAP); "answers the question?" below OFF_TOPIC_BELOW:
another concept (capped at OTHER_TOPIC_CAP). The constants, and the data they were fitted on, are in
chatbot/calibration.py.

The key-point lists come from the embedding grade, which is also the grade when the model cannot judge (a remote
server gives no token probabilities) or the judge fails; an answer still in doubt lists none as covered.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from chatbot.calibration import (
    CHECKED_HIGH,
    CLAIM_AGREE,
    CLAIM_FALSE_BELOW,
    CLAIM_WEIGHT,
    COMPLETE_HIGH,
    COMPLETE_LOW,
    CORRECT_HIGH,
    CORRECT_LOW,
    CORRECT_SHARE,
    OFF_TOPIC_BELOW,
    OTHER_TOPIC_CAP,
    WRONG_BELOW,
)
from chatbot.interview.claims import check_claims, claims_of
from chatbot.interview.grade import Grade
from chatbot.interview.graders.base import QUOTE_CHARS, Grader, scale
from chatbot.interview.graders.embedding import EmbeddingGrader
from chatbot.interview.judge import Verdict, judge
from chatbot.llm.base import ChatModel
from indexer.records import Question

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Weakest:
    """The statement of the answer the judge finds least in agreement with the reference."""

    odds: float  # its "does it agree with the reference?" log-odds
    statement: str


class JudgeGrader(Grader):
    """Grades by the LLM judge's log-odds, over the embedding grade (see the module docstring)."""

    def __init__(self, model: ChatModel, embedding: EmbeddingGrader) -> None:
        self.model, self.embedding = model, embedding

    def assess(self, question: Question, answer: str, language: str) -> Grade:
        grade = self.embedding.assess(question, answer, language)
        if not grade.key_points:
            return grade
        try:
            verdict = judge(self.model, question, grade.key_points, answer)
        except Exception as exc:
            log.info("LLM judge unusable for %s (%s); embedding grade kept", question.id, exc)
            return grade
        return self._judged(grade, verdict, question, answer)

    def _judged(self, grade: Grade, verdict: Verdict, question: Question, answer: str) -> Grade:
        judged = {"correct": round(verdict.correct, 3), "on_topic": round(verdict.on_topic, 3),
                  "complete": round(verdict.complete, 3)}
        correctness = scale(verdict.correct, CORRECT_LOW.value, CORRECT_HIGH.value)
        states_false = verdict.correct < WRONG_BELOW.value
        doubted = verdict.correct < CORRECT_LOW.value  # the whole-answer question is unreliable here
        agrees, quote = False, ""
        weakest = self._weakest_statement(question, answer, verdict.correct) if doubted else None
        if weakest is not None:
            judged["claims"] = round(weakest.odds, 3)
            correctness = scale(verdict.correct + CLAIM_WEIGHT.value * weakest.odds, CORRECT_LOW.value,
                                CHECKED_HIGH.value)
            states_false = states_false or weakest.odds < CLAIM_FALSE_BELOW.value
            doubted = states_false or weakest.odds < CLAIM_AGREE.value
            agrees = not doubted
            quote = weakest.statement[:QUOTE_CHARS] if states_false else ""
        completeness = scale(verdict.complete, COMPLETE_LOW.value, COMPLETE_HIGH.value)
        score = round(10.0 * (CORRECT_SHARE.value * correctness + (1 - CORRECT_SHARE.value) * completeness), 1)
        other_topic = verdict.on_topic < OFF_TOPIC_BELOW.value
        if other_topic:
            score = min(score, OTHER_TOPIC_CAP.value)
        judgement = replace(grade, score=score, graded_by="llm", judged=judged, other_topic=other_topic, agrees=agrees)
        if states_false:
            return judgement.stating_false(quote)
        return judgement.in_doubt() if doubted else judgement

    def _weakest_statement(self, question: Question, answer: str, correct: float) -> Weakest | None:
        """The answer's statement least in agreement with the reference, or None when none could be checked.
        Checking stops at a plainly false statement that leaves no correctness credit (the rest cannot change
        the grade)."""
        def settled(odds: float) -> bool:
            return odds < CLAIM_FALSE_BELOW.value and correct + CLAIM_WEIGHT.value * odds <= CORRECT_LOW.value

        try:
            claims = claims_of(self.embedding.embedder, question, answer)
            odds = check_claims(self.model, question, claims, settled)
        except Exception as exc:
            log.info("claim check failed for %s (%s); the judge's doubt stands", question.id, exc)
            return None
        if not odds:
            return None
        weakest = min(odds)
        return Weakest(weakest, claims[odds.index(weakest)].statement)
