"""Scheduling and reading the sessions of a cohort or of a community group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from cohort.models import Cohort, Community, Group, GroupSession
from cohort.schedule import local, long_date, time_range


class SessionProblem(ValueError):
    """A session that cannot be scheduled; the message says why, in words for staff."""


@dataclass(frozen=True)
class SessionPlan:
    """What staff typed for one session, instants already in UTC-aware form."""

    kind: str
    title: str
    starts_at: datetime
    duration_minutes: int
    join_url: str
    questions_close_at: datetime | None = None


def schedule_session(session: Session, plan: SessionPlan, *, cohort: Cohort | None = None,
                     group: Group | None = None) -> GroupSession:
    """Add a session to exactly one cohort or group; refuse a second session at the same start."""
    if (cohort is None) == (group is None):
        raise ValueError("A session belongs to exactly one cohort or one group.")
    if plan.questions_close_at is not None and plan.questions_close_at > plan.starts_at:
        raise SessionProblem("Questions must close no later than the session starts.")
    owner = GroupSession.cohort_id == cohort.id if cohort else GroupSession.group_id == group.id
    clash = session.scalar(select(GroupSession.id).where(owner,
                                                         GroupSession.starts_at == plan.starts_at))
    if clash is not None:
        raise SessionProblem("Another session already starts at that time.")
    row = GroupSession(
        cohort_id=cohort.id if cohort else None, group_id=group.id if group else None,
        kind=plan.kind, title=plan.title, starts_at=plan.starts_at,
        duration_minutes=plan.duration_minutes, join_url=plan.join_url,
        questions_close_at=plan.questions_close_at if plan.kind == "qa" else None)
    session.add(row)
    session.flush()
    if cohort is not None:
        session.expire(cohort, ["meetings", "sessions"])
    return row


def _loaded() -> tuple[object, ...]:
    return (joinedload(GroupSession.cohort).joinedload(Cohort.program),
            joinedload(GroupSession.group).joinedload(Group.community),
            joinedload(GroupSession.recording))


def cohort_sessions(session: Session, cohort_id: int) -> list[GroupSession]:
    """Every session of a cohort (its meetings and any other kind), in time order."""
    stmt = (select(GroupSession).where(GroupSession.cohort_id == cohort_id)
            .options(*_loaded()).order_by(GroupSession.starts_at, GroupSession.id))
    return list(session.scalars(stmt).unique())


def group_sessions(session: Session, group_id: int) -> list[GroupSession]:
    """Every session of a community group, in time order."""
    stmt = (select(GroupSession).where(GroupSession.group_id == group_id)
            .options(*_loaded()).order_by(GroupSession.starts_at, GroupSession.id))
    return list(session.scalars(stmt).unique())


def session_by_id(session: Session, session_id: int) -> GroupSession | None:
    """One session with its cohort or group and recording."""
    return session.scalars(select(GroupSession).where(GroupSession.id == session_id)
                           .options(*_loaded())).unique().one_or_none()


def group_by_slugs(session: Session, community_slug: str, group_slug: str) -> Group | None:
    """A community's group by the two slugs, with its community."""
    stmt = (select(Group).join(Community).where(Community.slug == community_slug,
                                                 Group.slug == group_slug)
            .options(joinedload(Group.community)))
    return session.scalars(stmt).one_or_none()


def when_text(row: GroupSession, zone: str) -> str:
    """'Wednesday, February 7, 2024, 4:00 – 7:00 pm PST' in `zone`."""
    start, end = local(row.starts_at, zone), local(row.ends_at, zone)
    return f"{long_date(start.date())}, {time_range(start, end)} {start.tzname()}"
