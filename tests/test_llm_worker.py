"""The compute thread that runs a local model: every call on one thread, streams that stop when dropped."""
from __future__ import annotations

import threading

import pytest

from chatbot.llm.worker import ComputeThread


def test_calls_and_streams_all_run_on_one_thread_other_than_the_callers():
    compute = ComputeThread("test")
    seen = {compute.call(threading.get_ident)}

    def numbers():
        for n in range(3):
            seen.add(threading.get_ident())
            yield n

    assert list(compute.stream(numbers)) == [0, 1, 2]
    assert len(seen) == 1 and threading.get_ident() not in seen


def test_an_error_inside_the_stream_reaches_the_consumer():
    def broken():
        yield "a"
        raise ValueError("context window exceeded")

    stream = ComputeThread("test").stream(broken)
    assert next(stream) == "a"
    with pytest.raises(ValueError, match="context window"):
        next(stream)


def test_closing_the_stream_early_stops_the_iteration_and_closes_it_before_returning():
    closed = threading.Event()
    produced = []

    def endless():
        try:
            n = 0
            while True:
                produced.append(n)
                yield n
                n += 1
        finally:
            closed.set()

    stream = ComputeThread("test").stream(endless)
    assert next(stream) == 0
    stream.close()
    assert closed.is_set()  # the model is free by the time close() returns
    n = len(produced)
    threading.Event().wait(0.05)
    assert len(produced) == n  # nothing runs on after the close


@pytest.mark.skipif(not hasattr(threading, "get_native_id"), reason="needs native thread ids")
def test_the_compute_thread_runs_at_a_lower_priority_on_linux():
    import os
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread nice values are a Linux feature")
    compute = ComputeThread("test", nice=5)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    theirs = compute.call(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    assert theirs >= min(own + 5, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own  # the caller is untouched
