"""Process-level helpers every model and cache writer shares: device choice, CPU threads, the download
switch, atomic writes and progress bars. Heavy libraries are imported only when a function needs them."""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from indexer.errors import DeviceError

_MAX_CPU_THREADS = 8
_TRUE = {"1", "true", "yes", "on"}


def allow_download() -> bool:
    """KBCHAT_ALLOW_DOWNLOAD=1: hub ids may be fetched; otherwise everything loads offline."""
    return os.environ.get("KBCHAT_ALLOW_DOWNLOAD", "").strip().lower() in _TRUE


def torch_cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_device(requested: str = "auto", *, cuda_available: Callable[[], bool] = torch_cuda_available,
                   cuda_hint: str = "") -> str:
    """"auto" -> "cuda" when `cuda_available()` else "cpu"; "cpu", "cuda" or "cuda:N" are checked.

    Each runtime passes its own test (torch for transformers and the embedder, the llama.cpp build's GPU
    support for llama.cpp), so the same words mean the same thing everywhere."""
    device = (requested or "auto").strip().lower()
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" or device.startswith("cuda:"):
        if not cuda_available():
            raise DeviceError(f"device {device!r} requested but no CUDA GPU is usable here{cuda_hint}")
        return device
    if device != "cpu":
        raise DeviceError(f"unknown device {device!r} (use auto, cpu or cuda)")
    return device


def cpu_threads() -> int:
    """Threads for CPU inference: the CPUs this process may use (at most 8), or 1 when the machine
    is already oversubscribed (1-minute load average >= CPUs). Under oversubscription OpenMP's
    barrier waits make multi-threaded inference several times slower than one thread (measured on
    a busy 2-CPU box: single-query p50 ~500 ms with 2 threads vs ~65 ms with 1)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    n = max(1, min(n, _MAX_CPU_THREADS))
    try:
        if os.getloadavg()[0] >= n:
            return 1
    except (AttributeError, OSError):
        pass
    return n


_threads_configured = False


def configure_torch_threads() -> None:
    """Applied once, at the first model load. An explicit OMP_NUM_THREADS / MKL_NUM_THREADS wins."""
    global _threads_configured
    if _threads_configured:
        return
    _threads_configured = True
    if os.environ.get("OMP_NUM_THREADS") or os.environ.get("MKL_NUM_THREADS"):
        return
    import torch

    torch.set_num_threads(min(torch.get_num_threads(), cpu_threads()))


# ------------------------------------------------------------------------------------------ atomic writes
def _temp_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}.{threading.get_ident()}.tmp")


@contextlib.contextmanager
def atomic_file(final: Path) -> Iterator[Path]:
    """Yields a temporary path beside `final`; on success it replaces `final` in one rename, on error it
    is removed. Readers therefore see the old file or the new one, never half of one."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(final)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_dir(final: Path, *, already_done: Callable[[Path], bool] | None = None) -> Iterator[Path]:
    """Yields a fresh temporary folder beside `final`; on success it takes `final`'s place (an older
    `final` is moved aside first and deleted after), on error it is deleted. When the rename loses a
    race with another process, `already_done(final)` says whether that process's result stands."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    old = final.with_name(f".{final.name}.old-{os.getpid()}.{threading.get_ident()}")
    try:
        yield tmp
        _apply_umask(tmp)  # mkdtemp creates a private (0700) folder
        if final.exists():
            final.rename(old)
        try:
            tmp.rename(final)
        except OSError:
            if already_done is None or not already_done(final):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _apply_umask(folder: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)


def restore_interrupted_swap(final: Path) -> bool:
    """`atomic_dir` moves the old `final` aside just before the new one takes its place; a writer killed
    between the two renames leaves no `final` but the old one aside. This puts the newest one back (call it
    holding the writers' lock). True when something was restored."""
    final = Path(final)
    if final.exists():
        return False
    aside = sorted((p for p in final.parent.glob(f".{final.name}.old-*") if p.is_dir()),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for candidate in aside:
        try:
            candidate.rename(final)
            return True
        except OSError:
            continue
    return False


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (and threads) on `path` (created if needed), released on exit or
    when the holder dies. Writers of one cache folder take it so that two builds never interleave. Where the
    lock file cannot be created (a read-only cache folder) nobody can write there either: no lock is taken,
    and readers stay safe because writers replace files by renaming."""
    path = Path(path)
    try:
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")
    except (ImportError, OSError):  # not POSIX, or a read-only folder
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def stop_process_group(proc: Any, *, grace_s: float = 20.0) -> None:
    """Stops a child started with `start_new_session=True` and everything it spawned: SIGTERM to its process
    group, SIGKILL when it has not exited after `grace_s`. (The app, llama.cpp's server and the load test.)"""
    import signal
    import subprocess

    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def remove_stale_temp(final: Path, max_age_s: float = 3 * 3600) -> None:
    """Temporary folders and files of writers that were killed (a live one is younger than this)."""
    import time

    now = time.time()
    for stale in final.parent.glob(f".{final.name}.*"):
        try:
            if now - stale.stat().st_mtime > max_age_s:
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
        except OSError:
            pass


# ------------------------------------------------------------------------------------------ progress
class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, desc: str, enabled: bool, **tqdm_kwargs: Any) -> Any:
    """A tqdm bar on stderr, or a silent stand-in (disabled, or tqdm missing)."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        print(f"{desc}…", file=sys.stderr)
        return _NoBar()
    return tqdm(total=total, desc=desc, file=sys.stderr, **tqdm_kwargs)
