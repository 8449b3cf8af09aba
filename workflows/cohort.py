"""The cohort lifecycle: draft → open → closed → confirmed → running → finished, or cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from workflows.base import ALLOWED, LifecycleMachine, Stage, Verdict, refuse, utc_text

# What a cohort's state means elsewhere: listed publicly, taking applications, taking the
# facilitators' decisions, going ahead (remainder invoiced).
PUBLIC = "public"
APPLYING = "takes_applications"
DECIDING = "takes_decisions"
AHEAD = "goes_ahead"


@dataclass(frozen=True)
class CohortFacts:
    """What the cohort's guards need, read under lock by the service that fires the event."""

    now: datetime
    applications_close_at: datetime
    first_meeting_at: datetime | None
    last_meeting_ends_at: datetime | None
    registered: int  # enrollments that paid the deposit (registered, invoiced, paid)
    minimum: int


class CohortMachine(LifecycleMachine):
    """A cohort's own lifecycle; confirming it means enough people registered to proceed."""

    subject = "cohort"
    event_verbs: ClassVar[dict[str, str]] = {
        "publish": "publish",
        "close": "close applications for",
        "reopen": "reopen applications for",
        "confirm": "confirm",
        "start": "start",
        "finish": "finish",
        "cancel": "cancel",
    }

    draft = Stage("Draft", initial=True)
    open = Stage("Open for applications", traits={PUBLIC, APPLYING, DECIDING})
    closed = Stage("Applications closed", traits={PUBLIC, DECIDING})
    confirmed = Stage("Confirmed", traits={PUBLIC, DECIDING, AHEAD})
    running = Stage("Running", traits={PUBLIC, AHEAD})
    finished = Stage("Finished", final=True, traits={PUBLIC})
    cancelled = Stage("Cancelled", final=True, traits={PUBLIC})

    publish = draft.to(open, cond=["has_meetings", "before_application_deadline"])
    close = open.to(closed)
    reopen = closed.to(open, cond="before_application_deadline")
    confirm = closed.to(confirmed, cond="enough_registered")
    start = confirmed.to(running, cond="first_meeting_started")
    finish = running.to(finished, cond="last_meeting_ended")
    cancel = draft.to(cancelled) | open.to(cancelled) | closed.to(cancelled) | confirmed.to(
        cancelled
    )

    def has_meetings(self, facts: CohortFacts) -> Verdict:
        """A cohort needs its meetings before anyone can apply."""
        if facts.first_meeting_at is not None:
            return ALLOWED
        return refuse("The cohort has no meetings yet.")

    def before_application_deadline(self, facts: CohortFacts) -> Verdict:
        """Applications are taken only before their deadline."""
        if facts.now < facts.applications_close_at:
            return ALLOWED
        return refuse(
            f"The application deadline passed on {utc_text(facts.applications_close_at)}."
        )

    def enough_registered(self, facts: CohortFacts) -> Verdict:
        """The cohort goes ahead only with its minimum number of registered participants."""
        if facts.registered >= facts.minimum:
            return ALLOWED
        return refuse(
            f"Only {facts.registered} registered; the cohort needs at least {facts.minimum} "
            "to go ahead."
        )

    def first_meeting_started(self, facts: CohortFacts) -> Verdict:
        """The cohort runs from its first meeting."""
        if facts.first_meeting_at is not None and facts.now >= facts.first_meeting_at:
            return ALLOWED
        return refuse("The first meeting has not started yet.")

    def last_meeting_ended(self, facts: CohortFacts) -> Verdict:
        """The cohort finishes after its last meeting."""
        if facts.last_meeting_ends_at is not None and facts.now >= facts.last_meeting_ends_at:
            return ALLOWED
        return refuse("The last meeting has not ended yet.")
