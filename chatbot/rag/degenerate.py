"""Detects answers no user should read: echoes of a title or the question, the passage copied in the other
language, repetition loops, output cut inside a code fence, knowledge-base titles pasted into the answer,
and prose too short to answer anything. Decided by code on the text the user would read (the pipeline's
`Diagnose` stage); the answerer then retries once with a corrected prompt, then falls back to the extractive
answer."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from chatbot.calibration import ECHO_SIMILARITY, LOOP_SHARE, MIN_EN_WORDS, MIN_ZH_CHARS, TITLE_SIMILARITY
from chatbot.rag.draft.markers import MODEL_MARKER
from chatbot.rag.language import answer_language_ok
from indexer.records import Question
from indexer.text import CJK, fenced_spans, sentences, strip_code

Problem = Literal["echo", "wrong_language", "repetition", "cut_in_code", "pasted_title", "too_short"]

# The thresholds (MIN_ZH_CHARS, ECHO_SIMILARITY, LOOP_SHARE …) live in chatbot/calibration.py with the
# answers they were read from.
REPEAT_SPAN = 24  # characters of a repeated run
REPEAT_TIMES = 3

_NOISE = re.compile(r"[\s\W_]+", re.U)


@dataclass(frozen=True)
class Diagnosis:
    problem: Problem
    detail: str


def _norm(text: str) -> str:
    return _NOISE.sub("", MODEL_MARKER.sub("", text)).lower()


def _bigrams(text: str) -> set[str]:
    t = _norm(text)
    return {t[i:i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def similarity(a: str, b: str) -> float:
    """Share of `a`'s character bigrams found in `b` (0-1)."""
    ba, bb = _bigrams(a), _bigrams(b)
    return len(ba & bb) / len(ba) if ba else 0.0


def prose_of(text: str) -> str:
    """The answer without code blocks, inline code and citation markers."""
    return MODEL_MARKER.sub("", re.sub(r"`[^`\n]*`", " ", strip_code(text))).strip()


def _too_short(prose: str, language: str) -> bool:
    if language == "zh":
        return len(CJK.findall(prose)) < MIN_ZH_CHARS.value
    return len(re.findall(r"[A-Za-z][\w'-]*", prose)) < MIN_EN_WORDS.value


def title_texts(questions: Iterable[Question]) -> list[str]:
    """Every KB title and English alias title: what a pasted title would look like."""
    out = []
    for q in questions:
        out.append(q.title)
        if q.aliases:
            out.append(q.aliases.split("|", 1)[0].strip())
    return [t for t in out if len(_norm(t)) >= 6]


def _repetition(text: str) -> str | None:
    """A loop: a run of REPEAT_SPAN characters occurring REPEAT_TIMES or more, where such repeated runs cover
    at least LOOP_SHARE of the text. (A phrase a structured answer uses three times, ": Gradient
    accumulation " in a 1.5B answer, is not a loop; the 0.5B model's loops filled the rest of the answer.)"""
    t = re.sub(r"\s+", " ", text)
    if len(t) < REPEAT_SPAN * REPEAT_TIMES:
        return None
    windows = [t[i:i + REPEAT_SPAN] for i in range(0, len(t) - REPEAT_SPAN + 1)]
    counts = Counter(windows)
    repeated = [w for w in windows if counts[w] >= REPEAT_TIMES and len(set(w)) > 4]
    if len(repeated) < LOOP_SHARE.value * len(windows):
        return None
    return counts.most_common(1)[0][0]


def _is_title(sentence: str, title: str) -> bool:
    """The sentence is (nearly) the title, both ways round."""
    return (len(_norm(sentence)) <= 1.5 * len(_norm(title)) and similarity(sentence, title) >= TITLE_SIMILARITY.value
            and similarity(title, sentence) >= TITLE_SIMILARITY.value)


def diagnose(raw: str, question: str, language: str, passages: list[Question],
             titles: list[str]) -> Diagnosis | None:
    """The first problem found in the model's raw answer, or None for an answer worth showing."""
    if any(not closed for _, _, closed in fenced_spans(raw)):
        return Diagnosis("cut_in_code", "the answer stops inside a code block")
    if (run := _repetition(raw)) is not None:
        return Diagnosis("repetition", f"repeats {run!r}")
    prose = prose_of(raw)
    # an answer that is (little more than) the question or some title: passages' titles, or any KB title
    echo_sources = [question] + [p.title for p in passages] + titles
    size = len(_norm(prose))
    if prose and any(size <= 2 * len(_norm(s)) and similarity(prose, s) >= ECHO_SIMILARITY.value for s in echo_sources):
        return Diagnosis("echo", "only repeats the question or a title")
    if prose and not answer_language_ok(prose, language):
        return Diagnosis("wrong_language", f"not written in {'Chinese' if language == 'zh' else 'English'}")
    if _too_short(prose, language):
        return Diagnosis("too_short", "too short to answer the question")
    own = {_norm(question)}
    # another question's title, pasted in: the prompt's own passages' titles are the topic, not a stray (the second
    # passage now sits right before the question, and a sentence restating its title cost two retries, f26)
    given = title_texts(passages)
    for sentence in sentences(prose):
        s = _norm(sentence)
        if len(s) < 6 or s in own or any(_is_title(sentence, t) for t in given):
            continue
        if any(_is_title(sentence, t) for t in titles):
            return Diagnosis("pasted_title", f"contains a knowledge-base title: {sentence.strip()!r}")
    return None


RETRY_HINT = {
    "zh": {
        "echo": "上一次的回答只重复了题目。请用自己的话真正解释：是什么、为什么、怎么做。",
        "wrong_language": "上一次的回答语言不对。请全部用简体中文回答，不要照抄资料。",
        "repetition": "上一次的回答在重复同一段话。请简洁回答，每个要点只说一次。",
        "cut_in_code": "上一次的回答在代码中间中断了。请写得更简洁，不要写代码。",
        "pasted_title": "上一次的回答中混入了知识库里其他题目的标题。只回答这个问题本身。",
        "too_short": "上一次的回答太短了。请用三到五句话解释要点。",
    },
    "en": {
        "echo": "Your previous answer only repeated the title. Explain in your own words: what it is, why, and how.",
        "wrong_language": "Your previous answer was in the wrong language. Write the whole answer in English; do not "
                          "copy the material.",
        "repetition": "Your previous answer repeated itself. Answer concisely and state each point once.",
        "cut_in_code": "Your previous answer stopped inside code. Be more concise and do not write code.",
        "pasted_title": "Your previous answer contained the title of another knowledge-base question. Answer only "
                        "this question.",
        "too_short": "Your previous answer was too short. Explain the key points in three to five sentences.",
    },
}
