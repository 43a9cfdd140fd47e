"""Feedback on a graded answer, composed by code from the grade (so it always agrees with the score)."""
from __future__ import annotations

from chatbot.interview.grade import Grade
from chatbot.interview.invented_apis import torch_version
from indexer.records import Question

TEXT = {
    "zh": {
        "empty": "未作答：没有可评分的内容，本题得 0 分。",
        "good": "回答很好，与参考答案高度一致。",
        "fair": "回答基本正确，但还不够完整。",
        "weak": "回答与参考答案差距较大。",
        "brief": "所说的与参考答案一致，但过于简略，漏掉了大部分要点。",
        "stats": "（覆盖参考答案要点 {n_cov}/{n}）",
        "missing": "可以补充的要点：",
        "all_covered": "参考答案的要点都已覆盖。",
        "covered": "答到的要点：",
        "wrong": "与参考答案不符的说法：“{quote}”",
        "invented": "PyTorch 中没有这些 API（按已安装的 PyTorch {version} 核对）：{names}",
        "states_false": "回答中有与参考答案矛盾或错误的说法，请对照参考答案核对。",
        "other_topic": "这个回答讲的是另一个概念，没有回答本题。",
        "reference": "参考答案见 [{qid}]。",
        "graded_by_llm": "（评分方式：本地语言模型判断正确性、切题与完整性，存疑时逐句对照参考答案；要点列表来自向量相似度与关键词）",
        "graded_by_embedding": "（评分方式：向量相似度与关键词，未使用语言模型）",
    },
    "en": {
        "empty": "No answer given: nothing to grade, so this question scores 0.",
        "good": "Good answer: it closely matches the reference.",
        "fair": "Partly right, but incomplete.",
        "weak": "The answer is far from the reference.",
        "brief": "What you say agrees with the reference, but it is brief and leaves out most key points.",
        "stats": " (key points of the reference covered: {n_cov}/{n})",
        "missing": "Key points to add (quoted from the Chinese reference):",
        "all_covered": "All key points of the reference are covered.",
        "covered": "Key points covered:",
        "wrong": "Statement that does not agree with the reference: “{quote}”",
        "invented": "These APIs do not exist in PyTorch (checked against the installed PyTorch {version}): {names}",
        "states_false": "The answer says something that is false or contradicts the reference: check it against "
                        "the reference.",
        "other_topic": "This answer is about a different concept and does not answer the question.",
        "reference": "The reference answer is [{qid}].",
        "graded_by_llm": "(Graded by the local language model for correctness, relevance and completeness, and "
                         "statement by statement against the reference when in doubt; the key-point lists come "
                         "from embedding similarity and keywords.)",
        "graded_by_embedding": "(Graded by embedding similarity and keywords; no language model was used.)",
    },
}


# Not calibration: where the verdict's wording changes, chosen for the reader (no labelled feedback exists to fit
# them on); eval-grading's own bands (good >= 6, wrong <= 3) are what the grade is measured against.
GOOD_FROM = 7.5
FAIR_FROM = 4.0


def compose_feedback(grade: Grade, question: Question, language: str) -> str:
    """What the candidate reads: a verdict, the points covered and missing, any wrong statement, where the
    reference is, and which grader decided — in the answer's language."""
    t = TEXT[language]
    # a low score whose statements all agree with the reference is brief, not far from it (a correct one-liner)
    verdict = (t["good"] if grade.score >= GOOD_FROM else t["fair"] if grade.score >= FAIR_FROM
               else t["brief"] if grade.agrees else t["weak"])
    lines = [verdict + t["stats"].format(n_cov=len(grade.covered), n=len(grade.key_points))]
    if grade.other_topic:
        lines.append(t["other_topic"])
    if grade.invented:
        lines.append(t["invented"].format(version=torch_version(), names=", ".join(grade.invented)))
    if grade.wrong:
        lines.append(t["wrong"].format(quote=grade.wrong))
    elif grade.states_false and not grade.invented:
        lines.append(t["states_false"])
    if grade.covered:
        lines.append(t["covered"])
        lines.extend(f"- {p}" for p in grade.covered[:5])
    if grade.missing:
        lines.append(t["missing"])
        lines.extend(f"- {p}" for p in grade.missing[:5])
    elif grade.key_points:
        lines.append(t["all_covered"])
    lines.append(t["reference"].format(qid=question.id))
    lines.append(t["graded_by_llm"] if grade.graded_by == "llm" else t["graded_by_embedding"])
    return "\n".join(lines)


def no_answer_feedback(language: str | None) -> str:
    """For an answer with nothing to grade: in its language, or in both when it has no words to tell ("", "？？")."""
    return TEXT[language]["empty"] if language else TEXT["zh"]["empty"] + "\n" + TEXT["en"]["empty"]
