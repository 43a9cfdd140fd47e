"""The knowledge base's code runs: every Python block of kb/supplement_*.md, and every block of the original
documents except those listed (with the reason) in kb/code_blocks_not_runnable.toml. Each runs as
`python -c` on the CPU in an empty folder, with nothing downloaded, in under 60 s."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from indexer.kb.parser import parse_kb

KB = Path(__file__).resolve().parent.parent / "kb"
SIDE_FILE = KB / "code_blocks_not_runnable.toml"
TIMEOUT_S = 60
PYTHON = {"python", "py", "python3"}


def python_blocks() -> dict[str, tuple[bool, str]]:
    """{"Q73#0": (from a supplement, code)} for every question with an answer of its own."""
    out = {}
    for q in parse_kb(KB).questions:
        if q.same_as:
            continue
        blocks = [b for b in q.code_blocks if b.language.lower() in PYTHON]
        for n, block in enumerate(blocks):
            out[f"{q.id}#{n}"] = (q.supplement, block.code)
    return out


def not_runnable() -> dict[str, str]:
    entries = tomllib.loads(SIDE_FILE.read_text(encoding="utf-8")).get("block", [])
    return {f"{e['id']}#{e['index']}": e["reason"] for e in entries}


BLOCKS = python_blocks()
SKIPPED = not_runnable()
TO_RUN = sorted(k for k, (supplement, _) in BLOCKS.items() if supplement or k not in SKIPPED)


def run_block(code: str) -> tuple[int | str, float, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "default",
           "HF_HUB_OFFLINE": "1", "NO_PROXY": "*", "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    with tempfile.TemporaryDirectory() as folder:
        env["HOME"] = folder
        started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                                  timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return "timeout", time.perf_counter() - started, ""
        return done.returncode, time.perf_counter() - started, done.stderr[-2000:]


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[int | str, float, str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:  # two blocks at a time, each on one thread
        return dict(zip(TO_RUN, pool.map(lambda k: run_block(BLOCKS[k][1]), TO_RUN)))


def test_every_supplement_answer_with_code_is_collected():
    supplement_blocks = [k for k, (supplement, _) in BLOCKS.items() if supplement]
    assert len(supplement_blocks) >= 30


def test_the_side_file_names_real_original_blocks_with_reasons():
    for key, reason in SKIPPED.items():
        assert key in BLOCKS and not BLOCKS[key][0], f"{key} is not a Python block of an original document"
        assert len(reason) > 10


@pytest.mark.slow
@pytest.mark.parametrize("key", TO_RUN)
def test_code_block_runs_as_is(results, key):
    status, seconds, stderr = results[key]
    assert status == 0, f"{key} failed ({status}):\n{stderr}"
    assert seconds < TIMEOUT_S
