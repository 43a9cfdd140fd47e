"""Every fixed text the web UI shows (Chinese / English), and the UI's own sizes. What a user may type is bounded
by the layer that reads it (chatbot/rag/limits.py, chatbot/interview/limits.py): the tabs refuse what it would
cut."""
from __future__ import annotations

MAX_TURNS_KEPT = 50  # shown in the chat; the answerer itself only looks at the last `history_turns`
LOOKUP_RESULTS = 5
MAX_INTERVIEW_QUESTIONS = 20

ALL_SERIES = ("全部 / all", "all")

MSG = {
    "sources_idle": "#### 来源 / Sources\n\n提问后，这里会列出回答引用的知识库题目。 / "
                    "The knowledge-base questions an answer cites appear here.",
    "empty_question": "#### 来源 / Sources\n\n⚠️ 请输入一个问题。 / Please type a question first.",
    "long_question": "#### 来源 / Sources\n\n⚠️ 问题太长（最多 {n} 个字符）。 / "
                     "The question is too long (at most {n} characters).",
    "searching": "⏳ 正在检索知识库… / Searching the knowledge base…",
    "thinking": "⏳ 正在生成回答… / Writing the answer…",
    "chat_error": "⚠️ 出错了，没能回答这个问题（{why}）。请换个说法再试。 / Something went wrong ({why}); "
                  "please try again.",
    "lookup_empty": "⚠️ 请输入题号（如 Q73、73、E5）或关键词。 / Type an id (Q73, 73, E5) or keywords.",
    "lookup_long": "⚠️ 问题太长（最多 {n} 个字符）。 / The question is too long (at most {n} characters).",
    "lookup_unknown_id": "⚠️ 没有编号为 **{qid}** 的题目。现有题号：{ranges}。 / There is no question {qid}.",
    "lookup_failed": "⚠️ 查询失败 / lookup failed: {why}",
    "lookup_nothing": "没有找到与 “{text}” 相关的题目。 / Nothing matches “{text}”.",
    "unknown_series": "⚠️ 没有这个系列 / unknown series: {series}",
    "no_interview": "⚠️ 还没有进行中的面试，请先点击“开始面试”。 / No interview is running: press Start first.",
    "interview_over": "✅ 本次面试已经结束，可查看总结或重新开始。 / This interview is over: see the summary or start "
                      "a new one.",
    "empty_answer": "⚠️ 请先写下你的回答（也可以点“提示”或“跳过”）。 / Type your answer first (or use Hint / Skip).",
    "long_answer": "⚠️ 回答太长（最多 {n} 个字符）。 / The answer is too long (at most {n} characters).",
    "interview_idle": "选择主题、题数和题库系列，然后点击“开始面试”。 / Pick topics, a number of questions and a "
                      "series, then press Start.",
    "bad_count": "题数必须是整数。 / The number of questions must be a whole number.",
    "count_range": "题数应在 1 到 {n} 之间。 / Choose 1 to {n} questions.",
    "fewer_questions": "ℹ️ 符合条件的题目只有 {n} 道。 / Only {n} questions match these choices.",
    "action_failed": "⚠️ {what}失败 / {what_en} failed: {why}",
    # interview progress (chatbot/ui/interview.py, chatbot/ui/progress.py)
    "not_saved": "⚠️ **未保存 / not saved:** 评分照常显示，但没有记入学习进度（{why}）。 / The grade is shown but was "
                 "not saved to your progress ({why}).",
    "rating": "🗂️ 复习评级 / review rating: **{zh} / {en}**（按得分建议；可用下方按钮更改 / suggested by the score: "
              "change it with the buttons below before the next question）",
    "rated": "🗂️ {qid} 评级改为 / rated **{zh} / {en}** · 下次复习 / next review: **{due}**",
    "progress_idle": "点击“刷新”查看学习进度。 / Press Refresh to see your progress.",
    "progress_unavailable": "⚠️ 学习进度无法读取 / progress cannot be read: {why}",
    "session_pick": "选择一次面试查看其回答与评分。 / Pick a session to see its answers and grades.",
    "conversation_not_saved": "⚠️ 对话或评价未保存 / not saved ({why})",
}

# How an interview's questions are chosen (chatbot/interview/choose.py), as offered and as announced.
PRACTICE_MODES = {"auto": "自动（有到期题先复习）/ auto: due first", "due": "到期复习 / due for review",
                  "new": "新题 / new questions", "weak": "薄弱主题优先 / weakest topics first", "random": "随机 / random"}
MODE_CHOSEN = {"due": "🗂️ 本次是到期复习的题目。 / Questions due for review.",
               "new": "🆕 本次是没答过的新题。 / Questions you have not answered yet.",
               "weak": "📉 本次从最薄弱的主题开始。 / Your weakest topics first.",
               "random": "🎲 本次随机抽题。 / A random set."}

FOOTER_MODES = {"llm": "模型生成 / generated", "extractive": "知识库摘录 / extractive", "refused": "拒答 / refused"}
