"""The knowledge base's own code, verbatim: when the answer should show code and the retrieved passages have
some, the answer carries those blocks exactly as stored, under a line that cites them; the model writes
only the prose around them (a model rewriting code lost its arguments: `nn.Linear(10, 1)` became
`nn.Linear`)."""
from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from chatbot.rag.named_apis import GENERIC_NAMES, NAME, entry_names, named_apis, uses_any
from indexer.index.keyword import distinctive_words, tokenize
from indexer.records import CodeBlock, Question
from indexer.text import CJK, FENCED_BLOCK, SENTENCE_BREAK, identifier_names

# The question asks how to do something, for an example or for code.
_CODE_REQUEST = re.compile(
    r"代码|例子|示例|举例|范例|样例|怎么写|怎样写|如何写|写一[段个]|实现|怎么做|怎么用|如何|怎样|用法"
    r"|\b(code|snippet|example|examples|implement\w*|how (do|to|can|should|would)|write|show me|usage|sample)\b",
    re.I,
)
MOSTLY_CODE = 0.5  # a passage whose answer is at least this share code is shown with its code anyway
MAX_BLOCKS = 2


@dataclass(frozen=True)
class KBCode:
    question: Question
    block: CodeBlock

    def markdown(self) -> str:
        return f"```{self.block.language}\n{self.block.code.rstrip()}\n```"


def asks_for_code(question: str) -> bool:
    return bool(_CODE_REQUEST.search(question))


def code_share(q: Question) -> float:
    code = sum(len(b.code) for b in q.code_blocks)
    return code / max(1, len(q.plain_answer))


def code_overlap(code: str, query_tokens: set[str]) -> int:
    """How many of the question's words a code block uses (`StepLR`, `load_state_dict`, …)."""
    return len(set(tokenize(code)) & query_tokens)


def names_used(code: str, question: str) -> int:
    """How often the code uses a name exactly as the question spells it: breaks ties between blocks that
    share the same words ("自定义一个Dataset类" names `Dataset`: the block with `class MyDataset(Dataset)`,
    not the one with `datasets.MNIST`, which tokenises to the same word)."""
    names = set(NAME.findall(question))
    return sum(1 for w in NAME.findall(code) if w in names) if names else 0


def select_code(question: str, passages: list[Question], vocabulary: Container[str] = ()) -> list[KBCode]:
    """The KB code blocks the answer should include (best first), or [] when it should not show code."""
    wanted = asks_for_code(question)
    query_tokens = set(tokenize(question))
    topic_words = distinctive_words(question)
    # a question naming an API the knowledge base knows gets code only from an entry that uses it: "How do I
    # use torch.func.vmap…" had the loss-functions entry's CrossEntropyLoss block attached
    names = named_apis(question, vocabulary)
    chosen: list[KBCode] = []
    for rank, q in enumerate(passages):
        if names and not uses_any(entry_names(q), names):
            continue
        # "mostly code" speaks for the best passage only: the second one is often a neighbour topic (an
        # eval()-vs-no_grad() answer got the Dropout entry's code attached as the second passage's)
        mostly_code = rank == 0 and code_share(q) >= MOSTLY_CODE
        if not q.code_blocks or not (wanted or mostly_code):
            continue
        ranked = sorted(q.code_blocks, key=lambda b: (-code_overlap(b.code, query_tokens),
                                                      -names_used(b.code, question)))
        best = ranked[0]
        # beside code already chosen, a later passage's is often a neighbour topic's: it must use a word the
        # question is about ("用 PyTorch 定义一个只有一个全连接层的简单神经网络" had E3's Linear net and then
        # Q28's CNN, sharing only `torch`). On 425 eval questions this dropped 11 of 21 such blocks from
        # unexpected entries, and none of 17 from expected ones.
        if chosen and not code_overlap(best.code, topic_words):
            continue
        # from the best passage also a second block that uses a word of the question the first one lacks
        # ("save and load": Q100 keeps torch.save and torch.load in two blocks, and "保存和加载" asks for both)
        missing = query_tokens - set(tokenize(best.code))
        extra = [b for b in ranked[1:2] if rank == 0 and code_overlap(b.code, missing) > 0]
        # in the order the passage gives them: save before load, define before train
        picked = sorted([best] + extra, key=q.code_blocks.index)
        chosen.extend(KBCode(q, b) for b in picked)
    return chosen[:MAX_BLOCKS]


INTRO = {
    "zh": "知识库 [{qid}] 中的代码（原样引用）：",
    "en": "Code from the knowledge base [{qid}] (quoted verbatim):",
}
MODEL_CODE_NOTE = {
    "zh": "> 注：以下代码由模型编写，并非出自知识库，请自行验证。",
    "en": "> Note: the code below was written by the model, not taken from the knowledge base; please verify it.",
}


def append_kb_code(text: str, code: list[KBCode], language: str) -> str:
    parts = [text.rstrip()]
    for c in code:
        parts.append(INTRO[language].format(qid=c.question.id) + "\n\n" + c.markdown())
    return "\n\n".join(parts)


def mark_model_code(text: str, language: str) -> str:
    """Puts the "written by the model" note above each code block that carries no citation (the citation
    checker cites a block only when it matches knowledge-base code)."""
    out: list[str] = []
    pos = 0
    for m in FENCED_BLOCK.finditer(text):
        after = text[m.end():m.end() + 12]
        out.append(text[pos:m.start()])
        if not re.match(r"\s*\[[A-Z]{1,3}\d{1,4}\]", after):
            out.append(MODEL_CODE_NOTE[language] + "\n\n")
        out.append(m.group(0))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


# blank lines a removed block leaves, also the indented ones of a block inside a list item
_BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_CODE_INTRO = re.compile(r"[^\n]*[:：][ \t]*\n+(?=```)")  # a line ending in a colon right before a code block
# a list item left with nothing but its marker: "1. Import the libraries:" announced a block, and both went
_BARE_ITEM = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|[-*+])[ \t]*$", re.M)
# a paragraph right after a block that opens by pointing back at it: it describes the model's removed code, not
# the KB's: f01's "在这个例子中，我们……加载了MNIST数据集" above Q44's code, which has no MNIST; "这样，模型的
# 第5层就不会被训练" after a removed `model.layer5` loop
_DESCRIBES_BLOCK = re.compile(
    r"\n*[ \t]*(?:(?:在|通过)?(?:这个|这段|这些|上面的?|以上|上述|该|此)(?:例子|示例|代码|代码示例|实现|程序)"
    r"|(?:in|with) (?:this|the above|the|these) (?:example|code|snippet|implementation|program)s?\b"
    r"|(?:this|the above|the) (?:example|code|snippet|implementation|program) (?:above )?\w+"
    r"|这样[，,]|这样一来|(?:this|that) way,|(?:here|above),? we\b)[^\n]*(?:\n(?![ \t]*\n)[^\n]*)*",
    re.I,
)


# the heading the model put between its code and the explanation: with the code gone, the one-layer-net
# answer opened with a bare "解释："
_LEADING_LABEL = re.compile(r"\A[ \t#*]*(?:代码)?(?:解释|说明|解析|explanation|code explanation)[ \t*]*[：:][ \t*]*\n+", re.I)


def without_code_intros(text: str) -> str:
    """Removes the clause that announces a code block ("可以这样做：", "For example:"): from the last sentence
    end of its line, never the whole line. A one-line paragraph that ended in "…可以这样做：" once lost all its
    sentences, and the answer opened mid-thought. (A period inside a name, `model.layer5`, is no sentence end.)"""
    def keep(m: re.Match) -> str:
        line = m.group(0).rstrip()
        ends = [b.end() for b in SENTENCE_BREAK.finditer(line) if 0 < b.end() < len(line)]
        return line[:ends[-1]] if ends else ""
    return _CODE_INTRO.sub(keep, text)


_BACKTICKED = re.compile(r"`([^`\n]+)`")


def _names_in(paragraph: str) -> set[str]:
    """The technical names a paragraph uses, lower case, last dotted part: identifiers and backticked words,
    and in Chinese prose every ASCII word ("MNIST", "SGD")."""
    spans = " ".join(_BACKTICKED.findall(paragraph))
    words = NAME.findall(spans) + (NAME.findall(paragraph) if CJK.search(paragraph) else [])
    return (identifier_names(paragraph) | {w.lower() for w in words}) - GENERIC_NAMES


def describes(paragraph: str, code: str) -> bool:
    """Whether every name the paragraph uses occurs in `code` (also as the start of a longer name)."""
    names = _names_in(paragraph)
    words = {w.lower() for w in NAME.findall(code)}
    return bool(names) and all(any(w.startswith(n) for w in words) for n in names)


def without_model_code(text: str, kb_code: str = "") -> str:
    """The model's prose without its code: each block goes with the clause announcing it, and the gap is
    closed. The paragraph right after a block that describes it stays only when it fits `kb_code`, the code
    shown instead: the model often writes code like the passage's and then explains it well ("This code
    sets the model to evaluation mode by calling `model.eval()` …"); dropping those left four code answers
    with no prose at all."""
    text = without_code_intros(text)
    out: list[str] = []
    pos = 0
    for m in FENCED_BLOCK.finditer(text):
        out.append(text[pos:m.start()])
        after = _DESCRIBES_BLOCK.match(text, m.end())
        pos = after.end() if after and not describes(after.group(0), kb_code) else m.end()
    out.append(text[pos:])
    prose = _BLANK_RUN.sub("\n\n", _BARE_ITEM.sub("", "".join(out))).strip()
    return _LEADING_LABEL.sub("", prose) if len(out) > 1 else prose
