"""Benchmarks that print their figures (never asserted: these machines are noisy). Each heavy measurement runs
in a worker subprocess, so its peak memory is its own: `run_worker` starts one and reads its RESULT line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def report(result: dict[str, Any]) -> str:
    """The line a worker prints for `run_worker` to read."""
    return "RESULT " + json.dumps(result, ensure_ascii=False)


def run_worker(module: str, args: list[str]) -> dict[str, Any]:
    """Runs `python -m module args…` and returns the dict of its RESULT line ({"error": …} when it has none)."""
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, stdout=subprocess.PIPE, text=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    return json.loads(line[7:]) if line else {"error": f"worker exited {proc.returncode}"}
