"""The LLM as a grader: for each key point of the reference, does the candidate's answer state it; does the
answer state something false or contradict the reference; is it about another concept altogether.

One short generation per answer: the reference and its numbered key points are the system message (fixed
per question, so the llama.cpp backend restores its evaluated state instead of evaluating it again), the
candidate's answer is the user turn, and the model replies in a fixed format of a few tokens that code
parses. A reply that does not parse raises, and the caller falls back to the embedding grade."""
from __future__ import annotations

import re
from dataclasses import dataclass

from chatbot.llm.base import ChatModel
from chatbot.rag.safety import neutralise
from indexer.records import Question

JUDGE_TOKENS = 48  # "points: Y N Y\nwrong: none\ntopic: same" is ~20 tokens; a short quote of a wrong claim fits
ANSWER_CHARS = 1200
REFERENCE_CHARS = 900

SYSTEM = (
    "You grade answers in a PyTorch job interview against a reference. The reference is correct.\n"
    "Question: {title}\n"
    "Reference answer (Chinese):\n{reference}\n"
    "Key points of the reference:\n{points}\n\n"
    "The candidate may answer in Chinese or English. Reply with exactly three lines:\n"
    "points: {n} letters, Y if the answer states that key point correctly (in any words), else N\n"
    "wrong: none, or a short quote of a false statement in the answer\n"
    "topic: same, or other if the answer is about a different concept\n\n"
    "Example reply when the answer states key point 1 only, says nothing false and is on topic:\n"
    "points: {example}\nwrong: none\ntopic: same\n"
)
ASK = "Candidate's answer:\n<<<\n{answer}\n>>>\nReply with the three lines (points / wrong / topic) only."

_POINTS = re.compile(r"points?\s*[:：]\s*([YN](?:[\s,，/]*[YN])*)", re.I)
_WRONG = re.compile(r"wrong\s*[:：]\s*(.+)", re.I)
_TOPIC = re.compile(r"topic\s*[:：]\s*(same|other|different|unrelated)", re.I)
_NONE = re.compile(r"^\W*(none|no|n|无|没有)\W*$", re.I)


@dataclass(frozen=True)
class Verdict:
    stated: list[bool]  # one per key point
    wrong: str  # a quoted false statement, or ""
    other_topic: bool


def judge_messages(question: Question, points: list[str], answer: str) -> list[dict[str, str]]:
    reference = question.answer.strip()
    if len(reference) > REFERENCE_CHARS:
        reference = reference[:REFERENCE_CHARS] + " …"
    example = " ".join(["Y"] + ["N"] * (len(points) - 1))
    system = SYSTEM.format(title=question.title, reference=neutralise(reference), n=len(points), example=example,
                           points="\n".join(f"{i}. {p}" for i, p in enumerate(points, 1)))
    text = answer if len(answer) <= ANSWER_CHARS else answer[:ANSWER_CHARS] + " …"
    text = neutralise(text.replace("<<<", "«").replace(">>>", "»"))
    return [{"role": "system", "content": system}, {"role": "user", "content": ASK.format(answer=text)}]


def parse_verdict(reply: str, n_points: int) -> Verdict:
    """The three lines of the judge's reply; ValueError when they are not there."""
    m = _POINTS.search(reply)
    if not m:
        raise ValueError(f"judge reply has no points line: {reply[:80]!r}")
    marks = re.findall(r"[YN]", m.group(1).upper())
    if not marks or len(marks) > n_points:
        raise ValueError(f"judge marked {len(marks)} of {n_points} key points")
    marks += ["N"] * (n_points - len(marks))  # a model that stops early has not found the rest
    wrong_m = _WRONG.search(reply)
    wrong = wrong_m.group(1).strip().strip("\"'“”「」") if wrong_m else ""
    if _NONE.match(wrong) or not wrong:
        wrong = ""
    topic = _TOPIC.search(reply)
    return Verdict([c == "Y" for c in marks], wrong[:200], bool(topic and topic.group(1).lower() != "same"))


def judge(model: ChatModel, question: Question, points: list[str], answer: str) -> Verdict:
    reply = "".join(model.stream_chat(judge_messages(question, points, answer), max_new_tokens=JUDGE_TOKENS))
    return parse_verdict(reply, len(points))
