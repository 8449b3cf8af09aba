"""Cancelling: by a participant under the cohort's policy, or the whole cohort (all refunded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cohort.cohort_terms import REFUND_RULE_WORDS
from cohort.invoices.issuing import document_to_correct, issue_document
from cohort.mail.outbox import queue_mail, status_url
from cohort.models import Cohort, Document, Enrollment
from cohort.money import Money
from cohort.payments.gateway import StripeGateway
from cohort.schedule import format_deadline
from cohort.services import ServiceError
from cohort.services.ledger import balance, net_paid, post
from cohort.services.locking import lock_row
from cohort.services.refunds import execute_plan, plan_refund
from cohort.services.transitions import change_cohort, change_enrollment
from workflows import EnrollmentMachine


class QuoteChanged(ServiceError):
    """The refund changed since the participant saw it (e.g. a deadline passed)."""


@dataclass(frozen=True)
class CancellationQuote:
    """What cancelling now would give back, and why."""

    rule: str
    period: str
    paid: Money
    refund: Money

    @property
    def kept(self) -> Money:
        """What is not refunded."""
        return self.paid - self.refund

    @property
    def explanation(self) -> str:
        """The rule in words."""
        return f"{self.period}, the policy refunds {REFUND_RULE_WORDS[self.rule]}."


def _tier(cohort: Cohort, now: datetime) -> tuple[str, str]:
    boundaries = {"cancellation_deadline": cohort.cancellation_deadline_at,
                  "first_meeting": cohort.first_meeting_at}
    for tier in cohort.cancellation_policy["tiers"]:
        until = tier["until"]
        if until is None:
            return tier["refund"], "Once the first meeting has started"
        boundary = boundaries[until]
        if boundary is not None and now < boundary:
            when = format_deadline(boundary, cohort.time_zone)
            if until == "cancellation_deadline":
                return tier["refund"], f"Until the cancellation deadline ({when})"
            return tier["refund"], f"Until the first meeting starts ({when})"
    return "nothing", "Now"


def cancellation_quote(session: Session, enrollment: Enrollment,
                       now: datetime) -> CancellationQuote:
    """The refund the cohort's policy gives for cancelling at `now`."""
    cohort = enrollment.cohort
    rule, period = _tier(cohort, now)
    paid = net_paid(session, enrollment.account)
    refund = {"everything": paid.cents,
              "all_but_deposit": max(paid.cents - cohort.deposit_cents, 0),
              "nothing": 0}[rule]
    return CancellationQuote(rule, period, paid, Money(max(refund, 0), cohort.currency))


def _close_account(session: Session, enrollment: Enrollment, refund_cents: int, *,
                   reason: str, gateway: StripeGateway | None, now: datetime,
                   words: str) -> Document | None:
    """Refund `refund_cents`, then credit whatever is still owed, with one credit note."""
    refunds = execute_plan(session, plan_refund(session, enrollment.account, refund_cents),
                           reason=reason, gateway=gateway, now=now)
    credit = balance(session, enrollment.account).cents
    if credit <= 0:
        return None
    refers_to = document_to_correct(session, enrollment.account)
    note = issue_document(session, enrollment.account, kind="credit_note", now=now,
                          refers_to=refers_to,
                          reason=reason, lines=[(words, Money(credit, enrollment.cohort.currency))],
                          note=(f"Refunded: {Money(refund_cents, enrollment.cohort.currency)}."
                                if refund_cents else "Nothing was refunded."))
    post(session, enrollment.account, kind="credit", cents=-credit, now=now, document_id=note.id,
         description=f"Credit note {note.display_number}: {words}")
    for refund in refunds:
        refund.document_id = note.id  # the refunds made with this credit note
    return note


def cancel_enrollment(session: Session, enrollment: Enrollment, *, quoted_cents: int,
                      gateway: StripeGateway | None, actor: str, now: datetime) -> Enrollment:
    """The participant cancels: refund per policy (as quoted), credit note, e-mail."""
    lock_row(session, Cohort, enrollment.cohort_id)
    enrollment = lock_row(session, Enrollment, enrollment.id)
    if enrollment.state not in EnrollmentMachine.sources("cancel"):
        raise ServiceError(f"There is no registration to cancel: the application is "
                           f"{enrollment.state}.")
    quote = cancellation_quote(session, enrollment, now)
    if quote.refund.cents != quoted_cents:
        raise QuoteChanged(f"The refund changed since you looked: cancelling now refunds "
                           f"{quote.refund}. {quote.explanation} Please confirm again.")
    note = _close_account(session, enrollment, quote.refund.cents, reason="cancellation",
                          gateway=gateway, now=now, words="Cancellation by the participant")
    change_enrollment(session, enrollment.id, "cancel", actor=actor, now=now,
                      reason=quote.explanation)
    queue_mail(session, kind="enrollment_cancelled", to=enrollment.person.email, now=now,
               enrollment_id=enrollment.id, attachments=[note.id] if note else [],
               enrollment=enrollment, cohort=enrollment.cohort,
               person=enrollment.person, quote=quote, credit_note=note,
               status_url=status_url(enrollment.status_token))
    session.flush()
    return enrollment


def cancel_cohort(session: Session, cohort: Cohort, *, gateway: StripeGateway | None,
                  actor: str, reason: str, now: datetime) -> Cohort:
    """The cohort does not go ahead: everyone told, every payment refunded in full."""
    change_cohort(session, cohort.id, "cancel", actor=actor, now=now, reason=reason)
    for enrollment in list(cohort.enrollments):
        event = EnrollmentMachine.exit_when_cohort_cancelled(enrollment.state)
        if event is None:
            continue
        if event == "cancel":
            _close_account(session, enrollment, net_paid(session, enrollment.account).cents,
                           reason="cohort_cancelled", gateway=gateway, now=now,
                           words="The cohort was cancelled")
        # Everyone already has the cohort's cancellation e-mail: no second notice each.
        change_enrollment(session, enrollment.id, event, actor=actor, now=now,
                          reason="cohort cancelled", notify=False)
    session.flush()
    return cohort
