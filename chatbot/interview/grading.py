"""Grading an interview answer: which grader grades it.

With a chat model (LLM grading on), the LLM judge (chatbot/interview/graders/judge.py), which falls back to the
embedding grade when the model gives no token probabilities or fails; without one, the embedding grade
(chatbot/interview/graders/embedding.py). Both answer through chatbot/interview/graders/base.py's `Grader`: an
answer with nothing to grade ("", "不知道", "pass") scores 0 by "none", a PyTorch name that does not exist makes an
answer false, and the feedback is composed from the grade. Their constants are in chatbot/calibration.py.
"""
from __future__ import annotations

from chatbot.interview.grade import Grade
from chatbot.interview.graders.base import Grader
from chatbot.interview.graders.embedding import EmbeddingGrader
from chatbot.interview.graders.judge import JudgeGrader
from chatbot.llm.base import ChatModel
from indexer.records import Question


def grader_for(embedder, chat_model: ChatModel | None = None) -> Grader:
    """The LLM judge over the embedding grade when a chat model is given, else the embedding grade alone."""
    embedding = EmbeddingGrader(embedder)
    return JudgeGrader(chat_model, embedding) if chat_model is not None else embedding


def grade_answer(embedder, question: Question, user_answer: str | None, chat_model: ChatModel | None = None) -> Grade:
    """Grades `user_answer` against the question's reference answer."""
    return grader_for(embedder, chat_model).grade(question, user_answer)
