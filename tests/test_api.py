"""The OpenAI-compatible API (chatbot/api.py), driven by the official `openai` client over loopback:
an in-process server over a scripted model (the LLM path: draft, checked markers, follow-ups, API key), and
the real `python app.py` (same host and port as the page; extractive answers, refusals, follow-ups)."""
from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from chatbot.api import MODEL_ID, BadRequest, ChatAPI, _draft_piece, conversation
from chatbot.rag.answerer import Answerer
from chatbot.rag.engine import Engine
from tests.fakes import ScriptedModel
from tests.fixtures_app import serving

openai = pytest.importorskip("openai")

QUESTION = "梯度累积是怎么工作的？"
# close to the knowledge base's own sentences (Q73), so the citation check accepts them whatever its thresholds
REPLY = ["梯度累积将训练数据分成多个小批量，每个小批量都进行前向传播、",
         "反向传播和参数更新。只有在累积了一定数量的小批量之后，",
         "才会进行一次真正的权重更新。"]
ANSWER_START = "梯度累积将训练数据分成多个小批量"
# a Chinese answer opens with Q73's own statement, cited, in a paragraph of its own (chatbot/rag/lead.py)
LEAD_END = " [Q73]\n\n"


@pytest.fixture(scope="module")
def scripted():
    return ScriptedModel(REPLY)


@pytest.fixture(scope="module")
def chat_api(engine, scripted):
    return ChatAPI(Answerer(Engine(engine.config, index=engine.index, chat_model=scripted)))


@pytest.fixture(scope="module")
def api_url(chat_api):
    from fastapi import FastAPI

    app, keyed = FastAPI(), FastAPI()
    chat_api.install(app)
    ChatAPI(chat_api.answerer, api_key="s3cret").install(keyed)
    app.mount("/keyed", keyed)
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(api_url):
    return openai.OpenAI(base_url=f"{api_url}/v1", api_key="unused", max_retries=0, timeout=120)


# ----------------------------------------------------------------------------- message history
def test_conversation_resolves_each_turn_like_the_chat_tab():
    question, turns = conversation([
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "什么是梯度累积？"},
        {"role": "assistant", "content": "梯度累积是…… [Q73]"},
        {"role": "user", "content": [{"type": "text", "text": "它有什么缺点？"}]},
        {"role": "assistant", "content": "缺点是……"},
        {"role": "user", "content": "给个代码例子"},
    ])
    assert question == "给个代码例子"
    assert [t.question for t in turns] == ["什么是梯度累积？", "它有什么缺点？"]
    assert turns[1].resolved.startswith("什么是梯度累积？") and turns[0].answer.endswith("[Q73]")


def test_each_earlier_turn_is_resolved_by_the_resolver_the_server_passes():
    seen: list[tuple[str, int]] = []

    def resolve(question, turns):  # what the answerer's retrieval-based rule would decide, recorded
        seen.append((question, len(turns)))
        return f"resolved: {question}"

    question, turns = conversation([
        {"role": "user", "content": "什么是 DataLoader？"},
        {"role": "assistant", "content": "DataLoader 按批加载数据。"},
        {"role": "user", "content": "Show code for DataLoader"},
    ], resolve)
    assert question == "Show code for DataLoader"
    assert seen == [("什么是 DataLoader？", 0)] and turns[0].resolved == "resolved: 什么是 DataLoader？"


@pytest.mark.parametrize("messages", [
    [], None, [{"role": "assistant", "content": "hi"}], [{"role": "user", "content": "  "}],
    [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], ["not a message"],
])
def test_bad_message_lists_are_rejected(messages):
    with pytest.raises(BadRequest):
        conversation(messages)


def test_draft_pieces_hold_back_a_half_written_marker_and_restart_after_a_rewrite():
    piece, shown = _draft_piece("", "Gradient accumulation [Q7")
    assert piece == "Gradient accumulation " and shown == piece
    piece, shown = _draft_piece(shown, "Gradient accumulation sums")
    assert piece == "sums"
    piece, shown = _draft_piece(shown, "⏳ writing it again…")
    assert piece.startswith("\n\n⏳")


# ----------------------------------------------------------------------------- scripted model, in-process server
def test_models_lists_the_chatbot(client):
    models = client.models.list().data
    assert [m.id for m in models] == [MODEL_ID]
    assert models[0].model_extra["kbchat"]["generator"] == "fakellm (fake)"


def test_answer_cites_with_markers_and_carries_sources(client):
    response = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": QUESTION}])
    content = response.choices[0].message.content
    info = response.model_extra["kbchat"]
    assert content.split(LEAD_END, 1)[1].startswith(ANSWER_START)
    assert info["mode"] == "llm" and "Q73" in info["citations"] and not info["refused"]
    assert info["sources"][0]["id"] == "Q73" and set(info["citations"]) <= {s["id"] for s in info["sources"]}
    assert response.choices[0].finish_reason == "stop"


def test_streamed_answer_sends_sources_then_draft_then_checked_content(client):
    stream = client.chat.completions.create(model=MODEL_ID, stream=True,
                                            messages=[{"role": "user", "content": QUESTION}])
    chunks = list(stream)
    first = chunks[0].model_extra["kbchat"]
    assert first["sources"][0]["id"] == "Q73" and not first["refused"]
    draft = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert draft.split(LEAD_END, 1)[1] == "".join(REPLY)  # the lead is shown from the start, then the model's words
    assert content.split(LEAD_END, 1)[1].startswith(ANSWER_START)
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and "Q73" in last.model_extra["kbchat"]["citations"]
    # the content came after the whole draft: it is the checked answer
    assert max(i for i, c in enumerate(chunks) if getattr(c.choices[0].delta, "reasoning_content", None)) < \
        min(i for i, c in enumerate(chunks) if c.choices[0].delta.content)


def test_follow_up_uses_the_message_history(client, scripted):
    messages = [{"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "梯度累积把多个小批量的梯度累加后再更新参数。 [Q73]"},
                {"role": "user", "content": "它有什么缺点？"}]
    response = client.chat.completions.create(model=MODEL_ID, messages=messages)
    info = response.model_extra["kbchat"]
    assert "梯度累积" in info["resolved_query"] and info["sources"][0]["id"] == "Q73"
    sent = scripted.calls[-1][0]
    assert [m["role"] for m in sent[-3:]] == ["user", "assistant", "user"]
    assert sent[-2]["content"].startswith("梯度累积把多个小批量")


def test_off_topic_question_is_refused_without_calling_the_model(client, scripted):
    before = len(scripted.calls)
    response = client.chat.completions.create(model=MODEL_ID, messages=[
        {"role": "user", "content": "How do I center a div with CSS?"}])
    info = response.model_extra["kbchat"]
    assert info["refused"] and info["mode"] == "refused" and info["citations"] == []
    assert "knowledge base" in response.choices[0].message.content and len(scripted.calls) == before


def test_bad_request_is_an_openai_error(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=MODEL_ID, messages=[{"role": "assistant", "content": "hi"}])
    assert "last message" in str(err.value)


def test_too_many_answers_at_once_get_429_not_a_hang(client, chat_api):
    chat_api.active = chat_api.max_concurrent
    try:
        for stream in (False, True):
            with pytest.raises(openai.RateLimitError):
                client.chat.completions.create(model=MODEL_ID, stream=stream,
                                               messages=[{"role": "user", "content": QUESTION}])
    finally:
        chat_api.active = 0
    assert client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": QUESTION}]).choices
    list(client.chat.completions.create(model=MODEL_ID, stream=True, messages=[{"role": "user", "content": QUESTION}]))
    time.sleep(0.5)
    assert chat_api.active == 0  # finished answers, streamed or not, gave their place back


def test_api_key_is_checked_when_set(api_url):
    bad = openai.OpenAI(base_url=f"{api_url}/keyed/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    good = openai.OpenAI(base_url=f"{api_url}/keyed/v1", api_key="s3cret", max_retries=0)
    assert [m.id for m in good.models.list().data] == [MODEL_ID]


# ----------------------------------------------------------------------------- the real app (python app.py)
@pytest.fixture(scope="module")
def app_client(app_url):
    base = app_url.rstrip("/") + "/v1"
    deadline = time.monotonic() + 30  # the routes are added right after the page starts answering
    while True:
        try:
            with urllib.request.urlopen(base + "/models", timeout=10):
                break
        except urllib.error.HTTPError as exc:
            if exc.code != 404 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return openai.OpenAI(base_url=base, api_key="unused", max_retries=0, timeout=300)


def test_app_serves_the_api_beside_the_page(app_client, app_url):
    with urllib.request.urlopen(app_url, timeout=10) as page:
        assert page.status == 200
    card = app_client.models.list().data[0]
    assert card.id == MODEL_ID and card.model_extra["kbchat"]["generator"] == "extractive"


def test_app_answers_streamed_and_not_with_follow_up_and_refusal(app_client):
    ask = [{"role": "user", "content": "梯度累积有什么优缺点？"}]
    response = app_client.chat.completions.create(model=MODEL_ID, messages=ask)
    content, info = response.choices[0].message.content, response.model_extra["kbchat"]
    assert "[Q73]" in content and info["mode"] == "extractive" and "Q73" in info["citations"]

    stream = app_client.chat.completions.create(model=MODEL_ID, messages=ask, stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
    assert chunks[-1].model_extra["kbchat"]["citations"] == info["citations"]

    follow = ask + [{"role": "assistant", "content": content}, {"role": "user", "content": "给个代码例子"}]
    response = app_client.chat.completions.create(model=MODEL_ID, messages=follow)
    assert "梯度累积" in response.model_extra["kbchat"]["resolved_query"]
    assert "Q73" in response.model_extra["kbchat"]["citations"]

    refused = app_client.chat.completions.create(model=MODEL_ID, stream=True,
                                                 messages=[{"role": "user", "content": "明天北京天气怎么样？"}])
    chunks = list(refused)
    assert chunks[0].model_extra["kbchat"]["refused"] and chunks[-1].model_extra["kbchat"]["mode"] == "refused"
    assert "知识库" in "".join(c.choices[0].delta.content or "" for c in chunks)
