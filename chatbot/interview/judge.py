"""The LLM as a grader, by yes/no log-odds rather than generated verdicts.

Asked to write "points: Y N Y / wrong: … / topic: …", the 1.5B model answered Y to nearly everything (wrong and
off-topic answers scored 10/10 on eval/grading_answers.jsonl). Its *probabilities* are still ordered: over the
whole set, log P(yes) − log P(no) for "is everything the candidate says correct?" ran 0.5…2.2 for good
answers, −1.0…0.4 for partial ones and −2.8…0.3 for wrong ones (more in chatbot/interview/grading.py). So the
judge asks three short questions and reads the first reply token's logits; nothing is generated unless an answer is judged wrong, when one short
generation quotes the false statement for the feedback.

The reference is the system message (fixed per question, so the llama.cpp backend restores its evaluated
state), the candidate's answer opens the user turn and is evaluated once for all three questions.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from chatbot.llm.base import ChatModel
from chatbot.rag.safety import neutralise
from indexer.records import Question

ANSWER_CHARS = 1200
REFERENCE_CHARS = 900
QUOTE_TOKENS = 60

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
QUOTE = ("The candidate's answer contains a false statement. Copy that one statement exactly as the candidate "
         "wrote it, and nothing else.")


class JudgeUnavailable(RuntimeError):
    """The model cannot give yes/no probabilities (e.g. a remote server): the embedding grade is used."""


@dataclass(frozen=True)
class Verdict:
    """Log-odds of "yes" for each question (0 = undecided), and the quoted false statement, if any."""

    correct: float
    on_topic: float
    complete: float
    wrong: str = ""


def judge_messages(question: Question, points: list[str], answer: str, ask: str) -> list[dict[str, str]]:
    reference = question.plain_answer.strip()
    if len(reference) > REFERENCE_CHARS:
        reference = reference[:REFERENCE_CHARS] + " …"
    system = SYSTEM.format(title=question.title, reference=neutralise(reference),
                           points="\n".join(f"{i}. {p}" for i, p in enumerate(points, 1)))
    text = answer if len(answer) <= ANSWER_CHARS else answer[:ANSWER_CHARS] + " …"
    text = neutralise(text.replace("<<<", "«").replace(">>>", "»"))
    return [{"role": "system", "content": system}, {"role": "user", "content": ANSWER.format(answer=text) + ask}]


def ask_all(model: ChatModel, question: Question, points: list[str], answer: str) -> dict[str, float]:
    odds = getattr(model, "yes_logodds", None)
    if odds is None:
        raise JudgeUnavailable(f"{model.backend} models give no token probabilities")
    names = list(ASK)
    conversations = [judge_messages(question, points, answer, ASK[n].format(title=question.title)) for n in names]
    values = odds(conversations)
    if len(values) != len(names) or not all(math.isfinite(v) for v in values):
        raise ValueError(f"unusable judgement log-odds {values!r}")
    return dict(zip(names, values))


_WS = re.compile(r"\s+")


def quote_false_statement(model: ChatModel, question: Question, points: list[str], answer: str) -> str:
    """The statement the model calls false, kept only when it really is a span of the answer (spacing aside)."""
    reply = "".join(model.stream_chat(judge_messages(question, points, answer, QUOTE), max_new_tokens=QUOTE_TOKENS))
    quote = reply.strip().strip("\"'“”「」«»<> ").rstrip("。.")
    flat = _WS.sub(" ", answer)
    return quote[:200] if len(quote) >= 4 and _WS.sub(" ", quote) in flat else ""


def judge(model: ChatModel, question: Question, points: list[str], answer: str, *,
          wrong_below: float) -> Verdict:
    odds = ask_all(model, question, points, answer)
    wrong = ""
    if odds["correct"] < wrong_below:
        try:
            wrong = quote_false_statement(model, question, points, answer)
        except Exception:  # the verdict stands without its quote
            wrong = ""
    return Verdict(odds["correct"], odds["on_topic"], odds["complete"], wrong)
