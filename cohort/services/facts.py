"""Read, under lock, the facts the state machines' guards need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cohort.models import Cohort, Enrollment, Membership
from cohort.services.state_counts import count_by_state
from workflows import CohortFacts, EnrollmentFacts, EnrollmentMachine, MembershipFacts


def count_holding_seats(session: Session, cohort_id: int) -> int:
    """Seats held in the cohort, counted by the database among the few enrollments that hold one
    (an indexed count, where counting every state reads all of a cohort's applications)."""
    return session.scalar(
        select(func.count()).select_from(Enrollment)
        .where(Enrollment.cohort_id == cohort_id,
               Enrollment.state.in_(EnrollmentMachine.states_that("holds_seat")))
    ) or 0


def count_that(counts: dict[str, int], trait: str) -> int:
    """How many of the counted enrollments are in a state with `trait` (e.g. 'deposit_paid')."""
    return sum(counts.get(state, 0) for state in EnrollmentMachine.states_that(trait))


def seats_held(counts: dict[str, int]) -> int:
    """Seats held: enrollments in a state that holds a seat (accepted through participating)."""
    return count_that(counts, "holds_seat")


def enrollment_facts(
    session: Session, cohort: Cohort, enrollment: Enrollment, now: datetime
) -> EnrollmentFacts:
    """Facts for an enrollment event; the enrollment's own seat is not counted."""
    counts = count_by_state(session, cohort.id)
    held = seats_held(counts) - (1 if enrollment.holds_seat else 0)
    return EnrollmentFacts(
        now=now,
        capacity=cohort.capacity,
        seats_held=held,
        waitlisted=counts.get("waitlisted", 0),
        registration_deadline=cohort.registration_deadline_at,
        cohort_state=cohort.state,
    )


def cohort_facts(session: Session, cohort: Cohort, now: datetime,
                 counts: dict[str, int] | None = None) -> CohortFacts:
    """Facts for a cohort event (`counts` by state, when the caller has just read them)."""
    if counts is None:
        counts = count_by_state(session, cohort.id)
    return CohortFacts(
        now=now,
        applications_close_at=cohort.applications_close_at,
        first_meeting_at=cohort.first_meeting_at,
        last_meeting_ends_at=cohort.last_meeting_ends_at,
        registered=count_that(counts, "deposit_paid"),
        minimum=cohort.minimum_participants,
    )


def membership_facts(membership: Membership, now: datetime) -> MembershipFacts:
    """Facts for a membership event, from the (locked) membership and its plan."""
    return MembershipFacts(
        now=now,
        free=membership.plan.free,
        paid_through=membership.paid_through,
        grace_until=membership.grace_until,
        starts_at=membership.starts_at,
    )
