"""Cohorts and enrollments as people should see them now, before `tick` records what time did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cohort.models import Cohort, Enrollment
from cohort.schedule import format_deadline
from cohort.services.review_queue import QueueRow
from workflows import CohortMachine, EnrollmentMachine
from workflows.as_of import AsOf, cohort_state_at, enrollment_state_at

COHORT_LABELS = CohortMachine.labels()
ENROLLMENT_LABELS = EnrollmentMachine.labels()
PENDING_LABELS = {"lapsed": "Place lapsing"}  # said while the place is still held on record
WHY = {
    "closed": "application deadline passed {when}",
    "running": "first meeting started {when}",
    "finished": "last meeting ended {when}",
    "lapsed": "registration deadline passed {when}",
    "participating": "the cohort started {when}",
    "completed": "the cohort finished {when}",
}


@dataclass(frozen=True)
class ShownState:
    """A state for people to read: its label, and why the clock moved it, if it did."""

    state: str
    label: str
    note: str
    pending: bool


def _note(as_of: AsOf, zone: str) -> str:
    if not as_of.pending or as_of.since is None:
        return ""
    return WHY[as_of.state].format(when=format_deadline(as_of.since, zone))


def shown_cohort_state(cohort: Cohort, now: datetime) -> ShownState:
    """E.g. 'Applications closed' (application deadline passed …) though tick has not run."""
    as_of = cohort_state_at(cohort, now)
    return ShownState(as_of.state, COHORT_LABELS.get(as_of.state, as_of.state),
                      _note(as_of, cohort.time_zone), as_of.pending)


def shown_enrollment_state(enrollment: Enrollment | QueueRow, now: datetime) -> ShownState:
    """E.g. 'Place lapsing' (registration deadline passed …) though tick has not run."""
    as_of = enrollment_state_at(enrollment, now)
    label = (PENDING_LABELS.get(as_of.state) if as_of.pending else None) \
        or ENROLLMENT_LABELS.get(as_of.state, as_of.state)
    return ShownState(as_of.state, label, _note(as_of, enrollment.cohort.time_zone),
                      as_of.pending)


def shown_states(rows: Sequence[QueueRow], now: datetime) -> dict[str, ShownState]:
    """How each recorded state among rows of one cohort reads now, worked out once per state
    (it depends only on the state and the cohort's instants), for a page of many rows."""
    shown: dict[str, ShownState] = {}
    for row in rows:
        if row.state not in shown:
            shown[row.state] = shown_enrollment_state(row, now)
    return shown
