"""Saving a new card for a Stripe customer: SetupIntents (3-D Secure on saving) and card details.

Stripe.js `confirmCardSetup` collects the card into a SetupIntent made here (and runs 3-D Secure
when the bank asks); the service then reads which PaymentMethod it made and what it shows of the
card (brand, last four, expiry), and hands it to `SubscriptionGateway.attach_payment_method`.
localstripe does both the same way (its SetupIntents make PaymentMethods, not tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cohort.payments.gateway import PaymentProviderError, StripeGateway, plain, stripe_gateway


@dataclass(frozen=True)
class CardSetup:
    """A SetupIntent as the card page uses it."""

    id: str
    status: str  # requires_payment_method, requires_action, succeeded, canceled, …
    client_secret: str
    customer_id: str | None
    payment_method_id: str | None


@dataclass(frozen=True)
class CardShown:
    """What a member sees of a card: nothing that could charge it."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int


def _setup(found: dict[str, Any]) -> CardSetup:
    method = found.get("payment_method")
    if isinstance(method, dict):
        method = method.get("id")
    customer = found.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    return CardSetup(id=str(found["id"]), status=str(found.get("status")),
                     client_secret=str(found.get("client_secret") or ""),
                     customer_id=customer if isinstance(customer, str) else None,
                     payment_method_id=method if isinstance(method, str) else None)


class CardSetupGateway:
    """SetupIntents and PaymentMethod details; errors become `ServiceError`s with words."""

    def __init__(self, gateway: StripeGateway) -> None:
        self.gateway = gateway
        self.client = gateway.client

    def _call(self, action: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return plain(self.gateway._call(action, fn, *args, **kwargs))

    def start(self, customer_id: str, *, metadata: dict[str, str]) -> CardSetup:
        """A SetupIntent for a card to be charged later (off session) for this customer."""
        return _setup(self._call("prepare the card form", self.client.v1.setup_intents.create,
                                 params={"customer": customer_id, "usage": "off_session",
                                         "payment_method_types": ["card"],
                                         "metadata": metadata}))

    def read(self, setup_intent_id: str) -> CardSetup:
        """The SetupIntent as Stripe knows it now."""
        return _setup(self._call("look up the card", self.client.v1.setup_intents.retrieve,
                                 setup_intent_id))

    def card(self, payment_method_id: str) -> CardShown:
        """Brand, last four digits and expiry of a card PaymentMethod."""
        found = self._call("look up the card", self.client.v1.payment_methods.retrieve,
                           payment_method_id)
        card = found.get("card") or {}
        try:
            return CardShown(brand=str(card["brand"])[:20], last4=str(card["last4"])[-4:],
                             exp_month=int(card["exp_month"]), exp_year=int(card["exp_year"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise PaymentProviderError("The payment provider did not say which card this is, "
                                       "so nothing was changed.") from exc


def card_setup_gateway() -> CardSetupGateway:
    """The application's card-setup gateway; a clear error when Stripe is not configured."""
    return CardSetupGateway(stripe_gateway())
