"""After the deposit: remainder invoices, paying them, cancelling, the cohort cancelled, rebates."""

from __future__ import annotations

from datetime import UTC, datetime

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
    Registration,
)
from cohort.money import Money
from cohort.services.cancellation import cancellation_quote
from cohort.services.confirmation import confirm_cohort
from cohort.services.ledger import balance
from cohort.services.payments import PaymentRefused, record_offline_payment
from cohort.services.rebates import rebate_amount
from cohort.services.refunds import RefundRefused, plan_refund, refund_payment
from tests.conftest import WEBHOOK_SECRET
from tests.factories import (
    csrf_token,
    make_cohort,
    make_enrollment,
    offline_deposit,
    set_clock,
    utc,
)
from tests.payments_helpers import finish_payment, pay_by_card, register, signed

NOW = utc("2024-01-20T20:00:00Z")


def _registered_by_card(client, session, localstripe, cohort, country="US", **answers):
    enrollment = make_enrollment(session, cohort, state="accepted", **answers)
    session.commit()
    assert register(client, enrollment.status_token, country=country).status_code == 302
    _, body, form = pay_by_card(client, localstripe, enrollment.status_token, "deposit")
    assert body["status"] == "succeeded"
    assert finish_payment(client, form)["status"] == "succeeded"  # early confirmation
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "registered"
    return session.get(Enrollment, enrollment.id)


def _confirm(app, session, cohort, when="2024-02-01T18:00:00Z"):
    set_clock(app, when)
    invoices = confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:test",
                              now=utc(when), due_days=14)
    session.commit()
    return invoices


def _pay_balance(client, localstripe, enrollment):
    _, body, form = pay_by_card(client, localstripe, enrollment.status_token, "balance")
    assert body["status"] == "succeeded"
    assert finish_payment(client, form)["status"] == "succeeded"


def _tick(app) -> str:
    result = app.test_cli_runner().invoke(args=["cohort", "tick"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_australian_journey_deposit_invoice_payment_and_the_rebate_once(
        app, client, session, localstripe, stripe_live):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    session.commit()
    enrollment = _registered_by_card(client, session, localstripe, cohort, country="AU",
                                     time_zone="Australia/Sydney", email="kim@example.org")
    assert session.scalars(select(Registration)).one().rebate_eligible is True

    invoice = _confirm(app, session, cohort)[0]
    assert (invoice.display_number, invoice.total_cents) == ("INV-2024-0001", 189_700)
    assert invoice.due_at == utc("2024-02-08T00:00:00Z")  # the first meeting comes first
    assert session.get(Enrollment, enrollment.id).state == "invoiced"
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice_issued")
                           ).one()
    assert "Total due: $1,897.00 USD" in mail.body_text

    _pay_balance(client, localstripe, enrollment)
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "paid"
    assert balance(session, session.get(Enrollment, enrollment.id).account) == Money(0, "USD")

    set_clock(app, "2024-02-08T00:00:00Z")  # the first meeting starts
    assert "rebated 1 enrollment(s)" in _tick(app)
    assert "rebated 0 enrollment(s)" in _tick(app)

    session.expire_all()
    refund = session.scalars(select(Refund)).one()
    assert (refund.amount_cents, refund.reason, refund.status) == (49_925, "rebate", "succeeded")
    stripe_refund = localstripe.client().v1.refunds.retrieve(refund.stripe_refund_id)
    assert stripe_refund["amount"] == 49_925
    note = session.scalars(select(Document).where(Document.kind == "credit_note")).one()
    assert (note.display_number, note.total_cents, note.reason) == ("CN-2024-0001", 49_925,
                                                                    "rebate")
    assert balance(session, session.get(Enrollment, enrollment.id).account) == Money(0, "USD")
    rebate_mail = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "rebate_issued")).one()
    assert "$499.25 USD" in rebate_mail.body_text


def test_a_rebate_before_full_payment_is_credited_against_the_balance(
        app, client, session, localstripe, stripe_live):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    session.commit()
    enrollment = _registered_by_card(client, session, localstripe, cohort, country="NZ")
    _confirm(app, session, cohort)

    set_clock(app, "2024-02-08T00:00:01Z")
    _tick(app)

    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Refund)) == 0
    assert balance(session, session.get(Enrollment, enrollment.id).account) == Money(
        189_700 - 49_925, "USD")


def test_no_rebate_before_the_first_meeting_or_outside_the_countries(
        app, client, session, localstripe, stripe_live):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    session.commit()
    _registered_by_card(client, session, localstripe, cohort, country="CA")
    _registered_by_card(client, session, localstripe, cohort, country="GB")

    set_clock(app, "2024-02-07T23:59:59Z")
    assert "rebated 0" in _tick(app)
    set_clock(app, "2024-02-08T00:00:00Z")
    assert "rebated 1" in _tick(app)


def test_cancelling_after_the_deadline_refunds_everything_but_the_deposit(
        app, client, session, localstripe, stripe_live):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    session.commit()
    enrollment = _registered_by_card(client, session, localstripe, cohort)
    _confirm(app, session, cohort)
    _pay_balance(client, localstripe, enrollment)
    set_clock(app, "2024-02-02T12:00:00Z")
    url = f"/a/{enrollment.status_token}/cancel"

    page = client.get(url).get_data(as_text=True)
    assert "If you cancel now, you get back <strong>$1,897.00 USD</strong>" in page
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "confirm": "y",
                                      "quoted_cents": "189700"})

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "cancelled"
    refunds = session.scalars(select(Refund)).all()
    assert sum(r.amount_cents for r in refunds) == 189_700
    assert all(r.status == "succeeded" for r in refunds)
    deposit = session.scalars(select(Payment).where(Payment.purpose == "deposit")).one()
    assert deposit.refundable_cents == 10_000  # the deposit is kept
    note = session.scalars(select(Document).where(Document.kind == "credit_note")).one()
    assert note.refers_to.kind == "invoice"
    assert balance(session, session.get(Enrollment, enrollment.id).account) == Money(0, "USD")


def test_a_quote_that_changed_is_refused_and_nothing_happens(
        app, client, session, localstripe, stripe_live):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    session.commit()
    enrollment = _registered_by_card(client, session, localstripe, cohort)
    url = f"/a/{enrollment.status_token}/cancel"
    token = csrf_token(client, url)  # seen before the cancellation deadline: 100.00 back
    set_clock(app, "2024-01-25T08:00:00Z")  # the deadline passed meanwhile: nothing back

    response = client.post(url, data={"csrf_token": token, "confirm": "y",
                                      "quoted_cents": "10000"})

    assert response.status_code == 409
    assert "The refund changed since you looked" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "registered"
    assert session.scalar(select(func.count()).select_from(Refund)) == 0


def test_a_cancelled_cohort_refunds_every_payment_in_full(
        app, client, session, localstripe, stripe_live):
    cohort = make_cohort(session, state="closed", minimum_participants=5)
    session.commit()
    first = _registered_by_card(client, session, localstripe, cohort)
    second = _registered_by_card(client, session, localstripe, cohort)
    waiting = make_enrollment(session, cohort, state="accepted")
    session.commit()
    from cohort.services.cancellation import cancel_cohort

    cancel_cohort(session, session.get(Cohort, cohort.id),
                  gateway=app.extensions["cohort.stripe"], actor="staff:test",
                  reason="Not enough people", now=NOW)
    session.commit()

    session.expire_all()
    assert [session.get(Enrollment, e.id).state for e in (first, second, waiting)] == [
        "cancelled", "cancelled", "withdrawn"]
    refunds = session.scalars(select(Refund)).all()
    assert sorted(r.amount_cents for r in refunds) == [10_000, 10_000]
    assert all(balance(session, session.get(Enrollment, e.id).account) == Money(0, "USD")
               for e in (first, second))
    kinds = sorted(m.kind for m in session.scalars(select(OutboxMessage))
                   if m.kind.startswith("cohort"))
    assert kinds == ["cohort_cancelled"] * 3


def _offline_registered(session, cohort, paid_cents=10_000):
    """An enrollment whose deposit came by bank transfer (no Stripe needed)."""
    enrollment = make_enrollment(session, cohort, state="registered")
    payment = offline_deposit(session, enrollment, paid_cents, when=NOW)
    session.commit()
    return enrollment, payment


@pytest.mark.parametrize(("instant", "refund", "rule"), [
    ("2024-01-25T07:59:59Z", 10_000, "everything"),
    ("2024-01-25T08:00:00Z", 0, "all_but_deposit"),
    ("2024-02-08T00:00:00Z", 0, "nothing"),
])
def test_the_policy_tier_changes_at_the_exact_second(session, instant, refund, rule):
    cohort = make_cohort(session, state="closed")
    enrollment, _ = _offline_registered(session, cohort)

    quote = cancellation_quote(session, enrollment, utc(instant))

    assert (quote.refund.cents, quote.rule) == (refund, rule)


def test_between_the_deadline_and_the_start_all_but_the_deposit_comes_back(session):
    cohort = make_cohort(session, state="closed")
    enrollment, _ = _offline_registered(session, cohort, paid_cents=199_700)

    before_start = cancellation_quote(session, enrollment, utc("2024-02-07T23:59:59Z"))
    at_start = cancellation_quote(session, enrollment, utc("2024-02-08T00:00:00Z"))

    assert before_start.refund == Money(189_700, "USD")
    assert before_start.kept == Money(10_000, "USD")
    assert at_start.refund == Money(0, "USD")


def test_refunds_never_exceed_what_each_payment_can_give_back(session):
    cohort = make_cohort(session, state="closed")
    enrollment, payment = _offline_registered(session, cohort)

    with pytest.raises(RefundRefused, match=r"Only \$100.00 USD can be refunded"):
        plan_refund(session, enrollment.account, 10_001)
    refund_payment(session, payment, 6_000, reason="manual", gateway=None, now=NOW)
    with pytest.raises(RefundRefused, match=r"At most \$40.00 USD"):
        refund_payment(session, payment, 4_001, reason="manual", gateway=None, now=NOW)
    assert payment.refundable_cents == 4_000
    assert session.scalars(select(Refund)).one().status == "manual"


def test_finance_records_a_bank_transfer_and_full_payment_marks_paid(app, session):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment, _ = _offline_registered(session, cohort)
    _confirm(app, session, cohort)
    enrollment = session.get(Enrollment, enrollment.id)

    with pytest.raises(PaymentRefused, match="in USD, not EUR"):
        record_offline_payment(session, enrollment, amount=Money(189_700, "EUR"), reference="x",
                               actor="staff:finance", now=NOW)
    session.rollback()
    record_offline_payment(session, enrollment, amount=Money(100_000, "USD"), reference="TRF-1",
                           actor="staff:finance", now=NOW)
    record_offline_payment(session, enrollment, amount=Money(89_700, "USD"), reference="TRF-2",
                           actor="staff:finance", now=NOW)
    session.commit()

    assert session.get(Enrollment, enrollment.id).state == "paid"
    assert balance(session, enrollment.account) == Money(0, "USD")
    assert session.scalar(select(func.count()).select_from(LedgerEntry)
                          .where(LedgerEntry.kind == "payment")) == 3


def test_the_rebate_rounding_rule_at_half_a_cent():
    seed = make_cohort.__wrapped__ if hasattr(make_cohort, "__wrapped__") else None
    assert seed is None
    cohort = Cohort(price_cents=199_700, currency="USD", rebate_rule={"basis_points": 2500})
    assert rebate_amount(cohort) == Money(49_925, "USD")
    cohort.price_cents = 2  # 25 % of 2 cents is half a cent: rounds away from zero
    assert rebate_amount(cohort) == Money(1, "USD")
    cohort.price_cents = 199_701  # 49,925.25 cents rounds down
    assert rebate_amount(cohort) == Money(49_925, "USD")


def test_a_refund_made_in_the_stripe_dashboard_is_noted_from_charge_refunded(
        app, client, session):
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    cohort = make_cohort(session, state="closed")
    enrollment = make_enrollment(session, cohort, state="cancelled")
    payment = Payment(account_id=enrollment.account_id, purpose="deposit", method="card",
                      status="succeeded", amount_cents=10_000, currency="USD",
                      stripe_payment_intent_id="pi_dash", created_at=NOW, succeeded_at=NOW)
    session.add(payment)
    session.flush()
    session.add(Refund(payment_id=payment.id, account_id=enrollment.account_id, amount_cents=10_000,
                       currency="USD", reason="cancellation", status="pending",
                       stripe_refund_id="re_dash", created_at=NOW))
    session.commit()
    event = {"id": "evt_charge_refunded", "type": "charge.refunded", "object": "event",
             "data": {"object": {"id": "ch_1", "object": "charge", "payment_intent": "pi_dash",
                                 "refunds": {"data": [{"id": "re_dash",
                                                       "status": "succeeded"}]}}}}

    body, headers = signed(event, WEBHOOK_SECRET)
    response = client.post("/stripe/webhook", data=body, headers=headers)

    assert response.status_code == 200
    session.expire_all()
    assert session.scalars(select(Refund)).one().status == "succeeded"
    assert db.session.get(Payment, payment.id).refundable_cents == 0
    assert datetime.now(UTC) > NOW
