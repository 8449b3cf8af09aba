"""The exchange-rate rebate: a share of the fee back to eligible countries, once, after the start.

Rounding: the rebate is `price × basis_points / 10000`, rounded half away from zero to the cent
(`Money.percent`); 25 % of USD 1,997.00 is exactly USD 499.25.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.invoices.issuing import issue_document
from cohort.mail.outbox import queue_mail, status_url
from cohort.models import Cohort, Enrollment, Registration
from cohort.money import Money
from cohort.payments.gateway import StripeGateway
from cohort.services.ledger import balance, post
from cohort.services.locking import lock_row
from cohort.services.refunds import execute_plan, plan_refund, succeeded_payments
from workflows import CohortMachine, EnrollmentMachine


def rebate_amount(cohort: Cohort) -> Money:
    """The rebate on this cohort's fee."""
    rule = cohort.rebate_rule or {}
    return cohort.price.percent(int(rule.get("basis_points", 0)))


def rebates_due(session: Session, now: datetime) -> list[int]:
    """Enrollment ids owed a rebate: eligible, not yet given, first meeting started."""
    rows = session.execute(
        select(Enrollment.id, Cohort)
        .join(Registration, Registration.enrollment_id == Enrollment.id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Registration.rebate_eligible.is_(True), Registration.rebate_issued_at.is_(None),
               Enrollment.state.in_(EnrollmentMachine.states_that("rebate_due")),
               Cohort.state != CohortMachine.cancelled.id)
    ).all()
    return [eid for eid, cohort in rows
            if cohort.first_meeting_at is not None and cohort.first_meeting_at <= now]


def issue_rebate(session: Session, enrollment_id: int, *, gateway: StripeGateway | None,
                 now: datetime) -> bool:
    """Give one enrollment its rebate exactly once: refunded if paid in full, else credited."""
    enrollment = session.get(Enrollment, enrollment_id)
    assert enrollment is not None
    lock_row(session, Cohort, enrollment.cohort_id)
    enrollment = lock_row(session, Enrollment, enrollment_id)
    registration = session.scalars(
        select(Registration).where(Registration.enrollment_id == enrollment.id)
        .execution_options(populate_existing=True)
    ).one()
    due = enrollment.state in EnrollmentMachine.states_that("rebate_due")
    if registration.rebate_issued_at is not None or not due:
        return False
    amount = rebate_amount(enrollment.cohort)
    if amount.cents <= 0:
        return False
    owed = balance(session, enrollment.account)
    note = issue_document(session, enrollment.account, kind="credit_note", now=now, reason="rebate",
                          lines=[("Exchange-rate rebate on the registration fee", amount)],
                          note=(enrollment.cohort.rebate_rule or {}).get("note", ""))
    post(session, enrollment.account, kind="credit", cents=-amount.cents, now=now,
         document_id=note.id,
         description=f"Rebate, credit note {note.display_number}")
    # Whatever the rebate exceeds the balance by goes back to the card, up to what was paid;
    # any rest stays as credit on the account, set against the next invoice.
    refundable = sum(p.refundable_cents for p in succeeded_payments(session, enrollment.account))
    to_refund = min(max(amount.cents - max(owed.cents, 0), 0), refundable)
    if to_refund:
        for refund in execute_plan(session, plan_refund(session, enrollment.account, to_refund),
                                   reason="rebate", gateway=gateway, now=now):
            refund.document_id = note.id
    registration.rebate_issued_at = now
    queue_mail(session, kind="rebate_issued", to=enrollment.person.email, now=now,
               enrollment_id=enrollment.id, attachments=[note.id],
               enrollment=enrollment, cohort=enrollment.cohort,
               person=enrollment.person, amount=amount, credit_note=note,
               refunded=Money(to_refund, amount.currency), balance=balance(session,
                                                                           enrollment.account),
               status_url=status_url(enrollment.status_token))
    session.flush()
    return True
