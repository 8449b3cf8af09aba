"""States as of an instant: what the clock already implies before `cohort tick` records it.

`cohort tick` makes the consequences of time durable (and sends their e-mails), but it runs
from cron, every few minutes. Pages show people the state as of now, from these pure rules;
which events time fires, the states they leave and where they lead are read from the machines;
the instants compared are those of the machines' time guards (`before_application_deadline`,
`first_meeting_started`, `last_meeting_ended`, `registration_deadline_passed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from workflows.cohort import CohortMachine
from workflows.enrollment import EnrollmentMachine


@dataclass(frozen=True)
class Timeline:
    """A cohort's instants that move states on by themselves."""

    applications_close_at: datetime
    registration_deadline_at: datetime
    first_meeting_at: datetime | None
    last_meeting_ends_at: datetime | None


class Instants(Protocol):
    """A cohort's instants that move states on, read only when a rule needs them.

    A `Timeline`, or a `Cohort` row itself (its meetings are then loaded only if asked).
    """

    @property
    def applications_close_at(self) -> datetime:
        """When applications close."""

    @property
    def registration_deadline_at(self) -> datetime:
        """When accepted places lapse unless registered."""

    @property
    def first_meeting_at(self) -> datetime | None:
        """Start of the first meeting."""

    @property
    def last_meeting_ends_at(self) -> datetime | None:
        """End of the last meeting."""


@dataclass(frozen=True)
class AsOf:
    """A state as of an instant; `since` is when time made it so, if not yet recorded."""

    state: str
    recorded: str
    since: datetime | None = None

    @property
    def pending(self) -> bool:
        """True when time moved the state on and `tick` has not recorded it yet."""
        return self.state != self.recorded


# The events time fires by itself, each with the instant of the cohort's that fires it. Which
# states they leave and where they lead is the machines' to say.
COHORT_TIME_EVENTS = (("close", "applications_close_at"), ("start", "first_meeting_at"),
                      ("finish", "last_meeting_ends_at"))


def _cohort_step(state: str, times: Instants, now: datetime) -> tuple[str, datetime] | None:
    """The state the clock moves a cohort to from `state`, and since when; None if none."""
    for event, instant_name in COHORT_TIME_EVENTS:
        if state not in CohortMachine.sources(event):
            continue  # read the instant only when it matters: a Cohort loads meetings for it
        instant = getattr(times, instant_name)
        if instant is not None and now >= instant:
            return CohortMachine.target(event), instant
    return None


def cohort_as_of(recorded: str, times: Instants, now: datetime) -> AsOf:
    """The cohort's state at `now`: applications close at their deadline, meetings run it."""
    state, since = recorded, None
    while (step := _cohort_step(state, times, now)) is not None:
        state, since = step
    return AsOf(state, recorded, since)


def enrollment_as_of(recorded: str, cohort: AsOf, times: Instants, now: datetime) -> AsOf:
    """The enrollment's state at `now`, given its cohort's state at `now`.

    An accepted place lapses at the registration deadline; the invoiced and paid participate
    once the cohort runs, and complete when it finishes.
    """
    if recorded in EnrollmentMachine.sources("lapse") and now >= times.registration_deadline_at:
        return AsOf(EnrollmentMachine.target("lapse"), recorded, times.registration_deadline_at)
    running, finished = CohortMachine.target("start"), CohortMachine.target("finish")
    state, since = recorded, None
    if state in EnrollmentMachine.sources("start") and cohort.state in (running, finished):
        state, since = EnrollmentMachine.target("start"), times.first_meeting_at
    if state in EnrollmentMachine.sources("complete") and cohort.state == finished:
        state, since = EnrollmentMachine.target("complete"), times.last_meeting_ends_at
    return AsOf(state, recorded, since)


class CohortRecord(Instants, Protocol):
    """What these rules read of a cohort (a `Cohort` row has it)."""

    state: str


class EnrollmentRecord(Protocol):
    """What these rules read of an enrollment (an `Enrollment` row has it)."""

    state: str

    @property
    def cohort(self) -> CohortRecord:
        """The enrollment's cohort."""


def cohort_state_at(cohort: CohortRecord, now: datetime) -> AsOf:
    """The cohort's state at `now`."""
    return cohort_as_of(cohort.state, cohort, now)


def enrollment_state_at(enrollment: EnrollmentRecord, now: datetime) -> AsOf:
    """The enrollment's state at `now` (with its cohort's state at `now`)."""
    cohort = enrollment.cohort
    return enrollment_as_of(enrollment.state, cohort_state_at(cohort, now), cohort, now)
