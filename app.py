"""Web UI: `python app.py [--port 7860] [--backend none] [--share]`.

Three tabs over one shared engine (index, embedder and LLM are loaded once per process):
Chat (streamed, cited answers with the sources beside them), Mock interview, Lookup, Documents (add your own).
Per-user history and interview progress live in `gr.State`, so sessions never see each other.

API names for gradio_client: chat, chat_clear, lookup, browse, interview_start, interview_answer,
interview_hint, interview_skip, interview_summary, interview_rate_again|hard|good|easy, progress, progress_session,
conversation_open, conversation_delete, status, documents_add, documents_remove.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry, no version check

from chatbot.ui.config import WebConfig
from indexer.config import add_config_flags, config_from_cli

STATUS_REFRESH_S = 20
TITLE = "PyTorch 面试知识库助手 · PyTorch Interview KB Chat"

EXAMPLES = [
    "如何在PyTorch中实现梯度累积？",
    "PyTorch 中的 Transformer 有哪些应用？给个代码例子",
    "How do I save and load a model in PyTorch?",
    "What is the difference between a Tensor and a Variable?",
    "那它的缺点呢？",
]

CSS = """
.gradio-container { max-width: 1400px !important; margin: 0 auto !important; }
#app-title h1 { margin-bottom: 0.1em; }
#status { font-size: 0.9em; opacity: 0.9; }
#sources { border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
           padding: 0.4em 0.9em; background: var(--background-fill-secondary); }
#sources blockquote { font-size: 0.88em; margin: 0.3em 0 0.6em 0; }
#sources a[id^="src-"] { scroll-margin-top: 1em; }
#chatbot a[href^="#src-"] { text-decoration: none; background: var(--color-accent-soft); color: var(--color-accent);
                             padding: 0 0.3em; border-radius: 4px; font-size: 0.85em; white-space: nowrap; }
#sources p:has(> a[id^="src-"]:target) { background: var(--color-accent-soft); border-radius: 4px; }
#lookup-result, #iv-feedback, #iv-summary, #iv-question { padding: 0.2em 0.4em; }
#iv-question h3 { margin-top: 0.2em; }
#chat-send, #chat-clear, #lookup-go, #iv-submit, #iv-hint, #iv-skip, #iv-summary-btn { white-space: nowrap; }
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] + " Flags override KBCHAT_* "
                                     "environment variables (e.g. KBCHAT_LLM_BACKEND=none).")
    add_config_flags(parser, "kb_dir", "cache_dir", "embed_model", "llm_model", "llm_backend", "device", "top_k",
                     "max_new_tokens", "host", "port", "auth", "auth_file", "llm_url", "llm_timeout", "llm_grading",
                     "data_dir", "admins", "max_document_mb",
                     config=WebConfig)
    parser.add_argument("--share", action="store_true", default=False,
                        help="also publish a temporary public gradio.live link (needs internet; off by default)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    return parser


def say(text: str) -> None:
    print(text, flush=True)


def load_engine(config: WebConfig):
    """Builds (first start) or opens the index and loads the LLM once; prints what is happening."""
    from chatbot.rag.engine import Engine

    say(f"[1/3] knowledge base: {config.kb_dir}")
    say(f"      index cache:    {config.cache_dir}")
    say("      opening the index (the first start embeds every chunk: 1–2 minutes on a CPU; "
        "progress on stderr) …")
    engine = Engine(config, progress=True)
    start = time.perf_counter()
    index = engine.index
    say(f"      {index.report.summary()} ({time.perf_counter() - start:.1f} s)")
    engine.retriever.search("PyTorch 张量 tensor", top_k=1)  # warm-up: tokenizer dictionaries, first query
    if config.llm_url:
        say(f"[2/3] generation on the inference server {config.llm_url} (timeout {config.llm_timeout} s) …")
    elif config.llm_enabled:
        say(f"[2/3] loading the language model ({config.llm_model}, backend {config.llm_backend}, "
            f"device {config.device}) …")
    else:
        say("[2/3] language model disabled (backend none): answers are extractive")
    try:
        model = engine.chat_model()
    except Exception as exc:
        engine.llm_error = f"the language model failed to load: {exc.__class__.__name__}: {exc}"
        model = None
    if model is not None:
        say(f"      model {model.name} ({model.backend}) on {model.device}")
    elif config.llm_enabled:
        say(f"      no language model, answering extractively: {engine.llm_error}")
    return engine


def start_warmer(handlers) -> None:
    """Saved prompt states for the answers' prompts, then, when the LLM grades interview answers, the judge's (a
    shown interview question's judge prompt goes first); then the English leads' translations."""
    from chatbot.interview.warm_prompts import warm_sources
    from chatbot.rag.warmup import by_use

    engine = handlers.engine
    model = engine.chat_model() if handlers.use_llm else None
    if model is None or not model.supports_prompt_states:
        return
    # the passages this deployment's answers cite most are built first
    questions = by_use(list(engine.index.questions.values()), handlers.history.recent_answers())
    engine.start_warmer(warm_sources(questions, grading=engine.config.llm_grading))
    # then the English leads' translations (what `python -m chatbot warm` translates), after the states
    handlers.chat.answerer.start_translation_warmer(
        questions, ready=lambda: engine.warmer is None or engine.warmer.done)
    say("      saved prompt states and lead translations are built in the background while the model is idle "
        "(or ahead of time: python -m chatbot warm)")


def build_demo(handlers):
    """The gr.Blocks app around `handlers` (a chatbot.ui.Handlers)."""
    import gradio as gr

    from chatbot.ui.documents import ACCEPTED
    from chatbot.ui.interview import modes
    from chatbot.ui.texts import MAX_INTERVIEW_QUESTIONS, MSG

    series_choices = handlers.series_choices()

    model = handlers.engine.chat_model() if handlers.use_llm else None
    # One generation at a time (the model is shared and CPU-bound): queued users see their position.
    # An inference server (--llm-url) batches: as many at once as it is sent (KBCHAT_LLM_PARALLEL).
    llm_limit = model.parallel if model is not None else 2

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n回答只依据知识库（PyTorch 面试题），并用 [Q…]/[E…] 标注出处。 "
                    "Answers come from the knowledge base only and cite it as [Q…]/[E…].", elem_id="app-title")
        status = gr.Markdown(handlers.status_markdown(), label="status", elem_id="status")

        with gr.Tabs():
            # ---------------------------------------------------------------- chat
            with gr.Tab("💬 问答 / Chat", id="chat"):
                turns = gr.State([])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="对话 / Conversation", show_label=False, elem_id="chatbot", height=560,
                                             buttons=["copy"], feedback_options=("Like", "Dislike"),
                                             placeholder="用中文或英文提问，例如“如何实现梯度累积？” / "
                                                         "Ask in Chinese or English.")
                        with gr.Row():
                            msg = gr.Textbox(show_label=False, scale=6, lines=1, max_lines=5, autofocus=True,
                                             placeholder="输入问题后按回车 / Type a question and press Enter",
                                             elem_id="chat-input")
                            send = gr.Button("发送 Send", variant="primary", scale=1, min_width=110,
                                             elem_id="chat-send")
                            clear = gr.Button("清空 Clear", scale=1, min_width=110, elem_id="chat-clear")
                        gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[msg],
                                    label="示例 / Examples")
                        conversation = gr.State(None)  # the stored conversation's id, once saved
                        with gr.Row():
                            # custom values pass the dropdown's check: the handler opens only the user's own
                            conv_list = gr.Dropdown([], value=None, label="对话记录 / Conversations (newest first)",
                                                    allow_custom_value=True, scale=6, elem_id="conv-list")
                            conv_delete = gr.Button("删除 / Delete", variant="stop", scale=1, min_width=110,
                                                    elem_id="conv-delete")
                        conv_note = gr.Markdown(elem_id="conv-note")
                    with gr.Column(scale=2, min_width=320):
                        sources = gr.Markdown(MSG["sources_idle"], label="sources", elem_id="sources", max_height=680)
                answer_json = gr.JSON(visible=False, label="answer")

            # ---------------------------------------------------------------- mock interview
            with gr.Tab("🎯 模拟面试 / Mock interview", id="interview"):
                session = gr.State(None)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=280):
                        topic_keys = [key for _, key in handlers.interview.topic_choices()]
                        iv_topics = gr.CheckboxGroup(handlers.interview.topic_choices(), value=topic_keys,
                                                     label="主题 / Topics", info="不选 = 全部 / none ticked = all",
                                                     elem_id="iv-topics")
                        iv_n = gr.Slider(1, MAX_INTERVIEW_QUESTIONS, value=5, step=1,
                                         label="题数 / Number of questions", elem_id="iv-n")
                        iv_series = gr.Radio(series_choices, value="all", label="题库 / Series",
                                             elem_id="iv-series")
                        iv_mode = gr.Radio(modes(), value="auto", label="练习 / Practise", elem_id="iv-mode")
                        iv_start = gr.Button("开始面试 / Start", variant="primary", elem_id="iv-start")
                    with gr.Column(scale=2):
                        iv_question = gr.Markdown(MSG["interview_idle"], label="question", elem_id="iv-question")
                        iv_answer = gr.Textbox(label="你的回答 / Your answer", lines=6, max_lines=14,
                                               elem_id="iv-answer")
                        with gr.Row():
                            iv_submit = gr.Button("提交 / Submit", variant="primary", elem_id="iv-submit")
                            iv_hint = gr.Button("💡 提示 / Hint", elem_id="iv-hint")
                            iv_skip = gr.Button("⏭️ 跳过 / Skip", elem_id="iv-skip")
                            iv_summary = gr.Button("📊 总结 / Summary", elem_id="iv-summary-btn")
                        iv_feedback = gr.Markdown(label="feedback", elem_id="iv-feedback")
                        with gr.Row():  # the user's rating of the last answer, in place of the suggested one (FSRS)
                            iv_rates = {key: gr.Button(label, size="sm", elem_id=f"iv-rate-{key}") for key, label in
                                        (("again", "重来 Again"), ("hard", "困难 Hard"), ("good", "良好 Good"),
                                         ("easy", "简单 Easy"))}
                        iv_summary_md = gr.Markdown(label="summary", elem_id="iv-summary")

            # ---------------------------------------------------------------- progress
            with gr.Tab("📈 进度 / Progress", id="progress") as progress_tab:
                with gr.Row():
                    pr_refresh = gr.Button("刷新 / Refresh", variant="primary", scale=0, min_width=140,
                                           elem_id="pr-refresh")
                pr_overview = gr.Markdown(MSG["progress_idle"], elem_id="pr-overview")
                with gr.Row():
                    pr_days = gr.LinePlot(x="day", y="score", title="每日平均分 / score per day", y_lim=[0, 10],
                                          label="scores over days", elem_id="pr-days")
                    pr_topics = gr.BarPlot(x="topic", y="score", title="各主题最近得分 / latest score per topic",
                                           y_lim=[0, 10], label="per topic", elem_id="pr-topics")
                pr_sessions = gr.Dropdown([], value=None, label="过去的面试 / Past sessions", allow_custom_value=True,
                                          elem_id="pr-sessions")
                pr_session = gr.Markdown(elem_id="pr-session")

            # ---------------------------------------------------------------- lookup
            with gr.Tab("🔎 查题 / Lookup", id="lookup"):
                with gr.Row():
                    query = gr.Textbox(show_label=False, scale=6, elem_id="lookup-input",
                                       placeholder="题号 Q73 / 73 / E5，或关键词：梯度累积、gradient accumulation")
                    go = gr.Button("查找 Search", variant="primary", scale=1, min_width=110, elem_id="lookup-go")
                pick = gr.Dropdown(handlers.lookup.question_choices(), value=None, label="浏览全部题目 / Browse all questions",
                                   filterable=True, elem_id="lookup-pick")
                result = gr.Markdown(label="result", elem_id="lookup-result")
                with gr.Accordion("题目列表 / Question list by series", open=False):
                    list_series = gr.Radio(series_choices, value="all", show_label=False)
                    listing = gr.Markdown(handlers.lookup.browse("all"), label="questions")

            # ---------------------------------------------------------------- documents
            with gr.Tab("📄 文档 / Documents", id="documents"):
                gr.Markdown("添加自己的题目文档（Markdown、文本、PDF、Word、HTML），之后即可提问、查题和模拟面试。 / "
                            "Add your own question documents; they can be asked about, looked up and practised "
                            "at once.")
                doc_files = gr.File(file_count="multiple", file_types=ACCEPTED, type="filepath",
                                    label="文件 / Files", elem_id="doc-files")
                with gr.Row():
                    doc_name = gr.Textbox(label="名称（可选，仅单个文件） / Name (optional, one file only)", scale=4,
                                          elem_id="doc-name")
                    doc_add = gr.Button("添加 / Add", variant="primary", scale=1, elem_id="doc-add")
                doc_report = gr.Markdown(elem_id="doc-report")
                doc_list = gr.Markdown(handlers.documents.listing(), elem_id="doc-list")
                with gr.Row():
                    doc_remove_name = gr.Dropdown(handlers.documents.names(), value=None, allow_custom_value=True,
                                                  label="删除文档 / Remove a document", scale=4,
                                                  elem_id="doc-remove-name")
                    doc_remove = gr.Button("删除 / Remove", variant="stop", scale=1, elem_id="doc-remove")

        # ---------------------------------------------------------------- events
        chat_outputs = [chatbot, sources, turns, msg, answer_json]
        # the Chat tab's answer, saved to the user's conversations when final (the id is state: not in the API)
        chat_event = gr.on([msg.submit, send.click], handlers.history.ask, [msg, turns, conversation],
                           chat_outputs + [conversation], api_name="chat", concurrency_limit=llm_limit,
                           concurrency_id="llm", show_progress="hidden")
        # Clear also stops an answer still being written (its generator is closed, freeing the model)
        clear.click(handlers.chat.clear, None, chat_outputs, api_name="chat_clear", cancels=[chat_event])
        clear.click(lambda: None, None, [conversation], api_visibility="private")  # the next question starts anew
        chat_event.then(handlers.history.listing, None, [conv_list], api_visibility="private", queue=False)
        conv_list.input(handlers.history.open, [conv_list], [chatbot, sources, turns, conversation, conv_note],
                        api_name="conversation_open")
        conv_delete.click(handlers.history.delete, [conv_list], [conv_list, chatbot, sources, turns, conversation],
                          api_name="conversation_delete")
        chatbot.like(handlers.history.feedback, [turns, answer_json, conversation], [conv_note],
                     api_visibility="private")
        demo.load(handlers.history.listing, None, [conv_list], api_visibility="private", queue=False)

        iv_outputs = [iv_question, iv_feedback, iv_summary_md, session, iv_answer]
        iv_start.click(handlers.interview.start, [iv_topics, iv_n, iv_series, session, iv_mode], iv_outputs,
                       api_name="interview_start")

        def rating(key: str):
            return lambda current: handlers.interview.rate(key, current)

        for key, button in iv_rates.items():
            button.click(rating(key), [session], iv_outputs, api_name=f"interview_rate_{key}")
        pr_outputs = [pr_overview, pr_days, pr_topics, pr_sessions, pr_session]
        gr.on([pr_refresh.click, progress_tab.select], handlers.progress.show, None, pr_outputs, api_name="progress")
        pr_sessions.input(handlers.progress.open_session, [pr_sessions], [pr_session], api_name="progress_session")
        gr.on([iv_submit.click], handlers.interview.answer, [iv_answer, session], iv_outputs,
              api_name="interview_answer", concurrency_limit=llm_limit, concurrency_id="llm")
        iv_hint.click(handlers.interview.hint, [session], iv_outputs, api_name="interview_hint")
        iv_skip.click(handlers.interview.skip, [session], iv_outputs, api_name="interview_skip")
        iv_summary.click(handlers.interview.summary, [session], iv_outputs, api_name="interview_summary")

        # Lookups skip the queue (one plain POST each, no event stream): through the queue this 2-core machine
        # served at most ~49 of 50 lookups/s with no model at all and fell seconds behind (bench/bench_load.py).
        gr.on([query.submit, go.click], handlers.lookup.lookup, [query], [result], api_name="lookup", queue=False)
        pick.input(handlers.lookup.lookup, [pick], [result], api_visibility="undocumented", api_name="lookup_pick",
                   queue=False)
        list_series.change(handlers.lookup.browse, [list_series], [listing], api_name="browse", queue=False)
        demo.load(handlers.status_markdown, None, [status], api_name="status", queue=False)
        # the status line follows the prompt-state warmer ("… 37 of 412") until it is done
        gr.Timer(STATUS_REFRESH_S).tick(handlers.status_markdown, None, [status], api_visibility="private",
                                        queue=False, show_progress="hidden")

        def refreshed(report: str):
            """After a change: the report, the list, and every choice that names series or questions."""
            series = handlers.series_choices()
            return (report, handlers.documents.listing(), gr.update(choices=handlers.documents.names(), value=None),
                    gr.update(choices=series), gr.update(choices=series),
                    gr.update(choices=handlers.lookup.question_choices()), handlers.status_markdown())

        def add_documents(files, name, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - gradio injects it
            report = handlers.documents.add(files, name or "", user=getattr(request, "username", None),
                                            progress=lambda f, what: progress(f, desc=what))
            return refreshed(report)

        def remove_document(name, request: gr.Request):
            return refreshed(handlers.documents.remove(name or "", user=getattr(request, "username", None)))

        doc_outputs = [doc_report, doc_list, doc_remove_name, iv_series, list_series, pick, status]
        # One change at a time: two uploads must not embed and swap the index at once.
        doc_add.click(add_documents, [doc_files, doc_name], doc_outputs, api_name="documents_add",
                      concurrency_limit=1, concurrency_id="documents")
        doc_remove.click(remove_document, [doc_remove_name], doc_outputs, api_name="documents_remove",
                         concurrency_limit=1, concurrency_id="documents")
    return demo


def theme():
    import gradio as gr

    return gr.themes.Soft(
        primary_hue="orange", secondary_hue="amber", neutral_hue="slate",
        # local fonts only: the app must work offline (the default theme pulls Google Fonts)
        font=["system-ui", "-apple-system", "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
              "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Noto Sans Mono CJK SC", "monospace"],
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    config = config_from_cli(args, WebConfig)
    if config.llm_backend not in {"auto", "llamacpp", "transformers", "none"}:
        print(f"error: unknown backend {config.llm_backend!r}: use auto, llamacpp, transformers or none",
              file=sys.stderr)
        return 2
    from chatbot.ui.access import AUTH_MESSAGE, exposure_warning, load_users, login_check
    from indexer.errors import KBChatError

    try:  # a bad login setting fails before the slow start
        users = load_users(config.auth, config.auth_file)
    except KBChatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if warning := exposure_warning(config.host, login=bool(users), share=args.share, api_open=not config.api_key):
        print(warning, file=sys.stderr, flush=True)
    try:
        engine = load_engine(config)
    except Exception as exc:
        logging.getLogger(__name__).debug("startup failed", exc_info=True)
        print(f"error: could not open the index: {exc}", file=sys.stderr)
        return 1

    from chatbot.ui import Handlers

    handlers = Handlers(engine, login=bool(users), share=args.share)
    start_warmer(handlers)
    store = handlers.interview.practice.store  # opened now, so a problem with it is said at start
    if store.opened.notice:
        say(f"      note: {store.opened.notice}")
    say(f"      progress: {store.opened.where}" if store.available else
        f"      warning: interview progress is NOT saved: {store.problem}")
    demo = build_demo(handlers)
    demo.queue(default_concurrency_limit=4, max_size=64)
    say(f"[3/3] web UI on http://{config.host}:{config.port}" + ("  (+ public share link)" if args.share else ""))
    app, _, _ = demo.launch(server_name=config.host, server_port=config.port, share=args.share, show_error=True,
                            theme=theme(), css=CSS, quiet=False, prevent_thread_lock=True,
                            auth=login_check(users) if users else None, auth_message=AUTH_MESSAGE if users else None,
                            max_file_size=config.max_document_mb * 1024 * 1024)
    from chatbot.api import ChatAPI

    # the OpenAI-compatible API on the same server, over the Chat tab's pipeline
    ChatAPI(handlers.chat.answerer, use_llm=handlers.use_llm, api_key=config.api_key).install(app)
    say(f"      OpenAI-compatible API on http://{config.host}:{config.port}/v1 (model \"pytorch-kb-chat\""
        + (", API key required)" if config.api_key else ")"))
    demo.block_thread()
    return 0


if __name__ == "__main__":
    sys.exit(main())
