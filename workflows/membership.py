"""The membership lifecycle: one person on one plan of a community, from joining to ending.

pending → active → (past_due →) cancelling → ended; PRO starts at applied → approved (or declined)
before it is paid for; a plan kept after another one ends waits in scheduled.

Access is a trait: the groups a plan grants are open to a membership whose state has
`grants_access` (active, past due within grace, cancelling until the paid period ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from workflows.base import ALLOWED, LifecycleMachine, Stage, Verdict, refuse, utc_text

# What a membership's state means elsewhere: its plan's groups are open; money is owed (a failed
# renewal); a Stripe subscription is live and must be ended with the membership; it is counted
# as a member in the finance summary; it waits for the facilitators' decision.
ACCESS = "grants_access"
OWES = "owes_money"
BILLED = "billed"
MEMBER = "counts_as_member"
REVIEW = "awaits_review"
OPEN = "not_started"


@dataclass(frozen=True)
class MembershipFacts:
    """What the guards need to know, read under lock by the service that fires the event."""

    now: datetime
    free: bool  # the plan costs nothing (the Lobby)
    paid_through: datetime | None  # end of the period paid for (None before the first payment)
    grace_until: datetime | None  # when a past-due membership loses access
    starts_at: datetime | None = None  # when a scheduled membership begins


class MembershipMachine(LifecycleMachine):
    """A membership's own lifecycle; `paid_through` and `grace_until` are facts, not states."""

    subject = "membership"
    event_verbs: ClassVar[dict[str, str]] = {
        "apply": "apply for",
        "schedule": "schedule",
        "approve": "approve",
        "decline": "decline",
        "activate": "activate",
        "start": "start",
        "renew": "renew",
        "fail_payment": "record a failed payment for",
        "recover": "record the overdue payment for",
        "cancel": "cancel",
        "undo_cancel": "undo the cancellation of",
        "end": "end",
        "lapse": "end the grace period of",
        "leave": "leave",
        "abandon": "abandon",
        "upgrade": "end for an upgrade",
    }

    pending = Stage("Waiting for confirmation or payment", initial=True, traits={OPEN})
    applied = Stage("Application received", traits={OPEN, REVIEW})
    approved = Stage("Accepted, waiting for the subscription", traits={OPEN})
    scheduled = Stage("Starts when the current plan ends", traits={OPEN})
    active = Stage("Active", traits={ACCESS, BILLED, MEMBER})
    past_due = Stage("Payment failed, in grace period", traits={ACCESS, OWES, BILLED, MEMBER})
    cancelling = Stage("Cancelled, ends at the end of the paid period",
                       traits={ACCESS, BILLED, MEMBER})
    declined = Stage("Not accepted", final=True)
    ended = Stage("Ended", final=True)

    # A new membership starts pending; a PRO application goes to review, a plan kept after
    # another one ends waits for that instant.
    apply = pending.to(applied)
    schedule = pending.to(scheduled)
    approve = applied.to(approved)
    decline = applied.to(declined)
    # Paid (signed webhook or the return check) or, for the free plan, the e-mail confirmed.
    activate = pending.to(active) | approved.to(active)
    start = scheduled.to(active, cond="start_reached")
    renew = active.to.itself(cond="paid_plan")
    fail_payment = active.to(past_due, cond="paid_plan")
    recover = past_due.to(active)
    cancel = active.to(cancelling, cond="paid_plan") | past_due.to(ended) | scheduled.to(ended)
    undo_cancel = cancelling.to(active, cond="period_not_over")
    end = cancelling.to(ended, cond="period_over")
    lapse = past_due.to(ended, cond="grace_over")
    leave = active.to(ended, cond="free_plan")
    abandon = pending.to(ended) | approved.to(ended) | applied.to(ended)
    # A paid plan that a bigger one includes (the Lounge in PRO) ends the instant the bigger one
    # starts; what was paid and not used is refunded (see cohort/proration.py).
    upgrade = (active.to(ended, cond="paid_plan") | past_due.to(ended)
               | cancelling.to(ended))

    # The facilitators' decisions on a PRO application (and the recommendations a review makes).
    decisions: ClassVar[tuple[str, ...]] = ("approve", "decline")

    # -- guards: pure; each says why when it says no ------------------------------------------
    def paid_plan(self, facts: MembershipFacts) -> Verdict:
        """Renewals, failed payments and cancelling at period end belong to paid plans."""
        if not facts.free:
            return ALLOWED
        return refuse("The plan is free: there is no paid period (leave it instead).")

    def free_plan(self, facts: MembershipFacts) -> Verdict:
        """A free membership ends at once when its member leaves."""
        if facts.free:
            return ALLOWED
        return refuse("A paid membership is cancelled, and ends when its paid period ends.")

    def period_over(self, facts: MembershipFacts) -> Verdict:
        """A cancelled membership ends once its paid period is over."""
        if facts.paid_through is None or facts.now >= facts.paid_through:
            return ALLOWED
        return refuse(f"The paid period runs until {utc_text(facts.paid_through)}.")

    def period_not_over(self, facts: MembershipFacts) -> Verdict:
        """A cancellation can be undone until the paid period ends."""
        if facts.paid_through is not None and facts.now < facts.paid_through:
            return ALLOWED
        return refuse("The paid period is over; the membership has ended or is ending now.")

    def grace_over(self, facts: MembershipFacts) -> Verdict:
        """A past-due membership loses access when the grace period is over."""
        if facts.grace_until is None or facts.now >= facts.grace_until:
            return ALLOWED
        return refuse(f"The grace period runs until {utc_text(facts.grace_until)}.")

    def start_reached(self, facts: MembershipFacts) -> Verdict:
        """A scheduled membership starts at its start instant."""
        if facts.starts_at is None or facts.now >= facts.starts_at:
            return ALLOWED
        return refuse(f"It starts on {utc_text(facts.starts_at)}.")
