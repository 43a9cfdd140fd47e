"""Mock interviews: draw answered questions, grade the user's answers against the reference, summarise.

Everything here is plain data (dataclasses holding `Question`s and strings), so a session can be
deep-copied and kept in a UI state object; the embedder and the chat model are passed into the
functions that need them and never stored.

Grading (`grade_answer`) is done by code, with the e5 embedder; the LLM, when given, only words the feedback.
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

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from chatbot.language import answer_language_ok, detect_language
from chatbot.safety import neutralise
from chatbot.topics import TOPICS, topic_name, topic_of
from indexer.chunker import answer_blocks
from indexer.keyword import tokenize
from indexer.records import Question

SERIES = {"all": None, "main": "main", "interview": "interview"}

MAX_KEY_POINTS = 8
KEY_POINT_CHARS = 60

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
REVIEW_BELOW = 6.0  # topics averaging below this are suggested for review

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

LLM_FEEDBACK_TOKENS = 120  # 2–3 sentences; the prompt is kept near 300 tokens so feedback is quick on a CPU
LLM_ANSWER_CHARS = 400


# ----------------------------------------------------------------------------------------- records
@dataclass
class Grade:
    score: float  # 0–10, one decimal
    similarity: float  # cosine between the answer and the reference
    coverage: float  # share of key points covered, 0–1
    key_points: list[str]
    covered: list[str]
    missing: list[str]
    feedback: str
    llm_feedback: bool


@dataclass
class InterviewItem:
    question: Question
    answer: str = ""
    grade: Grade | None = None
    skipped: bool = False
    hints: int = 0


@dataclass
class InterviewSession:
    items: list[InterviewItem]
    position: int = 0
    topics: list[str] = field(default_factory=list)
    series: str = "all"

    def current(self) -> InterviewItem | None:
        """The item waiting for an answer, or None once the interview is over."""
        return self.items[self.position] if 0 <= self.position < len(self.items) else None

    @property
    def finished(self) -> bool:
        return self.position >= len(self.items)


# ---------------------------------------------------------------------------------- drawing questions
def start_interview(questions: Iterable[Question], topics: list[str] | None, n: int, series: str = "all",
                    seed: int | None = None) -> InterviewSession:
    """A session of up to `n` distinct answered questions from `series` ("all", "main", "interview")
    and `topics` (None or empty = every topic). Fewer than `n` when fewer match; ValueError when none do."""
    if series not in SERIES:
        raise ValueError(f"unknown series {series!r}: choose one of {', '.join(SERIES)}")
    topics = list(dict.fromkeys(topics or []))
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise ValueError(f"unknown topic(s) {', '.join(map(repr, unknown))}: choose from {', '.join(TOPICS)}")
    if int(n) < 1:
        raise ValueError(f"the number of questions must be at least 1 (got {n})")
    wanted = set(topics)
    pool = [q for q in questions
            if q.has_answer
            and (SERIES[series] is None or q.series == SERIES[series])
            and (not wanted or topic_of(q) in wanted)]
    if not pool:
        what = ", ".join(TOPICS[t]["en"] for t in topics) if topics else "any topic"
        raise ValueError(f"no answered question in series {series!r} for {what}: "
                         "choose other topics or another series")
    chosen = random.Random(seed).sample(pool, min(int(n), len(pool)))
    return InterviewSession([InterviewItem(q) for q in chosen], 0, topics or list(TOPICS), series)


# -------------------------------------------------------------------------------------- key points
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}\s*[.．、)）]|[-*+•]|[（(]\d{1,2}[)）])\s*(\S.*)$")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=[.])\s+|\n")
_LEAD_IN = re.compile(r"^(其中|在上述代码中|上述代码中|具体来说|具体而言|此外|另外|同时|因此|所以|但是|然而|而且|首先|其次|然后|最后|例如|比如|"
                      r"这个代码块中|在这个代码块中|在PyTorch中|在 PyTorch 中|而|并且)[，,：:\s]*")
_SKIP_SENTENCE = re.compile(r"^(总之|总的来说|总而言之|综上|以上就是|以上是|in summary|overall|to sum up)", re.I)
_MARKUP = re.compile(r"\*\*|__|`|^#+\s*|^>\s*")
_CLAUSE = re.compile(r"[，,；;、：:]")
_COMMENT = re.compile(r"(?:^|\s)#\s*(.+)$")
_API = re.compile(r"\b(?:torch|nn|optim|F|transforms|models|torchvision|model|pd|plt)"
                  r"(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _clean(text: str) -> str:
    text = _MARKUP.sub("", text.strip()).strip()
    text = _LEAD_IN.sub("", text).strip()
    return re.sub(r"\s+", " ", text)


def _shorten(text: str, limit: int = KEY_POINT_CHARS) -> str:
    if len(text) <= limit:
        return text.rstrip("。.;；，,")
    cut = text[:limit]
    clauses = [m.start() for m in _CLAUSE.finditer(cut) if m.start() >= limit // 3]
    if clauses:
        cut = cut[:clauses[-1]]
    return cut.rstrip("。.;；，,、：: ") + "…"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _is_code(block: str) -> bool:
    return block.lstrip().startswith(("```", "~~~"))


_GENERIC_APIS = ("nn.Module", "torch.tensor", "torch.randn", "torch.zeros", "torch.ones", "model.parameters",
                 "plt.show")


def _code_points(blocks: list[str]) -> list[str]:
    """For code-only answers: the code's comments (minus "假设…" set-up notes), then the APIs it calls
    (the most generic ones last), then `forward` when it defines one."""
    comments, apis, forward, imported = [], [], False, set()
    for block in blocks:
        for line in block.split("\n")[1:-1]:
            stripped = line.strip()
            m = re.match(r"from\s+\S+\s+import\s+(.+)$", stripped)
            if m:
                imported.update(n.split(" as ")[-1].strip() for n in m.group(1).split(","))
            if stripped.startswith(("import ", "from ")):
                continue
            forward = forward or stripped.startswith("def forward")
            code, _, comment = line.partition("#")
            if comment.strip():
                text = _clean(comment)
                if len(text) >= 2 and not text.lower().startswith(("假设", "assume")):
                    comments.append(text)
            code = re.sub(r"(['\"]).*?\1", " ", code)  # no file names from string literals
            apis.extend(_API.findall(code))
            apis.extend(name for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", code) if name in imported)
    apis = sorted(dict.fromkeys(apis), key=lambda a: a in _GENERIC_APIS)
    points = list(dict.fromkeys(comments))
    budget = max(len(points), 4) if points else MAX_KEY_POINTS - 1
    for api in apis:
        if len(points) >= min(budget + 2, MAX_KEY_POINTS - 1):
            break
        points.append(api)
    if forward and "forward" not in points:
        points.append("forward")
    return points[:MAX_KEY_POINTS]


_ENUMERATION = re.compile(r"(?:包括|包含|主要有|有)(.+?)等?$")


def _split_short(text: str) -> list[str]:
    """A lone sentence split into its parts: the items of an enumeration ("包括A、B、C等"), else its clauses."""
    m = _ENUMERATION.search(text.rstrip("。."))
    if m:
        items = [i.strip(" 等") for i in m.group(1).split("、")]
        if len(items) >= 3 and all(items):
            return items
    clauses = [_clean(c) for c in re.split(r"[，,；;]", text)]
    return [c.rstrip("。.") for c in clauses if len(c) >= 4]


def key_points(answer: str) -> list[str]:
    """The reference answer's key points: its list items and prose sentences (code excluded), trimmed.

    At most MAX_KEY_POINTS, each at most ~KEY_POINT_CHARS characters; list items and the first sentence of
    each paragraph are preferred, then the other sentences, kept in document order. Summary sentences
    ("总之…") and lead-ins ending with a colon are left out. A very short answer (one or two sentences) is
    split into its clauses or enumerated items; a code-only answer yields its code comments and the APIs
    it calls instead.
    """
    blocks = answer_blocks(answer or "")
    candidates: list[tuple[int, int, str]] = []  # (priority, order, text)
    listed = False
    for block in blocks:
        if _is_code(block):
            continue
        first = True
        for line in block.split("\n"):
            m = _LIST_ITEM.match(line)
            listed = listed or bool(m)
            for raw in [m.group(1)] if m else _sentences(line):
                priority = 0 if m or first else 1
                first = False
                text = _clean(raw)
                if (len(text) < 4 or _SKIP_SENTENCE.match(text) or text.endswith((":", "："))
                        or not re.search(r"[\u4e00-\u9fffA-Za-z]", text)):
                    continue
                candidates.append((priority, len(candidates), text))
    if not candidates:
        return _code_points([b for b in blocks if _is_code(b)])
    if len(candidates) < 3 and not listed:
        parts = [p for _, _, text in candidates for p in _split_short(text)]
        candidates = [(0, i, p) for i, p in enumerate(parts)]
    points: list[tuple[int, str]] = []
    seen: list[set[str]] = []
    for priority, order, text in sorted(candidates):
        if len(points) >= MAX_KEY_POINTS:
            break
        tokens = set(tokenize(text))
        if any(tokens and len(tokens & other) >= 0.8 * len(tokens) for other in seen):
            continue  # near-duplicate of a point already kept
        seen.append(tokens)
        points.append((order, _shorten(text)))
    return [text for _, text in sorted(points)]


# ------------------------------------------------------------------------------------------ grading
_GENERIC = frozenset(
    "pytorch torch 模型 使用 可以 通过 一种 进行 用于 我们 这个 这种 需要 能够 以及 其中 包括 一些 不同 非常 "
    "可能 实现 方法 从而 问题 过程 时候 之间 作用 应用 什么 如何 怎么 以便 更加 更好 例如 比如 如下 一样 "
    "就是 也就是 主要 通常 一般 "
    "model python code implement application what difference differ advantage disadvantage common type "
    "used does its their".split()
)


def _keywords(text: str) -> set[str]:
    """Distinctive tokens of `text`: tokenize() minus stray CJK bigrams, single characters and generic words."""
    tokens = set(tokenize(text))
    if _CJK.search(text):
        import jieba  # already initialised by tokenize()

        words = {w for run in _CJK_RUN.findall(text) for w in jieba.lcut_for_search(run)}
        bigrams = {run[i:i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}
        tokens -= bigrams - words
    return {t for t in tokens if len(t) > 1 and t not in _GENERIC}


def _keyword_hit(point_keywords: set[str], answer_tokens: set[str], answer_text: str) -> float:
    if not point_keywords:
        return 0.0
    hits = sum(1 for k in point_keywords if k in answer_tokens or (_CJK.search(k) and k in answer_text))
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
    prose = "\n".join(b for b in answer_blocks(q.answer) if not _is_code(b)).strip()
    return prose if len(prose) >= 20 else f"{q.title}\n{q.answer.strip()}"


_CLAUSE_SPLIT = re.compile(
    r"(?<=[。！？!?；;：:])|(?<=[.])\s+|\n|[，,](?=\s*[\u4e00-\u9fffA-Za-z])"
    # English writers use fewer commas: also split before purpose/relative clauses
    r"|\s+(?:which|so that|so as to|in order to|to(?=\s+(?:minimi[sz]e|maximi[sz]e|reduce|improve|increase|prevent"
    r"|avoid|speed|make|compute|calculate|update|adjust|learn|generate|produce|save|load|handle|solve|capture"
    r"|predict|measure|train|extract|classify|detect|map|represent)\b))\s+", re.I)


def _answer_clauses(text: str) -> list[str]:
    """The answer's statements: sentences split further at commas, code blocks dropped (at most 40)."""
    prose = re.sub(r"```.*?(```|$)", " ", text, flags=re.S)
    clauses = [c.strip(" ，,。.") for c in _CLAUSE_SPLIT.split(prose) if c]
    clauses = [c for c in clauses if len(c) >= 4 and (_CJK.search(c) or len(c.split()) >= 2)]
    return clauses[:40] or [text.strip()[:500]]


_TEXT = {
    "zh": {
        "empty": "未作答：没有可评分的内容，本题得 0 分。",
        "good": "回答很好，与参考答案高度一致。",
        "fair": "回答基本正确，但还不够完整。",
        "weak": "回答与参考答案差距较大。",
        "stats": "（覆盖参考答案要点 {n_cov}/{n}）",
        "missing": "可以补充的要点：",
        "all_covered": "参考答案的要点都已覆盖。",
    },
    "en": {
        "empty": "No answer given: nothing to grade, so this question scores 0.",
        "good": "Good answer: it closely matches the reference.",
        "fair": "Partly right, but incomplete.",
        "weak": "The answer is far from the reference.",
        "stats": " (key points of the reference covered: {n_cov}/{n})",
        "missing": "Key points to add (quoted from the Chinese reference):",
        "all_covered": "All key points of the reference are covered.",
    },
}


def _rule_feedback(score: float, points: list[str], missing: list[str], language: str) -> str:
    t = _TEXT[language]
    verdict = t["good"] if score >= 7.5 else t["fair"] if score >= 4 else t["weak"]
    lines = [verdict + t["stats"].format(n_cov=len(points) - len(missing), n=len(points))]
    if missing:
        lines.append(t["missing"])
        lines.extend(f"- {p}" for p in missing[:5])
    elif points:
        lines.append(t["all_covered"])
    return "\n".join(lines)


_LLM_SYSTEM = {
    "zh": "你是一名严格但友善的 PyTorch 面试官，只用简体中文回答。",
    "en": "You are a strict but friendly PyTorch interviewer. You always answer in English.",
}
_LLM_ASK = {
    "zh": ("面试题：{title}\n参考答案要点：\n{points}\n候选人的回答：\n<<<\n{answer}\n>>>\n"
           "系统判定：得分 {score}/10；答到了：{covered}；遗漏了：{missing}。\n"
           "请依据系统判定，用 2 到 3 句中文直接对候选人说（称呼“你”）：先说答对了什么，再提醒最重要的遗漏。"
           "只输出点评。"),
    "en": ("Interview question: {title}\nKey points of the reference answer (in Chinese):\n{points}\n"
           "Candidate's answer:\n<<<\n{answer}\n>>>\n"
           "System verdict: score {score}/10; covered: {covered}; missed: {missing}.\n"
           "Following the verdict, write 2 to 3 sentences in English addressed to the candidate (\"you\"): first "
           "what they got right, then the most important thing they missed. Output only the feedback."),
}
_PROMPT_ECHO = re.compile(r"系统判定|参考答案要点|候选人的回答|只输出点评|System verdict|Key points of the reference|"
                          r"Output only|<<<|>>>", re.I)


def _first_sentences(text: str, n: int = 3) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    parts = [p for p in re.split(r"(?<=[。！？!?])\s*|(?<=[.])\s+", text) if p.strip()]
    return ("" if _CJK.search(text) else " ").join(parts[:n]).strip()


def _copies(text: str, source: str, span: int = 25) -> bool:
    """True when `text` repeats a run of `span` characters of `source` (the model pasted the reference)."""
    return any(text[i:i + span] in source for i in range(0, len(text) - span + 1, 5))


def _llm_feedback(chat_model, question: Question, user_answer: str, score: float, points: list[str],
                  covered: list[str], missing: list[str], language: str) -> str:
    """2–3 sentences from the LLM; raises on any problem so the caller falls back to the rule-based text.

    The prompt holds the reference (as its key points, which keeps it near 300 tokens for a quick reply on a
    CPU), the user's answer and the verdict already computed by code; the model only words the feedback."""
    answer = user_answer if len(user_answer) <= LLM_ANSWER_CHARS else user_answer[:LLM_ANSWER_CHARS] + " …"
    answer = neutralise(answer.replace("<<<", "«").replace(">>>", "»"))
    none, sep = ("无", "；") if language == "zh" else ("none", "; ")
    title = question.title
    if language != "zh" and question.aliases:
        title = question.aliases.split("|", 1)[0].strip() or title
    prompt = _LLM_ASK[language].format(
        title=title, points="\n".join(f"{i}. {p}" for i, p in enumerate(points, 1)), answer=answer,
        score=f"{score:.1f}", covered=sep.join(covered[:3]) or none, missing=sep.join(missing[:3]) or none)
    messages = [{"role": "system", "content": _LLM_SYSTEM[language]}, {"role": "user", "content": prompt}]
    text = _first_sentences("".join(chat_model.stream_chat(messages, max_new_tokens=LLM_FEEDBACK_TOKENS)), 3)
    if len(text) < 8 or not answer_language_ok(text, language):
        raise ValueError("LLM feedback empty or in the wrong language")
    if _PROMPT_ECHO.search(text) or _copies(text, question.answer) or _copies(text, user_answer, 40):
        raise ValueError("LLM feedback echoes the prompt or pastes the reference or the answer")
    return text


_EMBED_CACHE: dict[tuple, np.ndarray] = {}
_EMBED_CACHE_MAX = 2048


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
    return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)


def _scale(value: float, low: float, high: float) -> float:
    return float(min(1.0, max(0.0, (value - low) / (high - low))))


def grade_answer(embedder, question: Question, user_answer: str, chat_model=None) -> Grade:
    """Grades `user_answer` against the question's reference (see the module docstring)."""
    points = key_points(question.answer)
    answer = (user_answer or "").strip()
    language = detect_language(answer) if answer else "zh"
    if not answer or not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", answer):
        return Grade(0.0, 0.0, 0.0, points, [], list(points), _TEXT["zh"]["empty"] + "\n" + _TEXT["en"]["empty"],
                     False)

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
    alias_hits = len(_keywords(question.aliases) & answer_tokens) if question.aliases else 0
    relevance = max(_scale(margin, RELEVANCE_LOW, RELEVANCE_HIGH), min(1.0, alias_hits / ALIAS_HITS_FULL))

    covered: list[str] = []
    if points:
        point_vecs = _embed(embedder, points, "query")
        clauses = _answer_clauses(answer)
        clause_vecs = _embed(embedder, clauses, "query")
        to_points = clause_vecs @ point_vecs.T
        to_background = (clause_vecs @ bg_query[unrelated].T).max(axis=1)
        lead = to_points.max(axis=1) - to_background  # > 0: the clause is about a key point, not another topic
        title_words = _keywords(question.title)
        restated = [bool(words) and words <= title_words for words in map(_keywords, clauses)]
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
            named = any(_keyword_hit(_keywords(alt) - title_tokens, answer_tokens, answer_lower) == 1.0
                        for alt in alternatives[1:])
            share = _keyword_hit(_keywords(p) - title_tokens, answer_tokens, answer_lower)
            if i in supported or named or share >= KEYWORD_SHARE:
                covered.append(p)
    coverage = len(covered) / len(points) if points else relevance
    missing = [p for p in points if p not in covered]
    full = COVERAGE_FULL if len(points) > 3 else 1.0
    # coverage counts half for an answer that is not about this question at all (chance matches)
    credit = min(1.0, coverage / full) * (0.5 + 0.5 * relevance)
    score = round(10.0 * (RELEVANCE_WEIGHT * relevance + (1 - RELEVANCE_WEIGHT) * credit), 1)

    feedback, from_llm = "", False
    if chat_model is not None:
        try:
            feedback = _llm_feedback(chat_model, question, answer, score, points, covered, missing, language)
            from_llm = True
        except Exception:  # noqa: BLE001 - any model failure falls back to the rule-based feedback
            feedback, from_llm = "", False
    if not from_llm:
        feedback = _rule_feedback(score, points, missing, language)
    return Grade(score, round(similarity, 4), round(coverage, 4), points, covered, missing, feedback, from_llm)


# ---------------------------------------------------------------------------------- session actions
def _require_current(session: InterviewSession) -> InterviewItem:
    item = session.current()
    if item is None:
        raise ValueError("the interview is finished: start a new one")
    return item


def submit_answer(session: InterviewSession, embedder, user_answer: str, chat_model=None) -> Grade:
    """Grades the current question, records the answer and moves to the next one."""
    item = _require_current(session)
    grade = grade_answer(embedder, item.question, user_answer, chat_model)
    item.answer, item.grade, item.skipped = user_answer or "", grade, False
    session.position += 1
    return grade


def skip(session: InterviewSession) -> None:
    """Marks the current question as skipped and moves on (no-op once finished)."""
    item = session.current()
    if item is None:
        return
    item.skipped = True
    session.position += 1


_HINT = {
    "zh": {"first": "提示 1：参考答案共有 {n} 个要点。第一个要点以「{start}…」开头。",
           "more": "提示 {k}：{point}", "none": "没有更多提示了。", "done": "面试已结束。",
           "empty": "这道题没有可提示的要点。"},
    "en": {"first": "Hint 1: the reference has {n} key points. The first one begins with “{start}…”.",
           "more": "Hint {k}: {point}", "none": "No more hints.", "done": "The interview is finished.",
           "empty": "This question has no key points to hint at."},
}


def _opening(text: str) -> str:
    """The first words of a key point: at most 8 characters / 4 words, and never the whole of a short one."""
    if _CJK.search(text[:12]):
        return text[:max(2, min(8, len(text) // 2))]
    words = text.split()
    if len(words) > 1:
        return " ".join(words[:max(1, min(4, len(words) // 2))])
    return text[:max(2, len(text) // 2)]


def hint(session: InterviewSession, language: str = "zh") -> str:
    """Reveals the current question's reference step by step and counts the hints used.

    1st: how many key points there are and the first words of the first; 2nd: the second key point in
    full; then one more per call (the first one, in full, last) until none are left – a call with nothing
    left to reveal says so and is not counted."""
    t = _HINT.get(language, _HINT["en"])
    item = session.current()
    if item is None:
        return t["done"]
    points = key_points(item.question.answer)
    if not points:
        return t["empty"]
    k = item.hints
    if k == 0:
        text = t["first"].format(n=len(points), start=_opening(points[0]))
    else:
        order = points[1:] + points[:1]  # the other points, then the first one in full
        if k - 1 >= len(order):
            return t["none"]
        text = t["more"].format(k=k + 1, point=order[k - 1])
    item.hints += 1
    return text


# -------------------------------------------------------------------------------------- summaries
def summary(session: InterviewSession) -> dict:
    """Per-question rows, the average over answered questions and the topics worth reviewing.

    {"rows": [{"id", "title", "topic", "score": float | "skipped" | None (not reached), "status":
    "answered" | "skipped" | "pending", "hints"}], "answered", "skipped", "pending", "total",
    "average": float | None, "topic_scores": {topic: average | None}, "review_topics": [topic, ...],
    "series", "topics"}"""
    rows = []
    per_topic: dict[str, list[float]] = {}
    skipped_topics: set[str] = set()
    for item in session.items:
        q = item.question
        topic = topic_of(q)
        if item.grade is not None:
            status, score = "answered", item.grade.score
            per_topic.setdefault(topic, []).append(score)
        elif item.skipped:
            status, score = "skipped", "skipped"
            skipped_topics.add(topic)
            per_topic.setdefault(topic, [])
        else:
            status, score = "pending", None
        rows.append({"id": q.id, "title": q.title, "topic": topic, "score": score, "status": status,
                     "hints": item.hints})
    scores = [s for values in per_topic.values() for s in values]
    topic_scores = {t: (round(sum(v) / len(v), 1) if v else None) for t, v in per_topic.items()}
    review = [t for t in TOPICS if t in skipped_topics
              or (topic_scores.get(t) is not None and topic_scores[t] < REVIEW_BELOW)]
    return {
        "rows": rows,
        "answered": sum(r["status"] == "answered" for r in rows),
        "skipped": sum(r["status"] == "skipped" for r in rows),
        "pending": sum(r["status"] == "pending" for r in rows),
        "total": len(rows),
        "average": round(sum(scores) / len(scores), 1) if scores else None,
        "topic_scores": {t: topic_scores[t] for t in TOPICS if t in topic_scores},
        "review_topics": review,
        "series": session.series,
        "topics": list(session.topics),
    }


_SUMMARY = {
    "zh": {"title": "### 面试总结", "head": "| 题号 | 题目 | 主题 | 得分 | 提示 |", "skipped": "跳过",
           "pending": "未作答", "average": "**平均分：{avg} / 10**（作答 {a} 题，跳过 {s} 题，共 {t} 题）",
           "no_average": "**平均分：—**（没有作答的题目）", "review": "**建议复习：**{topics}",
           "no_review": "各主题表现良好，暂无需要重点复习的主题。"},
    "en": {"title": "### Interview summary", "head": "| ID | Question | Topic | Score | Hints |",
           "skipped": "skipped", "pending": "not answered",
           "average": "**Average: {avg} / 10** ({a} answered, {s} skipped, {t} in all)",
           "no_average": "**Average: —** (no answered questions)", "review": "**Topics to review:** {topics}",
           "no_review": "No topic needs review."},
}


def format_summary_markdown(summary: dict, language: str = "zh") -> str:
    """The summary as Markdown: a table of the questions, the average and the topics to review."""
    t = _SUMMARY.get(language, _SUMMARY["en"])
    lines = [t["title"], "", t["head"], "|---|---|---|---|---|"]
    for row in summary["rows"]:
        score = row["score"]
        shown = t["skipped"] if score == "skipped" else t["pending"] if score is None else f"{score:.1f}"
        title = row["title"].replace("|", "\\|")
        lines.append(f"| {row['id']} | {title} | {topic_name(row['topic'], language)} | {shown} | {row['hints']} |")
    lines.append("")
    if summary["average"] is None:
        lines.append(t["no_average"])
    else:
        lines.append(t["average"].format(avg=f"{summary['average']:.1f}", a=summary["answered"],
                                         s=summary["skipped"], t=summary["total"]))
    lines.append("")
    sep = "、" if language == "zh" else ", "
    if summary["review_topics"]:
        lines.append(t["review"].format(topics=sep.join(topic_name(x, language) for x in summary["review_topics"])))
    else:
        lines.append(t["no_review"])
    return "\n".join(lines)


def reference_markdown(question: Question, language: str = "zh") -> str:
    """The reference answer as Markdown, ending with its citation line, e.g. `[Q73] file.md:12`."""
    head = "参考答案" if language == "zh" else "Reference answer"
    body = question.answer.strip() if question.has_answer else (
        "（知识库中这道题没有书面答案）" if language == "zh" else "(no written answer in the knowledge base)")
    where = f" {question.source}:{question.line}" if question.source else ""
    return f"**{head} · {question.id} {question.title}**\n\n{body}\n\n[{question.id}]{where}"
