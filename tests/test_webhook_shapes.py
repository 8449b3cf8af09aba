"""Signed is not well-formed: events and JSON bodies of the wrong shape are a 400, never a 500."""

from __future__ import annotations

import json

import pytest
import stripe
from sqlalchemy import func, select

from cohort.jsonbody import nesting_depth
from cohort.models import LedgerEntry, Payment, StripeEvent
from tests.conftest import WEBHOOK_SECRET
from tests.factories import csrf_token, make_cohort, make_enrollment, utc
from tests.payments_helpers import signed

NOW = utc("2024-01-10T20:00:00Z")
INTENT = {"id": "pi_shape", "object": "payment_intent", "amount": 10_000, "currency": "usd",
          "status": "succeeded"}


def _event(**changes: object) -> dict:
    event = {"id": "evt_shape", "object": "event", "type": "payment_intent.succeeded",
             "data": {"object": dict(INTENT)}}
    event.update(changes)
    return event


def _with_object(**changes: object) -> dict:
    return _event(data={"object": {**INTENT, **changes}})


def _without(key: str) -> dict:
    event = _event()
    del event[key]
    return event


def _without_in_object(key: str) -> dict:
    event = _event()
    del event["data"]["object"][key]
    return event


def _refunded(refunds: object) -> dict:
    return _event(type="charge.refunded", data={"object": {
        "id": "ch_shape", "object": "charge", "refunds": refunds}})


MALFORMED = {
    "a JSON array": [_event()],
    "a JSON string": "payment_intent.succeeded",
    "no data": _without("data"),
    "no id": _without("id"),
    "a numeric id": _event(id=12),
    "no type": _without("type"),
    "data is a list": _event(data=[INTENT]),
    "no data.object": _event(data={}),
    "no amount": _without_in_object("amount"),
    "no intent id": _without_in_object("id"),
    "a string amount": _with_object(amount="10000"),
    "a fractional amount": _with_object(amount=100.5),
    "a boolean amount": _with_object(amount=True),
    "a negative amount": _with_object(amount=-10_000),
    "a numeric currency": _with_object(currency=840),
    "refunds: [null]": _refunded([None]),
    "refunds.data: [null]": _refunded({"object": "list", "data": [None]}),
    "refunds.data: a string": _refunded({"object": "list", "data": "re_1"}),
    "a refund without id": _refunded({"object": "list", "data": [{"status": "succeeded"}]}),
}


def _pending_card_payment(session):
    enrollment = make_enrollment(session, make_cohort(session, state="closed"),
                                 state="accepted")
    payment = Payment(account_id=enrollment.account_id, purpose="deposit", method="card",
                      status="pending", amount_cents=10_000, currency="USD",
                      stripe_payment_intent_id="pi_shape", created_at=NOW)
    session.add(payment)
    session.commit()
    return enrollment, payment


def _count(session, model) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("shape", list(MALFORMED))
def test_a_signed_event_of_the_wrong_shape_is_a_400_and_stores_nothing(
        app, client, session, shape):
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    _, payment = _pending_card_payment(session)
    body, headers = signed(MALFORMED[shape], WEBHOOK_SECRET)

    response = client.post("/stripe/webhook", data=body, headers=headers)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert _count(session, StripeEvent) == 0
    assert _count(session, LedgerEntry) == 0
    assert session.get(Payment, payment.id).status == "pending"


def test_a_signed_event_nested_ten_thousand_deep_is_a_400(app, client, session):
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    payload = ('{"id": "evt_deep", "type": "payment_intent.succeeded", "data": '
               + "[" * 10_000 + "]" * 10_000 + "}")
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)

    response = client.post("/stripe/webhook", data=payload.encode(), headers={
        "Stripe-Signature": header, "Content-Type": "application/json"})

    assert response.status_code == 400
    assert _count(session, StripeEvent) == 0


def test_a_well_formed_signed_event_still_counts(app, client, session):
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    _, payment = _pending_card_payment(session)
    body, headers = signed(_event(), WEBHOOK_SECRET)

    response = client.post("/stripe/webhook", data=body, headers=headers)

    assert response.status_code == 200 and response.get_json()["outcome"] == "recorded"
    assert session.get(Payment, payment.id).status == "succeeded"


@pytest.mark.parametrize("body", [
    "[" * 1_000 + "]" * 1_000,  # small enough for the route's size limit, too deep to parse
    '{"token": ' + "[" * 5_000 + "]" * 5_000 + "}",
    json.dumps(["tok_visa"]),
    json.dumps({"token": "tok_" + "x" * 5_000}),
    "{not json",
])
def test_the_card_endpoint_refuses_deep_large_or_odd_json_with_a_400(app, client, session, body):
    enrollment, payment = _pending_card_payment(session)
    token = csrf_token(client, "/staff/login")

    response = client.post(f"/a/{enrollment.status_token}/pay/{payment.id}/card",
                           data=body.encode(), headers={"X-CSRFToken": token,
                                                        "Content-Type": "application/json"})

    assert response.status_code == 400
    assert "could not be read" in response.get_json()["error"]
    assert session.get(Payment, payment.id).status == "pending"


@pytest.mark.parametrize(("text", "depth"), [
    (b"1", 0), (b"[]", 1), (b'{"a": [1, {"b": "[[[["}]}', 3), (b'["\\"[", [[]]]', 3)])
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert nesting_depth(text) == depth
