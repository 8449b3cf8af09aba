"""The cohort dashboard: state, seats, counts, the next deadlines and the actions allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from cohort.models import Cohort
from cohort.services.facts import cohort_facts
from workflows import CohortMachine

COHORT_ACTIONS = {
    "publish": ("Publish", "Open the cohort for applications."),
    "close": ("Close applications", "Stop taking applications now."),
    "reopen": ("Reopen applications", "Take applications again until the application deadline."),
    "confirm": ("Confirm: enough people", "The cohort goes ahead; remainder invoices go out."),
    "start": ("Start", "The first meeting has begun."),
    "finish": ("Finish", "The last meeting is over."),
    "cancel": ("Cancel the cohort…", "Everyone is told; everything paid is refunded in full."),
}


@dataclass(frozen=True)
class Deadline:
    """A named instant and how far away it is."""

    label: str
    at: datetime
    remaining: str
    passed: bool


@dataclass(frozen=True)
class CohortAction:
    """A cohort event the machine has from the current state, and whether its guards pass now."""

    event: str
    label: str
    explanation: str
    enabled: bool
    problem: str


def time_left(now: datetime, at: datetime) -> str:
    """'in 3 days, 4 hours', 'in 12 minutes', '2 days ago'."""
    delta = at - now
    past = delta < timedelta(0)
    delta = abs(delta)
    days, seconds = delta.days, delta.seconds
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    if days:
        text = f"{days} day{'s' * (days != 1)}, {hours} hour{'s' * (hours != 1)}"
    elif hours:
        text = f"{hours} hour{'s' * (hours != 1)}, {minutes} minute{'s' * (minutes != 1)}"
    else:
        text = f"{minutes} minute{'s' * (minutes != 1)}"
    return f"{text} ago" if past else f"in {text}"


def deadlines(cohort: Cohort, now: datetime) -> list[Deadline]:
    """The cohort's deadlines and meetings in time order, each with the time left."""
    named = [
        ("Applications close", cohort.applications_close_at),
        ("Cancellation deadline", cohort.cancellation_deadline_at),
        ("Registration and deposit deadline", cohort.registration_deadline_at),
    ]
    if cohort.first_meeting_at:
        named.append(("First meeting", cohort.first_meeting_at))
    if cohort.last_meeting_ends_at:
        named.append(("Last meeting ends", cohort.last_meeting_ends_at))
    return [Deadline(label, at, time_left(now, at), at <= now)
            for label, at in sorted(named, key=lambda pair: pair[1])]


def cohort_actions(session: Session, cohort: Cohort, now: datetime,
                   counts: dict[str, int] | None = None) -> list[CohortAction]:
    """Every action the cohort machine has from its state, enabled or with the reason it is not.

    `counts` (by state) may come from the page's summary, so the cohort is counted once.
    """
    facts = cohort_facts(session, cohort, now, counts)
    machine = CohortMachine(cohort.state)
    actions = []
    for event in machine.possible_events():
        problem = " ".join(machine.explain(event, facts))
        label, explanation = COHORT_ACTIONS[event]
        actions.append(CohortAction(event, label, explanation, not problem, problem))
    return actions
