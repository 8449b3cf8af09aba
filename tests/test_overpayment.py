"""A balance paid twice (card and transfer): one counts, the rest goes back, finance sees it."""

from __future__ import annotations

import time
import urllib.request

import pytest
from sqlalchemy import func, select

from cohort.extensions import db
from cohort.models import (
    Cohort,
    Document,
    Enrollment,
    LedgerEntry,
    OutboxMessage,
    Payment,
    Refund,
)
from cohort.money import Money
from cohort.services.confirmation import confirm_cohort
from cohort.services.ledger import balance, post
from cohort.services.payments import record_offline_payment
from tests.conftest import WEBHOOK_SECRET
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_enrollment, make_staff, offline_deposit, utc
from tests.payments_helpers import card_token, intent_event, open_payment_page, signed
from tests.test_concurrency import _all_at_once

NOW = utc("2024-02-02T18:00:00Z")
OWED = 189_700


def _invoiced(session, name="Ada Lovelace", staff=True):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment = make_enrollment(session, cohort, state="registered", full_name=name)
    offline_deposit(session, enrollment)
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x",
                   now=utc("2024-02-01T18:00:00Z"), due_days=14)
    if staff:
        make_staff(session, role="finance", email="money@example.org")
    session.commit()
    return enrollment


def _card_started(client, session, enrollment):
    """(the card page's URLs, the pending payment); no transaction left open (SQLite's lock)."""
    form = open_payment_page(client, enrollment.status_token, "balance")
    payment = session.get(Payment, int(form["payment-id"]))
    session.expunge(payment)
    session.rollback()
    return form, payment


def _charged_behind_our_back(localstripe, payment):
    """The card is charged at Stripe, but its webhook has not reached us yet."""
    localstripe.register_webhook("http://127.0.0.1:9/nowhere", WEBHOOK_SECRET)
    stripe_client = localstripe.client()
    method = stripe_client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    stripe_client.v1.payment_intents.update(payment.stripe_payment_intent_id,
                                            params={"payment_method": method["id"]})
    intent = stripe_client.v1.payment_intents.confirm(payment.stripe_payment_intent_id)
    assert intent["status"] == "succeeded"
    return intent


def _deliver(url, intent, event_id="evt_late_card"):
    body, headers = signed(intent_event(event_id, intent), WEBHOOK_SECRET)
    request = urllib.request.Request(f"{url}/stripe/webhook", data=body, headers=headers,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def _record_transfer(client, enrollment, amount="1,897.00", reference="BANK-778"):
    sign_in(client, "money@example.org")
    url = f"/finance/enrollments/{enrollment.id}"
    return client.post(f"{url}/payments", data={
        "csrf_token": page_token(client, url), "pay-amount": amount,
        "pay-reference": reference}, follow_redirects=True)


def _kinds(session) -> list[str]:
    return sorted(session.scalars(select(OutboxMessage.kind)))


def test_a_bank_transfer_settling_the_balance_cancels_the_open_card_payment(
        app, client, session, localstripe, stripe_live):
    enrollment = _invoiced(session)
    form, payment = _card_started(client, session, enrollment)

    page = _record_transfer(client, enrollment)
    # (One test client plays both people: signing finance in renewed the session's CSRF token.)
    fresh = page_token(client, f"/finance/enrollments/{enrollment.id}")
    card = client.post(form["card-url"], json={"token": card_token(localstripe)},
                       headers={"X-CSRFToken": fresh})

    assert page.status_code == 200 and "Recorded $1,897.00 USD (BANK-778)." in page.get_data(
        as_text=True)
    assert card.status_code == 409
    session.expire_all()
    assert session.get(Payment, payment.id).status == "canceled"
    intent = localstripe.client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent["status"] == "canceled"
    assert balance(session, session.get(Enrollment, enrollment.id).account) == Money(0, "USD")
    assert session.get(Enrollment, enrollment.id).state == "paid"


def test_a_card_payment_arriving_after_a_bank_transfer_is_refunded_to_the_card_in_full(
        client, session, localstripe, stripe_live):
    enrollment = _invoiced(session)
    _, payment = _card_started(client, session, enrollment)
    intent = _charged_behind_our_back(localstripe, payment)
    _record_transfer(client, enrollment)
    session.rollback()

    assert _deliver(stripe_live.url, intent) == 200
    assert _deliver(stripe_live.url, intent) == 200  # a replay refunds nothing more

    session.expire_all()
    enrollment = session.get(Enrollment, enrollment.id)
    assert balance(session, enrollment.account) == Money(0, "USD")
    assert enrollment.state == "paid"
    refund = session.scalars(select(Refund)).one()
    assert (refund.payment_id, refund.amount_cents, refund.reason, refund.status) == (
        payment.id, OWED, "overpayment", "succeeded")
    stripe_refund = localstripe.client().v1.refunds.retrieve(refund.stripe_refund_id)
    assert stripe_refund["amount"] == OWED
    lines = [e.description for e in session.scalars(
        select(LedgerEntry).where(LedgerEntry.payment_id == payment.id).order_by(LedgerEntry.id))]
    assert lines == ["Payment received (card)",
                     "Refund to your card: more than the balance owed (it was already paid)"]
    receipts = session.scalars(select(Document).where(Document.kind == "receipt")).all()
    assert [r.total_cents for r in receipts] == [OWED]  # the bank transfer's only
    assert "overpayment_returned" in _kinds(session)
    mail = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "overpayment_returned")).one()
    assert "refunded the whole $1,897.00 USD to your card" in mail.body_text


def test_a_card_payment_partly_settled_by_transfer_refunds_only_the_excess(
        client, session, localstripe, stripe_live):
    enrollment = _invoiced(session)
    _, payment = _card_started(client, session, enrollment)
    intent = _charged_behind_our_back(localstripe, payment)
    _record_transfer(client, enrollment, amount="1,000.00")
    session.rollback()

    assert _deliver(stripe_live.url, intent) == 200

    session.expire_all()
    assert balance(session, session.get(Enrollment, enrollment.id).account) == Money(0, "USD")
    refund = session.scalars(select(Refund)).one()
    assert (refund.amount_cents, refund.status) == (100_000, "succeeded")
    receipt = session.scalars(select(Document).where(Document.kind == "receipt")
                              .order_by(Document.id.desc())).first()
    assert receipt.total_cents == OWED - 100_000
    assert "$1,000.00 USD, more than the balance owed, was refunded to the card" in receipt.note


def test_a_bank_transfer_larger_than_the_balance_is_flagged_to_send_back(client, session):
    enrollment = _invoiced(session, name="Over Payer")

    page = _record_transfer(client, enrollment, amount="2,000.00").get_data(as_text=True)
    balances = client.get("/finance/balances").get_data(as_text=True)

    assert "That is $103.00 USD more than was owed: send it back by bank transfer" in page
    session.expire_all()
    enrollment = session.get(Enrollment, enrollment.id)
    assert balance(session, enrollment.account) == Money(0, "USD") and enrollment.state == "paid"
    refund = session.scalars(select(Refund)).one()
    assert (refund.amount_cents, refund.reason, refund.status) == (10_300, "overpayment",
                                                                   "manual")
    assert "Bank refunds to send back" in balances
    assert "Over Payer" in balances and "BANK-778" in balances and "$103.00 USD" in balances


def test_a_bank_transfer_after_the_card_paid_counts_nothing_and_is_flagged(client, session):
    enrollment = _invoiced(session)
    record_offline_payment(session, enrollment, amount=Money(OWED, "USD"), reference="FIRST",
                           actor="staff:x", now=NOW)
    session.commit()

    _record_transfer(client, enrollment, reference="SECOND")

    session.expire_all()
    assert balance(session, session.get(Enrollment, enrollment.id).account) == Money(0, "USD")
    second = session.scalars(select(Payment).where(Payment.reference == "SECOND")).one()
    assert [(r.amount_cents, r.status) for r in second.refunds] == [(OWED, "manual")]
    assert session.scalar(select(func.count()).select_from(Document).where(
        Document.kind == "receipt")) == 1  # the first transfer's only
    assert _kinds(session).count("overpayment_returned") == 1


def test_the_balances_page_lists_accounts_in_credit(client, session):
    enrollment = _invoiced(session, name="Credit Holder")
    post(session, enrollment.account, kind="credit", cents=-(OWED + 5_000), now=NOW,
         description="Correction before the cap")
    session.commit()
    sign_in(client, "money@example.org")

    page = client.get("/finance/balances").get_data(as_text=True)

    credit = page.split("We owe them (credit balances)")[1].split("Bank refunds")[0]
    assert "Credit Holder" in credit and "$50.00 USD" in credit
    assert "Nobody owes anything." in page


@pytest.mark.postgres_only
def test_a_card_webhook_racing_a_bank_transfer_counts_one_and_returns_the_other(
        app, client, session, localstripe, stripe_live):
    # The bank transfer starts after 0 to 0.3 s: the webhook's HTTP round trip then loses, ties
    # or wins the race for the locks; whichever comes second is the one refunded.
    for attempt, delay in enumerate((0.0, 0.02, 0.05, 0.1, 0.3)):
        enrollment = _invoiced(session, name=f"Racer {attempt}", staff=attempt == 0)
        _, payment = _card_started(client, session, enrollment)
        intent = _charged_behind_our_back(localstripe, payment)
        enrollment_id = enrollment.id
        session.rollback()

        def pay(i: int, intent=intent, enrollment_id=enrollment_id, attempt=attempt,
                delay=delay) -> object:
            if i == 0:
                return _deliver(stripe_live.url, intent, event_id=f"evt_race_{attempt}")
            time.sleep(delay)
            record_offline_payment(db.session, db.session.get(Enrollment, enrollment_id),
                                   amount=Money(OWED, "USD"), reference=f"RACE-{attempt}",
                                   actor="staff:x", now=NOW)
            db.session.commit()
            return "recorded"

        results = _all_at_once(app, 2, pay)

        assert results == [200, "recorded"], results
        session.rollback()
        session.expire_all()
        enrollment = session.get(Enrollment, enrollment_id)
        assert balance(session, enrollment.account) == Money(0, "USD")
        assert enrollment.state == "paid"
        payments = session.scalars(select(Payment).where(
            Payment.account_id == enrollment.account_id, Payment.purpose == "balance")).all()
        assert sorted(p.status for p in payments) == ["succeeded", "succeeded"]
        refunds = [r for p in payments for r in p.refunds]
        assert len(refunds) == 1 and refunds[0].amount_cents == OWED
        assert refunds[0].reason == "overpayment"
        assert refunds[0].status == ("succeeded" if refunds[0].payment.method == "card"
                                     else "manual")
        session.rollback()
