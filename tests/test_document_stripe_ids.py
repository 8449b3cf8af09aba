"""Each document in the finance CSV carries its own Stripe ids, not its whole account's."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from cohort.extensions import db
from cohort.models import Cohort, Document, Payment, Refund
from cohort.money import Money
from cohort.services.cancellation import cancel_enrollment, cancellation_quote
from cohort.services.confirmation import confirm_cohort
from cohort.services.payments import record_offline_payment
from tests.console_helpers import sign_in
from tests.factories import (
    csrf_token,
    make_cohort,
    make_enrollment,
    make_staff,
    offline_deposit,
    set_clock,
    utc,
)
from tests.test_payments_lifecycle import _confirm, _pay_balance, _registered_by_card


def _csv_rows(client) -> dict[str, dict[str, str]]:
    make_staff(db.session, role="finance", email="money@example.org")
    db.session.commit()
    sign_in(client, "money@example.org")
    text = client.get("/finance/documents.csv").get_data(as_text=True)
    return {row["number"]: row for row in csv.DictReader(io.StringIO(text))}


def test_each_document_lists_only_its_own_payment_or_refund_ids(
        app, client, session, localstripe, stripe_live):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    session.commit()
    enrollment = _registered_by_card(client, session, localstripe, cohort)
    _confirm(app, session, cohort)
    _pay_balance(client, localstripe, enrollment)
    set_clock(app, "2024-02-02T12:00:00Z")  # after the deadline: all but the deposit back
    url = f"/a/{enrollment.status_token}/cancel"
    assert client.post(url, data={"csrf_token": csrf_token(client, url), "confirm": "y",
                                  "quoted_cents": "189700"}).status_code == 302
    session.expire_all()
    deposit, remainder = session.scalars(select(Payment).order_by(Payment.id)).all()
    refunds = session.scalars(select(Refund)).all()
    documents = {d.kind: d for d in session.scalars(select(Document))
                 if d.kind != "receipt"}
    receipts = session.scalars(select(Document).where(Document.kind == "receipt")
                               .order_by(Document.id)).all()
    session.rollback()

    rows = _csv_rows(client)

    assert [r.payment_id for r in receipts] == [deposit.id, remainder.id]
    assert rows[receipts[0].display_number]["stripe ids"] == deposit.stripe_payment_intent_id
    assert rows[receipts[1].display_number]["stripe ids"] == remainder.stripe_payment_intent_id
    assert rows[documents["invoice"].display_number]["stripe ids"] == ""
    assert refunds and all(r.document_id == documents["credit_note"].id for r in refunds)
    assert rows[documents["credit_note"].display_number]["stripe ids"].split() == [
        r.stripe_refund_id for r in refunds]


def _cancelled_with_a_manual_refund(session) -> tuple[int, int]:
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment = make_enrollment(session, cohort, state="registered")
    offline_deposit(session, enrollment)
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x",
                   now=utc("2024-01-20T18:00:00Z"), due_days=14)
    payment = record_offline_payment(session, enrollment, amount=Money(189_700, "USD"),
                                     reference="BANK-9", actor="staff:x",
                                     now=utc("2024-01-21T18:00:00Z"))
    when = utc("2024-01-22T18:00:00Z")
    quote = cancellation_quote(session, enrollment, when)
    cancel_enrollment(session, enrollment, quoted_cents=quote.refund.cents, gateway=None,
                      actor="staff:x", now=when)
    session.commit()
    return payment.id, enrollment.id


def test_existing_receipts_and_refunds_are_linked_by_the_migration(tmp_path):
    """Rows written before the links existed get them from the instant they were made."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from tests.conftest import _build_app

    app = _build_app(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        link = next(r for r in script.walk_revisions()
                    if r.revision.endswith("_document_payments"))
        upgrade()
        payment_id, enrollment_id = _cancelled_with_a_manual_refund(db.session)
        db.session.remove()
        downgrade(revision=link.down_revision)  # as the rows stood before the links
        upgrade()
        with db.engine.connect() as conn:
            receipts = conn.execute(text(
                "SELECT payment_id FROM documents WHERE kind = 'receipt'")).scalars().all()
            refunds = conn.execute(text(
                "SELECT r.document_id, d.kind FROM refunds r LEFT JOIN documents d "
                "ON d.id = r.document_id "
                "WHERE r.account_id = (SELECT account_id FROM enrollments WHERE id = :e)"),
                {"e": enrollment_id}).all()
        db.engine.dispose()
    assert receipts == [payment_id]
    assert refunds and all(kind == "credit_note" for _, kind in refunds)
