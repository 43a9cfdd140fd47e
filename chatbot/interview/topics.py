"""Groups the knowledge-base questions into interview topics with deterministic keyword rules.

Every question gets exactly one topic. The rules look at the Chinese title and the English
title (the first field of `Question.aliases`) first, in a fixed priority order, so the most
specific topic wins: "模型调试和性能优化" is performance, not optimisation; "神经风格迁移" is a
generative model, not transfer learning; "图像生成" is generative, not vision. A question whose
titles match no rule is assigned by a vote over its alias keywords, and `fundamentals` is the
final fallback.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.records import Question

TOPICS: dict[str, dict[str, str]] = {
    "tensors_autograd": {"zh": "张量与自动求导", "en": "Tensors & autograd"},
    "training_optimisation": {"zh": "训练与优化", "en": "Training & optimisation"},
    "cnn_vision": {"zh": "CNN 与视觉", "en": "CNNs & vision"},
    "sequence_nlp": {"zh": "序列模型、NLP 与图网络", "en": "Sequence models, NLP & graphs"},
    "generative": {"zh": "生成模型", "en": "Generative models"},
    "deployment_performance": {"zh": "部署、性能与并行", "en": "Deployment, performance & parallelism"},
    "fundamentals": {"zh": "基础、数据与生态", "en": "Fundamentals, data & ecosystem"},
}

FALLBACK_TOPIC = "fundamentals"

# Checked in this order against "<Chinese title> <English title>" (lower-cased); the first match wins.
_TITLE_RULES: list[tuple[str, str]] = [
    ("deployment_performance",
     r"部署|deploy|保存|\bsav(e|ing)\b|量化|quantiz|压缩|compress|蒸馏|distill|半精度|混合精度|half[- ]precision"
     r"|mixed precision|分布式|distributed|并行|parallel|\bgpu\b|cuda|性能|performance|调试|debug|异步|asynchron"
     r"|推理加速|torchscript|onnx"),
    ("generative",
     r"生成|generat|\bgans?\b|自编码|autoencoder|风格迁移|style transfer|\bvae\b|变分|diffusion|扩散"),
    ("sequence_nlp",
     r"\brnns?\b|循环神经|recurrent|lstm|\bgru\b|seq2seq|序列|sequence|注意力|attention|transformer|bert|\bgpt\b"
     r"|文本|\btext\b|词向量|word embedding|嵌入|时序|time series|\bnlp\b|自然语言|\bgnns?\b|图神经|graph neural"),
    ("cnn_vision",
     r"卷积|\bcnns?\b|convolution|resnet|\bvgg|inception|alexnet|u-?net|图像|\bimages?\b|目标检测|detection"
     r"|跟踪|tracking|分割|segmentation|视觉|vision"),
    ("training_optimisation",
     r"训练|\btrain|优化器|optimi[sz]er|\badam\b|\bsgd\b|损失|\bloss\b|交叉熵|cross-entropy|学习率|learning rate"
     r"|梯度累积|gradient accumulation|dropout|归一化|normali[sz]ation|正则|regulari[sz]|迁移学习|transfer learning"
     r"|微调|fine-?tun|多任务|multi-task|集成|融合|ensembl|半监督|semi-supervised|强化学习|reinforcement"
     r"|不平衡|imbalanced|对抗|adversarial|调优|tuning|评估|evaluat|过拟合|overfit|收敛|converg"),
    ("tensors_autograd",
     r"张量|tensor|autograd|自动微分|自动求导|automatic differentiation|反向传播|前向传播|backprop|forward prop"
     r"|计算图|动态图|静态图|computation graph|梯度|gradient|导数|derivative"),
    ("fundamentals",
     r"什么是pytorch|what is pytorch|nn\.module|\bmodule\b|组件|component|流程|workflow|层次|hierarch|构建|\bbuild"
     r"|神经网络|neural network|\bapis?\b|lightning|数据|\bdata|可视化|visuali|回归|regression|分类模型"
     r"|classification model|生态|ecosystem"),
]

# Used only when no title rule matches: one vote per alias keyword that matches a topic's pattern.
_KEYWORD_RULES: dict[str, str] = {
    "deployment_performance": r"deploy|serving|quantiz|prun|distill|onnx|torchscript|\bjit\b|multi-gpu|ddp"
                              r"|distributed|parallel|\bamp\b|fp16|profil|latency|throughput|inference speed",
    "generative": r"\bgans?\b|generator|discriminator|autoencoder|\bvae\b|latent|diffusion|image generation",
    "sequence_nlp": r"\brnn\b|lstm|\bgru\b|sequence|attention|transformer|\bnlp\b|token|embedding|\bbert\b"
                    r"|\bgpt\b|time series|graph",
    "cnn_vision": r"\bcnn\b|conv|pool|resnet|\bvgg\b|image|detection|segmentation|bounding box|torchvision.models",
    "training_optimisation": r"optimi[sz]er|\bsgd\b|adam|\bloss\b|learning rate|lr_scheduler|weight decay"
                             r"|regulari[sz]|dropout|batchnorm|overfit|fine-tun|transfer learning|reward|policy",
    "tensors_autograd": r"tensor|autograd|backward|requires_grad|\.grad\b|computation graph|chain rule",
}

_TITLE_RES = [(topic, re.compile(pattern)) for topic, pattern in _TITLE_RULES]
_KEYWORD_RES = {topic: re.compile(pattern) for topic, pattern in _KEYWORD_RULES.items()}


def _titles(q: Question) -> str:
    english = q.aliases.split("|", 1)[0] if q.aliases else ""
    return f"{q.title} {english}".lower()


def _keywords(q: Question) -> list[str]:
    if "|" not in q.aliases:
        return []
    return [k.strip().lower() for k in q.aliases.split("|", 1)[1].split(",") if k.strip()]


def topic_of(q: Question) -> str:
    """The one topic key for `q` (deterministic; `fundamentals` when nothing matches)."""
    text = _titles(q)
    for topic, pattern in _TITLE_RES:
        if pattern.search(text):
            return topic
    votes = {topic: sum(1 for k in _keywords(q) if pattern.search(k)) for topic, pattern in _KEYWORD_RES.items()}
    best = max(votes.values(), default=0)
    if best == 0:
        return FALLBACK_TOPIC
    return next(topic for topic in TOPICS if votes.get(topic) == best)  # ties: TOPICS order


def questions_by_topic(questions: Iterable[Question]) -> dict[str, list[Question]]:
    """Every topic key (in TOPICS order, possibly with an empty list) -> its questions in input order."""
    grouped: dict[str, list[Question]] = {topic: [] for topic in TOPICS}
    for q in questions:
        grouped[topic_of(q)].append(q)
    return grouped


def topic_name(topic: str, language: str = "zh") -> str:
    """Display name of a topic key (the key itself when unknown)."""
    names = TOPICS.get(topic)
    if not names:
        return topic
    return names.get(language) or names["en"]
