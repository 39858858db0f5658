"""Deadlines for ``conformance check``: a target that hangs or crawls gets a ``timeout`` outcome, and the check
goes on with its other properties and ends with its summary and JSON.

The deadline is a timer signal in the main thread and a watchdog thread elsewhere. When it fires,
:class:`PropertyTimeout` is raised at the next Python instruction of whatever runs, the target's update
included; it derives from BaseException, so neither the properties' nor Hypothesis' handlers take it for a failure.
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

# One update of this many samples is timed (and one of a few) before the properties run. Small enough that a metric
# broadcasting (n,) against (n, 1) allocates only n^2 = 16M elements (65,536 would be 17 GB of float32).
SPEED_SAMPLES = 4096


class PropertyTimeout(BaseException):
    """A property ran past its deadline."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise PropertyTimeout in this thread after ``seconds``.

    In the main thread a timer signal raises it, which also interrupts a blocking call (a sleep, a lock). In any
    other thread (a pytest-xdist worker, a notebook's executor) a watchdog thread raises it asynchronously, which
    Python delivers at the target's next bytecode: a call blocked in C for longer is reached when it returns.
    """
    if seconds <= 0:
        yield
    elif threading.current_thread() is threading.main_thread():
        with _signal_deadline(seconds):
            yield
    else:
        with _watchdog_deadline(seconds):
            yield


@contextmanager
def _signal_deadline(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise PropertyTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _watchdog_deadline(seconds: float) -> Iterator[None]:
    thread_id = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    state = {"active": True, "fired": False}

    def expire() -> None:
        with lock:
            if state["active"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(thread_id, ctypes.py_object(PropertyTimeout))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    delivered = False
    try:
        yield
    except PropertyTimeout:
        delivered = True
        raise
    finally:
        with lock:
            state["active"] = False
        timer.cancel()
        if state["fired"] and not delivered:
            # It fired before the block ended: the block ran past its deadline. Take the exception here rather than
            # at some later instruction of the caller (Python delivers it at the next check of this loop). Never
            # withdraw it with SetAsyncExc(id, NULL): CPython then leaves its eval breaker set, and every thread
            # runs many times slower from then on.
            while True:
                pass


@dataclass(frozen=True)
class Speed:
    """What one update and result() of the target cost: ``overhead`` seconds per update (a few samples), and
    ``seconds`` for one update of ``samples`` samples."""

    samples: int
    seconds: float
    overhead: float

    def estimate(self, samples: int, updates: int) -> float:
        """Seconds to feed ``samples`` samples in ``updates`` updates."""
        per_sample = max(self.seconds - self.overhead, 0.0) / self.samples
        return samples * per_sample + updates * self.overhead

    def describe(self) -> str:
        return f"one update of {self.samples:,} samples took {self.seconds:.3g} s"


def _timed(call: Callable[[], Any], seconds: float) -> float | None:
    started = time.perf_counter()
    try:
        with deadline(seconds):
            np.asarray(call())
    except (Exception, PropertyTimeout):
        return None
    return time.perf_counter() - started


def measure(few: Callable[[], Any], many: Callable[[], Any], seconds: float) -> Speed | None:
    """Time an update of a few samples (after one untimed call: tracing, first-call set-up) and one of
    SPEED_SAMPLES, each under a deadline of ``seconds``; None if either raised. A target slower than the deadline
    measures as taking the deadline."""
    if _timed(few, seconds) is None:
        return None
    overhead = _timed(few, seconds)
    if overhead is None:
        return None
    many_seconds = _timed(many, seconds)
    return Speed(SPEED_SAMPLES, seconds if many_seconds is None else many_seconds, overhead)
