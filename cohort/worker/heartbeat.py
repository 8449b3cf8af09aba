"""Each worker's heartbeat row, and how long ago any worker was last seen (for /healthz)."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cohort.models import WorkerHeartbeat

#: A worker not seen for this long is forgotten (its process died without saying goodbye).
FORGET_AFTER = timedelta(days=1)


def beat(session: Session, worker_id: str, *, hostname: str, pid: int, now: datetime) -> None:
    """Record that this worker is alive now; commits (only this worker writes its row)."""
    row = session.get(WorkerHeartbeat, worker_id, populate_existing=True)
    if row is None:
        session.add(WorkerHeartbeat(worker_id=worker_id, hostname=hostname[:200], pid=pid,
                                    started_at=now, last_seen=now))
    else:
        row.last_seen = now
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen < now - FORGET_AFTER))
    session.commit()


def forget(session: Session, worker_id: str) -> None:
    """Remove this worker's row as it stops; commits."""
    session.rollback()
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))
    session.commit()


def last_heartbeat(session: Session) -> datetime | None:
    """When any worker was last seen, or None if none ever was (or all stopped)."""
    return session.scalar(select(func.max(WorkerHeartbeat.last_seen)))


@dataclass(frozen=True)
class Health:
    """Whether the database answers and how long ago a worker was last seen."""

    database_ok: bool
    heartbeat_age: timedelta | None
    max_age: timedelta

    @property
    def worker_ok(self) -> bool:
        """A worker was seen within `max_age`."""
        return self.heartbeat_age is not None and self.heartbeat_age <= self.max_age

    @property
    def ok(self) -> bool:
        """Both the database and a worker are there."""
        return self.database_ok and self.worker_ok

    def as_json(self) -> dict[str, Any]:
        """The /healthz body."""
        age = self.heartbeat_age
        return {
            "database": "ok" if self.database_ok else "unavailable",
            "worker": {
                "status": "ok" if self.worker_ok else ("unknown" if not self.database_ok
                                                       else "none" if age is None else "late"),
                "last_heartbeat_age_seconds": None if age is None else round(
                    max(age.total_seconds(), 0.0), 1),
                "max_age_seconds": int(self.max_age.total_seconds()),
            },
        }


def health(session: Session, now: datetime, max_age: timedelta) -> Health:
    """Ask the database for the latest heartbeat; a database that does not answer is reported."""
    try:
        last = last_heartbeat(session)
        session.rollback()
    except SQLAlchemyError:
        with suppress(SQLAlchemyError):
            session.rollback()
        return Health(database_ok=False, heartbeat_age=None, max_age=max_age)
    return Health(database_ok=True, heartbeat_age=None if last is None else now - last,
                  max_age=max_age)
