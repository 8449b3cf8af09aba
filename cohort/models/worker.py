"""The background worker's shared state: who is alive (heartbeats) and when jobs last ran."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cohort.models.base import Base, UTCInstant


class WorkerHeartbeat(Base):
    """One running worker process, and the last moment it said it was alive (for /healthz)."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCInstant())
    last_seen: Mapped[datetime] = mapped_column(UTCInstant(), index=True)


class WorkerJob(Base):
    """A periodic job shared by every worker (e.g. the tick): when it last started, who holds it.

    On PostgreSQL an advisory lock keeps the job to one worker at a time and this row only
    spaces the runs; on SQLite `lease_until` is the lock (a holder that died loses it then).
    """

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
    holder: Mapped[str] = mapped_column(String(200), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UTCInstant(), nullable=True)
