"""The model's code, where the knowledge base's is shown instead (a model rewriting code lost its arguments:
`nn.Linear(10, 1)` became `nn.Linear`), and code the length limit cut off (half a program misleads more than
none). A block goes with the clause that announced it and the paragraph right after it that describes it."""
from __future__ import annotations

import re
from collections.abc import Callable

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Code, Draft, Gap, Sentence
from chatbot.rag.draft.stages.base import Stage
from chatbot.rag.kbcode import describes

# a paragraph right after a block that opens by pointing back at it: it describes the model's removed code, not
# the KB's: f01's "在这个例子中，我们……加载了MNIST数据集" above Q44's code, which has no MNIST; "这样，模型的
# 第5层就不会被训练" after a removed `model.layer5` loop
_DESCRIBES_BLOCK = re.compile(
    r"(?:(?:在|通过)?(?:这个|这段|这些|上面的?|以上|上述|该|此)(?:例子|示例|代码|代码示例|实现|程序)"
    r"|(?:in|with) (?:this|the above|the|these) (?:example|code|snippet|implementation|program)s?\b"
    r"|(?:this|the above|the) (?:example|code|snippet|implementation|program) (?:above )?\w+"
    r"|这样[，,]|这样一来|(?:this|that) way,|(?:here|above),? we\b)",
    re.I,
)


def announces_code(sentence: str) -> bool:
    """"可以这样做：", "For example:": the sentence right before a block that introduces it."""
    return sentence.rstrip(" *").endswith((":", "："))


def _without_block(draft: Draft, i: int, *, kb_code: str, why: str) -> None:
    """Removes the block at `i`, the sentence before it on its line that announces it, and the paragraph after
    it that describes it, unless every name that paragraph uses is in `kb_code` (the code shown instead): the
    model often writes code like the passage's and then explains it well ("This code sets the model to
    evaluation mode by calling `model.eval()` …"); dropping those left four code answers with no prose."""
    drop = {i}
    j = i - 1
    while j >= 0 and isinstance(draft.segments[j], Gap):
        j -= 1
    before = draft.segments[j] if j >= 0 else None
    if isinstance(before, Sentence) and announces_code(before.text):
        # only the announcing sentence, never its whole line: a one-line paragraph that ended in "…可以这样做："
        # once lost all its sentences, and the answer opened mid-thought
        drop.add(j)
    after = draft.paragraph_after(i)
    first = next((draft.segments[k] for k in after if isinstance(draft.segments[k], Sentence)), None)
    if first is not None and _DESCRIBES_BLOCK.match(first.text):
        if not describes(draft.text_of(after), kb_code):
            drop.update(after)
    draft.remove(drop, why)


def _first(draft: Draft, which: Callable[[Code], bool]) -> int | None:
    return next((i for i, s in enumerate(draft.segments) if isinstance(s, Code) and which(s)), None)


class DropCutCode(Stage):
    """A block the text ends inside. While streaming that is a block still being written: it is held back, so
    a block the final answer drops is never shown, and a finished one appears whole."""

    name = "cut_code"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        kb_code = "\n".join(c.block.code for c in ctx.kb_code)
        while (i := _first(draft, lambda c: not c.closed)) is not None:
            _without_block(draft, i, kb_code=kb_code, why=self.name)


class DropModelCode(Stage):
    """Where the answer shows the knowledge base's code, the model's own goes."""

    name = "model_code"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if not ctx.kb_code:
            return
        kb_code = "\n".join(c.block.code for c in ctx.kb_code)
        while (i := _first(draft, lambda c: c.origin == "model")) is not None:
            _without_block(draft, i, kb_code=kb_code, why=self.name)
