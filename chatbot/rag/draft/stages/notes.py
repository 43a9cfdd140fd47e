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
        "unconfirmed": "> 注：标有 ⁽?⁾ 的句子未能与知识库核对，请自行核实。",
        "partial": "知识库只部分涵盖这个问题：带编号引用（如 [Q73]）的内容出自知识库，标有 ⁽?⁾ 的内容未能与知识库核对，请自行核实。",
    },
    "en": {
        "title_only": "The knowledge base lists question {qid} ({title}) without a written answer. "
                      "What follows draws on related entries. [{qid}]",
        "kb_code": "Code from the knowledge base [{qid}] (quoted verbatim):",
        "model_code": "> Note: the code below was written by the model, not taken from the knowledge base; "
                      "please verify it.",
        "code_cut": "(The model's code example ran past the length limit; the cut-off part was left out.)",
        "unconfirmed": "> Note: sentences marked ⁽?⁾ could not be confirmed against the knowledge base; "
                       "please verify them.",
        "partial": "The knowledge base covers this question only in part: what carries a citation such as [Q73] "
                   "comes from it; sentences marked ⁽?⁾ could not be confirmed against it, so please verify them.",
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
    what the mark on unconfirmed sentences means."""

    name = "closing_notes"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        text = TEXT[ctx.language]
        if "cut_code" in draft.removed and not ctx.kb_code:
            draft.segments += note_block("code_cut", text["code_cut"])
        if any(isinstance(s, Note) and s.kind == "partial" for s in draft.segments):
            return  # the opening line already says what the marks mean
        if any(s.support == "marked" for s in draft.sentences()):
            draft.segments += note_block("unconfirmed", text["unconfirmed"])


class PartialCoverage(Stage):
    """When most of what the model wrote is not confirmed by the knowledge base, the answer says so first, in
    one line, instead of letting confident prose pass for the knowledge base's."""

    name = "partial_coverage"

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        judged = [s for s in draft.sentences() if s.support in ("cited", "checked", "marked")]
        if judged and sum(s.support == "marked" for s in judged) > len(judged) / 2:
            draft.segments[:0] = [Note("partial", TEXT[ctx.language]["partial"]), Gap("\n\n")]
