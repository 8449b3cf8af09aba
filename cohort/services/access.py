"""Who is in which group at any instant: a membership's access runs from started_at to ended_at.

A group opens to a member only once they have agreed to the community's terms in force then
(the newest version published by that instant): `entered_groups` and `agreed_current_terms`
say so; `open_groups` and `group_members` answer about memberships alone (rosters, billing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from cohort.models import Group, Membership, PlanGrant, TermsAgreement, TermsVersion


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


def terms_in_force(session: Session, community_id: int, at: datetime) -> TermsVersion | None:
    """The community's newest terms published by `at` (None: it has none yet)."""
    return session.scalars(select(TermsVersion).where(
        TermsVersion.community_id == community_id, TermsVersion.published_at <= at)
        .order_by(TermsVersion.version.desc()).limit(1)).first()


def agreed_current_terms(session: Session, community_id: int, person_ids: list[int],
                         at: datetime) -> set[int]:
    """Which of `person_ids` have agreed to the community's terms in force at `at`."""
    terms = terms_in_force(session, community_id, at)
    if terms is None:
        return set(person_ids)
    return set(session.scalars(select(TermsAgreement.person_id).where(
        TermsAgreement.terms_version_id == terms.id,
        TermsAgreement.person_id.in_(person_ids), TermsAgreement.agreed_at <= at)))


def communities_awaiting_agreement(session: Session, person_id: int, at: datetime) -> set[int]:
    """Communities whose terms in force at `at` this person has not agreed to (yet)."""
    newest = (select(TermsVersion.community_id, func.max(TermsVersion.version).label("version"))
              .where(TermsVersion.published_at <= at)
              .group_by(TermsVersion.community_id).subquery())
    agreed = select(TermsAgreement.id).where(
        TermsAgreement.person_id == person_id, TermsAgreement.agreed_at <= at,
        TermsAgreement.terms_version_id == TermsVersion.id).exists()
    return set(session.scalars(
        select(TermsVersion.community_id)
        .join(newest, and_(newest.c.community_id == TermsVersion.community_id,
                           newest.c.version == TermsVersion.version))
        .where(~agreed)))


def entered_groups(session: Session, person_id: int, at: datetime) -> list[Group]:
    """The groups a person can enter at `at`: open to them, and the terms agreed."""
    waiting = communities_awaiting_agreement(session, person_id, at)
    return [g for g in open_groups(session, person_id, at) if g.community_id not in waiting]
