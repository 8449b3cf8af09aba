"""Refunds: capped per payment, executed through Stripe (or by hand for bank transfers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import BillingAccount, Payment, Refund
from cohort.money import Money
from cohort.payments.gateway import PaymentProviderError, StripeGateway
from cohort.services import ServiceError
from cohort.services.ledger import post


class RefundRefused(ServiceError):
    """A refund beyond what was paid, or one that cannot be executed."""


@dataclass(frozen=True)
class RefundPlan:
    """How much comes back from each payment."""

    parts: tuple[tuple[Payment, int], ...]

    @property
    def total_cents(self) -> int:
        """The whole refund."""
        return sum(cents for _, cents in self.parts)


def succeeded_payments(session: Session, account: BillingAccount) -> list[Payment]:
    """Payments received, card payments first (refunded automatically), newest first."""
    payments = session.scalars(
        select(Payment).where(Payment.account_id == account.id,
                              Payment.status == "succeeded")
    ).all()
    return sorted(payments, key=lambda p: (p.method != "card", -p.id))


def plan_refund(session: Session, account: BillingAccount, cents: int) -> RefundPlan:
    """Split `cents` over the payments, never more than each can still give back."""
    if cents < 0:
        raise RefundRefused("A refund cannot be negative.")
    remaining = cents
    parts = []
    for payment in succeeded_payments(session, account):
        take = min(remaining, payment.refundable_cents)
        if take > 0:
            parts.append((payment, take))
            remaining -= take
    if remaining > 0:
        refundable = Money(cents - remaining, account.currency)
        raise RefundRefused(f"Only {refundable} can be refunded; "
                            f"{Money(cents, account.currency)} was asked for.")
    return RefundPlan(tuple(parts))


REASON_WORDS = {"overpayment": "more than the balance owed (it was already paid)"}


def refund_payment(session: Session, payment: Payment, cents: int, *, reason: str,
                   gateway: StripeGateway | None, now: datetime,
                   idempotency_key: str = "") -> Refund:
    """Give `cents` back from one payment: a ledger entry and, for cards, a Stripe refund.

    Raises before anything is kept if Stripe fails, so the caller's transaction rolls back whole.
    A refund the caller may retry after such a rollback passes a key of its own (Stripe then
    answers a retry with the refund it already made); by default the refund row's id is the key.
    """
    if not 0 < cents <= payment.refundable_cents:
        raise RefundRefused(f"At most {Money(payment.refundable_cents, payment.currency)} "
                            f"can be refunded from payment {payment.id}.")
    refund = Refund(account_id=payment.account_id, amount_cents=cents,
                    currency=payment.currency, reason=reason, created_at=now,
                    status="pending" if payment.method == "card" else "manual")
    payment.refunds.append(refund)  # keeps `refundable_cents` true within the transaction
    session.flush()
    if payment.method == "card":
        if gateway is None or payment.stripe_payment_intent_id is None:
            raise PaymentProviderError("Card refunds are not set up on this service.")
        refund_id, status = gateway.refund(
            intent_id=payment.stripe_payment_intent_id, amount=cents,
            idempotency_key=idempotency_key or f"cohort-refund-{refund.id}",
            metadata={"refund_id": str(refund.id), "reason": reason})
        refund.stripe_refund_id = refund_id
        refund.status = "succeeded" if status == "succeeded" else "pending"
        refund.completed_at = now if refund.status == "succeeded" else None
    how = "to your card" if payment.method == "card" else "by bank transfer (finance)"
    why = REASON_WORDS.get(reason, reason.replace("_", " "))
    post(session, payment.account, kind="refund", cents=cents, now=now, refund_id=refund.id,
         payment_id=payment.id, description=f"Refund {how}: {why}")
    session.flush()
    return refund


def execute_plan(session: Session, plan: RefundPlan, *, reason: str,
                 gateway: StripeGateway | None, now: datetime) -> list[Refund]:
    """Refund each part of the plan."""
    return [refund_payment(session, payment, cents, reason=reason, gateway=gateway, now=now)
            for payment, cents in plan.parts]
