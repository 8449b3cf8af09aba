"""How many of a cohort's enrollments are in each state, kept by the database as they change.

A trigger on `enrollments` (migration 0025) appends a change of +1 or −1 per cohort and state to
`enrollment_state_changes` whenever an enrollment is inserted, deleted, or changes state or
cohort; no request ever updates a shared counter row, so none waits for another. The worker
folds those changes into `enrollment_state_counts` (`cohort.services.state_counts`), and a count
is the folded number plus the changes not yet folded, read in one snapshot: exact at any moment,
and as cheap at 100,000 applications as at 100.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cohort.models.base import Base


class EnrollmentStateCount(Base):
    """A cohort's enrollments in one state, as of the changes folded in so far."""

    __tablename__ = "enrollment_state_counts"

    cohort_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class EnrollmentStateChange(Base):
    """+1 or −1 to a cohort's count in one state, written by the trigger, not yet folded in."""

    __tablename__ = "enrollment_state_changes"
    __table_args__ = (Index("ix_enrollment_state_changes_cohort_state", "cohort_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    delta: Mapped[int] = mapped_column(Integer)
