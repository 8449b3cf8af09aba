"""A Lounge member subscribed on localstripe, and a renewal that fails, for the dunning tests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import stripe
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cohort.payments import setup as payments_setup
from cohort.payments.card_setup import card_setup_gateway
from cohort.payments.subscription_events import INVOICE_FAILED, parse_subscription_event
from cohort.payments.subscriptions import subscription_gateway
from cohort.services.card_update import remember_card
from cohort.services.subscription_payments import handle_subscription_event
from tests.localstripe_server import LocalStripe
from tests.membership_factories import TEST_PRICES, make_community, make_membership
from tests.subscription_helpers import VISA, payment_method

CARD_LINK = re.compile(r"http://cohort\.test(/hub/card/[A-Za-z0-9_.\-]+)")


def use_localstripe(app: Flask, localstripe: LocalStripe) -> stripe.StripeClient:
    """Point the application's Stripe at localstripe (no webhooks: these tests stand in)."""
    app.config.update(STRIPE_SECRET_KEY=localstripe.api_key,
                      STRIPE_PUBLISHABLE_KEY=localstripe.publishable_key,
                      STRIPE_API_BASE=localstripe.url, STRIPE_JS_URL=localstripe.js_url)
    payments_setup.init_app(app)
    return localstripe.client()


@dataclass
class Subscribed:
    """A Lounge member paying monthly by card at Stripe."""

    membership_id: int
    customer_id: str
    subscription_id: str


def subscribed_member(session: Session, client: stripe.StripeClient, *, paid_through: datetime,
                      **community: object) -> Subscribed:
    """An active monthly Lounge membership with a live subscription and a Visa on file."""
    place = make_community(session, **community)
    membership = make_membership(session, place, "lounge", state="active",
                                 started_at=paid_through - timedelta(days=31),
                                 paid_through=paid_through)
    gateway = subscription_gateway()
    amount = TEST_PRICES[("lounge", "month")]
    plan = gateway.ensure_product_and_plan(key=f"lounge-{uuid.uuid4().hex[:10]}",
                                           name="Practitioner's Lounge", amount=amount,
                                           currency="USD", interval="month")
    customer = gateway.ensure_customer(email=membership.person.email, name="Mia Member",
                                       metadata={"account": str(membership.account_id)},
                                       idempotency_key=uuid.uuid4().hex)
    card = payment_method(client, VISA)
    gateway.attach_payment_method(customer, card)
    sub = gateway.create_subscription(customer_id=customer, plan_id=plan,
                                      metadata={"membership": str(membership.id)},
                                      idempotency_key=uuid.uuid4().hex)
    assert sub.status == "active", sub
    membership.account.stripe_customer_id = customer
    remember_card(membership.account, card_setup_gateway().card(card))
    membership.stripe_subscription_id = sub.id
    membership.last_invoice_id = sub.latest_invoice_id  # as its activation recorded
    session.commit()
    return Subscribed(membership.id, customer, sub.id)


def stand_in_for_failed_webhook(session: Session, client: stripe.StripeClient,
                                invoice_id: str, now: datetime) -> str:
    """Handle `invoice.payment_failed` for the invoice as Stripe would send it (localstripe sends
    none for a silent decline): the same parser and handler as the signed webhook."""
    invoice = client.v1.invoices.retrieve(invoice_id, params={"expand": ["payment_intent"]})
    event = parse_subscription_event({"id": f"evt_{uuid.uuid4().hex}",
                                      "type": INVOICE_FAILED,
                                      "data": {"object": invoice.to_dict()}})
    outcome = handle_subscription_event(session, event, now)
    session.commit()
    return outcome


def page_csrf(client: FlaskClient, path: str) -> str:
    """Open the card page as the browser does; the CSRF token its script sends."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    found = re.search(r'data-csrf="([^"]+)"', page.get_data(as_text=True))
    assert found, "the card form carries a CSRF token"
    return found.group(1)


def confirm_setup(client: FlaskClient, stripe_client: stripe.StripeClient, path: str, csrf: str,
                  number: str = VISA) -> str:
    """Start the card setup and confirm it with `number`, as Stripe.js confirmCardSetup does."""
    started = client.post(f"{path}/setup", json={}, headers={"X-CSRFToken": csrf})
    assert started.status_code == 200, started.get_data(as_text=True)
    setup_id = started.get_json()["client_secret"].split("_secret_")[0]
    stripe_client.v1.setup_intents.confirm(
        setup_id, params={"payment_method": payment_method(stripe_client, number)})
    return setup_id
