"""One thread, at a lower CPU priority, that runs all of a local model's compute.

On a CPU shared with the web server, generation would otherwise take both cores from lookups and page
requests. llama.cpp's OpenMP workers are created by the thread that first computes and inherit its nice
value, so running every llama.cpp call on this one thread lowers all of them; when nothing else wants the
CPU, a niced thread runs as fast as any other.
"""
from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

# Measured on the 2-core CPU (1.5B decoding 200 tokens while one thread ran keyword lookups back to back):
# lookup p50 72 ms with generation at nice 0, 50 ms at nice 15; decode 10.8 tok/s in both cases.
LLM_NICE = 15  # added to the nice value the process runs at

_DONE = object()


def lower_priority(nice: int) -> bool:
    """Adds `nice` to this thread's nice value (Linux keeps one per thread; never below the process's own, so a
    process started with `nice` stays as low); False where that is not possible."""
    if not sys.platform.startswith("linux") or nice <= 0:
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
        return True
    except (OSError, AttributeError):
        return False


class ComputeThread:
    """Runs calls and iterators on one dedicated thread with `nice` applied to it."""

    def __init__(self, name: str, nice: int = LLM_NICE) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name, initializer=lower_priority,
                                        initargs=(nice,))

    def close(self) -> None:
        """Waits for the call in progress, then ends the thread."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._pool.submit(fn, *args, **kwargs).result()

    def stream(self, make: Callable[[], Iterator[T]]) -> Iterator[T]:
        """Iterates `make()` on the thread and yields its items here. Closing this generator early stops the
        iteration after the item in progress and returns only once the thread has let go of it."""
        items: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()

        def run() -> None:
            try:
                it = make()
                try:
                    for item in it:
                        items.put(item)
                        if stop.is_set():
                            break
                finally:
                    close = getattr(it, "close", None)
                    if close is not None:
                        close()
            except BaseException as exc:  # handed to the consumer, raised there
                items.put(_Raised(exc))
            finally:
                items.put(_DONE)

        future = self._pool.submit(run)
        try:
            while True:
                item = items.get()
                if item is _DONE:
                    break
                if isinstance(item, _Raised):
                    raise item.exc
                yield item
        finally:
            stop.set()
            future.result()  # the model is free again before the caller's lock is released


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
