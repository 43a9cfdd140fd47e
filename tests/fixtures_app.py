"""The app started once per test session (`python app.py --backend none` on a free port), shared by the
gradio_client and browser tests."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from indexer.runtime import stop_process_group

REPO = Path(__file__).resolve().parent.parent
# The first start builds the index (1–2 min on a slow CPU); later starts reuse the cache.
STARTUP_TIMEOUT_S = float(os.environ.get("KBCHAT_TEST_STARTUP_TIMEOUT", "900"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(*extra: str, timeout: float = STARTUP_TIMEOUT_S):
    """Starts `python app.py` (default flags: --backend none) on a free port, waits until it answers HTTP,
    yields its URL, then stops it."""
    port = free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    log = tempfile.NamedTemporaryFile("w+", prefix="kbchat-app-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *(extra or ("--backend", "none"))],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"

    def tail() -> str:
        log.flush()
        return Path(log.name).read_text(encoding="utf-8", errors="replace")[-3000:]

    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode} before answering:\n{tail()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer within {timeout:.0f} s:\n{tail()}")
            time.sleep(1)
        yield url
    finally:
        stop_process_group(proc)
        log.close()
        os.unlink(log.name)


@pytest.fixture(scope="session")
def app_url():
    with running_app() as url:
        yield url


@contextlib.contextmanager
def serving(app):
    """A real uvicorn server for `app` on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the API server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
