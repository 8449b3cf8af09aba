"""Stripe webhook events: verified by signature, counted once by event id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.models import Payment, Refund, StripeEvent
from cohort.payments.gateway import StripeGateway
from cohort.services.payments import record_card_payment

HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")


def remember_event(session: Session, event_id: str, event_type: str, now: datetime) -> bool:
    """Store the event id in this transaction; False when it was handled before (a replay)."""
    try:
        with session.begin_nested():
            session.add(StripeEvent(id=event_id, type=event_type, received_at=now))
    except IntegrityError:
        return False
    return True


def _payment_failed(session: Session, intent: dict[str, Any]) -> None:
    payment = session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == intent["id"])
    ).one_or_none()
    if payment is not None and payment.status == "pending":
        payment.status = "failed"


def _charge_refunded(session: Session, charge: dict[str, Any], now: datetime) -> None:
    """A refund made outside the service (e.g. the Stripe dashboard): mark ours as done."""
    refunds = (charge.get("refunds") or {}).get("data") or []
    for item in refunds:
        refund = session.scalars(
            select(Refund).where(Refund.stripe_refund_id == item.get("id"))
        ).one_or_none()
        if refund is not None and refund.status == "pending" and item.get("status") == "succeeded":
            refund.status = "succeeded"
            refund.completed_at = now


def handle_event(session: Session, event: Any, gateway: StripeGateway | None,
                 now: datetime) -> str:
    """Apply one verified event inside the caller's transaction; returns what was done."""
    event_type = event["type"]
    if event_type not in HANDLED:
        return "ignored"
    if not remember_event(session, event["id"], event_type, now):
        return "duplicate"
    obj = event["data"]["object"]
    if event_type == "payment_intent.succeeded":
        payment = record_card_payment(session, obj["id"], int(obj["amount"]), obj["currency"],
                                      gateway, now)
        return "recorded" if payment is not None else "unknown payment"
    if event_type == "payment_intent.payment_failed":
        _payment_failed(session, obj)
        return "failed"
    _charge_refunded(session, obj, now)
    return "refund noted"
