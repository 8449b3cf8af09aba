"""The background worker in a thread of the test process, and waiting for what it does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from flask import Flask
from sqlalchemy.orm import Session

from cohort.models import OutboxMessage
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


def queue_messages(session: Session, count: int, *, at: datetime) -> list[str]:
    """`count` messages due at `at` in the outbox, committed, oldest first; their addresses."""
    addresses = [f"person{i}@example.org" for i in range(count)]
    for address in addresses:
        session.add(OutboxMessage(
            created_at=at, kind="test", to_address=address, subject=f"Hello {address}",
            body_text="Hello.", status="queued", attempts=0, next_attempt_at=at))
    session.commit()
    return addresses


def at_once(app: Flask, how_many: int, action: Callable[[], None]) -> None:
    """Run `action` in `how_many` threads (each in its own app context) and wait for all;
    fail with the first error any of them raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                action()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(how_many)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread did not end in a minute"
    assert errors == [], errors
