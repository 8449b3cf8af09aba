"""The one place that talks to Stripe (or to localstripe, its stand-in in development and tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app

from cohort.errors import ServiceError


class PaymentProviderError(ServiceError):
    """Stripe could not be reached or refused the request; nothing was changed on our side."""

    status_code = 502


class CardDeclined(ServiceError):
    """The card was refused; the message is the bank's reason."""

    status_code = 402


@dataclass(frozen=True)
class Intent:
    """What we need to know of a PaymentIntent."""

    id: str
    status: str
    amount: int
    currency: str
    client_secret: str
    metadata: dict[str, str]


def plain(obj: Any) -> Any:
    """A Stripe object as plain dicts and lists."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _intent(obj: Any) -> Intent:
    obj = plain(obj)
    return Intent(id=obj["id"], status=obj["status"], amount=int(obj["amount"]),
                  currency=str(obj["currency"]).upper(), client_secret=obj["client_secret"],
                  metadata=dict(obj.get("metadata") or {}))


class StripeGateway:
    """PaymentIntents and refunds; every error becomes a `ServiceError` with words."""

    def __init__(self, secret_key: str, api_base: str = "") -> None:
        addresses = {"api": api_base} if api_base else {}
        self.client = stripe.StripeClient(secret_key, base_addresses=addresses,
                                          max_network_retries=1)

    def _call(self, action: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or "Your card was declined.") from exc
        except stripe.StripeError as exc:
            raise PaymentProviderError(
                f"The payment provider could not {action} just now, so nothing was changed. "
                "Please try again in a minute.") from exc

    def create_intent(self, *, amount: int, currency: str, metadata: dict[str, str],
                      idempotency_key: str) -> Intent:
        """A PaymentIntent for exactly `amount` (the amount never comes from the browser)."""
        obj = self._call(
            "start the payment", self.client.v1.payment_intents.create,
            params={"amount": amount, "currency": currency.lower(), "metadata": metadata,
                    "payment_method_types": ["card"]},
            options={"idempotency_key": idempotency_key})
        return _intent(obj)

    def retrieve_intent(self, intent_id: str) -> Intent:
        """The PaymentIntent as Stripe knows it now."""
        return _intent(self._call("look up the payment",
                                  self.client.v1.payment_intents.retrieve, intent_id))

    def pay_with_card_token(self, intent_id: str, token: str) -> Intent:
        """Attach the card Stripe.js tokenised (we never see its number) and confirm.

        The token's card id serves as the PaymentIntent's payment method: Stripe accepts card
        ids there, and localstripe's fake Stripe.js can make tokens but not PaymentMethods.
        """
        card = plain(self._call("read the card", self.client.v1.tokens.retrieve, token))["card"]
        self._call("attach the card", self.client.v1.payment_intents.update, intent_id,
                   params={"payment_method": card["id"]})
        return _intent(self._call("charge the card", self.client.v1.payment_intents.confirm,
                                  intent_id))

    def cancel_intent(self, intent_id: str) -> None:
        """Cancel a PaymentIntent no longer wanted, so that its card can no longer be charged."""
        self._call("cancel the payment", self.client.v1.payment_intents.cancel, intent_id)

    def refund(self, *, intent_id: str, amount: int, idempotency_key: str,
               metadata: dict[str, str]) -> tuple[str, str]:
        """Refund `amount` of a PaymentIntent; returns (refund id, status)."""
        obj = self._call("make the refund", self.client.v1.refunds.create,
                         params={"payment_intent": intent_id, "amount": amount,
                                 "metadata": metadata},
                         options={"idempotency_key": idempotency_key})
        return obj["id"], obj["status"]


def stripe_gateway() -> StripeGateway:
    """The application's gateway; a clear error when Stripe is not configured."""
    gateway = current_app.extensions.get("cohort.stripe")
    if gateway is None:
        raise PaymentProviderError("Card payments are not set up on this service "
                                   "(STRIPE_SECRET_KEY is empty).")
    return gateway
