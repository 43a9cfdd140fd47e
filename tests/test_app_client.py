"""End to end: `python app.py --backend none` in a subprocess, driven through gradio_client."""
from __future__ import annotations

import pytest


@pytest.fixture()
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)  # one Client = one browser session (its own gr.State)


def text_of(message: dict) -> str:
    """gr.Chatbot messages come back with content as a list of {"type": "text", "text": ...} parts."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def test_api_names(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/chat", "/chat_clear", "/lookup", "/browse", "/interview_start", "/interview_answer",
            "/interview_hint", "/interview_skip", "/interview_summary", "/status"} <= names


def test_chat_turn_streams_sources_first_and_answers_with_citations(client):
    job = client.submit("如何在PyTorch中实现梯度累积？", api_name="/chat")
    messages, sources, textbox, info = job.result(timeout=300)
    assert textbox == ""
    assert info["citations"] and "Q73" in info["citations"] and not info["refused"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert "(#src-Q73)" in text_of(messages[-1])
    assert 'id="src-Q73"' in sources
    # the sources panel was sent before the answer text
    early = [out for out in job.outputs() if 'id="src-' in out[1]]
    assert early and "⏳" in text_of(early[0][0][-1])

    # same client = same session: a follow-up sees the history; a new client does not
    messages, _, _, info = client.predict("它的缺点呢？", api_name="/chat")
    assert len(messages) == 4 and "梯度累积" in info["resolved_query"]
    messages, *_ = client.predict(api_name="/chat_clear")
    assert messages == []


def test_chat_empty_question_is_a_message(client):
    messages, sources, _, info = client.predict("   ", api_name="/chat")
    assert messages == [] and info is None and "请输入" in sources


def test_interview_run_to_summary(client, app_url):
    from gradio_client import Client

    question, feedback, summary, box = client.predict(["training_optimisation"], 2, "all",
                                                      api_name="/interview_start")
    assert "1/2" in question
    _, feedback, _, _ = client.predict(api_name="/interview_hint")
    assert "提示" in feedback
    question, feedback, summary, box = client.predict("可以使用 SGD 或 Adam 优化器，并调整学习率。",
                                                      api_name="/interview_answer")
    assert "/10" in feedback and "2/2" in question and box == ""
    question, feedback, summary, _ = client.predict(api_name="/interview_skip")
    assert "面试总结" in summary and "跳过" in summary
    _, _, summary, _ = client.predict(api_name="/interview_summary")
    assert "平均分" in summary

    other = Client(app_url, verbose=False)  # another session has no interview running
    _, feedback, _, _ = other.predict("answer", api_name="/interview_answer")
    assert "还没有进行中的面试" in feedback


def test_lookup_q73_and_unknown_id(client):
    md = client.predict("Q73", api_name="/lookup")
    assert md.startswith("## Q73 ") and "梯度累积" in md
    assert "没有编号为" in client.predict("Q999", api_name="/lookup")
    assert "**E31**" in client.predict("interview", api_name="/browse")
