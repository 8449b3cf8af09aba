"""A membership's money: each paid Stripe invoice becomes our own invoice, receipt and payment.

Stripe moves the money; the documents are ours, in the same gap-free series as a cohort's
(INV-…, R-…, CN-…), on the member's billing account (one per person per community). For each
Stripe invoice paid, once:

- an invoice for the plan and the period (dates in the community's zone), already paid;
- a payment (purpose `subscription`, card) with the Stripe invoice and PaymentIntent ids;
- a receipt for that payment;
- on the ledger a fee (the invoice) then a payment (the receipt): the balance is back to zero.

Giving back unused days is a credit note that refers to the membership's latest invoice and
refunds through the same path as every refund (`refunds.refund_payment`), never more than this
membership's payments can still give back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.invoices.issuing import issue_document
from cohort.models import BillingAccount, Document, Membership, Payment, Refund
from cohort.money import Money
from cohort.payments.gateway import StripeGateway, stripe_gateway
from cohort.schedule import local
from cohort.services import ServiceError
from cohort.services.ledger import post
from cohort.services.locking import lock_row
from cohort.services.refunds import RefundPlan, RefundRefused, execute_plan

INTERVAL_WORDS = {"month": "monthly", "year": "yearly"}


class SubscriptionBillingError(ServiceError):
    """A subscription payment that cannot be recorded as asked (amount, currency)."""

    status_code = 422


class SubscriptionPaid(NamedTuple):
    """What one paid Stripe invoice became: our invoice, our receipt, the payment."""

    invoice: Document
    receipt: Document
    payment: Payment


def _day(instant: datetime, zone: str) -> str:
    day = local(instant, zone).date()
    return f"{day:%B} {day.day}, {day.year}"


def period_words(membership: Membership, start: datetime, end: datetime | None) -> str:
    """e.g. "Practitioner's Lounge, monthly: March 1, 2026 to March 31, 2026 (Europe/Berlin)".

    The period runs from `start` up to `end` (exclusive, as Stripe gives it), so its last day
    is the day before `end` in the community's zone. Without an end: "… from March 1, 2026".
    """
    zone = membership.community.time_zone
    interval = INTERVAL_WORDS.get(membership.interval or "", membership.interval or "")
    if end is None:
        return f"{membership.plan.name}, {interval}: from {_day(start, zone)} ({zone})"
    last = max(end - timedelta(microseconds=1), start)
    return (f"{membership.plan.name}, {interval}: {_day(start, zone)} to {_day(last, zone)} "
            f"({zone})")


def _already(session: Session, payment: Payment) -> SubscriptionPaid:
    documents = {d.kind: d for d in session.scalars(
        select(Document).where(Document.payment_id == payment.id))}
    return SubscriptionPaid(documents["invoice"], documents["receipt"], payment)


def record_subscription_payment(
    session: Session, membership: Membership, *, amount_cents: int, currency: str,
    period_start: datetime | None, period_end: datetime | None, stripe_invoice_id: str,
    stripe_payment_intent_id: str | None, now: datetime,
) -> SubscriptionPaid:
    """Record one paid Stripe invoice once: our invoice, payment, receipt and ledger entries.

    A second call for the same Stripe invoice (a replayed webhook, the return check racing it)
    returns what the first recorded. Unpacks as (invoice, receipt, payment). A period not
    known (None) is read as starting now and said without its end.
    """
    account = lock_row(session, BillingAccount, membership.account_id)
    existing = session.scalars(
        select(Payment).where(Payment.stripe_invoice_id == stripe_invoice_id)
        .execution_options(populate_existing=True)).one_or_none()
    if existing is not None:
        return _already(session, existing)
    if currency.upper() != account.currency:
        raise SubscriptionBillingError(f"Stripe invoice {stripe_invoice_id} is in "
                                       f"{currency.upper()}; the account bills {account.currency}.")
    if amount_cents <= 0:
        raise SubscriptionBillingError(f"Stripe invoice {stripe_invoice_id} charged nothing: "
                                       "there is no payment to record.")
    amount = Money(amount_cents, account.currency)
    payment = Payment(account_id=account.id, membership_id=membership.id, purpose="subscription",
                      method="card", status="succeeded", amount_cents=amount.cents,
                      currency=amount.currency, stripe_payment_intent_id=stripe_payment_intent_id,
                      stripe_invoice_id=stripe_invoice_id, reference=stripe_invoice_id,
                      recorded_by="system:stripe", created_at=now, succeeded_at=now)
    session.add(payment)
    session.flush()
    line = period_words(membership, period_start or now, period_end)
    paid_on = _day(now, membership.community.time_zone)
    invoice = issue_document(session, account, kind="invoice", now=now, payment_id=payment.id,
                             lines=[(line, amount)], note=f"Paid by card on {paid_on}.")
    post(session, account, kind="fee", cents=amount.cents, now=now, document_id=invoice.id,
         description=f"Invoice {invoice.display_number}: {line}")
    receipt = issue_document(session, account, kind="receipt", now=now, payment_id=payment.id,
                             refers_to=invoice, lines=[(f"Payment — {line}", amount)])
    post(session, account, kind="payment", cents=-amount.cents, now=now, payment_id=payment.id,
         document_id=receipt.id, description=f"Payment received (card), receipt "
                                              f"{receipt.display_number}")
    return SubscriptionPaid(invoice, receipt, payment)


def membership_payments(session: Session, membership: Membership) -> list[Payment]:
    """This membership's subscription payments received, newest first."""
    return list(session.scalars(
        select(Payment).where(Payment.membership_id == membership.id,
                              Payment.status == "succeeded")
        .order_by(Payment.id.desc())))


def refundable_cents(session: Session, membership: Membership) -> int:
    """What this membership's payments can still give back."""
    return sum(p.refundable_cents for p in membership_payments(session, membership))


def refund_unused_days(session: Session, membership: Membership, *, cents: int, now: datetime,
                       reason: str, gateway: StripeGateway | None = None
                       ) -> tuple[Document, list[Refund]]:
    """Give `cents` back for days paid and not used: a credit note and the refunds.

    The credit note refers to the membership's latest invoice; the money comes back from its
    payments, newest first, through the refund path every refund takes (to the card through
    Stripe). Never more than those payments can still give back. The ledger gets a credit
    (the note) and the refunds, so the account's balance stays where it was.
    """
    account = lock_row(session, BillingAccount, membership.account_id)
    if cents <= 0:
        raise RefundRefused("A refund of unused days must be above zero.")
    payments = membership_payments(session, membership)
    available = sum(p.refundable_cents for p in payments)
    if cents > available:
        raise RefundRefused(f"At most {Money(available, account.currency)} can be refunded "
                            f"for this membership; {Money(cents, account.currency)} was asked "
                            f"for.")
    invoice = session.scalars(
        select(Document).join(Payment, Payment.id == Document.payment_id)
        .where(Payment.membership_id == membership.id, Document.kind == "invoice")
        .order_by(Document.id.desc())).first()
    amount = Money(cents, account.currency)
    note = issue_document(session, account, kind="credit_note", now=now, refers_to=invoice,
                          reason="unused_days",
                          lines=[(f"Unused days of {membership.plan.name}: {reason}", amount)],
                          note=f"Refunded to the card: {amount}.")
    post(session, account, kind="credit", cents=-cents, now=now, document_id=note.id,
         description=f"Credit note {note.display_number}: unused days")
    parts, remaining = [], cents
    for payment in payments:
        take = min(remaining, payment.refundable_cents)
        if take > 0:
            parts.append((payment, take))
            remaining -= take
    if gateway is None and any(payment.method == "card" for payment, _ in parts):
        gateway = stripe_gateway()
    refunds = execute_plan(session, RefundPlan(tuple(parts)), reason="unused_days",
                           gateway=gateway, now=now)
    for refund in refunds:
        refund.document_id = note.id
    session.flush()
    return note, refunds
