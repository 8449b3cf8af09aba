"""Driving registration and card payments as the browser does, against localstripe."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import stripe
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import csrf_token
from tests.localstripe_server import LocalStripe

VISA = "4242424242424242"
THREE_D_SECURE = "4000002500003155"
DECLINED = "4000000000000341"


def register(client: FlaskClient, token: str, **overrides: str):
    """Fill in and send the registration form."""
    url = f"/a/{token}/register"
    data = {"csrf_token": csrf_token(client, url), "billing_name": "Ada Lovelace",
            "organisation": "Engines Ltd", "address": "1 Harbour St\nSydney NSW 2000",
            "country": "US", "tax_id": "", "policy_version": "1", "agree_policy": "y",
            "agree_terms": "y"}
    data.update(overrides)
    return client.post(url, data=data)


def open_payment_page(client: FlaskClient, token: str, purpose: str) -> dict[str, str]:
    """GET the card page, then start the payment as its script does; return the URLs to use."""
    page = client.get(f"/a/{token}/pay/{purpose}")
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    html = page.get_data(as_text=True)
    found = dict(re.findall(r'data-(start-url|csrf|publishable-key)="([^"]+)"', html))
    assert set(found) == {"start-url", "csrf", "publishable-key"}, found
    started = client.post(found["start-url"], json={}, headers={"X-CSRFToken": found["csrf"]})
    assert started.status_code == 200, started.get_data(as_text=True)
    body = started.get_json()
    return {**found, "card-url": body["card_url"], "done-url": body["done_url"],
            "payment-id": str(body["payment_id"])}


def finish_payment(client: FlaskClient, form: dict[str, str]) -> dict[str, Any]:
    """What the script does after Stripe.js: ask the server to check with Stripe."""
    response = client.post(form["done-url"], json={}, headers={"X-CSRFToken": form["csrf"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def card_token(localstripe: LocalStripe, number: str = VISA) -> str:
    """A card token made as Stripe.js does: POST /v1/tokens with the publishable key."""
    body = urllib.parse.urlencode({
        "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2030",
        "card[cvc]": "123", "key": localstripe.publishable_key,
    }).encode()
    request = urllib.request.Request(f"{localstripe.url}/v1/tokens", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["id"]


def pay_by_card(client: FlaskClient, localstripe: LocalStripe, token: str, purpose: str,
                number: str = VISA) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The card page's JavaScript: tokenise, send the token, return (status, JSON, form data)."""
    form = open_payment_page(client, token, purpose)
    response = client.post(form["card-url"], json={"token": card_token(localstripe, number)},
                           headers={"X-CSRFToken": form["csrf"]})
    return response.status_code, response.get_json(), form


def wait_until(session: Session, check: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll the database until `check()` is true, holding no transaction between polls.

    (On SQLite a transaction holds the write lock, which the webhook's request needs.)
    """
    deadline = time.monotonic() + timeout
    while True:
        session.rollback()
        session.expire_all()
        done = check()
        session.rollback()
        if done:
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the webhook's effect")
        time.sleep(0.1)


def signed(event: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """An event body and its Stripe-Signature header, signed with stripe's own helper."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return payload.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def intent_event(event_id: str, intent: Any, event_type: str = "payment_intent.succeeded"
                 ) -> dict[str, Any]:
    """A Stripe event about a PaymentIntent as Stripe sends it."""
    return {"id": event_id, "object": "event", "type": event_type, "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": {"id": intent["id"], "object": "payment_intent",
                                "amount": intent["amount"], "currency": intent["currency"],
                                "status": "succeeded", "metadata": intent["metadata"].to_dict()}}}
