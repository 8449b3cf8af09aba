"""The Stripe test harness, for real: localstripe in a subprocess, webhooks to a live HTTP server.

No mocks. Besides proving the helpers work together, these tests pin down what the fake Stripe
does and does not do, so tests of the payment code know what they can rely on:

- a card payment is confirmed server-side by setting the PaymentMethod with `update`, then
  `confirm` without parameters (confirm refuses `payment_method`), or in one call with
  `create(payment_method=…, confirm=True)`;
- 3-D Secure cards end in `requires_action`; the fake Stripe.js `confirmCardPayment` only posts
  to /v1/payment_intents/<id>/_authenticate?success=true|false, which finishes such an intent;
- it does not cap refunds, honour idempotency keys, send refund events, or accept parameters it
  does not know (description, receipt_email, automatic_payment_methods).
"""

from __future__ import annotations

import socket
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from flask import Flask

from tests.live_server import LiveServer
from tests.localstripe_server import LocalStripe, localstripe_available
from tests.webhook_inbox import Inbox, listening

VISA = "4242424242424242"
DECLINED = "4000000000000341"  # attaches, but every charge is declined
THREE_D_SECURE = "4000002500003155"
THREE_D_SECURE_THEN_DECLINED = "4000008260003178"
# Every number localstripe's PaymentMethod._requires_authentication knows.
THREE_D_SECURE_CARDS = ["4000002500003155", "4000002760003184", "4000000000003220",
                        "4000000000003063", THREE_D_SECURE_THEN_DECLINED, "4000008400001629"]


@pytest.fixture
def stripe_client(localstripe: LocalStripe) -> stripe.StripeClient:
    """A Stripe client of the run's localstripe (named so as not to hide conftest's `client`)."""
    return localstripe.client()


@pytest.fixture
def inbox(localstripe: LocalStripe) -> Iterator[Inbox]:
    """localstripe's webhooks, delivered over HTTP to a receiver app served by LiveServer."""
    with listening(localstripe) as received:
        yield received


def card(client: stripe.StripeClient, number: str) -> stripe.PaymentMethod:
    return client.v1.payment_methods.create(params={
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    })


def new_intent(client: stripe.StripeClient, amount: int = 10_000, **params: Any
               ) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "metadata": {"enrollment": "1"}, **params}
    )


def paid_intent(client: stripe.StripeClient, amount: int = 10_000) -> stripe.PaymentIntent:
    """A PaymentIntent paid by card server-side: update with the PaymentMethod, then confirm."""
    intent = new_intent(client, amount)
    client.v1.payment_intents.update(intent.id, params={"payment_method": card(client, VISA).id})
    return client.v1.payment_intents.confirm(intent.id)


def three_d_secure_intent(client: stripe.StripeClient, number: str = THREE_D_SECURE
                          ) -> stripe.PaymentIntent:
    """A PaymentIntent created and confirmed in one call with a 3-D Secure card."""
    return new_intent(client, payment_method=card(client, number).id, confirm=True)


def failure_events(client: stripe.StripeClient) -> set[str]:
    """The ids of the PaymentIntents with a payment_intent.payment_failed event."""
    events = client.v1.events.list(params={"type": "payment_intent.payment_failed", "limit": 100})
    return {event.data.object.id for event in events.auto_paging_iter()}


def charge_id(intent: stripe.PaymentIntent) -> str:
    latest = intent.latest_charge
    return latest if isinstance(latest, str) else latest.id


# --- The harness end to end -------------------------------------------------------------------


def test_card_payment_sends_a_signed_succeeded_webhook_and_can_be_partly_refunded(
        stripe_client: stripe.StripeClient, inbox: Inbox) -> None:
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 10_000, "currency": "usd", "metadata": {"enrollment": "1"}},
        options={"idempotency_key": f"enrollment-1-deposit-{uuid.uuid4().hex}"},
    )
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")

    method = card(stripe_client, VISA)
    intents = stripe_client.v1.payment_intents
    updated = intents.update(intent.id, params={"payment_method": method.id})
    assert updated.status == "requires_confirmation"
    confirmed = intents.confirm(intent.id)
    assert confirmed.status == "succeeded"

    payload, signature = inbox.wait_for("payment_intent.succeeded", intent.id)
    event = stripe.Webhook.construct_event(payload, signature, inbox.secret)
    assert event.type == "payment_intent.succeeded"
    paid = event.data.object
    assert (paid.id, paid.amount, paid.currency) == (intent.id, 10_000, "usd")
    assert paid.metadata["enrollment"] == "1"
    assert paid.status == "succeeded"

    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5_000})
    assert (refund.status, refund.amount, refund.payment_intent) == ("succeeded", 5_000, intent.id)
    charge = stripe_client.v1.charges.retrieve(charge_id(confirmed))
    assert (charge.amount, charge.amount_refunded, charge.refunded) == (10_000, 5_000, False)


def test_webhook_signature_does_not_verify_with_another_secret_or_an_altered_body(
        stripe_client: stripe.StripeClient, inbox: Inbox) -> None:
    intent = paid_intent(stripe_client)
    payload, signature = inbox.wait_for("payment_intent.succeeded", intent.id)
    assert signature is not None and signature.startswith("t=") and ",v1=" in signature

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_not_the_secret")
    altered = payload.replace(b'"amount": 10000', b'"amount": 1')
    assert altered != payload
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(altered, signature, inbox.secret)


# --- Server-side card payments ----------------------------------------------------------------


def test_confirm_refuses_a_payment_method_so_it_must_be_set_with_update_first(
        stripe_client: stripe.StripeClient) -> None:
    intent = new_intent(stripe_client)
    method = card(stripe_client, VISA)

    with pytest.raises(stripe.APIError) as refused:
        stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": method.id})
    assert refused.value.http_status == 500
    assert "Not implemented" in str(refused.value)
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_create_with_a_payment_method_and_confirm_true_charges_in_one_call(
        stripe_client: stripe.StripeClient) -> None:
    intent = new_intent(stripe_client, payment_method=card(stripe_client, VISA).id, confirm=True)

    assert intent.status == "succeeded"
    assert intent.amount == 10_000


def test_latest_charge_comes_back_embedded_not_as_an_id_as_real_stripe_sends_it(
        stripe_client: stripe.StripeClient) -> None:
    intent = paid_intent(stripe_client)

    assert isinstance(intent.latest_charge, stripe.Charge)
    assert intent.latest_charge.id.startswith("ch_")
    assert intent.latest_charge.payment_intent == intent.id


def test_a_declined_card_raises_a_card_error_and_the_intent_needs_a_new_payment_method(
        stripe_client: stripe.StripeClient) -> None:
    intent = new_intent(stripe_client)
    declining = card(stripe_client, DECLINED)
    stripe_client.v1.payment_intents.update(intent.id, params={"payment_method": declining.id})

    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_intents.confirm(intent.id)
    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    after = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == "card_declined"
    assert intent.id in failure_events(stripe_client)


@pytest.mark.parametrize(("name", "value"), [
    ("description", "Deposit"),
    ("receipt_email", "ada@example.org"),
    ("automatic_payment_methods", {"enabled": True}),
], ids=["description", "receipt_email", "automatic_payment_methods"])
def test_payment_intent_parameters_it_does_not_know_are_rejected(
        stripe_client: stripe.StripeClient, name: str, value: object) -> None:
    with pytest.raises(stripe.InvalidRequestError) as rejected:
        new_intent(stripe_client, **{name: value})
    assert rejected.value.http_status == 400
    assert f"Unexpected {name}" in str(rejected.value)


# --- What the fake does not do: our code must --------------------------------------------------


def test_refunds_beyond_the_amount_paid_are_accepted_so_our_code_must_cap_them(
        stripe_client: stripe.StripeClient) -> None:
    intent = paid_intent(stripe_client)

    first = stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5_000})
    second = stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 9_000})

    assert (first.status, second.status) == ("succeeded", "succeeded")
    charge = stripe_client.v1.charges.retrieve(charge_id(intent))
    assert charge.amount_refunded == 14_000 > charge.amount == 10_000


def test_idempotency_keys_are_ignored_so_a_repeated_create_makes_a_second_intent(
        stripe_client: stripe.StripeClient) -> None:
    key = f"enrollment-1-deposit-{uuid.uuid4().hex}"
    params = {"amount": 10_000, "currency": "usd", "metadata": {"enrollment": "1"}}

    intents = stripe_client.v1.payment_intents
    first = intents.create(params=params, options={"idempotency_key": key})
    second = intents.create(params=params, options={"idempotency_key": key})

    assert first.id != second.id
    assert stripe_client.v1.payment_intents.retrieve(second.id).id == second.id


def test_refunds_record_no_event_so_no_refund_webhook_is_sent(
        stripe_client: stripe.StripeClient) -> None:
    intent = paid_intent(stripe_client)
    stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 5_000})

    events = stripe_client.v1.events.list(params={"limit": 100}).auto_paging_iter()
    types = {event.type for event in events}
    assert "payment_intent.succeeded" in types
    assert not {t for t in types if t.startswith(("charge.", "refund."))}


# --- 3-D Secure and the fake Stripe.js ---------------------------------------------------------


@pytest.mark.parametrize("number", THREE_D_SECURE_CARDS)
def test_three_d_secure_cards_leave_a_confirmed_intent_requiring_action(
        stripe_client: stripe.StripeClient, number: str) -> None:
    intent = three_d_secure_intent(stripe_client, number)

    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"
    assert intent.latest_charge is None


def test_passing_three_d_secure_as_stripe_js_does_succeeds_with_a_signed_webhook(
        localstripe: LocalStripe, stripe_client: stripe.StripeClient, inbox: Inbox) -> None:
    intent = three_d_secure_intent(stripe_client)

    status, body = localstripe.authenticate(intent.id, intent.client_secret, success=True)

    assert (status, body["status"]) == (200, "succeeded")
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    payload, signature = inbox.wait_for("payment_intent.succeeded", intent.id)
    event = stripe.Webhook.construct_event(payload, signature, inbox.secret)
    assert event.data.object.metadata["enrollment"] == "1"


def test_failing_three_d_secure_leaves_the_intent_needing_a_new_payment_method(
        localstripe: LocalStripe, stripe_client: stripe.StripeClient) -> None:
    intent = three_d_secure_intent(stripe_client)

    status, body = localstripe.authenticate(intent.id, intent.client_secret, success=False)

    assert (status, body["status"], body["payment_method"]) == (200, "requires_payment_method",
                                                                None)
    assert body["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    # Real Stripe would send payment_intent.payment_failed here; localstripe records no event.
    assert intent.id not in failure_events(stripe_client)


def test_a_card_declined_after_three_d_secure_answers_402(
        localstripe: LocalStripe, stripe_client: stripe.StripeClient) -> None:
    intent = three_d_secure_intent(stripe_client, THREE_D_SECURE_THEN_DECLINED)

    status, body = localstripe.authenticate(intent.id, intent.client_secret, success=True)

    assert (status, body["error"]["code"]) == (402, "card_declined")
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_authenticating_needs_a_publishable_key_and_the_intents_client_secret(
        localstripe: LocalStripe, stripe_client: stripe.StripeClient) -> None:
    intent = three_d_secure_intent(stripe_client)

    secret_key = localstripe.authenticate(intent.id, intent.client_secret, key=localstripe.api_key)
    wrong_secret = localstripe.authenticate(intent.id, f"{intent.id}_secret_wrong")

    assert secret_key[0] == 401
    assert wrong_secret[0] == 401
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == "requires_action"


def test_authenticating_an_intent_that_needs_no_action_is_refused(
        localstripe: LocalStripe, stripe_client: stripe.StripeClient) -> None:
    unconfirmed = new_intent(stripe_client)
    paid = paid_intent(stripe_client)

    assert localstripe.authenticate(unconfirmed.id, unconfirmed.client_secret)[0] == 400
    assert localstripe.authenticate(paid.id, paid.client_secret)[0] == 400


def test_fake_stripe_js_confirm_card_payment_only_asks_to_pass_or_fail_authentication(
        localstripe: LocalStripe) -> None:
    with urllib.request.urlopen(localstripe.js_url, timeout=5) as response:
        script = response.read().decode()
        content_type = response.headers["Content-Type"]

    assert content_type.startswith("application/javascript")
    confirm = script[script.index("confirmCardPayment: async"):script.index("handleCardPayment:")]
    # It ignores the card data it is given: the server must already have confirmed the intent
    # with a PaymentMethod, so that it requires action.
    assert "/_authenticate?success=${success}" in confirm
    assert "client_secret: clientSecret" in confirm
    assert "data." not in confirm
    assert "createPaymentMethod: async () => {}" in script


# --- The helpers themselves ---------------------------------------------------------------------


def test_live_server_serves_the_app_over_http_and_releases_the_port_on_stop() -> None:
    app = Flask("probe")

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    server = LiveServer(app).start()
    try:
        with urllib.request.urlopen(f"{server.url}/ping", timeout=5) as response:
            assert response.read() == b"pong"
    finally:
        server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_localstripe_starts_empty_answers_the_api_and_stops(localstripe: LocalStripe) -> None:
    other = LocalStripe().start()
    try:
        assert other.port != localstripe.port
        assert other.client().v1.payment_intents.list().data == []
        assert card(other.client(), VISA).id.startswith("pm_")
    finally:
        other.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", other.port), timeout=1).close()


def test_localstripe_available_names_a_missing_or_unexecutable_program(tmp_path: Path) -> None:
    missing = tmp_path / "localstripe"
    assert str(missing) in (localstripe_available(missing) or "")
    missing.write_text("#!/bin/sh\n")
    missing.chmod(0o644)
    assert "not executable" in (localstripe_available(missing) or "")


def test_localstripe_that_dies_at_start_fails_with_its_stderr(tmp_path: Path) -> None:
    broken = tmp_path / "localstripe"
    broken.write_text("#!/bin/sh\necho 'cannot start: no aiohttp' >&2\nexit 3\n")
    broken.chmod(0o755)

    with pytest.raises(RuntimeError, match=r"exited with code 3[\s\S]*cannot start: no aiohttp"):
        LocalStripe(executable=broken).start()
