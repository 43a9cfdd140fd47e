"""Every threshold and weight tuned on data, in one place, each with the data set and split it was fitted on
and the figure it gave. Code reads `NAME.value`; changing one means re-running the command in `fitted_on`.

Limits and sizes chosen by reasoning rather than fitted (prompt budgets, retry counts) stay beside their code.
This module imports nothing of the project: every layer may read it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Calibrated:
    value: float
    fitted_on: str  # the labelled data and split, and the command that measures it
    figure: str  # what the value gave there (and what the neighbours gave, where that explains the choice)


# --- rag: answers (citations, degenerate answers, code, refusal) ---------------------------------------------
# Refusal: the question is covered when its best KB cosine beats its cosine to the off-topic anchors
# (chatbot/data/off_topic_anchors.txt) by more than this.
REFUSAL_MARGIN = Calibrated(
    0.0, fitted_on="40 in-scope + 20 off-topic questions of eval/answer_questions.jsonl, 90 queries of "
                   "eval/retrieval_queries.jsonl, 12 more off-topic ones (all of them; `python -m chatbot eval-answers`)",
    figure="in-scope margins -0.013…0.13, off-topic -0.11…0.0: no overlap; the anchors were chosen knowing the "
           "off-topic kinds, so the refusal figures are in-distribution")
# ... unless the question names a code identifier that BM25 matches at least this strongly (`strict=False`).
IDENTIFIER_KEYWORD_SCORE = Calibrated(
    10.0, fitted_on="the same refusal calibration queries", figure="accepted `strict=False` (margin -0.013)")
# Citations: two neighbouring sentences of a Chinese passage hold at least this share of a Chinese sentence's words.
LOCAL_SUPPORT = Calibrated(
    0.95, fitted_on="eval/citation_pairs.jsonl, the Chinese sentence-passage pairs from real 0.5B answers (all)",
    figure="precision 0.97 at recall 0.76 (one sentence instead of two: same precision, missed joined answers; "
           "0.85 let subject swaps through)")
# ... an English sentence is nearly a translation of one passage sentence: e5 cosine at least this.
CROSS_LANGUAGE_COSINE = Calibrated(
    0.915, fitted_on="eval/citation_pairs.jsonl, the 39 English pairs on Chinese passages (all)",
    figure="accepted 5 of 18 supported pairs and none of the 21 unsupported ones (best unsupported: 0.908)")
# Generation: a second passage goes to the model only when its cosine is within this of the first's.
SECOND_PASSAGE_GAP = Calibrated(
    0.03, fitted_on="eval/facts_questions.jsonl with the 0.5B and 1.5B models (`python -m chatbot eval-facts`)",
    figure="a wider gap brought neighbour topics into the answer (an eval()-vs-no_grad() answer drifting into "
           "Dropout); the current eval-facts figures are in docs/evaluation.md")
# Code: the best passage's code is shown unasked when at least this share of its answer is code.
MOSTLY_CODE = Calibrated(
    0.5, fitted_on="the 430 labelled eval queries (facts, answers and retrieval sets), read by hand",
    figure="code-only entries (E3's net, Q100's save/load) show their code for '保存和加载模型'-style questions")
# Degenerate answers, calibrated by reading the 0.5B model's failures: a title echo is ~10-25 characters; a
# real short answer is at least ~25 CJK characters in Chinese, ~12 words in English.
MIN_ZH_CHARS = Calibrated(25, fitted_on="0.5B answers to eval/facts_questions.jsonl, read by hand",
                          figure="every title echo shorter; every real short answer at least this long")
MIN_EN_WORDS = Calibrated(12, fitted_on="0.5B answers to eval/facts_questions.jsonl, read by hand",
                          figure="every title echo shorter; every real short answer at least this long")
# character-bigram overlap with a title or the question that makes prose an echo
ECHO_SIMILARITY = Calibrated(0.6, fitted_on="0.5B answers to eval/facts_questions.jsonl, read by hand",
                             figure="caught the title echoes; no real answer flagged (tests/test_answer_repair.py)")
# a sentence this close to a KB title (or its English alias), both ways, is a pasted title
TITLE_SIMILARITY = Calibrated(0.75, fitted_on="0.5B answers to eval/facts_questions.jsonl, read by hand",
                              figure="caught pasted titles ('什么是优化器？'); no real sentence flagged")
# a loop: runs of REPEAT_SPAN characters occurring REPEAT_TIMES or more covering at least LOOP_SHARE of the text
LOOP_SHARE = Calibrated(0.2, fitted_on="0.5B loops and 1.5B structured answers to eval/facts_questions.jsonl",
                        figure="the 0.5B loops filled the rest of the answer; a phrase a structured 1.5B answer "
                               "uses three times covered far less")


# --- interview: grading ------------------------------------------------------------------------------------------
