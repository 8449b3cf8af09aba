"""Receiving localstripe's signed webhooks in a test, without the application.

A tiny Flask app served by LiveServer keeps every delivery (raw body and Stripe-Signature);
`Inbox.wait_for` finds the one about an object. Used by the harness tests and the subscription
gateway tests (the application's own /stripe/webhook is the `stripe_live` fixture's job).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, request

from tests.live_server import LiveServer
from tests.localstripe_server import LocalStripe

WEBHOOK_WAIT = 10.0


class Inbox:
    """The webhook deliveries a tiny Flask app received at POST /hook."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.deliveries: list[tuple[bytes, str | None]] = []
        self._lock = threading.Lock()

    def receive(self, payload: bytes, signature: str | None) -> None:
        with self._lock:
            self.deliveries.append((payload, signature))

    def types_about(self, object_id: str) -> list[str]:
        """The event types delivered so far about `object_id`, in order of arrival."""
        with self._lock:
            deliveries = list(self.deliveries)
        events = [json.loads(payload) for payload, _ in deliveries]
        return [event["type"] for event in events
                if event["data"]["object"].get("id") == object_id]

    def wait_for(self, event_type: str, object_id: str,
                 timeout: float = WEBHOOK_WAIT) -> tuple[bytes, str | None]:
        """The raw body and Stripe-Signature of the `event_type` delivery about `object_id`.

        Deliveries about other objects are passed over: localstripe posts each event about a
        second after it happens, to whichever URL is registered by then, so a delivery caused by
        an earlier test may arrive here.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                deliveries = list(self.deliveries)
            for payload, signature in deliveries:
                event = json.loads(payload)
                if event["type"] == event_type and event["data"]["object"]["id"] == object_id:
                    return payload, signature
            if time.monotonic() >= deadline:
                seen = [json.loads(payload)["type"] for payload, _ in deliveries]
                raise AssertionError(f"no {event_type} about {object_id} within {timeout} s; "
                                     f"received {seen}")
            time.sleep(0.05)


def receiver_app(inbox: Inbox) -> Flask:
    """A tiny Flask app: POST /hook keeps the raw body and the Stripe-Signature header."""
    app = Flask("webhook-receiver")

    @app.post("/hook")
    def hook() -> tuple[str, int]:
        inbox.receive(request.get_data(), request.headers.get("Stripe-Signature"))
        return "", 200

    return app


@contextmanager
def listening(localstripe: LocalStripe) -> Iterator[Inbox]:
    """localstripe's webhooks, delivered over HTTP to a receiver app, for the `with` block."""
    received = Inbox(secret=f"whsec_{uuid.uuid4().hex}")
    with LiveServer(receiver_app(received)) as server:
        localstripe.register_webhook(f"{server.url}/hook", received.secret)
        yield received
