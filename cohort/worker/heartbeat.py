"""Each worker's heartbeat row, and how long ago any worker was last seen (for /healthz)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
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
