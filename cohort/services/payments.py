"""Payments: the deposit and the balance by card, bank transfers recorded by finance."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.invoices.issuing import issue_document
from cohort.mail.outbox import queue_mail, status_url
from cohort.models import Cohort, Enrollment, Payment
from cohort.money import Money
from cohort.payments.gateway import PaymentProviderError, StripeGateway
from cohort.services import ServiceError
from cohort.services.ledger import balance, post
from cohort.services.locking import lock_row
from cohort.services.refunds import refund_payment
from cohort.services.registration import registration_of, registration_open
from cohort.services.transitions import change_enrollment
from workflows import EnrollmentMachine

# A bank transfer may still arrive once the invoice is paid: it is recorded and sent back.
TRANSFER_STATES = EnrollmentMachine.states_that("takes_bank_transfer")
log = logging.getLogger(__name__)


class PaymentRefused(ServiceError):
    """This payment cannot be made or recorded."""


class PaymentMismatch(ServiceError):
    """Stripe reports an amount or currency other than the one we asked for."""

    status_code = 422


def amount_due(session: Session, enrollment: Enrollment, purpose: str) -> Money:
    """The deposit, or the balance owed; always computed on the server."""
    if purpose == "deposit":
        return enrollment.cohort.deposit
    return balance(session, enrollment.account)


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
        if balance(session, enrollment.account).cents <= 0:
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
        select(Payment).where(Payment.account_id == enrollment.account_id,
                              Payment.purpose == purpose,
                              Payment.method == "card", Payment.status == "pending")
        .order_by(Payment.id.desc())
    ).first()
    if pending is not None and pending.amount_cents == due.cents:
        return pending
    if pending is not None:
        pending.status = "canceled"  # the amount owed changed since; start afresh
    payment = Payment(account_id=enrollment.account_id, purpose=purpose, method="card",
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
    if payment.purpose == "subscription":
        return payment  # recorded with its Stripe invoice (subscription billing), not here
    enrollment = session.scalars(
        select(Enrollment).where(Enrollment.account_id == payment.account_id)).one()
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


def check_card_payment(session: Session, payment: Payment, gateway: StripeGateway,
                       now: datetime) -> str:
    """Back from Stripe.js: ask Stripe (never the browser), record a success once; the status."""
    if payment.status == "pending" and payment.stripe_payment_intent_id:
        intent = gateway.retrieve_intent(payment.stripe_payment_intent_id)
        if intent.status == "succeeded":
            recorded = record_card_payment(session, intent.id, intent.amount, intent.currency,
                                           gateway, now)
            return recorded.status if recorded is not None else payment.status
    return payment.status


def _succeed(session: Session, enrollment: Enrollment, payment: Payment,
             gateway: StripeGateway | None, now: datetime) -> None:
    """Count a payment; the caller holds the cohort's and the enrollment's locks.

    What is owed is read here, under those locks: a balance payment larger than it (a card
    payment and a bank transfer for the same invoice) counts only up to it, and the rest goes
    back at once — to the card through Stripe, or as a bank refund listed for finance to send.
    """
    payment.status = "succeeded"
    payment.succeeded_at = now
    label = "Deposit" if payment.purpose == "deposit" else "Payment"
    if payment.purpose == "deposit":
        post(session, enrollment.account, kind="fee", cents=payment.amount_cents, now=now,
             description=f"Deposit to hold your place ({enrollment.cohort.title})")
    owed = balance(session, enrollment.account).cents
    post(session, enrollment.account, kind="payment", cents=-payment.amount_cents, now=now,
         description=f"{label} received ({payment.method.replace('_', ' ')})",
         payment_id=payment.id)
    if payment.purpose == "deposit" and enrollment.state not in EnrollmentMachine.sources(
            "register"):
        _refund_late_deposit(session, enrollment, payment, gateway, now)
        return
    over = payment.amount_cents - max(owed, 0) if payment.purpose == "balance" else 0
    excess = Money(min(max(over, 0), payment.amount_cents), payment.currency)
    overpaid = None
    if excess.cents:
        overpaid = refund_payment(session, payment, excess.cents, reason="overpayment",
                                  gateway=gateway, now=now,
                                  idempotency_key=f"cohort-overpayment-{payment.id}")
    applied = payment.amount - excess
    receipt = None
    if applied.cents:
        receipt = issue_document(
            session, enrollment.account, kind="receipt", now=now, payment_id=payment.id,
            lines=[(f"{label} — {enrollment.cohort.program.title}", applied)],
            note=(f"{payment.amount} received; {excess}, more than the balance owed, "
                  f"{'was refunded to the card' if payment.method == 'card' else 'is sent back'}."
                  if excess.cents else ""))
        if overpaid is not None:
            overpaid.document_id = receipt.id
    if payment.purpose == "deposit":
        # The guard is judged when the payment started: paying in time is never too late.
        change_enrollment(session, enrollment.id, "register", actor="system:stripe", now=now,
                          judged_at=min(now, payment.created_at),
                          reason=f"deposit {payment.id}")
    elif (enrollment.state in EnrollmentMachine.sources("pay")
          and balance(session, enrollment.account).cents <= 0):
        change_enrollment(session, enrollment.id, "pay", actor="system:payments", now=now,
                          reason=f"payment {payment.id}")
    queue_mail(session, kind="payment_receipt" if receipt else "overpayment_returned",
               to=enrollment.person.email, now=now, enrollment_id=enrollment.id,
               attachments=[receipt.id] if receipt else [],
               enrollment=enrollment, cohort=enrollment.cohort,
               person=enrollment.person, payment=payment, receipt=receipt, excess=excess,
               balance=balance(session, enrollment.account), status_url=status_url(
                   enrollment.status_token),
               registration=registration_of(session, enrollment))
    session.flush()


def _refund_late_deposit(session: Session, enrollment: Enrollment, payment: Payment,
                         gateway: StripeGateway | None, now: datetime) -> None:
    """A deposit that arrives when the place is gone: recorded, then refunded in full."""
    post(session, enrollment.account, kind="credit", cents=-payment.amount_cents, now=now,
         description="Deposit cancelled: the place was no longer held")
    refund_payment(session, payment, payment.amount_cents, reason="late_deposit",
                   gateway=gateway, now=now)
    queue_mail(session, kind="late_deposit_refunded", to=enrollment.person.email, now=now,
               enrollment_id=enrollment.id, enrollment=enrollment, cohort=enrollment.cohort,
               person=enrollment.person, payment=payment,
               status_url=status_url(enrollment.status_token))


def record_offline_payment(session: Session, enrollment: Enrollment, *, amount: Money,
                           reference: str, actor: str, now: datetime,
                           gateway: StripeGateway | None = None) -> Payment:
    """Finance records a bank transfer against the balance; any excess is listed to send back.

    Once the balance is settled, a card payment still open for it is cancelled at Stripe.
    """
    lock_row(session, Cohort, enrollment.cohort_id)  # the lock order of record_card_payment
    enrollment = lock_row(session, Enrollment, enrollment.id)
    if enrollment.state not in TRANSFER_STATES:
        raise PaymentRefused(f"There is no invoice to pay while the application is "
                             f"{enrollment.state}.")
    if amount.currency != enrollment.cohort.currency:
        raise PaymentRefused(f"The invoice is in {enrollment.cohort.currency}, "
                             f"not {amount.currency}.")
    if amount.cents <= 0:
        raise PaymentRefused("Record an amount above zero.")
    payment = Payment(account_id=enrollment.account_id, purpose="balance",
                      method="bank_transfer",
                      status="pending", amount_cents=amount.cents, currency=amount.currency,
                      reference=reference, recorded_by=actor, created_at=now)
    session.add(payment)
    session.flush()
    _succeed(session, enrollment, payment, None, now)
    if balance(session, enrollment.account).cents <= 0:
        _cancel_open_card_payments(session, enrollment, gateway)
    return payment


def _cancel_open_card_payments(session: Session, enrollment: Enrollment,
                               gateway: StripeGateway | None) -> None:
    """Nothing is owed: a card payment started for the balance can no longer be made."""
    for pending in session.scalars(select(Payment).where(
            Payment.account_id == enrollment.account_id, Payment.purpose == "balance",
            Payment.method == "card", Payment.status == "pending")):
        pending.status = "canceled"
        if gateway is not None and pending.stripe_payment_intent_id:
            try:
                gateway.cancel_intent(pending.stripe_payment_intent_id)
            except PaymentProviderError:
                # It may have succeeded a moment ago: its webhook then refunds it in full.
                log.warning("could not cancel PaymentIntent %s", pending.stripe_payment_intent_id)
    session.flush()
