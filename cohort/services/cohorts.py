"""Reading cohorts for public pages: listing order, seats, meeting instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from cohort.models import Cohort, Program
from cohort.services.applications import applications_open
from cohort.services.facts import count_holding_seats
from workflows import CohortMachine


@dataclass(frozen=True)
class SeatCount:
    """Seats of a cohort."""

    capacity: int
    held: int

    @property
    def left(self) -> int:
        """Seats not yet held."""
        return max(self.capacity - self.held, 0)


def listed_cohorts(session: Session, now: datetime) -> list[Cohort]:
    """Every published cohort: those open for applications first, then by first meeting."""
    cohorts = session.scalars(
        select(Cohort)
        .where(Cohort.state.in_(CohortMachine.states_that("public")))
        .options(selectinload(Cohort.meetings),
                 selectinload(Cohort.program).selectinload(Program.facilitators))
    ).all()
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(cohorts, key=lambda c: (not applications_open(c, now),
                                          c.first_meeting_at or far))


def cohort_by_slug(session: Session, slug: str, *, with_meetings: bool = False) -> Cohort | None:
    """A published cohort by its slug, with its program and facilitators (every public page and
    the confirmation e-mail show them), and its meetings if asked, in one statement."""
    stmt = (select(Cohort)
            .where(Cohort.slug == slug, Cohort.state.in_(CohortMachine.states_that("public")))
            .options(joinedload(Cohort.program).joinedload(Program.facilitators)))
    if with_meetings:  # a dozen rows at most: joined into the same statement too
        stmt = stmt.options(joinedload(Cohort.meetings))
    return session.scalars(stmt).unique().one_or_none()


def seat_count(session: Session, cohort: Cohort) -> SeatCount:
    """Capacity and seats held now."""
    return SeatCount(cohort.capacity, count_holding_seats(session, cohort.id))


def meeting_spans(cohort: Cohort) -> list[tuple[datetime, datetime]]:
    """(start, end) instants of each meeting."""
    return [(m.starts_at, m.ends_at) for m in cohort.meetings]
