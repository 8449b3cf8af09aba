"""The background worker in a thread of the test process, and waiting for what it does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask

from cohort.worker.loop import Worker

T = TypeVar("T")


@contextmanager
def running_worker(app: Flask, *, poll: float = 0.05, ticks: bool = False,
                   worker_id: str | None = None) -> Iterator[Worker]:
    """A worker delivering mail in a thread (the tick only when asked: tests tick themselves)."""
    worker = Worker(app, poll=poll, ticks=ticks, worker_id=worker_id)
    thread = threading.Thread(target=worker.run, name=f"worker {worker.worker_id}", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the worker did not stop within a minute"


def wait_for(condition: Callable[[], T], *, timeout: float = 10.0, what: str = "it") -> T:
    """Poll `condition` until it returns something truthy (and return that), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what} in vain")
        time.sleep(0.02)
