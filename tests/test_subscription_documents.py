"""Each paid subscription invoice becomes our own invoice and receipt, once, attached to the
e-mail about it: the first payment (in the request, then the webhook) and each renewal."""

from __future__ import annotations

from sqlalchemy import func, select

from cohort.models import Document, OutboxMessage, Payment, StripeEvent
from tests.conftest import WEBHOOK_SECRET
from tests.membership_factories import TEST_PRICES, make_community
from tests.payments_helpers import signed, wait_until
from tests.subscribe_helpers import membership_of, post_subscription, subscribe_url
from tests.subscription_helpers import renew


def _documents(session, account_id):
    session.rollback()
    return session.scalars(select(Document).where(Document.account_id == account_id)
                           .order_by(Document.id)).all()


def test_the_first_payment_and_a_renewal_each_make_one_invoice_and_one_receipt_attached(
        app, client, session, stripe_live, localstripe):
    community = make_community(session)
    session.commit()
    post_subscription(client, localstripe, subscribe_url(community))
    membership = membership_of(session, "mia@example.org")
    first_invoice, account_id = membership.last_invoice_id, membership.account_id
    wait_until(session, lambda: session.scalar(select(func.count()).select_from(StripeEvent).where(
        StripeEvent.type == "invoice.payment_succeeded")) >= 1)

    first = _documents(session, account_id)
    assert [d.kind for d in first] == ["invoice", "receipt"]
    assert {d.total_cents for d in first} == {TEST_PRICES[("lounge", "month")]}
    assert "Practitioner's Lounge" in first[0].lines[0]["description"]
    welcome = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_welcome")).one()
    assert welcome.attachments == [first[0].id, first[1].id]
    assert first[1].display_number in welcome.body_text

    stripe_client = localstripe.client()
    invoice_id = renew(stripe_client, membership.stripe_subscription_id)
    wait_until(session, lambda: membership_of(session, "mia@example.org").last_invoice_id
               == invoice_id)
    body, headers = signed({"id": "evt_again", "object": "event",
                            "type": "invoice.payment_succeeded",
                            "data": {"object": stripe_client.v1.invoices.retrieve(
                                invoice_id).to_dict()}}, WEBHOOK_SECRET)
    assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200

    documents = _documents(session, account_id)
    assert [d.kind for d in documents] == ["invoice", "receipt", "invoice", "receipt"]
    payments = session.scalars(select(Payment).where(
        Payment.account_id == account_id)).all()
    assert sorted(p.stripe_invoice_id for p in payments) == sorted(
        [first_invoice, invoice_id])
    receipt = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_renewed")).one()
    assert receipt.attachments == [documents[2].id, documents[3].id]
