"""Who is in which group at any instant: a membership's access runs from started_at to ended_at."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, joinedload

from cohort.models import Group, Membership, PlanGrant


def has_access_at(at: datetime) -> ColumnElement[bool]:
    """A membership's access covers the instant `at` (started at or before, not yet ended)."""
    return and_(Membership.started_at.is_not(None), Membership.started_at <= at,
                or_(Membership.ended_at.is_(None), Membership.ended_at > at))


def group_members(session: Session, group_id: int, at: datetime) -> list[Membership]:
    """The memberships that open `group_id` at instant `at`, oldest first."""
    stmt = (
        select(Membership)
        .join(PlanGrant, PlanGrant.plan_id == Membership.plan_id)
        .where(PlanGrant.group_id == group_id, has_access_at(at))
        .options(joinedload(Membership.person), joinedload(Membership.plan))
        .order_by(Membership.started_at, Membership.id)
    )
    return list(session.scalars(stmt).unique())


def open_groups(session: Session, person_id: int, at: datetime) -> list[Group]:
    """The groups open to a person at instant `at`, through any of their memberships."""
    stmt = (
        select(Group)
        .join(PlanGrant, PlanGrant.group_id == Group.id)
        .join(Membership, Membership.plan_id == PlanGrant.plan_id)
        .where(Membership.person_id == person_id, has_access_at(at))
        .distinct()
        .order_by(Group.community_id, Group.position, Group.id)
    )
    return list(session.scalars(stmt))
