"""Who may enter which session at an instant: a cohort's participants, a group's members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload

from cohort.models import Cohort, Enrollment, Group, GroupSession, Person
from cohort.services.access import agreed_current_terms, entered_groups, group_members
from workflows import EnrollmentMachine


def attended_cohorts(person_id: int) -> Select[tuple[int]]:
    """Ids of the cohorts whose sessions the person takes part in (registered onwards)."""
    return select(Enrollment.cohort_id).where(
        Enrollment.person_id == person_id,
        Enrollment.state.in_(EnrollmentMachine.states_that("attends_sessions")))


def sessions_open_to(session: Session, person_id: int, at: datetime) -> list[GroupSession]:
    """Every session of every cohort and group the person can enter at `at`, in time order."""
    group_ids = [g.id for g in entered_groups(session, person_id, at)]
    stmt = (
        select(GroupSession)
        .where(or_(GroupSession.group_id.in_(group_ids),
                   GroupSession.cohort_id.in_(attended_cohorts(person_id))))
        .options(joinedload(GroupSession.cohort).joinedload(Cohort.program),
                 joinedload(GroupSession.group).joinedload(Group.community))
        .order_by(GroupSession.starts_at, GroupSession.id)
    )
    return list(session.scalars(stmt).unique())


@dataclass(frozen=True)
class Attendee:
    """Someone who may enter a session, with the zone they gave us (for their e-mails)."""

    person: Person
    zone: str


def attendees(session: Session, row: GroupSession, at: datetime) -> list[Attendee]:
    """Everyone who may enter the session at `at`: the group's members who agreed to the terms
    in force, or the cohort's participants, one entry per person."""
    found: dict[int, Attendee] = {}
    if row.group_id is not None:
        members = group_members(session, row.group_id, at)
        agreed = agreed_current_terms(session, row.group.community_id,
                                      [m.person_id for m in members], at) if members else set()
        for membership in members:
            if membership.person_id in agreed:
                found.setdefault(membership.person_id, Attendee(membership.person,
                                                                membership.time_zone))
    else:
        stmt = (select(Enrollment).where(
            Enrollment.cohort_id == row.cohort_id,
            Enrollment.state.in_(EnrollmentMachine.states_that("attends_sessions")))
            .options(joinedload(Enrollment.person)).order_by(Enrollment.id))
        for enrollment in session.scalars(stmt):
            found.setdefault(enrollment.person_id, Attendee(enrollment.person,
                                                            enrollment.time_zone))
    return list(found.values())
