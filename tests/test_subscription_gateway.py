"""The subscription gateway against a real localstripe, with its signed webhooks received over HTTP.

No database: these tests drive `SubscriptionGateway` as the membership services will, stand in
for Stripe's clock with tests/subscription_helpers.py, and read every webhook through the same
two steps as the service (`parse_event` after the signature, then `parse_subscription_event`).
They also pin what localstripe does for subscriptions, so the services know what to rely on.
"""

from __future__ import annotations

import calendar
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import stripe
from flask import Flask

from cohort.payments import setup as payments_setup
from cohort.payments.gateway import CardDeclined, PaymentProviderError, StripeGateway
from cohort.payments.subscription_events import (
    INVOICE_FAILED,
    INVOICE_PAID,
    SUBSCRIPTION_DELETED,
    SubscriptionEvent,
    parse_subscription_event,
)
from cohort.payments.subscriptions import SubscriptionGateway, subscription_gateway
from cohort.services.stripe_events import parse_event
from tests.localstripe_server import LocalStripe
from tests.payments_helpers import card_token
from tests.subscription_helpers import (
    DECLINED,
    THREE_D_SECURE,
    VISA,
    authenticate,
    fail_renewal,
    payment_method,
    renew,
)
from tests.webhook_inbox import Inbox, listening

LOUNGE_MONTHLY = 2_500
LOUNGE_YEARLY = 25_000


@pytest.fixture
def stripe_client(localstripe: LocalStripe) -> stripe.StripeClient:
    return localstripe.client()


@pytest.fixture
def gateway(localstripe: LocalStripe) -> SubscriptionGateway:
    return SubscriptionGateway(StripeGateway(localstripe.api_key, localstripe.url))


@pytest.fixture
def inbox(localstripe: LocalStripe) -> Iterator[Inbox]:
    with listening(localstripe) as received:
        yield received


def monthly(gateway: SubscriptionGateway) -> str:
    return gateway.ensure_product_and_plan(key="lounge", name="Practitioner's Lounge",
                                           amount=LOUNGE_MONTHLY, currency="USD",
                                           interval="month")


def customer(gateway: SubscriptionGateway, stripe_client: stripe.StripeClient,
             card: str | None = VISA) -> str:
    found = gateway.ensure_customer(email="ada@example.org", name="Ada Lovelace",
                                    metadata={"account": "7"},
                                    idempotency_key=f"account-7-{uuid.uuid4().hex}")
    if card:
        gateway.attach_payment_method(found, payment_method(stripe_client, card))
    return found


def subscribe(gateway: SubscriptionGateway, customer_id: str, plan_id: str):
    return gateway.create_subscription(customer_id=customer_id, plan_id=plan_id,
                                       metadata={"membership": "42"},
                                       idempotency_key=f"membership-42-{uuid.uuid4().hex}")


def received(inbox: Inbox, event_type: str, object_id: str) -> SubscriptionEvent:
    """The delivery, verified by signature, read as the webhook view and service read it."""
    payload, signature = inbox.wait_for(event_type, object_id)
    stripe.Webhook.construct_event(payload, signature, inbox.secret)
    return parse_subscription_event(parse_event(payload))


def quiet_about(inbox: Inbox, object_id: str, last_expected: str) -> list[str]:
    """The event types about `object_id` once `last_expected` (scheduled last) was delivered."""
    inbox.wait_for(last_expected, object_id)
    time.sleep(0.5)
    return inbox.types_about(object_id)


def one_interval_later(start: datetime, interval: str) -> datetime:
    if interval == "year":
        return start.replace(year=start.year + 1)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month,
                         day=min(start.day, calendar.monthrange(year, month)[1]))


# --- plans, customers, cards ------------------------------------------------------------------


def test_the_same_price_finds_the_same_plan_and_a_new_price_makes_another(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient) -> None:
    first = monthly(gateway)
    again = monthly(gateway)
    dearer = gateway.ensure_product_and_plan(key="lounge", name="Practitioner's Lounge",
                                             amount=3_000, currency="usd", interval="month")

    assert first == again == "cohort_lounge_2500_usd_month"
    assert dearer == "cohort_lounge_3000_usd_month"
    plan = stripe_client.v1.plans.retrieve(dearer)
    assert (plan.amount, plan.currency, plan.interval, plan.product) == (
        3_000, "usd", "month", "cohort_lounge")


@pytest.mark.parametrize("bad", [{"amount": 0}, {"amount": 12.5}, {"interval": "week"},
                                 {"currency": "dollars"}, {"key": "no spaces"}])
def test_a_plan_needs_a_positive_whole_amount_a_month_or_year_and_a_currency(
        gateway: SubscriptionGateway, bad: dict) -> None:
    arguments = {"key": "lounge", "name": "Lounge", "amount": 2_500, "currency": "USD",
                 "interval": "month", **bad}
    with pytest.raises(ValueError, match=r"\S"):
        gateway.ensure_product_and_plan(**arguments)


def test_a_known_customer_is_kept_and_one_stripe_no_longer_has_is_replaced(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient) -> None:
    known = customer(gateway, stripe_client, card=None)
    kept = gateway.ensure_customer(email="ada@example.org", name="Ada", metadata={},
                                   idempotency_key="unused", existing_id=known)
    replaced = gateway.ensure_customer(email="ada@example.org", name="Ada", metadata={"a": "1"},
                                       idempotency_key=uuid.uuid4().hex,
                                       existing_id="cus_gone")

    assert kept == known
    assert replaced.startswith("cus_") and replaced != known
    assert stripe_client.v1.customers.retrieve(replaced).metadata.to_dict() == {"a": "1"}


def test_a_new_card_becomes_the_default_and_the_old_one_is_detached_on_request(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient) -> None:
    owner = customer(gateway, stripe_client, card=None)
    first = payment_method(stripe_client, VISA)
    second = payment_method(stripe_client, VISA)

    assert gateway.attach_payment_method(owner, first) is None
    assert gateway.attach_payment_method(owner, second, detach_previous=True) == first

    settings = stripe_client.v1.customers.retrieve(owner).invoice_settings
    assert settings.default_payment_method == second
    assert stripe_client.v1.payment_methods.retrieve(first).customer is None
    assert stripe_client.v1.payment_methods.retrieve(second).customer == owner


def test_a_card_refused_on_attaching_is_a_card_declined_error(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient) -> None:
    owner = customer(gateway, stripe_client, card=None)

    with pytest.raises(CardDeclined, match="declined"):
        gateway.attach_payment_method(owner, payment_method(stripe_client, "4000000000000002"))


# --- subscribing --------------------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "amount"), [("month", LOUNGE_MONTHLY),
                                                  ("year", LOUNGE_YEARLY)])
def test_subscribing_charges_the_first_period_and_it_lasts_one_interval(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient, inbox: Inbox,
        interval: str, amount: int) -> None:
    plan = gateway.ensure_product_and_plan(key="lounge", name="Practitioner's Lounge",
                                           amount=amount, currency="USD", interval=interval)
    sub = subscribe(gateway, customer(gateway, stripe_client), plan)

    assert (sub.status, sub.plan_id, sub.metadata) == ("active", plan, {"membership": "42"})
    assert sub.current_period_start.tzinfo is not None
    assert sub.current_period_end == one_interval_later(sub.current_period_start, interval)
    invoice = sub.latest_invoice
    assert invoice is not None and invoice.id == sub.latest_invoice_id
    assert (invoice.status, invoice.amount_due, invoice.amount_paid, invoice.currency) == (
        "paid", amount, amount, "USD")
    assert (invoice.period_start, invoice.period_end) == (sub.current_period_start,
                                                          sub.current_period_end)
    assert invoice.payment is not None and invoice.payment.status == "succeeded"

    event = received(inbox, INVOICE_PAID, invoice.id)
    assert (event.subscription_id, event.amount_paid, event.currency) == (sub.id, amount, "USD")
    assert (event.period_start, event.period_end) == (sub.current_period_start,
                                                      sub.current_period_end)
    assert event.payment_intent_id == invoice.payment_intent_id
    assert event.billing_reason is None  # localstripe never fills it; real Stripe does
    assert gateway.read_subscription(sub.id) == sub


def test_localstripe_ignores_the_idempotency_key_so_a_repeated_create_subscribes_twice(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient) -> None:
    """Real Stripe answers the first subscription again; against localstripe only our own lock
    (one membership row per person and plan) can keep concurrent requests to one subscription."""
    owner = customer(gateway, stripe_client)
    key = f"membership-43-{uuid.uuid4().hex}"
    first, second = (gateway.create_subscription(customer_id=owner, plan_id=monthly(gateway),
                                                 metadata={}, idempotency_key=key)
                     for _ in range(2))

    assert first.id != second.id


def test_a_stripe_js_card_token_pays_the_subscription_three_d_secure_included(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient,
        localstripe: LocalStripe) -> None:
    plain_card, secured = (customer(gateway, stripe_client, card=None) for _ in range(2))
    for owner, number in ((plain_card, VISA), (secured, THREE_D_SECURE)):
        assert gateway.attach_card_token(owner, card_token(localstripe, number)).startswith(
            "card_")

    paid = subscribe(gateway, plain_card, monthly(gateway))
    waiting = subscribe(gateway, secured, monthly(gateway))
    payment = waiting.latest_invoice.payment
    authenticate(localstripe, payment.id, payment.client_secret, success=True)

    assert (paid.status, paid.latest_invoice.status) == ("active", "paid")
    assert (waiting.status, payment.needs_action) == ("incomplete", True)
    assert gateway.read_subscription(waiting.id).status == "active"


def test_three_d_secure_waits_for_the_cardholder_then_activates_with_a_signed_webhook(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient,
        localstripe: LocalStripe, inbox: Inbox) -> None:
    sub = subscribe(gateway, customer(gateway, stripe_client, THREE_D_SECURE), monthly(gateway))

    payment = sub.latest_invoice.payment
    assert (sub.status, sub.latest_invoice.status) == ("incomplete", "open")
    assert payment.needs_action and payment.client_secret.startswith(f"{payment.id}_secret_")

    authenticate(localstripe, payment.id, payment.client_secret, success=True)

    after = gateway.read_subscription(sub.id)
    assert (after.status, after.latest_invoice.status) == ("active", "paid")
    assert after.latest_invoice.payment.status == "succeeded"
    event = received(inbox, INVOICE_PAID, sub.latest_invoice.id)
    assert (event.subscription_id, event.amount_paid) == (sub.id, LOUNGE_MONTHLY)


def test_failed_three_d_secure_cancels_the_subscription_with_a_payment_failed_webhook(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient,
        localstripe: LocalStripe, inbox: Inbox) -> None:
    sub = subscribe(gateway, customer(gateway, stripe_client, THREE_D_SECURE), monthly(gateway))
    payment = sub.latest_invoice.payment

    authenticate(localstripe, payment.id, payment.client_secret, success=False)

    failed = received(inbox, INVOICE_FAILED, sub.latest_invoice.id)
    assert (failed.subscription_id, failed.amount_paid, failed.amount_due) == (
        sub.id, 0, LOUNGE_MONTHLY)
    deleted = received(inbox, SUBSCRIPTION_DELETED, sub.id)
    assert deleted.subscription_status == "canceled"
    after = gateway.read_subscription(sub.id)
    assert after.status == "canceled"
    assert after.latest_invoice.payment.decline_code == "payment_intent_authentication_failure"
    assert INVOICE_PAID not in inbox.types_about(sub.latest_invoice.id)


def test_a_declined_card_leaves_the_subscription_incomplete_and_sends_nothing_that_grants_access(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient, inbox: Inbox) -> None:
    sub = subscribe(gateway, customer(gateway, stripe_client, DECLINED), monthly(gateway))

    invoice = sub.latest_invoice
    assert (sub.status, invoice.status, invoice.amount_paid) == ("incomplete", "open", 0)
    assert invoice.payment.status == "requires_payment_method"
    assert (invoice.payment.decline_code, invoice.payment.decline_message) == (
        "card_declined", "Your card was declined.")
    assert quiet_about(inbox, sub.id, "customer.subscription.created") == [
        "customer.subscription.created"]
    assert inbox.types_about(invoice.id) == ["invoice.created"]  # no paid, no failed either
    assert inbox.types_about(invoice.payment_intent_id) == []


def test_an_open_first_invoice_is_paid_once_a_good_card_replaces_the_declined_one(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient) -> None:
    owner = customer(gateway, stripe_client, DECLINED)
    sub = subscribe(gateway, owner, monthly(gateway))

    gateway.attach_payment_method(owner, payment_method(stripe_client, VISA),
                                  detach_previous=True)
    paid = gateway.pay_invoice(sub.latest_invoice.id)

    assert paid.paid and paid.amount_paid == LOUNGE_MONTHLY
    assert gateway.read_subscription(sub.id).status == "active"
    assert gateway.pay_invoice(paid.id) == gateway.retrieve_invoice(paid.id)  # paid: no charge


def test_a_credit_comes_off_the_next_subscriptions_first_invoice_to_the_cent(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient, inbox: Inbox) -> None:
    owner = customer(gateway, stripe_client)
    pro = gateway.ensure_product_and_plan(key="pro", name="PRO Lounge", amount=5_000,
                                          currency="USD", interval="month")
    gateway.add_credit(customer_id=owner, amount=1_234, currency="USD",
                       description="Unused days of the Practitioner's Lounge",
                       metadata={"membership": "41"}, idempotency_key=uuid.uuid4().hex)

    sub = subscribe(gateway, owner, pro)

    invoice = sub.latest_invoice
    assert (invoice.amount_due, invoice.amount_paid, invoice.status) == (3_766, 3_766, "paid")
    assert (invoice.period_start, invoice.period_end) == (sub.current_period_start,
                                                          sub.current_period_end)
    event = received(inbox, INVOICE_PAID, invoice.id)
    assert (event.amount_paid, event.period_end) == (3_766, sub.current_period_end)
    renewal = renew(stripe_client, sub.id)
    assert gateway.retrieve_invoice(renewal).amount_paid == 5_000  # the credit was used once


# --- time passing: renewals, failures, cancelling ---------------------------------------------


def test_a_renewal_paid_sends_a_signed_payment_succeeded_that_parses(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient, inbox: Inbox) -> None:
    sub = subscribe(gateway, customer(gateway, stripe_client), monthly(gateway))

    invoice_id = renew(stripe_client, sub.id)

    event = received(inbox, INVOICE_PAID, invoice_id)
    assert invoice_id != sub.latest_invoice_id
    assert (event.kind, event.subscription_id, event.invoice_status) == (
        INVOICE_PAID, sub.id, "paid")
    assert (event.amount_paid, event.currency, event.decline_message) == (
        LOUNGE_MONTHLY, "USD", None)
    assert event.payment_intent_id is not None
    # localstripe's periods never move: the renewal line repeats the current period.
    assert (event.period_start, event.period_end) == (sub.current_period_start,
                                                      sub.current_period_end)
    after = gateway.read_subscription(sub.id)
    assert (after.status, after.latest_invoice_id) == ("active", invoice_id)
    assert after.current_period_end == sub.current_period_end


def test_a_renewal_declined_after_three_d_secure_sends_payment_failed_and_makes_it_past_due(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient,
        localstripe: LocalStripe, inbox: Inbox) -> None:
    sub = subscribe(gateway, customer(gateway, stripe_client), monthly(gateway))

    invoice_id = fail_renewal(stripe_client, localstripe, sub.id)

    event = received(inbox, INVOICE_FAILED, invoice_id)
    assert (event.subscription_id, event.invoice_status, event.amount_paid) == (
        sub.id, "open", 0)
    assert (event.decline_code, event.decline_message) == ("card_declined",
                                                           "Your card was declined.")
    assert gateway.read_subscription(sub.id).status == "past_due"
    invoice = gateway.retrieve_invoice(invoice_id)
    assert (invoice.paid, invoice.payment.decline_code) == (False, "card_declined")


def test_a_renewal_charged_to_the_0341_card_is_declined_silently(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient,
        localstripe: LocalStripe, inbox: Inbox) -> None:
    sub = subscribe(gateway, customer(gateway, stripe_client), monthly(gateway))

    invoice_id = fail_renewal(stripe_client, localstripe, sub.id, card=DECLINED)

    invoice = gateway.retrieve_invoice(invoice_id)
    assert (invoice.status, invoice.amount_due, invoice.amount_paid) == (
        "open", LOUNGE_MONTHLY, 0)
    assert invoice.payment.decline_message == "Your card was declined."
    assert gateway.read_subscription(sub.id).status == "active"
    # Only the draft's creation is announced: no payment_failed (real Stripe would send one).
    inbox.wait_for("invoice.created", invoice_id)
    time.sleep(1.5)
    assert inbox.types_about(invoice_id) == ["invoice.created"]


def test_cancelling_now_ends_the_subscription_with_a_signed_deleted_webhook(
        gateway: SubscriptionGateway, stripe_client: stripe.StripeClient, inbox: Inbox) -> None:
    sub = subscribe(gateway, customer(gateway, stripe_client), monthly(gateway))

    ended = gateway.cancel_subscription_now(sub.id)

    assert ended.status == "canceled" and ended.ended_at is not None
    event = received(inbox, SUBSCRIPTION_DELETED, sub.id)
    assert (event.subscription_status, event.ended_at, event.metadata) == (
        "canceled", ended.ended_at, {"membership": "42"})
    assert gateway.cancel_subscription_now(sub.id).ended_at == ended.ended_at  # no second DELETE


def test_the_applications_subscription_gateway_uses_its_stripe_or_says_it_is_not_set_up(
        app: Flask, localstripe: LocalStripe) -> None:
    app.extensions["cohort.stripe"] = None
    with pytest.raises(PaymentProviderError, match="STRIPE_SECRET_KEY"):
        subscription_gateway()

    app.config.update(STRIPE_SECRET_KEY=localstripe.api_key, STRIPE_API_BASE=localstripe.url)
    payments_setup.init_app(app)

    assert subscription_gateway().client is app.extensions["cohort.stripe"].client
    assert monthly(subscription_gateway()) == "cohort_lounge_2500_usd_month"
