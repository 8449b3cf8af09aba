"""A membership's paid Stripe invoices become our own documents on the shared ledger, once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from cohort.invoices.issuing import issue_document
from cohort.invoices.rendering import balance_at_issue
from cohort.models import Document, LedgerEntry, Payment, Refund
from cohort.money import Money
from cohort.payments.gateway import StripeGateway
from cohort.services.finance import DocumentFilter, document_report
from cohort.services.ledger import balance, post
from cohort.services.refunds import RefundRefused
from cohort.services.subscription_billing import (
    SubscriptionBillingError,
    record_subscription_payment,
    refund_unused_days,
)
from tests.factories import make_cohort, make_enrollment
from tests.membership_factories import make_community, make_membership
from tests.payments_helpers import card_token

PAID_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
# A month in Berlin: March 1 00:00 CET to April 1 00:00 CEST.
START = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
END = datetime(2026, 3, 31, 22, 0, tzinfo=UTC)


def _pay(session, membership, invoice_id="in_test_1", cents=2_000, intent=None, **overrides):
    values = {"amount_cents": cents, "currency": "usd", "period_start": START,
              "period_end": END, "stripe_invoice_id": invoice_id,
              "stripe_payment_intent_id": intent or f"pi_{invoice_id}", "now": PAID_AT}
    values.update(overrides)
    return record_subscription_payment(session, membership, **values)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_paid_stripe_invoice_becomes_our_paid_invoice_and_receipt_and_leaves_nothing_owed(
        session):
    cohort_enrollment = make_enrollment(session, make_cohort(session), state="registered")
    before = issue_document(session, cohort_enrollment.account, kind="receipt", now=PAID_AT,
                            lines=[("Deposit", Money(10_000, "USD"))])
    membership = make_membership(session, make_community(session), "lounge")

    invoice, receipt, payment = _pay(session, membership)
    session.commit()

    # The cohorts' series, gap-free: the member's receipt follows the participant's.
    assert receipt.series == before.series and receipt.number == before.number + 1
    assert invoice.series == "INV-2026" and invoice.display_number == "INV-2026-0001"
    line = "Practitioner's Lounge, monthly: March 1, 2026 to March 31, 2026 (Europe/Berlin)"
    assert invoice.lines == [{"description": line, "amount_cents": 2_000}]
    assert receipt.lines == [{"description": f"Payment — {line}", "amount_cents": 2_000}]
    assert invoice.account_id == receipt.account_id == membership.account_id
    assert receipt.refers_to_id == invoice.id and invoice.payment_id == payment.id
    assert (payment.purpose, payment.method, payment.status, payment.membership_id) == (
        "subscription", "card", "succeeded", membership.id)
    assert payment.stripe_invoice_id == "in_test_1" and payment.stripe_payment_intent_id == (
        "pi_in_test_1")
    entries = session.scalars(select(LedgerEntry).where(
        LedgerEntry.account_id == membership.account_id).order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.amount_cents) for e in entries] == [("fee", 2_000), ("payment", -2_000)]
    assert balance(session, membership.account) == Money(0, "USD")
    assert balance_at_issue(session, invoice) == 0  # its PDF says paid, now and later
    rows = {r.document.id: r for r in document_report(session, DocumentFilter(), PAID_AT).rows}
    assert rows[invoice.id].status == "paid" and rows[invoice.id].paid == Money(2_000, "USD")
    assert rows[invoice.id].stripe_ids.split() == ["pi_in_test_1", "in_test_1"]


def test_the_same_stripe_invoice_twice_is_recorded_once(session):
    membership = make_membership(session, make_community(session), "lounge", interval="year")
    first = _pay(session, membership, invoice_id="in_twice", cents=20_000)
    session.commit()
    counts = (_count(session, Document), _count(session, Payment), _count(session, LedgerEntry))

    again = _pay(session, membership, invoice_id="in_twice", cents=20_000)
    session.commit()

    assert [d.id for d in again] == [d.id for d in first]
    assert (_count(session, Document), _count(session, Payment),
            _count(session, LedgerEntry)) == counts
    assert "yearly" in first.invoice.lines[0]["description"]


def test_a_renewal_gets_the_next_numbers_and_the_account_stays_settled(session):
    community = make_community(session)
    lounge = make_membership(session, community, "lounge")
    pro = make_membership(session, community, "pro", person=lounge.person)  # the same account
    first = _pay(session, lounge, invoice_id="in_a")
    second = _pay(session, pro, invoice_id="in_b", cents=5_000,
                  period_start=END, period_end=datetime(2026, 4, 30, 22, 0, tzinfo=UTC))
    session.commit()

    assert lounge.account_id == pro.account_id
    assert second.invoice.number == first.invoice.number + 1
    assert second.receipt.number == first.receipt.number + 1
    assert second.invoice.lines[0]["description"].startswith(
        "PRO Lounge, monthly: April 1, 2026 to April 30, 2026")
    assert balance(session, lounge.account) == Money(0, "USD")


def test_a_payment_in_another_currency_than_the_account_is_refused_and_nothing_is_kept(session):
    membership = make_membership(session, make_community(session), "lounge")
    session.commit()

    with pytest.raises(SubscriptionBillingError, match="EUR"):
        _pay(session, membership, currency="eur")
    session.rollback()

    assert _count(session, Document) == _count(session, Payment) == 0


def _card_payment(localstripe, gateway: StripeGateway, cents: int) -> str:
    """A PaymentIntent paid with a test card at localstripe, as a subscription invoice's is."""
    intent = gateway.create_intent(amount=cents, currency="usd", metadata={},
                                   idempotency_key=f"test-{uuid.uuid4().hex}")
    paid = gateway.pay_with_card_token(intent.id, card_token(localstripe))
    assert paid.status == "succeeded"
    return paid.id


def test_unused_days_come_back_as_a_credit_note_and_a_card_refund_capped_by_what_was_paid(
        session, localstripe):
    gateway = StripeGateway(localstripe.api_key, localstripe.url)
    membership = make_membership(session, make_community(session), "lounge")
    invoice, _, payment = _pay(session, membership, invoice_id="in_refund",
                               intent=_card_payment(localstripe, gateway, 2_000))
    session.commit()

    with pytest.raises(RefundRefused, match=r"At most \$20\.00"):
        refund_unused_days(session, membership, cents=2_001, now=PAID_AT, reason="too much",
                           gateway=gateway)
    session.rollback()
    assert _count(session, Refund) == 0

    note, refunds = refund_unused_days(session, membership, cents=1_200, now=PAID_AT,
                                       reason="moved to PRO", gateway=gateway)
    session.commit()

    assert note.kind == "credit_note" and note.refers_to_id == invoice.id
    assert note.reason == "unused_days" and note.total_cents == 1_200
    assert note.lines[0]["description"] == "Unused days of Practitioner's Lounge: moved to PRO"
    assert [(r.payment_id, r.amount_cents, r.status, r.document_id) for r in refunds] == [
        (payment.id, 1_200, "succeeded", note.id)]
    assert refunds[0].stripe_refund_id.startswith("re_")
    assert balance(session, membership.account) == Money(0, "USD")
    with pytest.raises(RefundRefused, match=r"At most \$8\.00"):
        refund_unused_days(session, membership, cents=801, now=PAID_AT, reason="again",
                           gateway=gateway)
    session.rollback()


def test_an_enrollments_ledger_is_not_touched_by_a_members_payments(session):
    enrollment = make_enrollment(session, make_cohort(session), state="registered")
    post(session, enrollment.account, kind="fee", cents=10_000, description="Deposit", now=PAID_AT)
    membership = make_membership(session, make_community(session), "lounge",
                                 person=enrollment.person)
    _pay(session, membership)
    session.commit()

    assert membership.account_id != enrollment.account_id
    assert balance(session, enrollment.account) == Money(10_000, "USD")
    assert balance(session, membership.account) == Money(0, "USD")


def test_the_webhook_and_the_return_check_at_once_record_one_invoice_receipt_and_payment(
        app, session):
    """Six simultaneous notices of one paid Stripe invoice: the account's lock keeps it to one."""
    from cohort.extensions import db
    from cohort.models import Membership
    from tests.test_concurrency import _all_at_once

    membership_id = make_membership(session, make_community(session), "lounge").id
    session.commit()

    def notice(_: int) -> int:
        member = db.session.get(Membership, membership_id)
        paid = _pay(db.session, member, invoice_id="in_race")
        db.session.commit()
        return paid.invoice.id

    results = _all_at_once(app, 6, notice)

    assert not [r for r in results if isinstance(r, Exception)], results
    session.rollback()
    assert len(set(results)) == 1
    assert _count(session, Payment) == 1 and _count(session, Document) == 2
    assert _count(session, LedgerEntry) == 2
