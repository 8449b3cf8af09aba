"""Payments: the deposit and the balance by card, bank transfers recorded by finance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.invoices.issuing import issue_document
from cohort.mail.outbox import queue_mail, status_url
from cohort.models import Enrollment, Payment
from cohort.money import Money
from cohort.payments.gateway import StripeGateway
from cohort.services import ServiceError
from cohort.services.ledger import balance, post
from cohort.services.locking import lock_row
from cohort.services.refunds import refund_payment
from cohort.services.registration import registration_of, registration_open
from cohort.services.transitions import change_enrollment
from workflows import EnrollmentMachine


class PaymentRefused(ServiceError):
    """This payment cannot be made or recorded."""


class PaymentMismatch(ServiceError):
    """Stripe reports an amount or currency other than the one we asked for."""

    status_code = 422


def amount_due(session: Session, enrollment: Enrollment, purpose: str) -> Money:
    """The deposit, or the balance owed; always computed on the server."""
    if purpose == "deposit":
        return enrollment.cohort.deposit
    return balance(session, enrollment)


def _payable(session: Session, enrollment: Enrollment, purpose: str, now: datetime) -> None:
    if purpose == "deposit":
        problem = registration_open(enrollment, now)
        if problem:
            raise PaymentRefused(problem)
        if registration_of(session, enrollment) is None:
            raise PaymentRefused("Please complete the registration form first.")
    elif purpose == "balance":
        if enrollment.state not in EnrollmentMachine.states_that("balance_payable"):
            raise PaymentRefused(f"There is no invoice to pay while the application is "
                                 f"{enrollment.state}.")
        if balance(session, enrollment).cents <= 0:
            raise PaymentRefused("Nothing is owed: the invoice is paid.")
    else:
        raise PaymentRefused(f"Unknown payment “{purpose}”.")


def payable_problem(session: Session, enrollment: Enrollment, purpose: str,
                    now: datetime) -> str:
    """Empty when `purpose` can be paid now, else why not."""
    try:
        _payable(session, enrollment, purpose, now)
    except PaymentRefused as refused:
        return refused.message
    return ""


def start_card_payment(session: Session, enrollment: Enrollment, purpose: str,
                       gateway: StripeGateway, now: datetime) -> Payment:
    """The pending card payment for `purpose`, creating its PaymentIntent once."""
    enrollment = lock_row(session, Enrollment, enrollment.id)
    _payable(session, enrollment, purpose, now)
    due = amount_due(session, enrollment, purpose)
    pending = session.scalars(
        select(Payment).where(Payment.enrollment_id == enrollment.id, Payment.purpose == purpose,
                              Payment.method == "card", Payment.status == "pending")
        .order_by(Payment.id.desc())
    ).first()
    if pending is not None and pending.amount_cents == due.cents:
        return pending
    if pending is not None:
        pending.status = "canceled"  # the amount owed changed since; start afresh
    payment = Payment(enrollment_id=enrollment.id, purpose=purpose, method="card",
                      status="pending", amount_cents=due.cents, currency=due.currency,
                      created_at=now)
    session.add(payment)
    session.flush()
    intent = gateway.create_intent(
        amount=due.cents, currency=due.currency, idempotency_key=f"cohort-payment-{payment.id}",
        metadata={"enrollment_id": str(enrollment.id), "payment_id": str(payment.id),
                  "purpose": purpose, "cohort": enrollment.cohort.slug})
    payment.stripe_payment_intent_id = intent.id
    payment.stripe_client_secret = intent.client_secret
    session.flush()
    return payment


def record_card_payment(session: Session, intent_id: str, amount: int, currency: str,
                        gateway: StripeGateway | None, now: datetime) -> Payment | None:
    """Stripe says the PaymentIntent succeeded: count it exactly once (None if not ours)."""
    payment = session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == intent_id)
    ).one_or_none()
    if payment is None:
        return None
    enrollment = session.get(Enrollment, payment.enrollment_id)
    assert enrollment is not None
    # Lock order: cohort (inside change_enrollment), enrollment, then the payment row.
    lock_row(session, type(enrollment.cohort), enrollment.cohort_id)
    lock_row(session, Enrollment, enrollment.id)
    payment = session.scalars(
        select(Payment).where(Payment.id == payment.id).execution_options(populate_existing=True)
    ).one()
    if payment.status == "succeeded":
        return payment  # already counted: a replay or the early confirmation
    if amount != payment.amount_cents or currency.upper() != payment.currency:
        raise PaymentMismatch(
            f"Stripe reports {Money(amount, currency.upper())} for payment {payment.id}, "
            f"but {payment.amount} was expected.")
    _succeed(session, enrollment, payment, gateway, now)
    return payment


def _succeed(session: Session, enrollment: Enrollment, payment: Payment,
             gateway: StripeGateway | None, now: datetime) -> None:
    payment.status = "succeeded"
    payment.succeeded_at = now
    label = "Deposit" if payment.purpose == "deposit" else "Payment"
    if payment.purpose == "deposit":
        post(session, enrollment, kind="fee", cents=payment.amount_cents, now=now,
             description=f"Deposit to hold your place ({enrollment.cohort.title})")
    post(session, enrollment, kind="payment", cents=-payment.amount_cents, now=now,
         description=f"{label} received ({payment.method.replace('_', ' ')})",
         payment_id=payment.id)
    if payment.purpose == "deposit" and enrollment.state not in EnrollmentMachine.sources(
            "register"):
        _refund_late_deposit(session, enrollment, payment, gateway, now)
        return
    receipt = issue_document(session, enrollment, kind="receipt", now=now,
                             lines=[(f"{label} — {enrollment.cohort.program.title}",
                                     payment.amount)])
    if payment.purpose == "deposit":
        # The guard is judged when the payment started: paying in time is never too late.
        change_enrollment(session, enrollment.id, "register", actor="system:stripe", now=now,
                          judged_at=min(now, payment.created_at),
                          reason=f"deposit {payment.id}")
    elif (enrollment.state in EnrollmentMachine.sources("pay")
          and balance(session, enrollment).cents <= 0):
        change_enrollment(session, enrollment.id, "pay", actor="system:payments", now=now,
                          reason=f"payment {payment.id}")
    queue_mail(session, kind="payment_receipt", to=enrollment.person.email, now=now,
               enrollment_id=enrollment.id, attachments=[receipt.id],
               enrollment=enrollment, cohort=enrollment.cohort,
               person=enrollment.person, payment=payment, receipt=receipt,
               balance=balance(session, enrollment), status_url=status_url(
                   enrollment.status_token),
               registration=registration_of(session, enrollment))
    session.flush()


def _refund_late_deposit(session: Session, enrollment: Enrollment, payment: Payment,
                         gateway: StripeGateway | None, now: datetime) -> None:
    """A deposit that arrives when the place is gone: recorded, then refunded in full."""
    post(session, enrollment, kind="credit", cents=-payment.amount_cents, now=now,
         description="Deposit cancelled: the place was no longer held")
    refund_payment(session, payment, payment.amount_cents, reason="late_deposit",
                   gateway=gateway, now=now)
    queue_mail(session, kind="late_deposit_refunded", to=enrollment.person.email, now=now,
               enrollment_id=enrollment.id, enrollment=enrollment, cohort=enrollment.cohort,
               person=enrollment.person, payment=payment,
               status_url=status_url(enrollment.status_token))


def record_offline_payment(session: Session, enrollment: Enrollment, *, amount: Money,
                           reference: str, actor: str, now: datetime) -> Payment:
    """Finance records a bank transfer against the balance."""
    enrollment = lock_row(session, Enrollment, enrollment.id)
    _payable(session, enrollment, "balance", now)
    owed = balance(session, enrollment)
    if amount.currency != owed.currency:
        raise PaymentRefused(f"The invoice is in {owed.currency}, not {amount.currency}.")
    if not 0 < amount.cents <= owed.cents:
        raise PaymentRefused(f"Record between {Money(1, owed.currency)} and {owed}: "
                             f"{owed} is owed.")
    payment = Payment(enrollment_id=enrollment.id, purpose="balance", method="bank_transfer",
                      status="pending", amount_cents=amount.cents, currency=amount.currency,
                      reference=reference, recorded_by=actor, created_at=now)
    session.add(payment)
    session.flush()
    _succeed(session, enrollment, payment, None, now)
    return payment
