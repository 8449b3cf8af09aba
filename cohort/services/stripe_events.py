"""Stripe webhook events: verified by signature, counted once by event id."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.jsonbody import parse_json
from cohort.models import Payment, Refund, StripeEvent
from cohort.payments.gateway import StripeGateway
from cohort.payments.subscription_events import parse_subscription_event
from cohort.services import ServiceError
from cohort.services.payments import record_card_payment
from cohort.services.subscription_payments import HANDLED_EVENTS, handle_subscription_event

HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")
MAX_EVENT_BYTES = 256 * 1024  # Stripe's events are a few kilobytes
MAX_EVENT_DEPTH = 16
CURRENCY = re.compile(r"[A-Za-z]{3}")


class MalformedEvent(ServiceError):
    """A signed event whose shape is not what Stripe sends: refused, nothing stored."""

    status_code = 400


def _text(value: Any, where: str, limit: int = 255) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise MalformedEvent(f"{where} must be a non-empty string of at most {limit} characters.")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedEvent(f"{where} must be an object.")
    return value


def parse_event(payload: bytes) -> dict[str, Any]:
    """The verified payload as an event whose handled parts have the types we use, or 400."""
    event = _object(parse_json(payload, max_bytes=MAX_EVENT_BYTES, max_depth=MAX_EVENT_DEPTH),
                    "the event")
    _text(event.get("id"), "id")
    if _text(event.get("type"), "type", 100) not in HANDLED:
        return event
    obj = _object(_object(event.get("data"), "data").get("object"), "data.object")
    _text(obj.get("id"), "data.object.id")
    if event["type"] == "payment_intent.succeeded":
        amount = obj.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise MalformedEvent("data.object.amount must be a positive whole number of cents.")
        if not CURRENCY.fullmatch(_text(obj.get("currency"), "data.object.currency", 3)):
            raise MalformedEvent("data.object.currency must be a three-letter code.")
    if event["type"] == "charge.refunded" and obj.get("refunds") is not None:
        items = _object(obj["refunds"], "data.object.refunds").get("data") or []
        if not isinstance(items, list):
            raise MalformedEvent("data.object.refunds.data must be a list.")
        for item in items:
            _text(_object(item, "each refund").get("id"), "each refund's id")
    return event


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
    """Apply one verified, well-formed event (`parse_event`) in the caller's transaction."""
    event_type = event["type"]
    if event_type in HANDLED_EVENTS:  # a membership's subscription: read before it is counted
        subscription_event = parse_subscription_event(event)
        if not remember_event(session, event["id"], event_type, now):
            return "duplicate"
        return handle_subscription_event(session, subscription_event, now)
    if event_type not in HANDLED:
        return "ignored"
    if not remember_event(session, event["id"], event_type, now):
        return "duplicate"
    obj = event["data"]["object"]
    if event_type == "payment_intent.succeeded":
        payment = record_card_payment(session, obj["id"], obj["amount"], obj["currency"],
                                      gateway, now)
        return "recorded" if payment is not None else "unknown payment"
    if event_type == "payment_intent.payment_failed":
        _payment_failed(session, obj)
        return "failed"
    _charge_refunded(session, obj, now)
    return "refund noted"
