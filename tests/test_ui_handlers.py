"""The web UI's handlers against the real knowledge base and embedder (no LLM unless faked)."""
import re

import pytest

from chatbot.rag.engine import Engine
from chatbot.rag.followup import Turn
from chatbot.ui import Handlers
from chatbot.ui.rendering import (
    answer_markdown,
    escape_text,
    link_citations,
    question_markdown,
    safe_markdown,
    sources_markdown,
)
from chatbot.ui.texts import MSG
from tests.fakes import ScriptedModel


@pytest.fixture(scope="module")
def handlers(engine):
    return Handlers(engine)


def run_chat(handlers, message, turns=None):
    return list(handlers.chat.ask(message, turns))


def last_assistant(messages):
    return [m for m in messages if m["role"] == "assistant"][-1]["content"]


# ----------------------------------------------------------------------------- rendering


def test_safe_markdown_escapes_html_outside_code_and_keeps_fences():
    text = ('Hi <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))\n'
            '[ref]: javascript:alert(4)\nuse `a<b` here\n\n```python\nif a < b:\n    print("<b>")\n```\n> note')
    out = safe_markdown(text)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script>" in out
    assert "](javascript" not in out and "]: javascript" not in out
    assert "`a<b`" in out  # code span untouched
    assert '```python\nif a < b:\n    print("<b>")\n```' in out  # fence untouched, highlightable
    assert out.endswith("> note")  # Markdown quotes survive


def test_unterminated_fence_while_streaming_stays_code():
    out = safe_markdown("text <b>\n```python\nx = 1 < 2")
    assert out == "text &lt;b>\n```python\nx = 1 < 2"


def test_escape_text_neutralises_markdown_and_html():
    out = escape_text("<b>*bold*</b> [a](b) # h")
    assert "<" not in out and "[a](b)" not in out and "*bold*" not in out


def test_citations_become_links_to_source_anchors_but_not_in_code():
    text = "Accumulate gradients [Q73]. Both [Q73, E5]. 【E5】\n```\nx[Q1]\n```"
    out = link_citations(text)
    assert out.count("(#src-Q73)") == 2 and out.count("(#src-E5)") == 2
    assert "x[Q1]" in out and "#src-Q1" not in out
    assert link_citations("see [Q9]", known=["Q73"]) == "see [Q9]"


def test_answer_markdown_cannot_be_tricked_into_a_live_link():
    out = answer_markdown("[Q73](javascript:alert(1)) <a href='x'>")
    assert "](javascript" not in out and "<a " not in out
    assert re.findall(r"\]\(([^)]*)\)", out) == ["#src-Q73"]  # the only link is ours


def test_question_markdown_with_code_and_title_only_badge(engine):
    q73 = engine.index.questions["Q73"]
    md = question_markdown(q73, engine.index.kb.series_titles)
    assert "Q73" in md and "梯度累积" in md and "仅题目" not in md
    e3 = engine.index.questions["E3"]  # an answer with code: the fence is shown verbatim
    assert e3.code_blocks
    assert f"```{e3.code_blocks[0].language}\n{e3.code_blocks[0].code}" in question_markdown(e3)
    from dataclasses import replace

    title_only = replace(engine.index.questions["Q27"], answer="", supplement=False)
    md = question_markdown(title_only)
    assert title_only.id in md and "仅题目 / title only" in md
    supplemented = question_markdown(engine.index.questions["Q27"])
    assert "补充答案 / written for this product" in supplemented and "仅题目" not in supplemented
    assert "`= Q17`" in question_markdown(engine.index.questions["Q35"])
    extended = question_markdown(engine.index.questions["Q79"])  # an original answer with the product's addendum
    assert "含补充 / with an addendum" in extended and "补充（本产品补写，非原文）" in extended


def test_sources_show_the_first_code_block_folded(engine):
    e21 = engine.index.questions["E21"]
    hits = [h for h in engine.retriever.search("PyTorch里怎么做数据增强？给个例子", top_k=3) if h.question.id == "E21"]
    md = sources_markdown(hits)
    assert "<details><summary>代码 / code</summary>" in md and e21.code_blocks[0].code.rstrip() in md


def test_sources_markdown_has_one_anchor_per_hit(engine):
    hits = engine.retriever.search("梯度累积", top_k=3)
    md = sources_markdown(hits)
    for h in hits:
        assert f'<a id="src-{h.question.id}"></a>' in md
    assert "没有" in sources_markdown([], refused=True)


# ----------------------------------------------------------------------------- status


def test_status_line_names_extractive_mode_and_reason(handlers):
    status = handlers.model_status()
    assert "extractive mode" in status and "disabled" in status
    assert "index" in handlers.status_markdown()


# ----------------------------------------------------------------------------- chat


def test_chat_shows_sources_before_the_answer_then_cited_answer(handlers):
    events = run_chat(handlers, "如何在PyTorch中实现梯度累积？", [])
    # the sources panel is filled while the assistant message is still a placeholder
    first_sources = next(i for i, e in enumerate(events) if 'id="src-' in e[1])
    assert last_assistant(events[first_sources][0]) in (MSG["searching"], MSG["thinking"])
    messages, sources, turns, textbox, info = events[-1]
    assert textbox == ""
    assert 'id="src-Q73"' in sources
    assert [m["role"] for m in messages] == ["user", "assistant"]
    answer = last_assistant(messages)
    assert "(#src-Q73)" in answer  # the citation links to its source entry
    assert info["citations"] and "Q73" in info["citations"] and info["mode"] == "extractive"
    assert len(turns) == 1 and isinstance(turns[0], Turn) and turns[0].question == "如何在PyTorch中实现梯度累积？"


def test_chat_follow_up_uses_history_and_keeps_it(handlers):
    turns = run_chat(handlers, "如何在PyTorch中实现梯度累积？", [])[-1][2]
    messages, sources, turns2, _, info = run_chat(handlers, "它的缺点呢？", turns)[-1]
    assert len(turns2) == 2 and turns2[0] is turns[0]
    assert len(messages) == 4
    assert "梯度累积" in info["resolved_query"]
    assert "Q73" in info["citations"]
    # only the newest answer links its citations (older sources are no longer in the panel)
    assert "(#src-" not in messages[1]["content"]


def test_chat_empty_and_whitespace_give_a_message_not_a_turn(handlers):
    for text in ("", "   ", None):
        events = run_chat(handlers, text, [])
        assert len(events) == 1
        messages, sources, turns, _, info = events[0]
        assert messages == [] and turns == [] and info is None
        assert "请输入" in sources


def test_chat_too_long_question_is_refused_politely(handlers):
    messages, sources, turns, textbox, _ = run_chat(handlers, "梯度" * 2000, [])[-1]
    assert "太长" in sources and turns == [] and textbox  # the text stays in the box to be shortened


def test_chat_refusal_shows_empty_sources(engine):
    # the refusal threshold is the answerer's business (see test_answerer); here: how the UI shows one
    from chatbot.rag.answerer import Answerer

    strict = Handlers(engine, answerer=Answerer(engine, refusal_margin=1.0))
    messages, sources, turns, _, info = run_chat(strict, "红烧肉怎么做才好吃？", [])[-1]
    assert info["refused"] and info["mode"] == "refused"
    assert "没有" in sources and 'id="src-' not in sources
    assert "抱歉" in last_assistant(messages)


def test_chat_user_html_is_escaped(handlers):
    messages, *_ = run_chat(handlers, "<script>alert(1)</script> 梯度累积 <img src=x onerror=alert(1)>", [])[-1]
    assert all("<script" not in m["content"] and "<img" not in m["content"] for m in messages)


def test_chat_state_is_not_shared_between_sessions(handlers):
    a = run_chat(handlers, "如何在PyTorch中实现梯度累积？", [])[-1][2]
    b = run_chat(handlers, "What is a tensor in PyTorch?", [])[-1][2]
    assert len(a) == 1 and len(b) == 1 and a[0].question != b[0].question


def test_clear_resets_everything(handlers):
    messages, sources, turns, textbox, info = handlers.chat.clear()
    assert messages == [] and turns == [] and textbox == "" and info is None and "Sources" in sources


GRAD_ACCUM_PIECES = ["梯度累积", "是把多个小批量的梯度", "累加后再更新参数", "，从而用较小显存模拟大批量。"]


def handlers_with_model(engine, model):
    return Handlers(Engine(engine.config, index=engine.index, chat_model=model))


def test_chat_streams_model_tokens_after_sources(engine):
    h = handlers_with_model(engine, ScriptedModel(GRAD_ACCUM_PIECES))
    assert "fakellm" in h.model_status() and "cpu" in h.model_status()
    events = run_chat(h, "如何在PyTorch中实现梯度累积？", [])
    answers = [last_assistant(e[0]) for e in events]
    first_token = next(i for i, a in enumerate(answers) if "梯度累积" in a)
    assert 'id="src-' in events[first_token - 1][1]  # sources were shown before the first token
    assert len({a for a in answers[first_token:]}) >= 3  # the answer grows
    info = events[-1][4]
    assert info["mode"] == "llm" and info["model"] == "fakellm"
    assert "fakellm" in events[-1][1]  # footer under the sources


def test_chat_survives_a_model_crash(engine):
    broken = ScriptedModel(["部分"], error=RuntimeError("out of memory"))
    messages, sources, turns, _, info = run_chat(handlers_with_model(engine, broken), "如何在PyTorch中实现梯度累积？",
                                                 [])[-1]
    assert info["mode"] == "extractive"  # the answerer falls back; the user still gets an answer
    assert "Q73" in info["citations"]


def test_chat_never_raises_when_retrieval_fails(engine, monkeypatch):
    h = Handlers(engine)
    monkeypatch.setattr(h.chat.answerer, "prepare", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("index gone")))
    messages, sources, turns, _, info = run_chat(h, "梯度累积", [])[-1]
    assert "index gone" in last_assistant(messages) and turns == [] and info is None


# ----------------------------------------------------------------------------- lookup


@pytest.mark.parametrize("query", ["Q73", "q73", "73", " Q 73 "])
def test_lookup_by_id_opens_that_question(handlers, query):
    md = handlers.lookup.lookup(query)
    assert md.startswith("## Q73 ") and "梯度累积" in md


def test_lookup_shows_that_an_answer_was_corrected_and_why(handlers):
    md = handlers.lookup.lookup("Q73")
    assert "勘误 / corrected" in md and "optimizer.step()" in md and "参数更新。" not in md
    assert "勘误" not in handlers.lookup.lookup("Q72")


def test_lookup_interview_series_id(handlers):
    assert handlers.lookup.lookup("e5").startswith("## E5 ")


@pytest.mark.parametrize("query", ["Q999", "E99", "500"])
def test_lookup_unknown_id_is_a_clear_message(handlers, query):
    md = handlers.lookup.lookup(query)
    assert "没有编号为" in md and "Q1–Q100" in md


@pytest.mark.parametrize("query", ["", "   ", None])
def test_lookup_empty(handlers, query):
    assert handlers.lookup.lookup(query) == MSG["lookup_empty"]


def test_lookup_keywords_lists_matches_with_answers_and_code(handlers):
    md = handlers.lookup.lookup("梯度累积")
    assert md.startswith("#### ")  # a results header, not a single question
    ids = re.findall(r"^### ([A-Z]{1,3}\d+) ", md, re.M)
    assert ids[0] == "Q73" and len(ids) == 5
    assert "```" in handlers.lookup.lookup("保存和加载模型 save load model")


def test_lookup_escapes_the_query(handlers):
    assert "<script" not in handlers.lookup.lookup("<script>alert(1)</script>")


def test_browse_lists_every_question_by_series(handlers, engine):
    md = handlers.lookup.browse("all")
    for qid in ("Q1", "Q100", "E1", "E31"):
        assert f"**{qid}**" in md
    assert "补充答案" in md and "仅题目" not in md  # every question is answered now
    main = handlers.lookup.browse("main")
    assert "**Q1**" in main and "**E1**" not in main
    assert "unknown series" in handlers.lookup.browse("nope")
    choices = handlers.lookup.question_choices()
    assert len(choices) == len(engine.index.questions) and ("Q73" in dict((v, k) for k, v in choices))


# ----------------------------------------------------------------------------- mock interview


def test_interview_full_run_to_summary(handlers):
    question, feedback, summary, session, box = handlers.interview.start(["training_optimisation"], 2, "all", None)
    assert session is not None and len(session.items) == 2
    assert "1/2" in question and session.items[0].question.id in question
    assert "```" not in question  # the reference answer is not shown while the question is open

    question, feedback, summary, session, box = handlers.interview.hint(session)
    assert "提示" in feedback and "1/2" in question

    first = session.items[0].question
    question, feedback, summary, session, box = handlers.interview.answer(first.answer[:300], session)
    assert re.search(r"score: \*\*\d+(\.\d)?/10\*\*", feedback)
    assert "参考答案" in feedback and box == ""
    assert "2/2" in question and summary == ""

    question, feedback, summary, session, box = handlers.interview.skip(session)
    assert "已跳过" in feedback and session.finished
    assert "面试总结" in summary and "跳过" in summary  # the summary appears when the last question is done

    question, feedback, summary, session, box = handlers.interview.answer("more", session)
    assert "已经结束" in feedback


def test_interview_summary_on_demand(handlers):
    session = handlers.interview.start([], 3, "interview", None)[3]
    assert all(item.question.id.startswith("E") for item in session.items)
    summary = handlers.interview.summary(session)[2]
    assert "面试总结" in summary and "未作答" in summary


def test_interview_answer_without_interview(handlers):
    question, feedback, summary, session, box = handlers.interview.answer("my answer", None)
    assert feedback == MSG["no_interview"] and session is None and box == "my answer"
    assert handlers.interview.hint(None)[1] == MSG["no_interview"]
    assert handlers.interview.skip(None)[1] == MSG["no_interview"]
    assert handlers.interview.summary(None)[1] == MSG["no_interview"]


def test_interview_empty_answer_keeps_the_question(handlers):
    session = handlers.interview.start([], 1, "all", None)[3]
    question, feedback, summary, session2, box = handlers.interview.answer("   ", session)
    assert "请先写下" in feedback and session2.position == 0


@pytest.mark.parametrize("topics,n,series,expected", [
    (["no_such_topic"], 3, "all", "unknown topic"),
    ([], 0, "all", "1 到 20"),
    ([], "abc", "all", "整数"),
    ([], 3, "nope", "unknown series"),
])
def test_interview_start_bad_input_is_a_message(handlers, topics, n, series, expected):
    question, feedback, summary, session, box = handlers.interview.start(topics, n, series, None)
    assert expected in feedback and session is None


def test_interview_bad_start_keeps_the_running_session(handlers):
    running = handlers.interview.start([], 2, "all", None)[3]
    out = handlers.interview.start(["no_such_topic"], 2, "all", running)
    assert out[3] is running and "1/2" in out[0]


def test_interview_topic_choices_cover_all_topics(handlers):
    from chatbot.interview.topics import TOPICS

    assert [key for _, key in handlers.interview.topic_choices()] == list(TOPICS)
