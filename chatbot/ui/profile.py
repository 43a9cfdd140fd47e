"""Whose progress a web request reads and writes: the logged-in user (--auth / --auth-file), or the single local
profile when the app has no login. Taken from the request on the server, never from anything the page sends."""
from __future__ import annotations

import gradio as gr

from chatbot.store.open import LOCAL_PROFILE


def profile_of(request: gr.Request | None) -> str:
    user = getattr(request, "username", None) if request is not None else None
    return str(user) if user else LOCAL_PROFILE
