"""A periodic job run by one worker at a time, at most once per interval, across machines.

PostgreSQL: a session-level advisory lock on a connection of its own is held for the whole run,
so a second worker (or a `cohort tick` from cron) skips while one runs, and the lock goes with
the connection if the process dies. SQLite: a lease on the job's row (its writers are
serialised, so reading and taking the row is one step). Either way the row's `last_started_at`
spaces the runs, so several workers together still tick about once a minute.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.models import WorkerJob

#: How long a SQLite holder keeps the job if it dies without letting go.
LEASE = timedelta(minutes=30)


def advisory_key(name: str) -> int:
    """A stable 32-bit advisory lock key for a job name (the same in every process)."""
    return zlib.crc32(f"cohort.job.{name}".encode())


def _start_if_due(session: Session, name: str, holder: str, now: datetime, every: timedelta,
                  lease_until: datetime | None) -> bool:
    """Record that `holder` starts `name` now, if it is due and nobody else holds it."""
    job = session.get(WorkerJob, name, populate_existing=True)
    if job is None:
        job = WorkerJob(name=name, holder="", last_started_at=None, lease_until=None)
        session.add(job)
    held = job.lease_until is not None and job.lease_until > now and job.holder != holder
    last = job.last_started_at
    ran_recently = last is not None and now - every < last <= now
    if held or ran_recently:
        session.rollback()
        return False
    job.last_started_at, job.holder, job.lease_until = now, holder, lease_until
    try:
        session.commit()
    except IntegrityError:  # another worker created the row first: it takes this turn
        session.rollback()
        return False
    return True


def _let_go(session: Session, name: str, holder: str) -> None:
    session.rollback()
    job = session.get(WorkerJob, name, populate_existing=True)
    if job is not None and job.holder == holder:
        job.lease_until = None
    session.commit()


@contextmanager
def job_turn(session: Session, name: str, holder: str, now: datetime,
             every: timedelta = timedelta(0)) -> Iterator[bool]:
    """Yield True when `holder` may run `name` now: nobody else runs it and it is due.

    `every` is the least time between two starts (0: whenever nobody else is running it).
    """
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        started = _start_if_due(session, name, holder, now, every, now + LEASE)
        try:
            yield started
        finally:
            if started:
                _let_go(session, name, holder)
        return
    key = advisory_key(name)
    with engine.connect() as lock:
        acquired = bool(lock.scalar(select(func.pg_try_advisory_lock(key))))
        lock.commit()  # the lock belongs to the connection, not to a transaction left open
        try:
            yield acquired and _start_if_due(session, name, holder, now, every, None)
        finally:
            if acquired:
                lock.scalar(select(func.pg_advisory_unlock(key)))
                lock.commit()
