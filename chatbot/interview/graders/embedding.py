"""The embedding grade: an answer's key points covered by meaning (e5) and by keywords, no language model.

* similarity – cosine between the answer (e5 "query:") and the reference (e5 "passage:"). e5 cosines are
  compressed (an unrelated Chinese answer still reaches ~0.85, an English paraphrase of the Chinese reference
  only ~0.83), so the score never compares them with fixed thresholds. Instead:
* relevance (0–1) – how far the answer rises above a same-model baseline: its similarity to the reference minus
  its best similarity to BACKGROUND (one-line statements about other PyTorch topics, the line on the question's
  own topic left out); or the answer's clauses sitting closer to a key point than to any background line; or
  English title/keyword tokens of the question (`Question.aliases`) in the answer.
* coverage (0–1) – share of the reference's key points covered: a key point is covered when some clause of the
  answer is nearer to it than to every other key point and every background line, or when enough of its own
  keywords (question-title and generic words excluded) occur in the answer. Clauses that only repeat the question
  cover nothing.
* score = 10 × (RELEVANCE_WEIGHT × relevance + (1 − RELEVANCE_WEIGHT) × coverage credit), the credit being
  coverage ÷ COVERAGE_FULL (capped at 1; plain coverage for references with few key points), counting only in
  part for an answer judged irrelevant.

The constants are in chatbot/calibration.py, with the hand-written answers they were fitted on. It cannot tell a
fluent wrong answer on the right topic from a right one (README, "Mock interview"); the LLM judge can.
"""
from __future__ import annotations

import numpy as np

from chatbot.calibration import (
    ALIAS_HITS_FULL,
    CLAUSE_LEAD_FULL,
    COVERAGE_FULL,
    CROSS_LANGUAGE_SLACK,
    FEW_KEY_POINTS,
    IRRELEVANT_CREDIT,
    KEYWORD_SHARE,
    RELATED_BACKGROUND,
    RELEVANCE_HIGH,
    RELEVANCE_LOW,
    RELEVANCE_WEIGHT,
    RESTATED_RELEVANCE,
    SECOND_POINT_WITHIN,
    WIDE_CLAUSE_WORDS,
)
from chatbot.interview.embedding_cache import embed
from chatbot.interview.grade import Grade
from chatbot.interview.graders.base import Grader, scale
from chatbot.interview.graders.lexical import answer_clauses, keyword_share, names_of
from chatbot.interview.keypoints import key_points
from chatbot.interview.reference import reference_text
from indexer.index.keyword import distinctive_words, tokenize
from indexer.records import Question

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


class EmbeddingGrader(Grader):
    """Grades by e5 embeddings and keywords (see the module docstring); also gives the key-point lists the
    LLM judge's feedback shows."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder

    def assess(self, question: Question, answer: str, language: str) -> Grade:
        points = key_points(question.plain_answer)
        answer_vec = embed(self.embedder, [answer], "query")[0]
        similarity = float(answer_vec @ embed(self.embedder, [reference_text(question)], "passage")[0])
        background_queries, background_passages = self._background(question)
        margin = similarity - float((background_passages @ answer_vec).max())
        answer_tokens = set(tokenize(answer))
        # the English title/keywords stored beside the KB: lexical evidence that works for English answers too
        alias_hits = len(distinctive_words(question.aliases) & answer_tokens) if question.aliases else 0
        relevance = max(scale(margin, RELEVANCE_LOW.value, RELEVANCE_HIGH.value),
                        min(1.0, alias_hits / ALIAS_HITS_FULL.value))
        covered: list[str] = []
        clauses = answer_clauses(answer)
        if points and clauses:
            supported, lead, restates_only = self._supported(question, points, clauses, background_queries, language)
            relevance = max(relevance, scale(lead, 0.0, CLAUSE_LEAD_FULL.value))
            if restates_only:  # only the question's own words: on topic, but not an answer
                relevance = min(relevance, RESTATED_RELEVANCE.value)
            title_tokens = set(tokenize(question.title))
            covered = [p for i, p in enumerate(points)
                       if i in supported or _named_or_shared(p, title_tokens, answer_tokens, answer.lower())]
        coverage = len(covered) / len(points) if points else relevance
        full = COVERAGE_FULL.value if len(points) > FEW_KEY_POINTS.value else 1.0
        # coverage counts only in part for an answer that is not about this question at all (chance matches)
        credit = min(1.0, coverage / full) * (IRRELEVANT_CREDIT.value + (1 - IRRELEVANT_CREDIT.value) * relevance)
        score = round(10.0 * (RELEVANCE_WEIGHT.value * relevance + (1 - RELEVANCE_WEIGHT.value) * credit), 1)
        return Grade(score, points, covered, [p for p in points if p not in covered], "embedding",
                     similarity=round(similarity, 4), coverage=round(coverage, 4))

    def _background(self, question: Question) -> tuple[np.ndarray, np.ndarray]:
        """The background lines as queries and as passages, less the line(s) on this question's own topic."""
        queries = embed(self.embedder, list(BACKGROUND), "query")
        passages = embed(self.embedder, list(BACKGROUND), "passage")
        to_title = queries @ embed(self.embedder, [question.title], "query")[0]
        unrelated = to_title < to_title.max() - RELATED_BACKGROUND.value
        return queries[unrelated], passages[unrelated]

    def _supported(self, question: Question, points: list[str], clauses: list[str], background: np.ndarray,
                   language: str) -> tuple[set[int], float, bool]:
        """(the key points some clause is nearest to, nearer than to any background line; how much closer the
        best clause is to a key point than to the background; whether every clause only repeats the question)."""
        point_vecs = embed(self.embedder, points, "query")
        clause_vecs = embed(self.embedder, clauses, "query")
        to_points = clause_vecs @ point_vecs.T
        to_background = (clause_vecs @ background.T).max(axis=1)
        lead = to_points.max(axis=1) - to_background  # > 0: the clause is about a key point, not another topic
        title_words = distinctive_words(question.title)
        restated = [bool(words) and words <= title_words for words in map(distinctive_words, clauses)]
        lead[np.array(restated, dtype=bool)] = -1.0  # a clause that only repeats the question supports nothing
        # cross-lingual cosines are compressed: an English clause may also support a second key point that is
        # (almost) as close as its nearest one, when the reference has more than a few
        slack = 0.0 if language == "zh" else CROSS_LANGUAGE_SLACK.value
        supported: set[int] = set()
        for j, clause in enumerate(clauses):
            if restated[j]:
                continue
            wide = (language != "zh" and len(points) > FEW_KEY_POINTS.value
                    and len(clause.split()) >= WIDE_CLAUSE_WORDS.value)
            for k in np.argsort(-to_points[j])[:2 if wide else 1]:
                if (to_points[j, k] > to_background[j] - slack
                        and to_points[j, k] >= to_points[j].max() - SECOND_POINT_WITHIN.value):
                    supported.add(int(k))
        return supported, float(lead.max()), all(restated)


def _named_or_shared(point: str, title_tokens: set[str], answer_tokens: set[str], answer_lower: str) -> bool:
    """Whether the answer uses every keyword of a name of the point, or KEYWORD_SHARE of the point's own."""
    def share(text: str) -> float:
        return keyword_share(distinctive_words(text) - title_tokens, answer_tokens, answer_lower)
    return any(share(name) == 1.0 for name in names_of(point)) or share(point) >= KEYWORD_SHARE.value
