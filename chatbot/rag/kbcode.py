"""Which of the knowledge base's code blocks an answer shows, verbatim: when the answer should show code and the
retrieved passages have some, the answer carries those blocks exactly as stored, under a line that cites them
(`chatbot/rag/draft/stages/notes.py`); the model writes only the prose around them (a model rewriting code lost its arguments: `nn.Linear(10, 1)` became
`nn.Linear`)."""
from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from chatbot.calibration import MOSTLY_CODE
from chatbot.rag.named_apis import GENERIC_NAMES, NAME, code_uses_any, entry_names, named_apis, uses_any
from indexer.index.keyword import distinctive_words, tokenize
from indexer.records import CodeBlock, Question
from indexer.text import CJK, identifier_names

# The question asks how to do something, for an example or for code.
_CODE_REQUEST = re.compile(
    r"代码|例子|示例|举例|范例|样例|怎么写|怎样写|如何写|写一[段个]|实现|怎么做|怎么用|如何|怎样|用法"
    r"|\b(code|snippet|example|examples|implement\w*|how (do|to|can|should|would)|write|show me|usage|sample)\b",
    re.I,
)
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
    """The share of the entry's answer that is code. An entry whose own answer is mostly code stays so when the
    product's prose addendum is appended: Q100's save/load blocks are its answer, and an addendum explaining why
    to save the state_dict must not cost "用 PyTorch 保存和加载模型" its code."""
    whole = sum(len(b.code) for b in q.code_blocks) / max(1, len(q.plain_answer))
    if not q.addendum:
        return whole
    original = q.original_answer
    own = sum(len(b.code) for b in q.code_blocks if b.code in original) / max(1, len(original))
    return max(whole, own)


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
        mostly_code = rank == 0 and code_share(q) >= MOSTLY_CODE.value
        # and the block itself uses it: Q14 names `torch.compile` in its prose, and its NaN-debugging script was
        # attached to "How does torch.compile speed up a model?" (issue #21)
        blocks = [b for b in q.code_blocks if not names or code_uses_any(b.code, names)]
        if not blocks or not (wanted or mostly_code):
            continue
        ranked = sorted(blocks, key=lambda b: (-code_overlap(b.code, query_tokens), -names_used(b.code, question)))
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
