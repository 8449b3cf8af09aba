"""Standing in for Stripe's clock with localstripe, which never renews a subscription by itself.

Real Stripe makes and charges the renewal invoice at the end of each period and sends
`invoice.payment_succeeded` or `invoice.payment_failed`. Here a test does it through the same
API: `renew` creates the next invoice of the subscription and pays it, which makes localstripe
send the same signed webhook; `fail_renewal` does it with a card that fails.

Measured on localstripe 1.15.10 (pinned by tests/test_subscription_gateway.py):

- `invoices.create(customer, subscription)` bills the plan's amount once (a line of type
  `subscription`), dated the current period's end, but the line's period is the subscription's
  CURRENT period, not the next one: localstripe's periods never move (real Stripe's renewal line
  covers the new period). `billing_reason` is always null.
- `invoices.pay` with the declining card 4000 0000 0000 0341: no error (HTTP 200), the invoice
  stays `open`, its PaymentIntent is `requires_payment_method` with last_payment_error
  `card_declined` / "Your card was declined.", the subscription stays `active`, and NO webhook is
  sent (neither `invoice.payment_failed` nor `payment_intent.payment_failed`).
- A renewal that fails after 3-D Secure does send the signed `invoice.payment_failed` (and makes
  the subscription `past_due`): with 4000 0082 6000 3178 (authentication passes, then the bank
  declines; the webhook's invoice carries the failed charge, "Your card was declined.") or with
  4000 0025 0000 3155 and authentication failed. `fail_renewal` uses the first by default.
"""

from __future__ import annotations

import stripe

from cohort.payments.subscription_shapes import invoice_payment_intent_id
from tests.localstripe_server import LocalStripe

VISA = "4242424242424242"
THREE_D_SECURE = "4000002500003155"
DECLINED = "4000000000000341"  # attaches, every charge is declined, silently for invoices
THREE_D_SECURE_THEN_DECLINED = "4000008260003178"


def payment_method(client: stripe.StripeClient, number: str = VISA) -> str:
    """A card PaymentMethod id, as Stripe.js would make from the card number."""
    method = client.v1.payment_methods.create(params={
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    })
    return method.id


def authenticate(localstripe: LocalStripe, payment_intent_id: str, client_secret: str, *,
                 success: bool = True) -> dict:
    """Pass (or fail) 3-D Secure as Stripe.js `confirmCardPayment` does; the intent's JSON.

    POST /v1/payment_intents/{id}/_authenticate?success=true|false with the publishable key and
    the client secret. A card declined after authentication answers 402 with the error.
    """
    status, body = localstripe.authenticate(payment_intent_id, client_secret, success=success)
    assert status in (200, 402), (status, body)
    return body


def set_default_card(client: stripe.StripeClient, customer_id: str, number: str) -> str:
    """Attach a new card to the customer and make it the default for invoices; its id."""
    method = payment_method(client, number)
    client.v1.payment_methods.attach(method, params={"customer": customer_id})
    client.v1.customers.update(customer_id, params={
        "invoice_settings": {"default_payment_method": method}})
    return method


def _renewal_invoice(client: stripe.StripeClient, subscription_id: str) -> stripe.Invoice:
    customer = client.v1.subscriptions.retrieve(subscription_id).customer
    return client.v1.invoices.create(params={"customer": customer,
                                             "subscription": subscription_id})


def renew(client: stripe.StripeClient, subscription_id: str) -> str:
    """Charge the subscription's next invoice to the default card, as Stripe does at period end.

    localstripe then sends the signed `invoice.payment_succeeded` about the returned invoice id
    (about a second later). The subscription's period does not move (see the module note).
    """
    invoice = _renewal_invoice(client, subscription_id)
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid", paid
    return invoice.id


def fail_renewal(client: stripe.StripeClient, localstripe: LocalStripe, subscription_id: str,
                 *, card: str = THREE_D_SECURE_THEN_DECLINED) -> str:
    """A renewal whose charge fails with `card` (made the default first); the invoice id.

    - THREE_D_SECURE_THEN_DECLINED (default): 3-D Secure passes, the bank declines: the signed
      `invoice.payment_failed` is sent and the subscription becomes `past_due`;
    - THREE_D_SECURE: 3-D Secure is failed: the same webhook and `past_due`;
    - DECLINED (0341): the charge is declined silently: no webhook, the subscription stays
      `active`, the invoice `open` (what localstripe does; real Stripe would send the webhook).
    """
    customer = client.v1.subscriptions.retrieve(subscription_id).customer
    set_default_card(client, customer, card)
    invoice = _renewal_invoice(client, subscription_id)
    attempted = client.v1.invoices.pay(invoice.id)
    assert attempted.status == "open", attempted
    intent = client.v1.payment_intents.retrieve(invoice_payment_intent_id(attempted.to_dict()))
    if intent.status == "requires_action":
        authenticate(localstripe, intent.id, intent.client_secret,
                     success=card != THREE_D_SECURE)
    return invoice.id
