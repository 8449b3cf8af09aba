"""Subscription webhook events (invoices paid or failed, subscriptions created/updated/deleted).

`parse_subscription_event` takes an event already verified by signature and read as JSON within
bounds (`cohort.services.stripe_events.parse_event`) and answers a `SubscriptionEvent`, a small
record the membership services use without knowing Stripe's shapes (old or new API: see
`subscription_shapes`). A signed event of the wrong shape is a `MalformedSubscriptionEvent`
(400 with words), never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cohort.errors import ServiceError
from cohort.payments.subscription_shapes import (
    UnreadableShape,
    charge_failure,
    invoice_info,
    metadata,
    obj,
    optional_instant,
    ref_id,
    subscription_period,
    text,
)

INVOICE_PAID = "invoice.payment_succeeded"
INVOICE_FAILED = "invoice.payment_failed"
SUBSCRIPTION_CREATED = "customer.subscription.created"
SUBSCRIPTION_UPDATED = "customer.subscription.updated"
SUBSCRIPTION_DELETED = "customer.subscription.deleted"
INVOICE_EVENTS = (INVOICE_PAID, INVOICE_FAILED)
SUBSCRIPTION_EVENTS = (*INVOICE_EVENTS, SUBSCRIPTION_CREATED, SUBSCRIPTION_UPDATED,
                       SUBSCRIPTION_DELETED)


class MalformedSubscriptionEvent(ServiceError):
    """A signed subscription event whose shape is not what Stripe sends: refused, nothing done."""

    status_code = 400


@dataclass(frozen=True)
class SubscriptionEvent:
    """What a subscription webhook says, in our terms (cents, upper-case currency, UTC)."""

    event_id: str
    kind: str  # one of SUBSCRIPTION_EVENTS
    subscription_id: str | None  # None: an invoice that bills no subscription
    customer_id: str | None
    # invoice events
    invoice_id: str | None
    invoice_status: str | None
    amount_due: int | None
    amount_paid: int | None
    currency: str | None
    billing_reason: str | None  # subscription_create / subscription_cycle / …; None on localstripe
    payment_intent_id: str | None  # old shape, or new shape when payments were included
    decline_code: str | None  # when the event carried the PaymentIntent or the charge expanded
    decline_message: str | None
    # invoice events: the subscription line's period; subscription events: the current period
    period_start: datetime | None
    period_end: datetime | None
    # subscription events
    subscription_status: str | None
    cancel_at_period_end: bool | None
    ended_at: datetime | None
    metadata: dict[str, str]  # the subscription's metadata when the event carries it

    @property
    def is_invoice_event(self) -> bool:
        """An invoice was paid or its payment failed."""
        return self.kind in INVOICE_EVENTS


def _invoice_metadata(invoice: Mapping[str, Any]) -> dict[str, str]:
    """The subscription's metadata as copied onto the invoice (new or old place), else {}."""
    parent = invoice.get("parent")
    details = None
    if isinstance(parent, Mapping):
        details = parent.get("subscription_details")
    if details is None:
        details = invoice.get("subscription_details")
    if details is None:
        return {}
    return metadata(obj(details, "subscription_details").get("metadata"),
                    "subscription_details.metadata")


def _from_invoice(event_id: str, kind: str, invoice: Mapping[str, Any]) -> SubscriptionEvent:
    info = invoice_info(invoice)
    payment = info.payment
    code, message = ((payment.decline_code, payment.decline_message) if payment
                     else charge_failure(invoice))
    return SubscriptionEvent(
        event_id=event_id, kind=kind, subscription_id=info.subscription_id,
        customer_id=ref_id(invoice.get("customer"), "the invoice's customer"),
        invoice_id=info.id, invoice_status=info.status, amount_due=info.amount_due,
        amount_paid=info.amount_paid, currency=info.currency, billing_reason=info.billing_reason,
        payment_intent_id=info.payment_intent_id,
        decline_code=code, decline_message=message,
        period_start=info.period_start, period_end=info.period_end,
        subscription_status=None, cancel_at_period_end=None, ended_at=None,
        metadata=_invoice_metadata(invoice))


def _from_subscription(event_id: str, kind: str, sub: Mapping[str, Any]) -> SubscriptionEvent:
    start, end = subscription_period(sub)
    return SubscriptionEvent(
        event_id=event_id, kind=kind, subscription_id=text(sub.get("id"), "the subscription's id"),
        customer_id=ref_id(sub.get("customer"), "the subscription's customer"),
        invoice_id=None, invoice_status=None, amount_due=None, amount_paid=None, currency=None,
        billing_reason=None, payment_intent_id=None, decline_code=None, decline_message=None,
        period_start=start, period_end=end,
        subscription_status=text(sub.get("status"), "the subscription's status", 50),
        cancel_at_period_end=sub.get("cancel_at_period_end") is True,
        ended_at=optional_instant(sub.get("ended_at"), "ended_at"),
        metadata=metadata(sub.get("metadata"), "the subscription's metadata"))


def parse_subscription_event(event: Any) -> SubscriptionEvent:
    """A verified event of one of SUBSCRIPTION_EVENTS as a SubscriptionEvent, or 400 with words."""
    try:
        event = obj(event, "the event")
        event_id = text(event.get("id"), "id")
        kind = text(event.get("type"), "type", 100)
        if kind not in SUBSCRIPTION_EVENTS:
            raise UnreadableShape(f"{kind} is not a subscription event.")
        found = obj(obj(event.get("data"), "data").get("object"), "data.object")
        expected = "invoice" if kind in INVOICE_EVENTS else "subscription"
        if found.get("object", expected) != expected:
            article = "an" if expected == "invoice" else "a"
            raise UnreadableShape(f"data.object must be {article} {expected} for {kind}.")
        if expected == "invoice":
            return _from_invoice(event_id, kind, found)
        return _from_subscription(event_id, kind, found)
    except UnreadableShape as exc:
        raise MalformedSubscriptionEvent(f"Not a well-formed subscription event: {exc}") from None
