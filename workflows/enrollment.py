"""The enrollment lifecycle: from application to completion, with its exits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from statemachine import State

from workflows.base import LifecycleMachine, utc_text

SEAT_HOLDING_STATES = ("accepted", "registered", "invoiced", "paid", "participating")
DECIDING_COHORT_STATES = ("open", "closed", "confirmed")


@dataclass(frozen=True)
class EnrollmentFacts:
    """What the guards need to know, read under lock by the service that fires the event."""

    now: datetime
    capacity: int
    seats_held: int  # by other enrollments of the cohort (this one excluded)
    waitlisted: int
    registration_deadline: datetime
    cohort_state: str


class EnrollmentMachine(LifecycleMachine):
    """submitted → (waitlisted) → accepted → registered → invoiced → paid → participating → done.

    Exits: declined, withdrawn, lapsed (accepted, never registered), cancelled (after registering).
    """

    subject = "application"
    event_verbs: ClassVar[dict[str, str]] = {
        "accept": "accept",
        "waitlist": "waitlist",
        "decline": "decline",
        "withdraw": "withdraw",
        "lapse": "lapse",
        "register": "register",
        "invoice": "invoice",
        "pay": "record full payment for",
        "start": "start participation for",
        "complete": "complete",
        "cancel": "cancel",
    }

    submitted = State("Submitted", initial=True)
    waitlisted = State("Waitlisted")
    accepted = State("Accepted")
    registered = State("Registered")
    invoiced = State("Invoiced")
    paid = State("Paid")
    participating = State("Participating")
    completed = State("Completed", final=True)
    declined = State("Declined", final=True)
    withdrawn = State("Withdrawn", final=True)
    lapsed = State("Lapsed", final=True)
    cancelled = State("Cancelled", final=True)

    waitlist = submitted.to(waitlisted, cond="cohort_deciding")
    accept = submitted.to(accepted, cond=["cohort_deciding", "before_registration_deadline",
                                          "seat_free"]) | waitlisted.to(
        accepted, cond=["cohort_deciding", "before_registration_deadline", "seat_free"]
    )
    decline = submitted.to(declined) | waitlisted.to(declined)
    withdraw = submitted.to(withdrawn) | waitlisted.to(withdrawn) | accepted.to(withdrawn)
    lapse = accepted.to(lapsed, cond="registration_deadline_passed")
    register = accepted.to(registered, cond="before_registration_deadline")
    invoice = registered.to(invoiced, cond="cohort_confirmed")
    pay = invoiced.to(paid)
    start = paid.to(participating, cond="cohort_running") | invoiced.to(
        participating, cond="cohort_running"
    )
    complete = participating.to(completed, cond="cohort_finished")
    cancel = (
        registered.to(cancelled)
        | invoiced.to(cancelled)
        | paid.to(cancelled)
        | participating.to(cancelled)
    )

    # -- guards: each says why when it says no ------------------------------------------------
    def cohort_deciding(self, facts: EnrollmentFacts) -> bool:
        """Decisions are taken while the cohort is open, closed or confirmed."""
        if facts.cohort_state in DECIDING_COHORT_STATES:
            return True
        return self.refuse(f"The cohort is {facts.cohort_state}; decisions are no longer taken.")

    def seat_free(self, facts: EnrollmentFacts) -> bool:
        """Accepting needs a free seat."""
        if facts.seats_held < facts.capacity:
            return True
        waiting = f"{facts.waitlisted} on the waitlist" if facts.waitlisted else "nobody waitlisted"
        return self.refuse(
            f"The cohort is full: {facts.seats_held} of {facts.capacity} seats are held "
            f"({waiting}). Waitlist this application, or free a seat first."
        )

    def before_registration_deadline(self, facts: EnrollmentFacts) -> bool:
        """Registration (and acceptance) is possible until the registration deadline."""
        if facts.now < facts.registration_deadline:
            return True
        return self.refuse(
            f"The registration deadline passed on {utc_text(facts.registration_deadline)}."
        )

    def registration_deadline_passed(self, facts: EnrollmentFacts) -> bool:
        """An accepted place lapses only once the registration deadline has passed."""
        if facts.now >= facts.registration_deadline:
            return True
        deadline = utc_text(facts.registration_deadline)
        return self.refuse(f"The registration deadline ({deadline}) has not passed yet.")

    def cohort_confirmed(self, facts: EnrollmentFacts) -> bool:
        """Remainder invoices go out once the cohort is confirmed."""
        if facts.cohort_state in ("confirmed", "running"):
            return True
        return self.refuse(f"The cohort is {facts.cohort_state}, not confirmed.")

    def cohort_running(self, facts: EnrollmentFacts) -> bool:
        """Participation starts when the cohort runs."""
        if facts.cohort_state == "running":
            return True
        return self.refuse(f"The cohort is {facts.cohort_state}, not running.")

    def cohort_finished(self, facts: EnrollmentFacts) -> bool:
        """Completion comes when the cohort has finished."""
        if facts.cohort_state == "finished":
            return True
        return self.refuse(f"The cohort is {facts.cohort_state}, not finished.")
