"""Charging an overdue renewal again, by the member after a new card or by staff: once.

`retry_payment` locks the member's account and membership rows first, so two clicks (or a
member and staff at once) queue behind each other; the second finds the membership no longer
owing, or the invoice already paid at Stripe (`pay_invoice` answers a paid invoice as it is,
without charging). Every charge is recorded with Stripe's answer. A paid invoice recovers the
membership through the same code as the signed `invoice.payment_succeeded` (receipt, e-mail,
once per Stripe invoice), so the webhook arriving later changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cohort.models import Membership
from cohort.payments.gateway import CardDeclined
from cohort.payments.subscription_shapes import InvoiceInfo
from cohort.payments.subscriptions import SubscriptionGateway, subscription_gateway
from cohort.services import ServiceError
from cohort.services.card_update import save_card
from cohort.services.dunning import latest_attempt, record_attempt
from cohort.services.subscription_payments import (
    PaidInvoice,
    apply_paid_invoice,
    lock_membership,
)
from cohort.services.subscriptions import end_at_stripe
from cohort.services.transitions import change_membership
from workflows import MembershipMachine

# What a retry answers the page: paid (access kept), nothing_owed (already paid or ended),
# authenticate (Stripe.js must run 3-D Secure with client_secret), declined (message says why),
# saved (a new card and nothing overdue).
OUTCOMES = ("paid", "nothing_owed", "authenticate", "declined", "saved")


class NoOpenInvoice(ServiceError):
    """Nothing to retry: no failed renewal invoice is known for the membership."""

    status_code = 409


@dataclass(frozen=True)
class RetryResult:
    """What happened when the overdue renewal was charged again."""

    outcome: str  # one of OUTCOMES
    message: str
    client_secret: str | None = None


def open_invoice_id(session: Session, membership: Membership) -> str | None:
    """The failed renewal invoice: from the recorded charges, else the subscription's latest."""
    attempt = latest_attempt(session, membership.id)
    if attempt is not None and attempt.outcome != "paid":
        return attempt.stripe_invoice_id
    if membership.stripe_subscription_id is None:
        return None
    latest = subscription_gateway().read_subscription(membership.stripe_subscription_id)
    invoice = latest.latest_invoice
    if invoice is not None and invoice.status == "open":
        return invoice.id
    return None


def _recover(session: Session, membership: Membership, invoice: InvoiceInfo, *, actor: str,
             now: datetime) -> None:
    """The overdue renewal is paid: the same path as the webhook of a paid renewal."""
    apply_paid_invoice(session, membership.id, PaidInvoice.of(invoice), actor=actor, now=now)


def retry_payment(session: Session, membership_id: int, *, actor: str, now: datetime
                  ) -> RetryResult:
    """Charge the open renewal invoice to the customer's default card now (no commit)."""
    membership = lock_membership(session, membership_id)
    if membership.state not in MembershipMachine.states_that("owes_money"):
        return RetryResult("nothing_owed", "Nothing is owed: the membership is paid up.")
    invoice_id = open_invoice_id(session, membership)
    if invoice_id is None:
        raise NoOpenInvoice("No unpaid renewal invoice was found for this membership.")
    gateway = subscription_gateway()
    before = gateway.retrieve_invoice(invoice_id)
    if before.paid:  # paid meanwhile (3-D Secure completed, Stripe's own retry): charge nothing
        record_attempt(session, membership, invoice_id=invoice_id,
                       amount_cents=before.amount_paid, currency=before.currency,
                       outcome="paid", decline_message="", actor=actor, now=now)
        _recover(session, membership, before, actor=actor, now=now)
        return RetryResult("paid", "The renewal was already paid; your access continues.")
    if before.payment is not None and before.payment.needs_action:
        return RetryResult("authenticate", "Your bank asks you to confirm the payment.",
                           before.payment.client_secret)
    try:
        invoice = gateway.pay_invoice(invoice_id)
    except CardDeclined as declined:
        record_attempt(session, membership, invoice_id=invoice_id,
                       amount_cents=before.amount_due, currency=before.currency,
                       outcome="failed", decline_message=declined.message, actor=actor, now=now)
        return RetryResult("declined", declined.message)
    payment = invoice.payment
    if invoice.paid:
        record_attempt(session, membership, invoice_id=invoice_id,
                       amount_cents=invoice.amount_paid, currency=invoice.currency,
                       outcome="paid", decline_message="", actor=actor, now=now)
        _recover(session, membership, invoice, actor=actor, now=now)
        return RetryResult("paid", "Thank you: the renewal is paid and your access continues.")
    if payment is not None and payment.needs_action:
        record_attempt(session, membership, invoice_id=invoice_id,
                       amount_cents=invoice.amount_due, currency=invoice.currency,
                       outcome="authenticating", decline_message="", actor=actor, now=now)
        return RetryResult("authenticate", "Your bank asks you to confirm the payment.",
                           payment.client_secret)
    message = (payment.decline_message if payment and payment.decline_message
               else "The card was declined.")
    record_attempt(session, membership, invoice_id=invoice_id, amount_cents=invoice.amount_due,
                   currency=invoice.currency, outcome="failed", decline_message=message,
                   actor=actor, now=now)
    return RetryResult("declined", message)


def save_card_and_retry(session: Session, membership_id: int, setup_intent_id: str, *,
                        actor: str, now: datetime) -> RetryResult:
    """Save the member's new card; if a renewal is overdue, charge it to that card at once."""
    membership = lock_membership(session, membership_id)
    shown = save_card(session, membership, setup_intent_id)
    saved = f"Your {shown.brand.title()} card ending {shown.last4} is saved."
    if membership.state not in MembershipMachine.states_that("owes_money"):
        return RetryResult("saved", f"{saved} Your next renewal is charged to it.")
    result = retry_payment(session, membership_id, actor=actor, now=now)
    return RetryResult(result.outcome, f"{saved} {result.message}", result.client_secret)


def cancel_past_due(session: Session, membership_id: int, *, actor: str, now: datetime,
                    gateway: SubscriptionGateway | None = None) -> Membership:
    """A past-due member ends the membership instead of paying: at Stripe, then here."""
    membership = lock_membership(session, membership_id)
    if membership.state not in MembershipMachine.states_that("owes_money"):
        raise ServiceError("Only a membership whose renewal is unpaid ends here; to cancel "
                           "another one, use the Customer Hub.")
    end_at_stripe(membership, gateway=gateway)
    return change_membership(session, membership.id, "cancel", actor=actor, now=now,
                             reason="cancelled instead of paying the overdue renewal")
