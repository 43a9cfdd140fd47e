"""The Documents tab: add the user's own files (several at once) and remove them; who may do so.

Who may add or remove: without a login, whoever reaches an app that listens on this machine only (loopback, no
share link); with a login, only the users named in `--admins` (KBCHAT_ADMINS). Everyone sees the result."""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from chatbot.rag.engine import Engine
from chatbot.ui.access import is_local
from chatbot.ui.config import WebConfig
from chatbot.ui.rendering import error_reason, escape_text
from indexer.documents.convert import SUFFIXES
from indexer.errors import DocumentError

log = logging.getLogger(__name__)

# (fraction 0..1, what is happening): gr.Progress in the app, nothing in tests
Progress = Callable[[float, str], None]
ACCEPTED = list(SUFFIXES)


def admins_of(config: WebConfig) -> set[str]:
    return {name.strip() for name in config.admins.split(",") if name.strip()}


def may_manage(config: WebConfig, user: str | None, *, login: bool, share: bool = False) -> tuple[bool, str]:
    """(allowed, why not) for adding or removing documents as `user` (None without a login)."""
    if login:
        if user and user in admins_of(config):
            return True, ""
        return False, ("只有管理员可以添加或删除文档 / only admins may add or remove documents "
                       "(--admins / KBCHAT_ADMINS)")
    if is_local(config.host) and not share:
        return True, ""
    return False, ("应用对外开放且未设置登录：不能添加文档 / the app is reachable beyond this machine without a login: "
                   "set --auth and --admins to add documents")


class DocumentsTab:
    def __init__(self, engine: Engine, *, login: bool = False, share: bool = False) -> None:
        self.engine = engine
        self.login = login
        self.share = share

    def allowed(self, user: str | None) -> tuple[bool, str]:
        config = self.engine.config
        if not isinstance(config, WebConfig):
            return False, "documents are managed in the web app or with python -m indexer"
        return may_manage(config, user, login=self.login, share=self.share)

    def add(self, files: Sequence[str | Path] | None, name: str = "", *, user: str | None = None,
            progress: Progress | None = None) -> str:
        """Adds every file (each refused one is named with its reason; the others still go in), then updates the
        index once. Returns the report as Markdown."""
        ok, why = self.allowed(user)
        if not ok:
            return f"⚠️ {escape_text(why)}"
        paths = [Path(f) for f in files or []]
        if not paths:
            return "⚠️ 请选择文件 / choose one or more files first"
        if name.strip() and len(paths) > 1:
            return "⚠️ 名称只能用于一个文件 / a name can only be given to one file"
        lines, changed = [], False
        library = self.engine.documents
        for n, path in enumerate(paths):
            if progress is not None:
                progress(n / (len(paths) + 1), f"converting {path.name}")
            try:
                result = library.add_file(path, name.strip())
            except DocumentError as exc:
                lines.append(f"- ❌ {escape_text(str(exc))}")
                continue
            except Exception as exc:  # a converter's own failure must not end the upload of the others
                log.exception("adding %s failed", path)
                lines.append(f"- ❌ {escape_text(path.name)}: {escape_text(error_reason(exc))}")
                continue
            changed |= result.status != "unchanged"
            lines.append(f"- ✅ {escape_text(result.summary())}")
            lines += [f"  - ⚠️ {escape_text(w)}" for w in result.notes + result.document.warnings[:5]]
        if changed:
            self.engine.refresh_documents(progress=progress)
        return "\n".join(lines)

    def remove(self, name: str, *, user: str | None = None) -> str:
        ok, why = self.allowed(user)
        if not ok:
            return f"⚠️ {escape_text(why)}"
        try:
            doc = self.engine.documents.remove((name or "").strip())
        except DocumentError as exc:
            return f"⚠️ {escape_text(str(exc))}"
        self.engine.refresh_documents()
        return f"🗑️ 已删除 / removed **{escape_text(doc.name)}** ({doc.entries} entries, {doc.prefix}…)"

    def listing(self) -> str:
        documents = self.engine.documents.documents()
        if not documents:
            return "还没有添加文档 / no documents added yet"
        rows = ["| 名称 / name | 题号 / ids | 条目 / entries | 有答案 / answered | 结构 / found as | 文件 / file | ⚠️ |",
                "|---|---|---|---|---|---|---|"]
        for d in documents:
            rows.append(f"| {escape_text(d.name)} | {d.prefix}… | {d.entries} | {d.answered} | "
                        f"{escape_text(d.structure)} | {escape_text(d.file_name)} | {len(d.warnings)} |")
        return "\n".join(rows)

    def names(self) -> list[str]:
        return [d.name for d in self.engine.documents.documents()]
