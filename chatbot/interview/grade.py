"""A graded answer: the score, the reference's key points covered and missing, and what the answer gets wrong.

Two rules change a grade whichever grader made it (chatbot/interview/graders/), each written once here: an
answer whose statements are in doubt lists no key point as covered, and an answer that states something false
is capped at WRONG_CAP."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from chatbot.calibration import WRONG_CAP

GradedBy = Literal["llm", "embedding", "none"]  # "none": nothing to grade (empty, or "I don't know")


@dataclass
class Grade:
    score: float  # 0–10, one decimal
    key_points: list[str]  # the reference's (chatbot/interview/keypoints.py)
    covered: list[str]  # key points the answer covers
    missing: list[str]  # the others, in the reference's order
    graded_by: GradedBy
    similarity: float = 0.0  # e5 cosine between the answer and the reference
    coverage: float = 0.0  # share of key points covered, 0–1 (len(covered) / len(key_points) when there are any)
    wrong: str = ""  # a statement of the answer that does not agree with the reference, quoted
    states_false: bool = False  # the answer states something false (quoted in `wrong` when one was found)
    other_topic: bool = False  # the answer is about another concept
    agrees: bool = False  # each statement was checked against the reference and agrees with it
    invented: list[str] = field(default_factory=list)  # PyTorch names the answer uses that do not exist
    judged: dict[str, float] | None = None  # the LLM judge's yes/no log-odds, when it graded
    feedback: str = ""  # what the candidate reads (chatbot/interview/feedback.py)
    seconds: float = 0.0

    def in_doubt(self) -> Grade:
        """The same grade for an answer whose statements are in doubt: the key points found covered by meaning
        are only shared words ("adding more layers" had been listed as covering data augmentation's points), so
        none is listed and the coverage is 0."""
        return replace(self, covered=[], missing=list(self.key_points), coverage=0.0, agrees=False)

    def stating_false(self, quote: str) -> Grade:
        """The same grade for an answer that states something false: in doubt, `quote` shown as the statement
        (may be ""), and capped at WRONG_CAP."""
        return replace(self.in_doubt(), states_false=True, wrong=quote, score=min(self.score, WRONG_CAP.value))

    def to_json(self) -> dict:
        return {"score": self.score, "covered": self.covered, "missing": self.missing,
                "wrong": [self.wrong] if self.wrong else [], "states_false": self.states_false,
                "invented_apis": self.invented,
                "other_topic": self.other_topic,
                "feedback": self.feedback, "graded_by": self.graded_by, "coverage": self.coverage,
                "judged": self.judged,
                "seconds": round(self.seconds, 2)}
