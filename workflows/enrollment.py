"""The enrollment lifecycle: from application to completion, with its exits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from workflows.base import ALLOWED, LifecycleMachine, Stage, Verdict, refuse, utc_text
from workflows.cohort import CohortMachine

# What a state means elsewhere: who holds a seat, who paid the deposit, who may owe the balance,
# whose bank transfer finance records (a late one, once paid, is recorded and sent back), who is
# owed the rebate once the cohort starts, who takes part in the cohort's sessions (calendar,
# recordings).
SEAT = "holds_seat"
DEPOSIT = "deposit_paid"
BALANCE = "balance_payable"
TRANSFER = "takes_bank_transfer"
REBATE = "rebate_due"
ATTENDS = "attends_sessions"


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

    submitted = Stage("Application received", initial=True)
    waitlisted = Stage("On the waitlist")
    accepted = Stage("Accepted", traits={SEAT})
    registered = Stage("Registered", traits={SEAT, DEPOSIT, REBATE, ATTENDS})
    invoiced = Stage("Invoice sent",
                     traits={SEAT, DEPOSIT, BALANCE, TRANSFER, REBATE, ATTENDS})
    paid = Stage("Paid in full", traits={SEAT, DEPOSIT, TRANSFER, REBATE, ATTENDS})
    participating = Stage("Participating",
                          traits={SEAT, DEPOSIT, BALANCE, TRANSFER, REBATE, ATTENDS})
    completed = Stage("Completed", final=True, traits={REBATE, ATTENDS})
    declined = Stage("Not accepted", final=True)
    withdrawn = Stage("Withdrawn", final=True)
    lapsed = Stage("Place lapsed", final=True)
    cancelled = Stage("Cancelled", final=True)

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

    # The facilitators' decisions (and so the recommendations a review may make).
    decisions: ClassVar[tuple[str, ...]] = ("accept", "waitlist", "decline")

    @classmethod
    def decision_labels(cls) -> dict[str, str]:
        """The facilitators' decisions in order, each with its label ('accept' -> 'Accept')."""
        labels = cls.event_labels()
        return {event: labels[event] for event in cls.decisions}

    # When the cohort is cancelled, each enrollment leaves by the first of these it has.
    exits_when_cohort_cancelled: ClassVar[tuple[str, ...]] = ("cancel", "decline", "withdraw")

    @classmethod
    def exit_when_cohort_cancelled(cls, state: str) -> str | None:
        """The event that ends an enrollment in `state` when its cohort is cancelled, if any."""
        possible = cls.events_from(state)
        return next((e for e in cls.exits_when_cohort_cancelled if e in possible), None)

    # -- guards: pure; each says why when it says no ------------------------------------------
    def cohort_deciding(self, facts: EnrollmentFacts) -> Verdict:
        """Decisions are taken while the cohort is open, closed or confirmed."""
        if facts.cohort_state in CohortMachine.states_that("takes_decisions"):
            return ALLOWED
        return refuse(f"The cohort is {facts.cohort_state}; decisions are no longer taken.")

    def seat_free(self, facts: EnrollmentFacts) -> Verdict:
        """Accepting needs a free seat."""
        if facts.seats_held < facts.capacity:
            return ALLOWED
        waiting = f"{facts.waitlisted} on the waitlist" if facts.waitlisted else "nobody waitlisted"
        return refuse(
            f"The cohort is full: {facts.seats_held} of {facts.capacity} seats are held "
            f"({waiting}). Waitlist this application, or free a seat first."
        )

    def before_registration_deadline(self, facts: EnrollmentFacts) -> Verdict:
        """Registration (and acceptance) is possible until the registration deadline."""
        if facts.now < facts.registration_deadline:
            return ALLOWED
        return refuse(
            f"The registration deadline passed on {utc_text(facts.registration_deadline)}."
        )

    def registration_deadline_passed(self, facts: EnrollmentFacts) -> Verdict:
        """An accepted place lapses only once the registration deadline has passed."""
        if facts.now >= facts.registration_deadline:
            return ALLOWED
        deadline = utc_text(facts.registration_deadline)
        return refuse(f"The registration deadline ({deadline}) has not passed yet.")

    def cohort_confirmed(self, facts: EnrollmentFacts) -> Verdict:
        """Remainder invoices go out once the cohort is confirmed."""
        if facts.cohort_state in CohortMachine.states_that("goes_ahead"):
            return ALLOWED
        return refuse(f"The cohort is {facts.cohort_state}, not confirmed.")

    def cohort_running(self, facts: EnrollmentFacts) -> Verdict:
        """Participation starts when the cohort runs."""
        if facts.cohort_state == CohortMachine.running.id:
            return ALLOWED
        return refuse(f"The cohort is {facts.cohort_state}, not running.")

    def cohort_finished(self, facts: EnrollmentFacts) -> Verdict:
        """Completion comes when the cohort has finished."""
        if facts.cohort_state == CohortMachine.finished.id:
            return ALLOWED
        return refuse(f"The cohort is {facts.cohort_state}, not finished.")
