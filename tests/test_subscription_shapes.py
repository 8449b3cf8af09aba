"""Reading subscriptions, invoices and subscription events in Stripe's old and new API shapes.

The fixtures here are plain dicts mimicking Stripe's JSON, on purpose and only for the shape
readers: localstripe answers in the old shape only (API before 2025-03-31), so the new shape
(periods on subscription items, an invoice's PaymentIntent in its payments list, its subscription
under `parent`) cannot come from it. The old-shape fixtures copy what localstripe sends; the
gateway itself is tested against localstripe in tests/test_subscription_gateway.py.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from cohort.payments.subscription_events import (
    INVOICE_FAILED,
    INVOICE_PAID,
    SUBSCRIPTION_UPDATED,
    MalformedSubscriptionEvent,
    parse_subscription_event,
)
from cohort.payments.subscription_shapes import (
    UnreadableShape,
    invoice_info,
    invoice_line_period,
    invoice_payment_intent_id,
    invoice_subscription_id,
    subscription_info,
    subscription_period,
)

START, END, NEXT_END = 1_767_225_600, 1_769_904_000, 1_772_323_200  # 2026-01-01, 02-01, 03-01


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


OLD_SUBSCRIPTION = {
    "id": "sub_1", "object": "subscription", "status": "active", "customer": "cus_1",
    "current_period_start": START, "current_period_end": END, "cancel_at_period_end": False,
    "ended_at": None, "metadata": {"membership": "9"}, "latest_invoice": "in_1",
    "items": {"object": "list", "data": [{"id": "si_1", "plan": {"id": "plan_1"}}]},
}
NEW_SUBSCRIPTION = {
    "id": "sub_1", "object": "subscription", "status": "active", "customer": "cus_1",
    "cancel_at_period_end": False, "ended_at": None, "metadata": {"membership": "9"},
    "latest_invoice": "in_1",
    "items": {"object": "list", "data": [{
        "id": "si_1", "object": "subscription_item", "current_period_start": START,
        "current_period_end": END, "price": {"id": "plan_1", "object": "price"}}]},
}
OLD_INVOICE = {
    "id": "in_2", "object": "invoice", "status": "paid", "amount_due": 2_500,
    "amount_paid": 2_500, "currency": "usd", "customer": "cus_1", "subscription": "sub_1",
    "billing_reason": "subscription_cycle", "payment_intent": "pi_2",
    "lines": {"object": "list", "data": [
        {"id": "il_0", "type": "invoiceitem", "proration": True, "amount": -500,
         "period": {"start": START, "end": END}},
        {"id": "il_c", "type": "invoiceitem", "proration": False, "amount": -100,
         "period": {"start": END - 60, "end": END - 60}},
        {"id": "il_1", "type": "subscription", "proration": False, "amount": 3_000,
         "period": {"start": END, "end": NEXT_END}},
    ]},
}
NEW_INVOICE = {
    "id": "in_2", "object": "invoice", "status": "paid", "amount_due": 2_500,
    "amount_paid": 2_500, "currency": "usd", "customer": "cus_1",
    "billing_reason": "subscription_cycle",
    "parent": {"type": "subscription_details", "subscription_details": {
        "subscription": "sub_1", "metadata": {"membership": "9"}}},
    "payments": {"object": "list", "data": [
        {"id": "inpay_b", "status": "canceled",
         "payment": {"type": "payment_intent", "payment_intent": "pi_declined"}},
        {"id": "inpay_a", "status": "paid",
         "payment": {"type": "payment_intent", "payment_intent": "pi_2"}},
    ]},
    "lines": {"object": "list", "data": [
        {"id": "il_0", "amount": -500, "period": {"start": START, "end": END},
         "parent": {"type": "subscription_item_details",
                    "subscription_item_details": {"subscription": "sub_1", "proration": True}}},
        {"id": "il_c", "amount": -100, "period": {"start": END - 60, "end": END - 60},
         "parent": {"type": "invoice_item_details",
                    "invoice_item_details": {"invoice_item": "ii_1", "proration": False}}},
        {"id": "il_1", "amount": 3_000, "period": {"start": END, "end": NEXT_END},
         "parent": {"type": "subscription_item_details",
                    "subscription_item_details": {"subscription": "sub_1", "proration": False}}},
    ]},
}


def event(kind: str, data_object: dict[str, Any], event_id: str = "evt_1") -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": data_object}}


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `base` with the dotted `path` set to `value` (list indexes as digits)."""
    result = copy.deepcopy(base)
    *parents, last = path.split(".")
    here: Any = result
    for key in parents:
        here = here[int(key)] if isinstance(here, list) else here[key]
    if isinstance(here, list):
        here[int(last)] = value
    else:
        here[last] = value
    return result


# --- the readers, both shapes ------------------------------------------------------------------


@pytest.mark.parametrize("subscription", [OLD_SUBSCRIPTION, NEW_SUBSCRIPTION],
                         ids=["on the subscription", "on its items"])
def test_the_current_period_is_read_from_the_subscription_or_from_its_first_item(subscription):
    assert subscription_period(subscription) == (at(START), at(END))
    info = subscription_info(subscription)
    assert (info.current_period_start, info.current_period_end) == (at(START), at(END))
    assert (info.plan_id, info.latest_invoice_id, info.metadata) == (
        "plan_1", "in_1", {"membership": "9"})


def test_a_subscription_without_a_current_period_anywhere_is_unreadable():
    neither = changed(NEW_SUBSCRIPTION, "items.data", [{"id": "si_1"}])

    with pytest.raises(UnreadableShape, match="current_period_start"):
        subscription_period(neither)
    with pytest.raises(UnreadableShape, match="after"):
        subscription_period(changed(OLD_SUBSCRIPTION, "current_period_end", START))


@pytest.mark.parametrize("invoice", [OLD_INVOICE, NEW_INVOICE], ids=["old", "new"])
def test_an_invoice_is_read_the_same_in_either_shape(invoice):
    info = invoice_info(invoice)

    assert (info.id, info.status, info.amount_paid, info.currency) == ("in_2", "paid", 2_500,
                                                                      "USD")
    assert (info.subscription_id, info.payment_intent_id) == ("sub_1", "pi_2")
    assert info.billing_reason == "subscription_cycle"
    # the subscription's line, not the proration's nor the credit's
    assert (info.period_start, info.period_end) == (at(END), at(NEXT_END))
    assert info.payment is None and info.paid


def test_the_new_shape_prefers_the_paid_payment_and_reads_an_expanded_intent():
    expanded = changed(NEW_INVOICE, "payments.data.1.payment.payment_intent", {
        "id": "pi_2", "object": "payment_intent", "status": "succeeded",
        "client_secret": "pi_2_secret_x"})
    only_failed = changed(NEW_INVOICE, "payments.data", NEW_INVOICE["payments"]["data"][:1])

    assert invoice_payment_intent_id(NEW_INVOICE) == "pi_2"
    assert invoice_info(expanded).payment.client_secret == "pi_2_secret_x"
    assert invoice_payment_intent_id(only_failed) == "pi_declined"
    assert invoice_payment_intent_id(changed(NEW_INVOICE, "payments", None)) is None


def test_an_invoice_billing_no_subscription_has_no_subscription_id():
    one_off = {key: value for key, value in OLD_INVOICE.items() if key != "subscription"}

    assert invoice_subscription_id(one_off) is None
    assert invoice_subscription_id({**one_off, "parent": {"type": "quote_details",
                                                          "quote_details": {}}}) is None
    assert invoice_line_period({**one_off, "lines": {"data": []}}) == (None, None)


# --- webhook events -----------------------------------------------------------------------------


@pytest.mark.parametrize("invoice", [OLD_INVOICE, NEW_INVOICE], ids=["old", "new"])
def test_a_paid_invoice_event_says_what_was_paid_and_for_which_period(invoice):
    parsed = parse_subscription_event(event(INVOICE_PAID, invoice))

    assert (parsed.event_id, parsed.kind, parsed.is_invoice_event) == ("evt_1", INVOICE_PAID, True)
    assert (parsed.subscription_id, parsed.customer_id, parsed.invoice_id) == ("sub_1", "cus_1",
                                                                              "in_2")
    assert (parsed.amount_paid, parsed.currency, parsed.billing_reason) == (
        2_500, "USD", "subscription_cycle")
    assert (parsed.period_start, parsed.period_end) == (at(END), at(NEXT_END))
    assert (parsed.payment_intent_id, parsed.decline_message) == ("pi_2", None)


def test_a_failed_invoice_event_carries_the_decline_from_an_expanded_intent_or_charge():
    failed = {**OLD_INVOICE, "status": "open", "amount_paid": 0, "payment_intent": {
        "id": "pi_2", "status": "requires_payment_method", "client_secret": "pi_2_secret_x",
        "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds",
                               "message": "Your card has insufficient funds."}}}
    by_charge = {**OLD_INVOICE, "status": "open", "amount_paid": 0, "charge": {
        "id": "ch_1", "failure_code": "card_declined",
        "failure_message": "Your card was declined."}}

    from_intent = parse_subscription_event(event(INVOICE_FAILED, failed))
    from_charge = parse_subscription_event(event(INVOICE_FAILED, by_charge))

    assert (from_intent.decline_code, from_intent.decline_message) == (
        "insufficient_funds", "Your card has insufficient funds.")
    assert (from_charge.decline_code, from_charge.decline_message) == (
        "card_declined", "Your card was declined.")
    assert from_intent.amount_paid == from_charge.amount_paid == 0


@pytest.mark.parametrize("subscription", [OLD_SUBSCRIPTION, NEW_SUBSCRIPTION],
                         ids=["old", "new"])
def test_a_subscription_event_says_its_state_and_current_period(subscription):
    cancelling = {**subscription, "cancel_at_period_end": True}

    parsed = parse_subscription_event(event(SUBSCRIPTION_UPDATED, cancelling))

    assert (parsed.subscription_id, parsed.subscription_status) == ("sub_1", "active")
    assert (parsed.period_start, parsed.period_end) == (at(START), at(END))
    assert (parsed.cancel_at_period_end, parsed.ended_at) == (True, None)
    assert (parsed.invoice_id, parsed.amount_paid, parsed.is_invoice_event) == (None, None, False)
    assert parsed.metadata == {"membership": "9"}


BROKEN = {
    "not an object": "evt",
    "no id": {"type": INVOICE_PAID, "data": {"object": OLD_INVOICE}},
    "not a subscription event": event("payment_intent.succeeded", OLD_INVOICE),
    "no data": {"id": "evt_1", "type": INVOICE_PAID},
    "data.object a list": event(INVOICE_PAID, [OLD_INVOICE]),
    "a subscription for an invoice event": event(INVOICE_PAID, OLD_SUBSCRIPTION),
    "amount as text": event(INVOICE_PAID, changed(OLD_INVOICE, "amount_paid", "2500")),
    "amount as a float": event(INVOICE_PAID, changed(OLD_INVOICE, "amount_paid", 25.0)),
    "amount as a bool": event(INVOICE_PAID, changed(OLD_INVOICE, "amount_paid", True)),
    "negative amount": event(INVOICE_PAID, changed(OLD_INVOICE, "amount_paid", -1)),
    "currency of two letters": event(INVOICE_PAID, changed(OLD_INVOICE, "currency", "us")),
    "lines not a list": event(INVOICE_PAID, changed(OLD_INVOICE, "lines.data", {"0": 1})),
    "period in milliseconds": event(INVOICE_PAID, changed(
        OLD_INVOICE, "lines.data.2.period.end", NEXT_END * 1000)),
    "period as text": event(INVOICE_PAID, changed(
        OLD_INVOICE, "lines.data.2.period.start", "2026-02-01")),
    "subscription id a number": event(INVOICE_PAID, changed(OLD_INVOICE, "subscription", 7)),
    "payments not a list": event(INVOICE_PAID, changed(NEW_INVOICE, "payments.data", "pi_2")),
    "no period anywhere": event(SUBSCRIPTION_UPDATED, changed(
        NEW_SUBSCRIPTION, "items.data", [])),
    "metadata value a number": event(SUBSCRIPTION_UPDATED, changed(
        OLD_SUBSCRIPTION, "metadata", {"membership": 9})),
    "status empty": event(SUBSCRIPTION_UPDATED, changed(OLD_SUBSCRIPTION, "status", "")),
}


@pytest.mark.parametrize("broken", BROKEN.values(), ids=BROKEN.keys())
def test_an_event_of_the_wrong_shape_is_refused_with_words(broken):
    with pytest.raises(MalformedSubscriptionEvent) as refused:
        parse_subscription_event(broken)

    assert refused.value.status_code == 400
    assert refused.value.message.startswith("Not a well-formed subscription event: ")
    assert len(refused.value.message) > len("Not a well-formed subscription event: ") + 5
