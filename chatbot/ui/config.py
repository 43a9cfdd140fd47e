"""The web app's settings: where it listens and who may reach the page and /v1 (on top of the interview's, see
chatbot/interview/config.py). `python app.py` creates this, the most derived configuration."""
from __future__ import annotations

from dataclasses import dataclass

from chatbot.interview.config import InterviewConfig
from indexer.config import setting


@dataclass
class WebConfig(InterviewConfig):
    # login for the web app: "user:password" (flag --auth), and/or a file of such lines (KBCHAT_AUTH_FILE)
    auth: str = setting("", "--auth", "require a login: user:password (env KBCHAT_AUTH; several users: "
                                      "KBCHAT_AUTH_FILE)")
    auth_file: str = setting("", "--auth-file", "require a login: a file of user:password lines "
                                                "(env KBCHAT_AUTH_FILE)")
    host: str = setting("127.0.0.1", "--host", "address to listen on (default 127.0.0.1, this machine only)")
    port: int = setting(7860, "--port", "port to listen on")
    admins: str = setting("", "--admins", "with a login: the users (comma-separated) who may add and remove "
                                          "documents (env KBCHAT_ADMINS)")
    api_key: str = setting("")  # when set, /v1/* requires "Authorization: Bearer <key>"
