"""The product's own words around the model's: the title-only lead, the KB's code under a citing line, the
"written by the model" note above code that is not the KB's, and what was left out or is unsupported."""
from __future__ import annotations

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.render import note_block
from chatbot.rag.draft.segments import Code, Draft, Gap, Note
from chatbot.rag.draft.stages.base import Stage

TEXT = {
    "zh": {
        "title_only": "知识库只列出了问题 {qid}（{title}），没有书面答案。以下内容参考了相关条目。 [{qid}]",
        "kb_code": "知识库 [{qid}] 中的代码（原样引用）：",
        "model_code": "> 注：以下代码由模型编写，并非出自知识库，请自行验证。",
        "code_cut": "（模型写的示例代码超出了长度限制，被截断的部分已省略。）",
        "uncited": "> 注：没有 [Q…]/[E…] 引用标记的句子不是出自知识库，请自行核实。",
    },
    "en": {
        "title_only": "The knowledge base lists question {qid} ({title}) without a written answer. "
                      "What follows draws on related entries. [{qid}]",
        "kb_code": "Code from the knowledge base [{qid}] (quoted verbatim):",
        "model_code": "> Note: the code below was written by the model, not taken from the knowledge base; "
                      "please verify it.",
        "code_cut": "(The model's code example ran past the length limit; the cut-off part was left out.)",
        "uncited": "> Note: sentences without a [Q…]/[E…] citation do not come from the knowledge base; "
                   "please verify them.",
    },
}


class TitleOnlyLead(Stage):
    """The best entry has only a title: the answer says so first, and cites it."""

    name = "title_only"
    while_streaming = True

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        if ctx.title_only is not None:
            q = ctx.title_only
            draft.segments[:0] = [Note("title_only", TEXT[ctx.language]["title_only"].format(qid=q.id, title=q.title)),
                                  Gap("\n\n")]


class MarkModelCode(Stage):
    """Code that is not the KB's (no entry's lines match it) is marked as the model's, right above it."""

    name = "model_code_note"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        for i in reversed(range(len(draft.segments))):
            seg = draft.segments[i]
            if isinstance(seg, Code) and seg.origin == "model" and seg.source is None:
                draft.segments[i:i] = [Note("model_code", TEXT[ctx.language]["model_code"]), Gap("\n\n")]


class AppendKBCode(Stage):
    """The KB's blocks, verbatim, after the prose, each under a line that cites its entry."""

    name = "kb_code"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        for c in ctx.kb_code:
            draft.segments += [*note_block("kb_code", TEXT[ctx.language]["kb_code"].format(qid=c.question.id)),
                               Code(c.markdown(), origin="kb", source=c.question.id)]


class ClosingNotes(Stage):
    """What the user should know about the text above: model code cut off (when no KB code replaced it), and
    sentences that no passage supports."""

    name = "closing_notes"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        text = TEXT[ctx.language]
        if "cut_code" in draft.removed and not ctx.kb_code:
            draft.segments += note_block("code_cut", text["code_cut"])
        if any(s.support == "uncited" for s in draft.sentences()):
            draft.segments += note_block("uncited", text["uncited"])
