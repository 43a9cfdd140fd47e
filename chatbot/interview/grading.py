"""Mock interviews: draw answered questions, grade the user's answers against the reference, summarise.

Everything here is plain data (dataclasses holding `Question`s and strings), so a session can be
deep-copied and kept in a UI state object; the embedder and the chat model are passed into the
functions that need them and never stored.

Grading (`grade_answer`) is by the e5 embedder, or, with a chat model that gives token probabilities (LLM
grading on), by the LLM judge's yes/no log-odds (chatbot/interview/judge.py), with each statement of an answer
it doubts checked against the reference sentences nearest to it (chatbot/interview/claims.py; constants
below). By embeddings:
* similarity – cosine between the user's answer (e5 "query:") and the reference (e5 "passage:"). e5 cosines
  are compressed (an unrelated Chinese answer still reaches ~0.85, an English paraphrase of the Chinese
  reference only ~0.83), so the score never compares them with fixed thresholds. Instead:
* relevance (0–1) – how far the answer rises above a same-model baseline: its similarity to the reference
  minus its best similarity to BACKGROUND (one-line statements about other PyTorch topics, the line on the
  question's own topic left out); or the answer's clauses sitting closer to a key point than to any
  background line; or English title/keyword tokens of the question (`Question.aliases`) in the answer.
* coverage (0–1) – share of the reference's key points (`key_points`) covered: a key point is covered when
  some clause of the answer is nearer to it than to every other key point and every background line, or
  when at least half of its own keywords (question-title and generic words excluded) occur in the answer.
  Clauses that only repeat the question cover nothing.
* score = 10 × (0.3 × relevance + 0.7 × coverage credit), where the credit is coverage ÷ 0.75 (capped at 1;
  plain coverage for references with ≤ 3 key points) and counts half for an answer judged irrelevant.

Calibration figures (e5-small, 13 questions, Chinese and English answers) are in tests/test_interview.py.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from chatbot.interview.claims import Claim, check_claims
from chatbot.interview.feedback import TEXT, compose_feedback
from chatbot.interview.invented_apis import invented_apis
from chatbot.interview.judge import judge
from chatbot.interview.keypoints import key_points
from chatbot.llm.base import ChatModel
from chatbot.rag.language import detect_language
from indexer.index.keyword import distinctive_words, tokenize
from indexer.records import Question
from indexer.text import CJK, answer_blocks, is_code_block, sentences, strip_code

log = logging.getLogger(__name__)

GradedBy = Literal["llm", "embedding", "none"]  # "none": nothing to grade (empty, or "I don't know")
# --- the LLM judge (chatbot/interview/judge.py): its yes/no log-odds make the score, with these constants
# fitted on the even-numbered half of eval/grading_answers.jsonl's questions (14) and checked on the other 14.
# Log-odds seen with the 1.5B model: "correct?" good 0.5…2.2, partial −1.0…0.4, wrong −2.8…0.3;
# "covers the key points?" good 1.1…2.4, partial −0.5…1.0, wrong −2.1…0.8. Adding the embedding score did
# not help on the calibration half, so the LLM's grade does without it (its key-point lists stay, for feedback).
CORRECT_RANGE = (0.0, 1.5)  # "is everything correct?" log-odds mapped to 0–1 between these
COMPLETE_RANGE = (-0.5, 2.0)  # "does it cover the key points?" likewise
CORRECT_SHARE = 0.6  # score = 10 * (CORRECT_SHARE * correctness + (1 - CORRECT_SHARE) * completeness)
# "correct?" this low: the answer states something false (quoted, capped at WRONG_CAP). Partial answers went
# down to -1.007 ("You subclass nn.Module to define the network" was quoted as false at -1.0), wrong ones to -2.8.
WRONG_BELOW = -1.2
# An answer the judge doubts ("correct?" below CORRECT_RANGE[0]) has each statement checked against the reference
# sentence nearest to it (chatbot/interview/claims.py); the weakest statement's "agrees?" log-odds is added to the
# judge's: correctness = scale(correct + weakest, CHECKED_RANGE), which starts where CORRECT_RANGE does, so a
# check that finds nothing either way changes nothing. Chosen on the labelled set from a grid (weights 0.5/1/2,
# eight ranges, one or two evidence sentences; both halves in the README): the weakest statement of a partial
# answer read −0.7…3.0, of a wrong one −3.7…1.1; one sentence of evidence separated them better than two and
# costs 1.3 s a statement instead of 2.
CHECKED_RANGE = (0.0, 2.0)
CLAIM_FALSE_BELOW = -1.0  # a statement the reference this clearly disagrees with is false (quoted, capped)
CLAIM_AGREE = 0.0  # every statement at least this: the doubt is lifted and the covered points stand
MAX_CLAIMS = 4  # statements checked, the answer's first
EVIDENCE_SENTENCES = 1  # reference sentences shown beside each statement
OFF_TOPIC_BELOW = -1.0  # "does it answer the question?" this low: another concept (capped at OTHER_TOPIC_CAP)
WRONG_CAP = 3.0
OTHER_TOPIC_CAP = 1.0

# --- calibration (multilingual-e5-small; figures in tests/test_interview.py) -------------------------------
# e5 cosines are compressed (unrelated Chinese texts still reach ~0.85) and drop by ~0.08 across languages,
# so raw cosines are never compared with fixed thresholds. The answer is compared with the reference and,
# as a same-language baseline, with BACKGROUND – one-line statements about other PyTorch topics:
#   relevance = how far the answer/reference cosine rises above the answer's best background cosine;
#   a clause of the answer supports the key point it is closest to when that beats every background line.
RELEVANCE_LOW = -0.01  # margin (reference cosine - best background cosine) that counts as unrelated
RELEVANCE_HIGH = 0.03  # ... and as clearly about this question
RELATED_BACKGROUND = 0.01  # background lines within this of the best match to the title share its topic: left out
CROSS_LANGUAGE_SLACK = 0.01  # English answers vs. the Chinese reference: cross-lingual cosines are compressed
COVERAGE_FULL = 0.75  # with more than 3 key points, covering this share earns the full coverage part
SECOND_POINT_WITHIN = 0.015  # English clauses: a second key point this close to the nearest also counts
CLAUSE_LEAD_FULL = 0.02  # a clause this much closer to a key point than to any background line: relevant
ALIAS_HITS_FULL = 4  # distinct English title/keyword tokens in the answer that make it clearly relevant
KEYWORD_SHARE = 0.5  # share of a key point's own keywords that must appear in the answer (or all of a name's)
RELEVANCE_WEIGHT = 0.3  # score = 10 * (RELEVANCE_WEIGHT * relevance + (1 - RELEVANCE_WEIGHT) * coverage credit)


BACKGROUND = (
    "张量是多维数组，可以在GPU上运算，支持自动求导。",
    "autograd 根据计算图用链式法则自动计算梯度。",
    "优化器根据梯度更新模型参数，例如SGD和Adam。",
    "损失函数衡量模型预测值与真实值之间的差异。",
    "学习率调度器在训练过程中动态调整学习率。",
    "Dropout 在训练时随机丢弃神经元，防止过拟合。",
    "批归一化对每层的输入做标准化，使训练更稳定。",
    "卷积神经网络通过卷积和池化提取图像特征。",
    "ResNet 通过残差连接解决深层网络的梯度消失问题。",
    "VGG 使用堆叠的3x3卷积层构建很深的网络。",
    "循环神经网络通过隐藏状态处理序列数据。",
    "LSTM 使用门控机制缓解长序列的梯度消失。",
    "Transformer 基于自注意力机制，广泛用于机器翻译等NLP任务。",
    "词向量把单词映射到连续的向量空间中。",
    "生成对抗网络由生成器和判别器对抗训练。",
    "变分自编码器把输入编码到潜在空间再解码重建。",
    "DataLoader 按批次加载数据，支持打乱和多进程。",
    "数据增强通过随机翻转、旋转等变换增加数据多样性。",
    "使用 torch.save 和 load_state_dict 保存和加载模型参数。",
    "模型部署把训练好的模型放到生产环境中进行推理。",
    "量化把模型权重从浮点数转换为低精度整数以加速推理。",
    "知识蒸馏让小的学生模型学习大的教师模型的输出。",
    "数据并行把一个批次拆分到多个GPU上同时计算。",
    "迁移学习在预训练模型的基础上针对新任务进行微调。",
    "模型评估在测试集上计算准确率等指标。",
    "梯度累积在多个小批量上累加梯度后再更新一次参数。",
    "nn.Module 是所有神经网络模块的基类，需要实现 forward 方法。",
    "强化学习中智能体通过与环境交互获得奖励来学习策略。",
    "图神经网络在图结构数据的节点和边上进行信息传递。",
    "多任务学习让多个任务共享底层特征表示。",
    "混合精度训练使用半精度浮点数减少显存并加速训练。",
    "正则化在损失中加入权重惩罚项来防止过拟合。",
    "今天天气很好，我们去公园散步吧。",
    "我不知道，不清楚。",
)


@dataclass
class Grade:
    score: float  # 0–10, one decimal
    similarity: float  # cosine between the answer and the reference
    coverage: float  # share of key points covered, 0–1
    key_points: list[str]
    covered: list[str]
    missing: list[str]
    feedback: str
    graded_by: GradedBy
    wrong: str = ""  # a false statement the judge quoted from the answer
    other_topic: bool = False
    seconds: float = 0.0
    judged: dict[str, float] | None = None  # the judge's yes/no log-odds, when the LLM graded
    states_false: bool = False  # the judge found a false statement (quoted in `wrong` when it could be)
    invented: list[str] = field(default_factory=list)  # PyTorch names the answer uses that do not exist

    def to_json(self) -> dict:
        return {"score": self.score, "covered": self.covered, "missing": self.missing,
                "wrong": [self.wrong] if self.wrong else [], "states_false": self.states_false,
                "invented_apis": self.invented,
                "other_topic": self.other_topic,
                "feedback": self.feedback, "graded_by": self.graded_by, "coverage": self.coverage,
                "judged": self.judged,
                "seconds": round(self.seconds, 2)}


# ------------------------------------------------------------------------------------------ grading
def _keyword_hit(point_keywords: set[str], answer_tokens: set[str], answer_text: str) -> float:
    if not point_keywords:
        return 0.0
    hits = sum(1 for k in point_keywords if k in answer_tokens or (CJK.search(k) and k in answer_text))
    return hits / len(point_keywords)


_PARENTHESIS = re.compile(r"[（(]([^（()）]+)[)）]")


def _alternatives(point: str) -> list[str]:
    """Ways to name a key point: the point itself, its label ("Huber Loss：用于回归问题…" -> "Huber Loss") and the
    names a parenthesis glosses ("均方误差（Mean Squared Error，MSE）" -> "均方误差", "Mean Squared Error", "MSE")."""
    alternatives = [point]
    label = re.split(r"[：:]", point, maxsplit=1)[0]
    if label != point and len(label) <= 30:
        alternatives.append(label)
    for base in list(alternatives):
        inner = [m.group(1) for m in _PARENTHESIS.finditer(base)]
        if inner:
            alternatives.append(_PARENTHESIS.sub(" ", base))
            alternatives.extend(part for text in inner for part in re.split(r"[，,、/]", text) if part.strip())
    return list(dict.fromkeys(alternatives))


def _reference_text(q: Question) -> str:
    """What the answer is compared with: the reference's prose, or the whole answer when it is code only."""
    prose = "\n".join(b for b in answer_blocks(q.plain_answer) if not is_code_block(b)).strip()
    return prose if len(prose) >= 20 else f"{q.title}\n{q.plain_answer.strip()}"


_CLAUSE_SPLIT = re.compile(
    r"(?<=[。！？!?；;：:])|(?<=[.])\s+|\n|[，,](?=\s*[\u4e00-\u9fffA-Za-z])"
    # English writers use fewer commas: also split before purpose/relative clauses
    r"|\s+(?:which|so that|so as to|in order to|to(?=\s+(?:minimi[sz]e|maximi[sz]e|reduce|improve|increase|prevent"
    r"|avoid|speed|make|compute|calculate|update|adjust|learn|generate|produce|save|load|handle|solve|capture"
    r"|predict|measure|train|extract|classify|detect|map|represent)\b))\s+", re.I)


def _answer_clauses(text: str) -> list[str]:
    """The answer's statements: sentences split further at commas, code blocks dropped (at most 40). A lone
    word is none ("pass" covered Q72's `nn.MultiheadAttention` point by embedding noise and scored 3.4)."""
    prose = strip_code(text)
    clauses = [c.strip(" ，,。.") for c in _CLAUSE_SPLIT.split(prose) if c]
    clauses = [c for c in clauses if len(c) >= 4 and (CJK.search(c) or len(c.split()) >= 2)]
    return clauses[:40]


_EMBED_CACHE_MAX = 2048
_EMBED_CACHE: dict[tuple, np.ndarray] = {}


def _embed(embedder, texts: list[str], kind: str) -> np.ndarray:
    """Query/passage embeddings with a small process-wide cache (references, key points and the background
    lines are embedded once per embedder)."""
    tag = getattr(embedder, "name", None) or id(embedder)
    found = {t: _EMBED_CACHE.get((tag, kind, t)) for t in dict.fromkeys(texts)}
    todo = [t for t, v in found.items() if v is None]
    if todo:
        encode = embedder.encode_queries if kind == "query" else embedder.encode_passages
        vectors = np.asarray(encode(todo), dtype=np.float32)
        if len(_EMBED_CACHE) + len(todo) > _EMBED_CACHE_MAX:
            _EMBED_CACHE.clear()
        for t, v in zip(todo, vectors):
            found[t] = _EMBED_CACHE[(tag, kind, t)] = v
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[t] for t in texts])  # type: ignore[misc]  # every text was filled above


# "I don't know" is no answer: the judge had called "不知道" a false statement and quoted it as one
_DECLINED = re.compile(
    r"(?:我|i\s*)?(?:(?:do\s*not|don'?t)\s*know|(?:have\s*)?no\s*idea|(?:am\s*|'m\s*)?not\s*sure|dunno"
    r"|不知道|不会|不清楚|不太清楚|不懂|没学过|忘了|不记得)|pass|skip|next|跳过|下一题", re.I)
_TRIM = re.compile(r"^[\W_]+|(?:[\W_]*(?:sorry|抱歉|对不起))?[\W_]*$", re.I)


def declines(answer: str) -> bool:
    """Whether the answer only says the candidate cannot answer ("不知道", "No idea, sorry.", "pass")."""
    return len(answer) <= 40 and bool(_DECLINED.fullmatch(_TRIM.sub("", answer)))


def _claims(embedder, question: Question, answer: str) -> list[Claim]:
    """The answer's first statements, each with the reference sentences e5 puts nearest to it."""
    statements = [s for s in sentences(strip_code(answer)) if len(s) >= 4][:MAX_CLAIMS]
    # a code-only reference (E3's one-layer net) is checked against its lines of code
    reference = [s for s in sentences(_reference_text(question)) if len(s) >= 6 and not s.startswith("```")]
    if not statements or not reference:
        return []
    near = _embed(embedder, statements, "query") @ _embed(embedder, reference, "passage").T
    return [Claim(s, [reference[j] for j in sorted(np.argsort(-near[i])[:EVIDENCE_SENTENCES])])
            for i, s in enumerate(statements)]


def _scale(value: float, low: float, high: float) -> float:
    return float(min(1.0, max(0.0, (value - low) / (high - low))))


def grade_answer(embedder, question: Question, user_answer: str, chat_model: ChatModel | None = None) -> Grade:
    """Grades `user_answer` against the question's reference (see the module docstring)."""
    started = time.perf_counter()
    points = key_points(question.plain_answer)
    answer = (user_answer or "").strip()
    language = detect_language(answer) if answer else "zh"
    declined = declines(answer)
    if declined or not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", answer):
        feedback = TEXT[language]["empty"] if declined else TEXT["zh"]["empty"] + "\n" + TEXT["en"]["empty"]
        return Grade(0.0, 0.0, 0.0, points, [], list(points), feedback, "none", seconds=time.perf_counter() - started)

    answer_vec = _embed(embedder, [answer], "query")[0]
    reference_vec = _embed(embedder, [_reference_text(question)], "passage")[0]
    similarity = float(answer_vec @ reference_vec)
    # background lines about other topics: the baseline for "unrelated"
    bg_query, bg_passage = _embed(embedder, list(BACKGROUND), "query"), _embed(embedder, list(BACKGROUND), "passage")
    to_title = bg_query @ _embed(embedder, [question.title], "query")[0]
    unrelated = to_title < to_title.max() - RELATED_BACKGROUND  # the line(s) on this question's own topic go
    margin = similarity - float((bg_passage[unrelated] @ answer_vec).max())
    answer_tokens = set(tokenize(answer))
    # the English title/keywords stored beside the KB: lexical evidence that works for English answers too
    alias_hits = len(distinctive_words(question.aliases) & answer_tokens) if question.aliases else 0
    relevance = max(_scale(margin, RELEVANCE_LOW, RELEVANCE_HIGH), min(1.0, alias_hits / ALIAS_HITS_FULL))

    covered: list[str] = []
    clauses = _answer_clauses(answer)
    if points and clauses:
        point_vecs = _embed(embedder, points, "query")
        clause_vecs = _embed(embedder, clauses, "query")
        to_points = clause_vecs @ point_vecs.T
        to_background = (clause_vecs @ bg_query[unrelated].T).max(axis=1)
        lead = to_points.max(axis=1) - to_background  # > 0: the clause is about a key point, not another topic
        title_words = distinctive_words(question.title)
        restated = [bool(words) and words <= title_words for words in map(distinctive_words, clauses)]
        lead[np.array(restated, dtype=bool)] = -1.0  # a clause that only repeats the question supports nothing
        # cross-lingual cosines are compressed: an English clause may also support a second key point that is
        # (almost) as close as its nearest one, when the reference has more than three
        slack = 0.0 if language == "zh" else CROSS_LANGUAGE_SLACK
        supported: set[int] = set()
        for j, clause in enumerate(clauses):
            if restated[j]:
                continue
            wide = language != "zh" and len(points) > 3 and len(clause.split()) >= 6
            for k in np.argsort(-to_points[j])[:2 if wide else 1]:
                if (to_points[j, k] > to_background[j] - slack
                        and to_points[j, k] >= to_points[j].max() - SECOND_POINT_WITHIN):
                    supported.add(int(k))
        relevance = max(relevance, _scale(float(lead.max()), 0.0, CLAUSE_LEAD_FULL))
        if all(restated):
            relevance = min(relevance, 0.5)  # only the question's own words: on topic, but not an answer
        title_tokens = set(tokenize(question.title))
        answer_lower = answer.lower()
        for i, p in enumerate(points):
            alternatives = _alternatives(p)  # the point itself: half its keywords; a name of it: all of them
            named = any(_keyword_hit(distinctive_words(alt) - title_tokens, answer_tokens, answer_lower) == 1.0
                        for alt in alternatives[1:])
            share = _keyword_hit(distinctive_words(p) - title_tokens, answer_tokens, answer_lower)
            if i in supported or named or share >= KEYWORD_SHARE:
                covered.append(p)
    coverage = len(covered) / len(points) if points else relevance
    missing = [p for p in points if p not in covered]
    full = COVERAGE_FULL if len(points) > 3 else 1.0
    # coverage counts half for an answer that is not about this question at all (chance matches)
    credit = min(1.0, coverage / full) * (0.5 + 0.5 * relevance)
    score = round(10.0 * (RELEVANCE_WEIGHT * relevance + (1 - RELEVANCE_WEIGHT) * credit), 1)

    graded_by: GradedBy = "embedding"
    wrong, other_topic, states_false, judged = "", False, False, None
    doubted = False  # what the answer says is in doubt: the embeddings' "covered" points are only shared words
    agrees = False  # each statement was checked and agrees with the reference
    if chat_model is not None and points:
        try:
            verdict = judge(chat_model, question, points, answer)
        except Exception as exc:
            log.info("LLM judge unusable for %s (%s); embedding grade kept", question.id, exc)
        else:
            graded_by = "llm"
            judged = {"correct": round(verdict.correct, 3), "on_topic": round(verdict.on_topic, 3),
                      "complete": round(verdict.complete, 3)}
            correctness = _scale(verdict.correct, *CORRECT_RANGE)
            states_false = verdict.correct < WRONG_BELOW
            # ("adding more layers" was listed as covering E20's points while scoring 0.8)
            doubted = verdict.correct < CORRECT_RANGE[0]
            if doubted:  # the whole-answer question is unreliable here: each statement is checked
                try:
                    claims = _claims(embedder, question, answer)
                    # a plainly false statement that leaves no correctness credit settles it
                    agree = check_claims(chat_model, question, claims, lambda v: v < CLAIM_FALSE_BELOW and
                                         verdict.correct + v <= CHECKED_RANGE[0])
                except Exception as exc:
                    log.info("claim check failed for %s (%s); the judge's doubt stands", question.id, exc)
                else:
                    if agree:
                        weakest = min(agree)
                        judged["claims"] = round(weakest, 3)
                        correctness = _scale(verdict.correct + weakest, *CHECKED_RANGE)
                        states_false = states_false or weakest < CLAIM_FALSE_BELOW
                        doubted = states_false or weakest < CLAIM_AGREE
                        agrees = not doubted
                        if states_false:
                            wrong = claims[agree.index(weakest)].statement[:200]
            completeness = _scale(verdict.complete, *COMPLETE_RANGE)
            score = round(10.0 * (CORRECT_SHARE * correctness + (1 - CORRECT_SHARE) * completeness), 1)
            other_topic = verdict.on_topic < OFF_TOPIC_BELOW
            if other_topic:
                score = min(score, OTHER_TOPIC_CAP)
    # checked exactly, with or without the LLM: "call torch.build(config), then model.fit()" scored like a
    # partial answer, as the judge read it as fluent and on topic
    invented = invented_apis(answer)
    if invented:  # what it says rests on them
        states_false = doubted = True
        agrees = False
        name = invented[0].removesuffix("()")
        wrong = next((s for s in sentences(strip_code(answer)) if name in s), wrong)[:200]
    if doubted:
        covered, missing = [], list(points)
    if states_false:
        score = min(score, WRONG_CAP)
    feedback = compose_feedback(score, points, covered, missing, wrong, other_topic, question, language, graded_by,
                                states_false=states_false, invented=invented, agrees=agrees)
    return Grade(score, round(similarity, 4), round(coverage, 4), points, covered, missing, feedback, graded_by,
                 wrong, other_topic, time.perf_counter() - started, judged, states_false, invented)
