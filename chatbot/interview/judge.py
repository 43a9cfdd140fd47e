"""The LLM as a grader, by yes/no log-odds rather than generated verdicts.

Asked to write "points: Y N Y / wrong: … / topic: …", the 1.5B model answered Y to nearly everything (wrong and
off-topic answers scored 10/10 on eval/grading_answers.jsonl). Its *probabilities* are still ordered: over the
whole set, log P(yes) − log P(no) for "is everything the candidate says correct?" ran 0.5…2.2 for good
answers, −1.0…0.4 for partial ones and −2.8…0.3 for wrong ones (more in chatbot/calibration.py). So the
judge asks three short questions and reads the first reply token's logits; nothing is generated. An answer it
doubts has its statements checked one by one (chatbot/interview/claims.py), and the one found least in
agreement with the reference is what the feedback quotes as false.

The reference is the system message (fixed per question, so the llama.cpp backend restores its evaluated
state), the candidate's answer opens the user turn and is evaluated once for all three questions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chatbot.llm.base import ChatModel
from chatbot.rag.safety import neutralise
from indexer.records import Question

# Not calibration: prompt budgets, chosen so that the answer and the reference, cut here, leave the questions room
# in the 4096-token context; they were not fitted on labelled answers.
ANSWER_CHARS = 1200
REFERENCE_CHARS = 900

SYSTEM = (
    "You check a candidate's answer in a PyTorch job interview against the reference answer, which is correct.\n"
    "Question: {title}\n"
    "Reference answer:\n{reference}\n"
    "Key points of the reference:\n{points}"
)
ANSWER = "Candidate's answer:\n<<<\n{answer}\n>>>\n"
ASK = {
    "correct": "Is everything the candidate says correct and consistent with the reference? Answer yes or no.",
    "on_topic": "Does the candidate's answer actually answer the question \"{title}\"? Answer yes or no.",
    "complete": "Does the candidate's answer cover the key points of the reference? Answer yes or no.",
}


class JudgeUnavailable(RuntimeError):
    """The model cannot give yes/no probabilities (e.g. a remote server): the embedding grade is used."""


@dataclass(frozen=True)
class Verdict:
    """Log-odds of "yes" for each question (0 = undecided)."""

    correct: float
    on_topic: float
    complete: float


def judge_messages(question: Question, points: list[str], answer: str, ask: str) -> list[dict[str, str]]:
    reference = question.plain_answer.strip()
    if len(reference) > REFERENCE_CHARS:
        reference = reference[:REFERENCE_CHARS] + " …"
    system = SYSTEM.format(title=question.title, reference=neutralise(reference),
                           points="\n".join(f"{i}. {p}" for i, p in enumerate(points, 1)))
    text = answer if len(answer) <= ANSWER_CHARS else answer[:ANSWER_CHARS] + " …"
    text = neutralise(text.replace("<<<", "«").replace(">>>", "»"))
    return [{"role": "system", "content": system}, {"role": "user", "content": ANSWER.format(answer=text) + ask}]


def ask(model: ChatModel, conversations: list[list[dict[str, str]]]) -> list[float]:
    """The model's yes/no log-odds for each conversation's last question."""
    odds = model.yes_logodds if model.supports_yes_no else None
    if odds is None:
        raise JudgeUnavailable(f"{model.backend} models give no token probabilities")
    values = odds(conversations)
    if len(values) != len(conversations) or not all(math.isfinite(v) for v in values):
        raise ValueError(f"unusable judgement log-odds {values!r}")
    return values


def ask_all(model: ChatModel, question: Question, points: list[str], answer: str) -> dict[str, float]:
    names = list(ASK)
    conversations = [judge_messages(question, points, answer, ASK[n].format(title=question.title)) for n in names]
    return dict(zip(names, ask(model, conversations)))


def judge(model: ChatModel, question: Question, points: list[str], answer: str) -> Verdict:
    odds = ask_all(model, question, points, answer)
    return Verdict(odds["correct"], odds["on_topic"], odds["complete"])
