"""Under concurrent requests: seats, webhooks, invoice numbers and ticks, each exactly once.

Run on PostgreSQL (row locks) and on SQLite (its write lock), like every database test.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable

from sqlalchemy import func, select

from cohort.extensions import db
from cohort.invoices.issuing import issue_document
from cohort.models import (
    AuditRecord,
    Document,
    Enrollment,
    LedgerEntry,
    Payment,
    Refund,
    Registration,
    StripeEvent,
)
from cohort.money import Money
from cohort.services.ledger import post
from cohort.services.transitions import TransitionRefused, change_enrollment
from cohort.timekeeping import TickReport, issue_due_rebates, lapse_unregistered
from tests.conftest import WEBHOOK_SECRET
from tests.factories import make_cohort, make_enrollment, utc
from tests.live_server import LiveServer
from tests.payments_helpers import signed

NOW = utc("2024-01-15T20:00:00Z")


def _all_at_once(app, count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` in `count` threads released together, each in its own app context."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                results[i] = work(i)
            except Exception as exc:  # collected and asserted on below
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def _count(session, model, *where) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_thirty_simultaneous_accepts_for_nine_seats_accept_exactly_nine(app, session):
    cohort = make_cohort(session)
    ids = [make_enrollment(session, cohort).id for _ in range(30)]
    session.commit()

    def accept(i: int) -> str:
        try:
            change_enrollment(db.session, ids[i], "accept", actor="staff:x", now=NOW)
        except TransitionRefused:
            db.session.rollback()
            return "refused"
        db.session.commit()
        return "accepted"

    results = _all_at_once(app, 30, accept)

    assert sorted(results) == ["accepted"] * 9 + ["refused"] * 21
    assert _count(session, Enrollment, Enrollment.state == "accepted") == 9
    assert _count(session, AuditRecord, AuditRecord.event == "accept") == 9


def test_twenty_simultaneous_deliveries_of_one_webhook_make_one_payment(app, session):
    app.config["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    cohort = make_cohort(session, state="closed")
    enrollment = make_enrollment(session, cohort, state="accepted")
    session.add(Payment(account_id=enrollment.account_id, purpose="deposit", method="card",
                        status="pending", amount_cents=10_000, currency="USD",
                        stripe_payment_intent_id="pi_concurrent", created_at=NOW))
    session.commit()
    event = {"id": "evt_once", "type": "payment_intent.succeeded", "object": "event",
             "data": {"object": {"id": "pi_concurrent", "object": "payment_intent",
                                 "amount": 10_000, "currency": "usd", "status": "succeeded"}}}
    body, headers = signed(event, WEBHOOK_SECRET)
    server = LiveServer(app).start()

    def deliver(_: int) -> int:
        request = urllib.request.Request(f"{server.url}/stripe/webhook", data=body,
                                         headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            assert json.loads(response.read())["outcome"] in ("recorded", "duplicate")
            return response.status

    try:
        results = _all_at_once(app, 20, deliver)
    finally:
        server.stop()

    assert results == [200] * 20
    assert _count(session, StripeEvent) == 1
    assert _count(session, Payment, Payment.status == "succeeded") == 1
    assert _count(session, LedgerEntry, LedgerEntry.kind == "payment") == 1
    assert _count(session, Document) == 1
    assert _count(session, Enrollment, Enrollment.state == "registered") == 1


def test_twenty_invoices_issued_at_once_have_no_gap_and_no_duplicate(app, session):
    cohort = make_cohort(session, state="confirmed")
    ids = [make_enrollment(session, cohort, state="registered").id for _ in range(20)]
    session.commit()

    def issue(i: int) -> str:
        enrollment = db.session.get(Enrollment, ids[i])
        document = issue_document(db.session, enrollment.account, kind="invoice", now=NOW,
                                  lines=[("Remainder", Money(189_700, "USD"))])
        db.session.commit()
        return document.display_number

    numbers = _all_at_once(app, 20, issue)

    assert sorted(numbers) == [f"INV-2024-{n:04d}" for n in range(1, 21)]


def test_two_ticks_at_once_lapse_and_rebate_each_enrollment_once(app, session):
    late = make_cohort(session, state="closed")
    lapsing = [make_enrollment(session, late, state="accepted").id for _ in range(4)]
    running = make_cohort(session, state="confirmed")
    rebated = []
    for _ in range(4):
        enrollment = make_enrollment(session, running, state="paid", country="AU")
        session.add(Registration(enrollment_id=enrollment.id, billing_name="B", address="A",
                                 country="AU", policy_version=1, policy_text="p",
                                 policy_agreed_at=NOW, terms_agreed_at=NOW,
                                 rebate_eligible=True, created_at=NOW, updated_at=NOW))
        payment = Payment(account_id=enrollment.account_id, purpose="balance",
                          method="bank_transfer", status="succeeded", amount_cents=199_700,
                          currency="USD", created_at=NOW, succeeded_at=NOW)
        session.add(payment)
        session.flush()
        post(session, enrollment.account, kind="fee", cents=199_700, description="Fee", now=NOW)
        post(session, enrollment.account, kind="payment", cents=-199_700, description="Paid",
             now=NOW,
             payment_id=payment.id)
        rebated.append(enrollment.id)
    session.commit()
    after_start = utc("2024-02-08T00:00:01Z")

    def tick(_: int) -> TickReport:
        report = TickReport()
        lapse_unregistered(db.session, after_start, report)
        issue_due_rebates(db.session, after_start, None, report)
        return report

    reports = _all_at_once(app, 2, tick)

    assert sorted(i for r in reports for i in r.lapsed_enrollments) == sorted(lapsing)
    assert sorted(i for r in reports for i in r.rebates) == sorted(rebated)
    assert _count(session, Refund, Refund.reason == "rebate") == 4
    assert _count(session, Document, Document.kind == "credit_note") == 4
    assert _count(session, AuditRecord, AuditRecord.event == "lapse") == 4
