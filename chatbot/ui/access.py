"""Who may reach the web app: the login (`--auth user:password`, a file of users in KBCHAT_AUTH_FILE) and the
warning printed when it listens beyond this machine."""
from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from pathlib import Path

from chatbot.ui.errors import AuthConfigError

AUTH_MESSAGE = "PyTorch 面试知识库助手：请登录 / please log in"


def _pair(text: str, where: str) -> tuple[str, str]:
    """("user", "password") from "user:password"; both without surrounding spaces, the password may hold ":"."""
    user, sep, password = text.partition(":")
    user, password = user.strip(), password.strip()
    if not sep or not user or not password:
        raise AuthConfigError(f"{where}: expected user:password")
    return user, password


def load_users(auth: str = "", auth_file: str | Path = "") -> dict[str, str]:
    """user -> password from `auth` ("user:password") and `auth_file` (one user:password per line; blank lines
    and lines starting with # are ignored). Empty when no login is asked for."""
    users: dict[str, str] = {}
    if auth:
        user, password = _pair(auth, "--auth / KBCHAT_AUTH")
        users[user] = password
    if auth_file:
        path = Path(auth_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise AuthConfigError(f"login file {path} cannot be read ({exc.__class__.__name__})") from None
        for n, line in enumerate(lines, 1):
            if line.strip() and not line.lstrip().startswith("#"):
                user, password = _pair(line, f"{path}:{n}")
                users[user] = password
        if not users:
            raise AuthConfigError(f"login file {path} lists no user:password line")
    return users


def login_check(users: dict[str, str]) -> Callable[[str, str], bool]:
    """The `auth` callable for gradio's launch(): true for a known user with the right password. Compared in
    constant time, so the time taken says nothing about how much of a password was right."""
    wanted = {user: password.encode("utf-8") for user, password in users.items()}

    def check(user: str, password: str) -> bool:
        expected = wanted.get(user or "")
        given = (password or "").encode("utf-8", "replace")
        if expected is None:
            hmac.compare_digest(given, given)  # the same work for an unknown user
            return False
        return hmac.compare_digest(given, expected)

    return check


def is_local(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    name = (host or "").strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, *, login: bool, share: bool = False, api_open: bool = False) -> str:
    """A warning to print before starting, or "" when the app is reachable from this machine only. `api_open`:
    the OpenAI-compatible /v1 routes (not covered by the login) have no key of their own."""
    if is_local(host) and not share:
        return ""
    where = "a public gradio.live link" if share else f"{host} (every network interface)" if host in {
        "0.0.0.0", "::"} else host
    api = ("; the /v1 API is not covered by the login: set KBCHAT_API_KEY" if api_open else "")
    if login:
        return (f"warning: the app is reachable through {where}; logins are required, but traffic is plain HTTP "
                f"unless a TLS proxy sits in front{api}")
    return (f"warning: the app is reachable through {where} WITHOUT a login: anyone who can reach it can use it; "
            f"add --auth user:password or KBCHAT_AUTH_FILE=users.txt, or listen on 127.0.0.1{api}")
