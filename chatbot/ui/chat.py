"""The Chat tab: a generator that shows the sources first, then the growing answer, then the checked one."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, NamedTuple

from chatbot.rag.answerer import Answerer
from chatbot.rag.followup import Turn
from chatbot.rag.limits import MAX_QUESTION_CHARS
from chatbot.records import Answer, Final
from chatbot.ui.rendering import answer_markdown, error_reason, escape_text, safe_markdown, sources_markdown
from chatbot.ui.texts import FOOTER_MODES, MAX_TURNS_KEPT, MSG
from indexer.text import bound_user_text

log = logging.getLogger(__name__)


class ChatView(NamedTuple):
    """What one step of the chat shows: the outputs of the chat event, in this order."""

    messages: list[dict[str, str]]
    sources: str
    turns: list[Turn]
    textbox: str
    answer_json: dict[str, Any] | None


def _msg(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def chat_messages(turns: list[Turn], *, link_last: bool = True) -> list[dict[str, str]]:
    """gr.Chatbot messages for the kept turns; only the newest answer links its citations
    (its sources are the ones in the panel)."""
    messages = []
    for n, t in enumerate(turns):
        messages.append(_msg("user", escape_text(t.question)))
        last = n == len(turns) - 1
        messages.append(_msg("assistant", answer_markdown(t.answer) if last and link_last else safe_markdown(t.answer)))
    return messages


def answer_footer(answer: Answer) -> str:
    mode = FOOTER_MODES.get(answer.mode, answer.mode)
    model = f" · {escape_text(answer.model)}" if answer.model else ""
    return (f"<sub>{mode}{model} · 检索 / retrieval {answer.retrieval_ms:.0f} ms · "
            f"首字 / first token {answer.first_token_ms:.0f} ms · 共 / total {answer.total_ms / 1000:.1f} s</sub>")


class ChatTab:
    def __init__(self, answerer: Answerer, *, use_llm: bool = True) -> None:
        self.answerer = answerer
        self.use_llm = use_llm  # with backend "none" the engine has no model: answers are extractive

    def ask(self, message: str, turns: list[Turn] | None) -> Iterator[ChatView]:
        """The sources panel is filled right after retrieval, before the model's first token; then the
        answer grows; the final view carries the citation-checked answer and the updated history."""
        turns = list(turns or [])
        earlier = chat_messages(turns, link_last=False)
        text, cut_from = bound_user_text((message or "").strip(), MAX_QUESTION_CHARS)  # control characters go
        text = text.strip()
        if not text:
            yield ChatView(chat_messages(turns), MSG["empty_question"], turns, "", None)
            return
        if cut_from:
            yield ChatView(chat_messages(turns), MSG["long_question"].format(n=MAX_QUESTION_CHARS), turns, message,
                           None)
            return
        user = _msg("user", escape_text(text))
        yield ChatView(earlier + [user, _msg("assistant", MSG["searching"])], MSG["sources_idle"], turns, "", None)
        try:
            prepared = self.answerer.prepare(text, turns)
        except Exception as exc:
            log.exception("retrieval failed for %r", text)
            yield ChatView(earlier + [user, _msg("assistant", MSG["chat_error"].format(why=error_reason(exc)))],
                           MSG["sources_idle"], turns, "", None)
            return
        sources = sources_markdown(prepared.hits, refused=prepared.refused, language=prepared.language)
        known = [h.question.id for h in prepared.hits]
        yield ChatView(earlier + [user, _msg("assistant", MSG["thinking"])], sources, turns, "", None)
        final: Answer | None = None
        partial = ""
        try:
            for event in self.answerer.stream(prepared, turns, use_llm=self.use_llm):
                if isinstance(event, Final):
                    final = event.answer
                    break
                partial = event.text
                yield ChatView(earlier + [user, _msg("assistant", answer_markdown(partial, known))], sources, turns,
                               "", None)
        except Exception as exc:
            log.exception("answering failed for %r", text)
            shown = (partial + "\n\n" if partial else "") + MSG["chat_error"].format(why=error_reason(exc))
            yield ChatView(earlier + [user, _msg("assistant", safe_markdown(shown))], sources, turns, "", None)
            return
        info = None
        final_text = partial  # the stream ended without its Answer: keep what was written
        if final is not None:
            final_text, info = final.text, final.to_json()
            sources = sources + "\n\n" + answer_footer(final)
        turns = (turns + [Turn(text, prepared.resolved_query, final_text)])[-MAX_TURNS_KEPT:]
        yield ChatView(chat_messages(turns), sources, turns, "", info)

    def clear(self) -> ChatView:
        """A fresh conversation."""
        return ChatView([], MSG["sources_idle"], [], "", None)
