"""Reading Stripe's subscription and invoice shapes, old and new, into small frozen records.

Stripe moved fields in API 2025-03-31 ("basil"); localstripe still answers in the old shapes, and
real Stripe answers in the new ones at the API version the client pins. Each reader here accepts
both, so that no service ever parses a Stripe shape:

- a subscription's `current_period_start/end`: on the subscription (old) or on `items.data[0]`;
- an invoice's PaymentIntent: `invoice.payment_intent` (old) or
  `invoice.payments.data[].payment.payment_intent` (new; only present when expanded);
- an invoice's subscription: `invoice.subscription` (old) or
  `invoice.parent.subscription_details.subscription` (new);
- a line's proration flag: `line.proration` (old) or `line.parent.*_details.proration` (new).

Every reader raises `UnreadableShape` (a ValueError) with words naming the field; the webhook
parser (`subscription_events`) turns that into a 400, the gateway into a provider error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CURRENCY = re.compile(r"[A-Za-z]{3}")
# 2001-09-09 .. 2286-11-20: a Unix time in seconds, not milliseconds or a small number
EARLIEST, LATEST = 1_000_000_000, 9_999_999_999


class UnreadableShape(ValueError):
    """A Stripe object without a field we need, or with a field of the wrong type."""


@dataclass(frozen=True)
class PaymentAttempt:
    """The PaymentIntent that pays an invoice: what the browser and the services need of it."""

    id: str
    status: str  # succeeded, requires_action, requires_payment_method, processing, canceled, …
    client_secret: str | None  # for Stripe.js confirmCardPayment when status is requires_action
    decline_code: str | None  # last_payment_error.decline_code or .code, e.g. card_declined
    decline_message: str | None  # last_payment_error.message, the bank's words

    @property
    def needs_action(self) -> bool:
        """3-D Secure (or another step) is waiting for the cardholder in the browser."""
        return self.status == "requires_action"


@dataclass(frozen=True)
class InvoiceInfo:
    """A Stripe invoice as the services use it (amounts in cents, currency upper case)."""

    id: str
    status: str  # draft, open, paid, void, uncollectible
    amount_due: int
    amount_paid: int
    currency: str
    subscription_id: str | None
    billing_reason: str | None  # subscription_create, subscription_cycle, …; None on localstripe
    period_start: datetime | None  # the subscription line's period (what the money pays for)
    period_end: datetime | None
    payment_intent_id: str | None
    payment: PaymentAttempt | None  # filled when the PaymentIntent was expanded or fetched

    @property
    def paid(self) -> bool:
        """Stripe holds the money for this invoice."""
        return self.status == "paid"


@dataclass(frozen=True)
class SubscriptionInfo:
    """A Stripe subscription as the services use it; periods are aware UTC datetimes."""

    id: str
    status: str  # incomplete, active, past_due, canceled, incomplete_expired, unpaid, …
    customer_id: str
    plan_id: str | None
    current_period_start: datetime
    current_period_end: datetime
    cancel_at_period_end: bool
    ended_at: datetime | None
    metadata: dict[str, str]
    latest_invoice: InvoiceInfo | None  # None when only its id came back (see latest_invoice_id)
    latest_invoice_id: str | None


def obj(value: Any, where: str) -> Mapping[str, Any]:
    """`value` as a mapping (a Stripe object or a dict), or UnreadableShape."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise UnreadableShape(f"{where} must be an object.")
    return value


def text(value: Any, where: str, limit: int = 255) -> str:
    """A non-empty string of at most `limit` characters, or UnreadableShape."""
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise UnreadableShape(f"{where} must be a non-empty string of at most {limit} characters.")
    return value


def optional_text(value: Any, where: str, limit: int = 255) -> str | None:
    """None, or a string as `text` requires."""
    return None if value is None else text(value, where, limit)


def cents(value: Any, where: str) -> int:
    """A whole, non-negative number of cents (not a bool, not a float)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnreadableShape(f"{where} must be a whole, non-negative number of cents.")
    return value


def currency(value: Any, where: str) -> str:
    """A three-letter currency code, upper case."""
    if not isinstance(value, str) or not CURRENCY.fullmatch(value):
        raise UnreadableShape(f"{where} must be a three-letter currency code.")
    return value.upper()


def instant(value: Any, where: str) -> datetime:
    """A Unix time in seconds as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int) or not EARLIEST <= value <= LATEST:
        raise UnreadableShape(f"{where} must be a Unix time in seconds.")
    return datetime.fromtimestamp(value, UTC)


def optional_instant(value: Any, where: str) -> datetime | None:
    """None, or an instant as `instant` requires."""
    return None if value is None else instant(value, where)


def ref_id(value: Any, where: str) -> str | None:
    """The id of a reference that is either an id or an expanded object (or None)."""
    if value is None:
        return None
    if isinstance(value, str):
        return text(value, where)
    return text(obj(value, where).get("id"), f"{where}.id")


def list_data(value: Any, where: str) -> list[Any]:
    """The `data` list of a Stripe list object (an absent list reads as empty)."""
    if value is None:
        return []
    data = obj(value, where).get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise UnreadableShape(f"{where}.data must be a list.")
    return data


def metadata(value: Any, where: str) -> dict[str, str]:
    """Stripe metadata: string keys and string values."""
    if value is None:
        return {}
    found = obj(value, where)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in found.items()):
        raise UnreadableShape(f"{where} must map strings to strings.")
    return dict(found)


def subscription_period(subscription: Any) -> tuple[datetime, datetime]:
    """(current_period_start, current_period_end): on the subscription or on its first item."""
    sub = obj(subscription, "the subscription")
    holder: Mapping[str, Any] = sub
    if sub.get("current_period_start") is None:
        items = list_data(sub.get("items"), "the subscription's items")
        if not items:
            raise UnreadableShape("the subscription has no current_period_start, on itself "
                                  "or on an item.")
        holder = obj(items[0], "the subscription's first item")
    start = instant(holder.get("current_period_start"), "current_period_start")
    end = instant(holder.get("current_period_end"), "current_period_end")
    if end <= start:
        raise UnreadableShape("current_period_end must come after current_period_start.")
    return start, end


def subscription_plan_id(subscription: Any) -> str | None:
    """The plan (or price) of the subscription's first item."""
    items = list_data(obj(subscription, "the subscription").get("items"), "the items")
    if not items:
        return None
    item = obj(items[0], "the subscription's first item")
    for key in ("plan", "price"):
        if item.get(key) is not None:
            return ref_id(item[key], f"the item's {key}")
    return None


def invoice_subscription_id(invoice: Any) -> str | None:
    """The subscription an invoice bills: `subscription` (old) or `parent.subscription_details`."""
    inv = obj(invoice, "the invoice")
    if inv.get("subscription") is not None:
        return ref_id(inv["subscription"], "invoice.subscription")
    parent = inv.get("parent")
    if parent is None:
        return None
    details = obj(parent, "invoice.parent").get("subscription_details")
    if details is None:
        return None
    return ref_id(obj(details, "invoice.parent.subscription_details").get("subscription"),
                  "invoice.parent.subscription_details.subscription")


def invoice_payment_intent_ref(invoice: Any) -> Any:
    """The invoice's PaymentIntent as found (an id or an expanded object), or None.

    Old shape: `invoice.payment_intent`. New shape: `invoice.payments.data[]` (Stripe lists
    newest first); a paid entry wins, else the newest.
    """
    inv = obj(invoice, "the invoice")
    if inv.get("payment_intent") is not None:
        return inv["payment_intent"]
    entries = [obj(e, "each invoice payment") for e in list_data(inv.get("payments"),
                                                                 "invoice.payments")]
    entries.sort(key=lambda entry: entry.get("status") != "paid")  # stable: newest first
    for entry in entries:
        payment = entry.get("payment")
        if payment is not None:
            found = obj(payment, "invoice payment's payment").get("payment_intent")
            if found is not None:
                return found
    return None


def invoice_payment_intent_id(invoice: Any) -> str | None:
    """The id of the invoice's PaymentIntent in either shape, or None."""
    return ref_id(invoice_payment_intent_ref(invoice), "the invoice's payment_intent")


def _is_proration(line: Mapping[str, Any]) -> bool:
    if line.get("proration") is True:
        return True
    parent = line.get("parent")
    if isinstance(parent, Mapping):
        return any(isinstance(d, Mapping) and d.get("proration") is True
                   for d in parent.values())
    return False


def _bills_the_subscription(line: Mapping[str, Any]) -> bool:
    """A line for the subscription's own item: type `subscription` (old) or parent (new)."""
    parent = line.get("parent")
    return line.get("type") == "subscription" or (
        isinstance(parent, Mapping) and parent.get("type") == "subscription_item_details")


def invoice_line_period(invoice: Any) -> tuple[datetime | None, datetime | None]:
    """The period the invoice pays for: its subscription line's, not a credit's or proration's.

    The first line billing the subscription's item (not a proration) wins; else the first line
    that is not a proration; else the first line.
    """
    lines = [obj(line, "each invoice line") for line in list_data(
        obj(invoice, "the invoice").get("lines"), "invoice.lines")]
    if not lines:
        return None, None
    regular = [each for each in lines if not _is_proration(each)]
    line = next((each for each in regular if _bills_the_subscription(each)),
                regular[0] if regular else lines[0])
    period = line.get("period")
    if period is None:
        return None, None
    period = obj(period, "the line's period")
    return (instant(period.get("start"), "the line's period.start"),
            instant(period.get("end"), "the line's period.end"))


def charge_failure(invoice: Any) -> tuple[str | None, str | None]:
    """(failure code, message) of the invoice's charge when it came expanded (old shape)."""
    charge = obj(invoice, "the invoice").get("charge")
    if not isinstance(charge, Mapping) and not hasattr(charge, "to_dict"):
        return None, None
    charge = obj(charge, "invoice.charge")
    return (optional_text(charge.get("failure_code"), "charge.failure_code"),
            optional_text(charge.get("failure_message"), "charge.failure_message", 1000))


def payment_attempt(intent: Any) -> PaymentAttempt:
    """An expanded PaymentIntent as a PaymentAttempt."""
    pi = obj(intent, "the payment intent")
    error = pi.get("last_payment_error")
    code = message = None
    if error is not None:
        error = obj(error, "last_payment_error")
        code = optional_text(error.get("decline_code") or error.get("code"),
                             "last_payment_error.code")
        message = optional_text(error.get("message"), "last_payment_error.message", 1000)
    return PaymentAttempt(id=text(pi.get("id"), "the payment intent's id"),
                          status=text(pi.get("status"), "the payment intent's status", 50),
                          client_secret=optional_text(pi.get("client_secret"), "client_secret",
                                                      500),
                          decline_code=code, decline_message=message)


def invoice_info(invoice: Any, intent: Any = None) -> InvoiceInfo:
    """An invoice (either shape) as InvoiceInfo; `intent` is its PaymentIntent when fetched."""
    inv = obj(invoice, "the invoice")
    ref = invoice_payment_intent_ref(inv)
    if intent is None and ref is not None and not isinstance(ref, str):
        intent = ref
    start, end = invoice_line_period(inv)
    return InvoiceInfo(
        id=text(inv.get("id"), "the invoice's id"),
        status=text(inv.get("status"), "the invoice's status", 50),
        amount_due=cents(inv.get("amount_due"), "amount_due"),
        amount_paid=cents(inv.get("amount_paid"), "amount_paid"),
        currency=currency(inv.get("currency"), "the invoice's currency"),
        subscription_id=invoice_subscription_id(inv),
        billing_reason=optional_text(inv.get("billing_reason"), "billing_reason", 100),
        period_start=start, period_end=end,
        payment_intent_id=ref_id(ref, "the invoice's payment_intent"),
        payment=payment_attempt(intent) if intent is not None else None)


def subscription_info(subscription: Any, invoice: InvoiceInfo | None = None) -> SubscriptionInfo:
    """A subscription (either shape) as SubscriptionInfo; `invoice` when read separately."""
    sub = obj(subscription, "the subscription")
    start, end = subscription_period(sub)
    latest = sub.get("latest_invoice")
    if invoice is None and latest is not None and not isinstance(latest, str):
        invoice = invoice_info(latest)
    return SubscriptionInfo(
        id=text(sub.get("id"), "the subscription's id"),
        status=text(sub.get("status"), "the subscription's status", 50),
        customer_id=text(ref_id(sub.get("customer"), "the subscription's customer"),
                         "the subscription's customer"),
        plan_id=subscription_plan_id(sub),
        current_period_start=start, current_period_end=end,
        cancel_at_period_end=sub.get("cancel_at_period_end") is True,
        ended_at=optional_instant(sub.get("ended_at"), "ended_at"),
        metadata=metadata(sub.get("metadata"), "the subscription's metadata"),
        latest_invoice=invoice, latest_invoice_id=ref_id(latest, "latest_invoice"))
