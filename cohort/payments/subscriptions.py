"""Stripe subscriptions: products and plans, customers, cards, subscriptions and their invoices.

The membership services' only door to Stripe's recurring billing. It uses the client, the error
wrapping and the settings of `StripeGateway` (so localstripe stands in through `api_base`) and
answers small frozen records (`subscription_shapes`), never Stripe objects.

Stripe itself in both API shapes: localstripe has Plans but no Prices, so prices are Plans; it
answers in the shapes of before API 2025-03-31, real Stripe (at the version the client pins) in
the newer ones, and every answer is read by the readers that accept both. For that reason a
subscription is created with only `latest_invoice` expanded (`latest_invoice.payment_intent` is
refused by the newer API, `latest_invoice.payments` by localstripe); the PaymentIntent is then
read by id (old shape) or through the invoice's payments (new shape).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import stripe

from cohort.payments.gateway import PaymentProviderError, StripeGateway, plain, stripe_gateway
from cohort.payments.subscription_shapes import (
    CURRENCY,
    InvoiceInfo,
    SubscriptionInfo,
    UnreadableShape,
    invoice_info,
    invoice_payment_intent_ref,
    subscription_info,
)

INTERVALS = ("month", "year")
KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")
ENDED = ("canceled", "incomplete_expired")


def _or_none_when_missing(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(...)`, or None when Stripe answers 404 (no such object)."""
    try:
        return fn(*args, **kwargs)
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            return None
        raise


class SubscriptionGateway:
    """Recurring billing on Stripe; every error becomes a `ServiceError` with words."""

    def __init__(self, gateway: StripeGateway) -> None:
        self.gateway = gateway
        self.client = gateway.client

    def _call(self, action: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return plain(self.gateway._call(action, fn, *args, **kwargs))

    def _read(self, reader: Callable[..., Any], *args: Any) -> Any:
        try:
            return reader(*args)
        except UnreadableShape as exc:
            raise PaymentProviderError(
                f"The payment provider answered in a shape we cannot read ({exc}), so nothing "
                "was changed on our side.") from exc

    # --- products, plans, customers, cards -----------------------------------------------------

    def ensure_product_and_plan(self, *, key: str, name: str, amount: int, currency: str,
                                interval: str, metadata: Mapping[str, str] | None = None) -> str:
        """The id of the Stripe Plan for exactly this price, made on first use (ids from `key`).

        The Product is `cohort_<key>`, the Plan `cohort_<key>_<amount>_<currency>_<interval>`: the
        same price always finds the same Plan, a new price makes a new one (Plans are immutable).
        """
        if not KEY.fullmatch(key):
            raise ValueError(f"a plan key is 1-60 letters, digits, '-' or '_': {key!r}")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"a plan's amount is a positive whole number of cents: {amount!r}")
        if interval not in INTERVALS or not CURRENCY.fullmatch(currency):
            raise ValueError(f"interval month|year and a 3-letter currency: {interval!r}, "
                             f"{currency!r}")
        tags = dict(metadata or {})
        product_id = f"cohort_{key}"
        plan_id = f"cohort_{key}_{amount}_{currency.lower()}_{interval}"
        self._retrieve_or_create(self.client.v1.products, product_id,
                                 {"id": product_id, "name": name, "metadata": tags})
        plan = self._retrieve_or_create(
            self.client.v1.plans, plan_id,
            {"id": plan_id, "product": product_id, "amount": amount,
             "currency": currency.lower(), "interval": interval, "metadata": tags})
        found = (plan.get("amount"), str(plan.get("currency")).lower(), plan.get("interval"),
                 plan.get("interval_count", 1))
        if found != (amount, currency.lower(), interval, 1):
            raise PaymentProviderError(f"The plan {plan_id} on the payment provider does not "
                                       f"charge {amount} {currency.upper()} per {interval}.")
        return plan_id

    def _retrieve_or_create(self, service: Any, object_id: str, params: dict[str, Any]
                            ) -> dict[str, Any]:
        found = self._call("look up the plan", _or_none_when_missing, service.retrieve, object_id)
        if found is not None:
            return found
        try:
            return plain(service.create(params=params))
        except stripe.StripeError:
            # Made at the same moment by another request (Stripe answers "already exists").
            found = self._call("look up the plan", _or_none_when_missing, service.retrieve,
                               object_id)
            if found is None:
                return self._call("set up the plan", service.create, params=params)
            return found

    def ensure_customer(self, *, email: str, name: str, metadata: Mapping[str, str],
                        idempotency_key: str, existing_id: str | None = None) -> str:
        """The Stripe customer id: `existing_id` while Stripe still has it, else a new customer."""
        if existing_id:
            found = self._call("look up the customer", _or_none_when_missing,
                               self.client.v1.customers.retrieve, existing_id)
            if found is not None and not found.get("deleted"):
                return existing_id
        created = self._call("register the customer", self.client.v1.customers.create,
                             params={"email": email, "name": name, "metadata": dict(metadata)},
                             options={"idempotency_key": idempotency_key})
        return str(created["id"])

    def attach_payment_method(self, customer_id: str, payment_method_id: str, *,
                              detach_previous: bool = False) -> str | None:
        """Attach a PaymentMethod and make it the customer's default for invoices.

        Answers the previous default PaymentMethod id (None if none or the same), detached when
        `detach_previous`. A card refused on attaching raises `CardDeclined`.
        """
        customer = self._call("look up the customer", self.client.v1.customers.retrieve,
                              customer_id)
        settings = customer.get("invoice_settings") or {}
        previous = settings.get("default_payment_method")
        previous = previous if isinstance(previous, str) else (previous or {}).get("id")
        self._call("save the card", self.client.v1.payment_methods.attach, payment_method_id,
                   params={"customer": customer_id})
        self._call("save the card", self.client.v1.customers.update, customer_id,
                   params={"invoice_settings": {"default_payment_method": payment_method_id}})
        if previous == payment_method_id:
            return None
        if previous and detach_previous:
            self._call("remove the old card", self.client.v1.payment_methods.detach, previous)
        return previous

    def attach_card_token(self, customer_id: str, token: str) -> str:
        """Save a Stripe.js card token as the customer's default card; answers the card id.

        For pages that tokenise (localstripe's Stripe.js makes tokens, not PaymentMethods): the
        card becomes the default source and any default PaymentMethod is unset, so that invoices
        charge this card.
        """
        card = self._call("save the card", self.client.v1.customers.payment_sources.create,
                          customer_id, params={"source": token})
        self._call("save the card", self.client.v1.customers.update, customer_id,
                   params={"default_source": card["id"],
                           "invoice_settings": {"default_payment_method": ""}})
        return str(card["id"])

    def add_credit(self, *, customer_id: str, amount: int, currency: str, description: str,
                   metadata: Mapping[str, str], idempotency_key: str) -> str:
        """Take `amount` cents off the customer's next invoice; answers the invoice item id.

        A pending negative invoice item: the next invoice made for the customer (e.g. the first
        invoice of a subscription created next) includes it, as Stripe and localstripe both do.
        The amount is ours to compute (localstripe's own proration is wrong).
        """
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"a credit is a positive whole number of cents: {amount!r}")
        if not CURRENCY.fullmatch(currency):
            raise ValueError(f"a credit needs a three-letter currency: {currency!r}")
        item = self._call("record the credit", self.client.v1.invoice_items.create,
                          params={"customer": customer_id, "amount": -amount,
                                  "currency": currency.lower(), "description": description,
                                  "metadata": dict(metadata)},
                          options={"idempotency_key": idempotency_key})
        return str(item["id"])

    # --- subscriptions and invoices --------------------------------------------------------------

    def create_subscription(self, *, customer_id: str, plan_id: str, metadata: Mapping[str, str],
                            idempotency_key: str) -> SubscriptionInfo:
        """Subscribe the customer (default card) to the plan; the first invoice is charged now.

        `status` is `active` when paid; `incomplete` with `latest_invoice.payment` in
        `requires_action` (3-D Secure: give its client_secret to Stripe.js confirmCardPayment)
        or `requires_payment_method` (declined: no error is raised, nothing was paid).
        """
        sub = self._call("start the subscription", self.client.v1.subscriptions.create,
                         params={"customer": customer_id, "items": [{"plan": plan_id}],
                                 "metadata": dict(metadata), "expand": ["latest_invoice"]},
                         options={"idempotency_key": idempotency_key})
        return self._subscription(sub)

    def read_subscription(self, subscription_id: str) -> SubscriptionInfo:
        """The subscription as Stripe knows it now, with its latest invoice and payment."""
        sub = self._call("look up the subscription", self.client.v1.subscriptions.retrieve,
                         subscription_id, params={"expand": ["latest_invoice"]})
        return self._subscription(sub)

    def cancel_subscription_now(self, subscription_id: str) -> SubscriptionInfo:
        """End the subscription at once (DELETE); one already ended is answered as it is."""
        sub = self._call("look up the subscription", self.client.v1.subscriptions.retrieve,
                         subscription_id)
        if sub.get("status") not in ENDED:
            sub = self._call("cancel the subscription", self.client.v1.subscriptions.cancel,
                             subscription_id)
        return self._read(subscription_info, sub)

    def retrieve_invoice(self, invoice_id: str) -> InvoiceInfo:
        """The invoice with its PaymentIntent (status, client secret, decline reason)."""
        return self._invoice(self._call("look up the invoice",
                                        self.client.v1.invoices.retrieve, invoice_id))

    def pay_invoice(self, invoice_id: str) -> InvoiceInfo:
        """Charge an open invoice to the customer's default card; a paid one is answered as is.

        A refusal is either `CardDeclined` (Stripe) or an answer whose `paid` is False and whose
        `payment.decline_message` says why (localstripe raises nothing).
        """
        current = self._call("look up the invoice", self.client.v1.invoices.retrieve, invoice_id)
        if current.get("status") not in ("paid", "void"):
            current = self._call("charge the invoice", self.client.v1.invoices.pay, invoice_id)
        return self._invoice(current)

    # --- reading answers -------------------------------------------------------------------------

    def _subscription(self, sub: dict[str, Any]) -> SubscriptionInfo:
        latest = sub.get("latest_invoice")
        invoice = self._invoice(latest) if isinstance(latest, dict) else None
        return self._read(subscription_info, sub, invoice)

    def _invoice(self, invoice: dict[str, Any]) -> InvoiceInfo:
        ref = self._read(invoice_payment_intent_ref, invoice)
        if isinstance(ref, str):
            ref = self._call("look up the payment", self.client.v1.payment_intents.retrieve, ref)
        elif ref is None and "payment_intent" not in invoice and invoice.get("status") != "draft":
            ref = self._payment_of_new_shape(str(invoice.get("id")))
        return self._read(invoice_info, invoice, ref)

    def _payment_of_new_shape(self, invoice_id: str) -> dict[str, Any] | None:
        """API 2025-03-31+: an invoice names its PaymentIntents only in its payments list."""
        listed = self._call("look up the payment", self.client.v1.invoice_payments.list,
                            params={"invoice": invoice_id,
                                    "expand": ["data.payment.payment_intent"]})
        ref = self._read(invoice_payment_intent_ref, {"payments": listed})
        if isinstance(ref, str):
            ref = self._call("look up the payment", self.client.v1.payment_intents.retrieve, ref)
        return ref if isinstance(ref, dict) else None


def subscription_gateway() -> SubscriptionGateway:
    """The application's subscription gateway; a clear error when Stripe is not configured."""
    return SubscriptionGateway(stripe_gateway())
