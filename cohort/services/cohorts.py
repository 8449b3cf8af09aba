"""Reading cohorts for public pages: listing order, seats, meeting instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
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


# Built once (only the slug changes): every public page and each application reads a cohort.
_PUBLISHED_BY_SLUG = (
    select(Cohort)
    .where(Cohort.slug == bindparam("slug"),
           Cohort.state.in_(CohortMachine.states_that("public")))
    .options(joinedload(Cohort.program).joinedload(Program.facilitators)))
_PUBLISHED_BY_SLUG_WITH_MEETINGS = _PUBLISHED_BY_SLUG.options(joinedload(Cohort.meetings))


def cohort_by_slug(session: Session, slug: str, *, with_meetings: bool = False) -> Cohort | None:
    """A published cohort by its slug, with its program and facilitators (every public page and
    the confirmation e-mail show them), and its meetings if asked (a dozen rows at most), in
    one statement."""
    stmt = _PUBLISHED_BY_SLUG_WITH_MEETINGS if with_meetings else _PUBLISHED_BY_SLUG
    return session.scalars(stmt, {"slug": slug}).unique().one_or_none()


def seat_count(session: Session, cohort: Cohort) -> SeatCount:
    """Capacity and seats held now."""
    return SeatCount(cohort.capacity, count_holding_seats(session, cohort.id))


def meeting_spans(cohort: Cohort) -> list[tuple[datetime, datetime]]:
    """(start, end) instants of each meeting."""
    return [(m.starts_at, m.ends_at) for m in cohort.meetings]
