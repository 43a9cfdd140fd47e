"""A closing summary does not reach the user. It announces that it only restates the answer ("In summary, …",
"总之，…"), and it is where the 1.5B model conflates what it said correctly above: of the 7 summaries in the 96
answers of eval/facts_questions.jsonl and eval/nearkb_questions.jsonl at 36b514c, two were false ("`model.eval()`
is used to … disable gradient computation", f02, after the answer had said it does not; "`nn.NLLLoss` is used
for regression tasks", n01), one could not be confirmed, three said nothing of their own ("autograd … 非常灵活和
易于使用") and one was a correct restatement. The sentence check let the false two pass: a sentence joining a
true clause to a false one reads to the judge as agreeing (f02 scored 2.03)."""
from __future__ import annotations

import re

from chatbot.rag.draft.context import AnswerContext
from chatbot.rag.draft.segments import Draft, Gap, Sentence
from chatbot.rag.draft.stages.base import Stage

_SUMMARY = re.compile(r"^[#*\s]*(?:in summary|in conclusion|to summari[sz]e|to sum up|overall\s*[,:]|总之|综上|"
                      r"总结|总的来说|总而言之)", re.I)


class DropSummary(Stage):
    name = "drop_summary"
    while_streaming = True  # "In summary" is the first thing streamed of it: never shown, then taken back

    def apply(self, draft: Draft, ctx: AnswerContext) -> None:
        for i, seg in enumerate(draft.segments):
            if isinstance(seg, Sentence) and _SUMMARY.match(seg.text) and self._opens_paragraph(draft, i):
                draft.remove([i, *draft.paragraph_after(i)], "summary")
                return

    @staticmethod
    def _opens_paragraph(draft: Draft, i: int) -> bool:
        """A summary starts a line after the answer (an answer that is nothing but one keeps it)."""
        before = draft.segments[i - 1] if i else None
        return isinstance(before, Gap) and "\n" in before.text
