"""What a subscription's payments do to its membership: activate, renew, fail, end.

The same code serves the signed webhooks, the return check and the tick, whatever Stripe's API
shape (the gateway's readers turn both into `InvoiceInfo` / `SubscriptionEvent`). Each runs with
the membership locked and remembers the invoice that set the period (`last_invoice_id`), so the
second notice of one payment (the webhook after the return check, a replay) changes nothing.

A renewal's new period starts where the paid one ended; it ends where the invoice's subscription
line says when that is later, else one interval later (localstripe, standing in for Stripe's
clock in tests, bills renewals with the current period's dates).
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.mail.outbox import queue_mail
from cohort.models import BillingAccount, Membership
from cohort.money import Money
from cohort.payments.subscription_events import (
    INVOICE_FAILED,
    INVOICE_PAID,
    SUBSCRIPTION_DELETED,
    SubscriptionEvent,
)
from cohort.payments.subscription_shapes import InvoiceInfo, SubscriptionInfo
from cohort.services.dunning import record_failure
from cohort.services.hub import hub_url  # the one address of the hub, for e-mails
from cohort.services.locking import lock_row
from cohort.services.pro_upgrade import upgrade_from_lounge
from cohort.services.subscription_billing import record_subscription_payment
from cohort.services.transitions import change_membership
from workflows import MembershipMachine

logger = logging.getLogger(__name__)
HANDLED_EVENTS = (INVOICE_PAID, INVOICE_FAILED, SUBSCRIPTION_DELETED)
STRIPE_ACTOR = "system:stripe"


@dataclass(frozen=True)
class PaidInvoice:
    """A paid Stripe invoice of a subscription, in our terms."""

    invoice_id: str
    amount_cents: int
    currency: str
    period_start: datetime | None
    period_end: datetime | None
    payment_intent_id: str | None
    billing_reason: str | None

    @classmethod
    def of(cls, invoice: InvoiceInfo, sub: SubscriptionInfo | None = None) -> PaidInvoice:
        """From an API answer; the subscription's period when the invoice has no line period."""
        start = invoice.period_start or (sub.current_period_start if sub else None)
        end = invoice.period_end or (sub.current_period_end if sub else None)
        return cls(invoice.id, invoice.amount_paid, invoice.currency, start, end,
                   invoice.payment_intent_id, invoice.billing_reason)

    @classmethod
    def from_event(cls, event: SubscriptionEvent) -> PaidInvoice:
        """From a signed `invoice.payment_succeeded`."""
        return cls(event.invoice_id or "", event.amount_paid or 0, event.currency or "",
                   event.period_start, event.period_end, event.payment_intent_id,
                   event.billing_reason)


def lock_membership(session: Session, membership_id: int) -> Membership:
    """Lock the member's billing account, then the membership: the one lock order everywhere
    (subscribing locks the account first; recording a payment locks it too)."""
    account_id = session.scalar(select(Membership.account_id).where(
        Membership.id == membership_id))
    if account_id is None:
        raise LookupError(f"membership {membership_id} does not exist")
    lock_row(session, BillingAccount, account_id)
    return lock_row(session, Membership, membership_id)


def add_interval(instant: datetime, interval: str) -> datetime:
    """One calendar month or year later (the 31st becomes the month's last day)."""
    months = 12 if interval == "year" else 1
    month_index = instant.month - 1 + months
    year, month = instant.year + month_index // 12, month_index % 12 + 1
    day = min(instant.day, calendar.monthrange(year, month)[1])
    return instant.replace(year=year, month=month, day=day)


def _record(session: Session, membership: Membership, paid: PaidInvoice,
            now: datetime) -> dict[str, object]:
    """Our invoice, receipt and ledger entries for the paid invoice (once); what the e-mail
    about it says and attaches."""
    mail: dict[str, object] = {"hub_url": hub_url(), "amount": Money(
        paid.amount_cents, paid.currency) if paid.currency else None}
    if paid.amount_cents <= 0:
        return mail
    invoice, receipt, _ = record_subscription_payment(
        session, membership, amount_cents=paid.amount_cents, currency=paid.currency,
        period_start=membership.period_start, period_end=membership.paid_through,
        stripe_invoice_id=paid.invoice_id, stripe_payment_intent_id=paid.payment_intent_id,
        now=now)
    return {**mail, "invoice": invoice, "receipt": receipt,
            "attachments": [invoice.id, receipt.id]}


def apply_paid_invoice(session: Session, membership_id: int, paid: PaidInvoice, *, actor: str,
                       now: datetime) -> str:
    """Activate (first invoice) or renew (a later one) with the membership locked; once each."""
    membership = lock_membership(session, membership_id)
    if membership.last_invoice_id == paid.invoice_id:
        return "already applied"
    first = next((event for event in ("activate", "start")
                  if membership.state in MembershipMachine.sources(event)), None)
    if first is not None:  # pending or approved (paid on the page), scheduled (by the tick)
        membership.period_start = paid.period_start or now
        membership.paid_through = paid.period_end
        membership.last_invoice_id = paid.invoice_id
        mail = _record(session, membership, paid, now)
        change_membership(session, membership.id, first, actor=actor, now=now,
                          reason=f"first payment ({paid.invoice_id})", notify=False)
        if first == "activate" and membership.plan.by_application:
            # PRO includes the Lounge: it ends now and its unused time is refunded.
            upgrade_from_lounge(session, membership, actor=actor, now=now)
        queue_mail(session, kind="membership_welcome", to=membership.person.email, now=now,
                   membership=membership, community=membership.community, plan=membership.plan,
                   person=membership.person, **mail)
        return "activated"
    if membership.paid_through is None:
        membership.last_invoice_id = paid.invoice_id
        _record(session, membership, paid, now)
        return "recorded"
    old_end = membership.paid_through
    membership.period_start = old_end
    later = paid.period_end is not None and paid.period_end > old_end
    membership.paid_through = (paid.period_end if later
                               else add_interval(old_end, membership.interval or "month"))
    membership.last_invoice_id = paid.invoice_id
    membership.grace_until = None
    membership.reminded_for = None
    mail = _record(session, membership, paid, now)
    event = {"active": "renew", "past_due": "recover"}.get(membership.state)
    if event is None:  # cancelling or ended: the money is recorded; access is not extended
        logger.warning("membership %s (%s) paid invoice %s", membership.id, membership.state,
                       paid.invoice_id)
        return "recorded"
    change_membership(session, membership.id, event, actor=actor, now=now,
                      reason=f"renewal paid ({paid.invoice_id})", mail=mail)
    return "renewed"


def payment_failed(session: Session, membership_id: int, event: SubscriptionEvent,
                   now: datetime) -> str:
    """A failed renewal: past due until the community's grace period is over."""
    membership = lock_membership(session, membership_id)
    if event.invoice_id:  # every failed charge is kept with the bank's answer (retry, finance)
        record_failure(session, membership.id, invoice_id=event.invoice_id,
                       amount_cents=event.amount_due or 0, currency=event.currency or "USD",
                       decline_message=event.decline_message, actor=STRIPE_ACTOR, now=now)
    if membership.state not in MembershipMachine.sources("fail_payment"):
        return "nothing to do"  # a failed first payment leaves it pending; past due already
    grace = now + timedelta(days=membership.community.grace_days)
    membership.grace_until = grace
    change_membership(session, membership.id, "fail_payment", actor=STRIPE_ACTOR, now=now,
                      reason=event.decline_message or "the renewal payment failed",
                      mail={"hub_url": hub_url(), "grace_until": grace})
    return "past due"


def subscription_deleted(session: Session, membership_id: int, now: datetime) -> str:
    """Stripe ended the subscription (our own DELETE, the dashboard, an expired first invoice)."""
    membership = lock_membership(session, membership_id)
    state = membership.state
    if state in MembershipMachine.final_state_ids():
        return "already ended"
    if state == "approved":  # the approval stands; a new subscription can be started
        membership.stripe_subscription_id = None
        return "subscription cleared"
    if state == "active" and membership.next_price_id is not None:
        # A switch asked Stripe not to renew: the tick starts the new interval at period end.
        return "switch pending"
    event = {"pending": "abandon", "active": "cancel", "past_due": "cancel",
             "cancelling": "end"}.get(state)
    if event is None or (event == "end" and membership.paid_through
                         and now < membership.paid_through):
        return "nothing to do"  # the tick ends a cancelling membership when its period ends
    change_membership(session, membership.id, event, actor=STRIPE_ACTOR, now=now,
                      reason="the subscription was ended at Stripe", mail={"hub_url": hub_url()})
    return "ended" if event != "cancel" or state == "past_due" else "cancelling"


def handle_subscription_event(session: Session, event: SubscriptionEvent, now: datetime) -> str:
    """Apply one verified subscription webhook (deduplicated by the caller) to its membership."""
    if event.kind not in HANDLED_EVENTS or not event.subscription_id:
        return "ignored"
    membership_id = session.scalar(select(Membership.id).where(
        Membership.stripe_subscription_id == event.subscription_id))
    if membership_id is None:
        return "unknown subscription"
    # Under the lock, the membership may have moved to another subscription (a switch by the
    # tick): a late notice about the old one no longer concerns it.
    if lock_membership(session, membership_id).stripe_subscription_id != (
            event.subscription_id):
        return "about a replaced subscription"
    if event.kind == INVOICE_PAID:
        return apply_paid_invoice(session, membership_id, PaidInvoice.from_event(event),
                                  actor=STRIPE_ACTOR, now=now)
    if event.kind == INVOICE_FAILED:
        return payment_failed(session, membership_id, event, now)
    return subscription_deleted(session, membership_id, now)
