"""Moving money from enrollments onto billing accounts changes no balance, number or PDF.

The money is made by the real services (deposits, remainder invoices, a part payment, a manual
credit note, an overpayment sent back) in two cohorts in two currencies, with every PDF stored.
Those rows are written as they were kept before the move (keyed on `enrollment_id`) into a
database built at the revision before it, which is then upgraded to head and read back through
the services.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from cohort.extensions import db
from cohort.invoices.rendering import balance_at_issue
from cohort.invoices.stored import render_and_store, stored_pdf
from cohort.models import Base, BillingAccount, Cohort, Document, Enrollment
from cohort.money import Money
from cohort.services.confirmation import confirm_cohort
from cohort.services.finance import issue_manual_credit
from cohort.services.ledger import balance
from cohort.services.payments import record_offline_payment
from tests.conftest import DEFAULT_PG, _build_app
from tests.factories import make_cohort, make_enrollment, utc
from tests.test_finance_desk import _registered

CONFIRMED = utc("2024-02-01T18:00:00Z")
# Parents before children, as the foreign keys need them. Only what money rows need: tables that
# later revisions reshape (a cohort's meetings became sessions) are left out.
COPIED = ("programs", "cohorts", "people", "enrollments", "application_answers",
          "registrations", "payments", "documents", "refunds", "ledger_entries",
          "document_series", "document_files")
MONEY = ("payments", "documents", "refunds", "ledger_entries")


def _fill_through_the_services(session) -> None:
    """Two enrollments, USD and EUR: receipts, invoices, payments, a credit note, a refund."""
    usd = make_cohort(session, state="closed", minimum_participants=1)
    eur = make_cohort(session, state="closed", minimum_participants=1, currency="EUR",
                      price_cents=150_000, deposit_cents=10_000, time_zone="Europe/Berlin")
    session.commit()
    ada = _registered(session, usd, country="AU", name="Ada Lovelace")
    bob = _registered(session, eur, country="DE", name="Bob Brandt")
    for cohort in (usd, eur):
        confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x", now=CONFIRMED,
                       due_days=14)
    record_offline_payment(session, ada, amount=Money(50_000, "USD"), reference="PART",
                           actor="staff:finance", now=utc("2024-02-03T10:00:00Z"))
    issue_manual_credit(session, ada, amount=Money(1_000, "USD"), reason="goodwill",
                        actor="staff:finance", now=utc("2024-02-04T10:00:00Z"))
    owed = balance(session, bob.account)
    record_offline_payment(session, bob, amount=owed + Money(5_000, "EUR"), reference="ALL",
                           actor="staff:finance", now=utc("2024-02-05T10:00:00Z"))
    session.commit()
    for document in session.scalars(sa.select(Document)):
        render_and_store(session, document, "A4")
    session.commit()


def _rows(session) -> dict[str, list[dict[str, Any]]]:
    """Every row of the copied tables, as the models read them."""
    return {name: [dict(r._mapping) for r in session.execute(
        sa.select(Base.metadata.tables[name]).order_by(*Base.metadata.tables[name].primary_key))]
        for name in COPIED}


@pytest.fixture
def old_url(database_url: str, tmp_path) -> Iterator[str]:
    """An empty database of the same kind as the test's, to be built before the move."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'before-0016.sqlite3'}"
        return
    admin_url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"cohort_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _write_as_before(url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Build `url` before the move and write `rows` as they were kept (money by enrollment)."""
    enrollment_of = {e["account_id"]: e["id"] for e in rows["enrollments"]}
    old = _build_app(url)
    with old.app_context():
        script = ScriptDirectory.from_config(old.extensions["migrate"].migrate.get_config())
        move = next(r for r in script.walk_revisions() if r.revision.endswith("_billing_owner"))
        upgrade(revision=move.down_revision)
        with db.engine.begin() as conn:
            reflected = sa.MetaData()
            reflected.reflect(conn, only=COPIED)
            for name in COPIED:
                model = Base.metadata.tables[name]
                table = sa.Table(name, sa.MetaData(), *[
                    sa.Column(c.name, model.c[c.name].type if c.name in model.c else c.type)
                    for c in reflected.tables[name].columns])
                values = [{**row, "enrollment_id": enrollment_of[row["account_id"]]}
                          if name in MONEY else row for row in rows[name]]
                values = [{k: v for k, v in row.items() if k in table.c} for row in values]
                if values:
                    conn.execute(table.insert(), values)
                if conn.dialect.name == "postgresql" and "id" in table.c:
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                         f"(SELECT MAX(id) FROM {name}))"))
        db.engine.dispose()


def _as_before(url: str) -> dict[str, Any]:
    """What the database before the move says, read with plain SQL keyed on enrollment_id."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        q = lambda sql: conn.execute(sa.text(sql)).all()  # noqa: E731
        facts = {
            "balances": dict(q("SELECT enrollment_id, SUM(amount_cents) FROM ledger_entries "
                               "GROUP BY enrollment_id")),
            "numbers": {(e, n) for e, n in q("SELECT enrollment_id, display_number "
                                              "FROM documents")},
            "at_issue": dict(q("SELECT d.id, COALESCE(SUM(l.amount_cents), 0) FROM documents d "
                               "LEFT JOIN ledger_entries l ON l.enrollment_id = d.enrollment_id "
                               "AND l.occurred_at <= d.issued_at GROUP BY d.id")),
            "files": {(d, p): (s, hashlib.sha256(bytes(pdf)).hexdigest()) for d, p, s, pdf in
                      q("SELECT document_id, paper, sha256, pdf FROM document_files")},
            "owners": {t: dict(q(f"SELECT id, enrollment_id FROM {t}")) for t in MONEY},
        }
    engine.dispose()
    return facts


def test_moving_money_onto_accounts_keeps_every_balance_number_and_pdf(app, session, old_url):
    _fill_through_the_services(session)
    rows = _rows(session)
    session.remove()
    _write_as_before(old_url, rows)
    before = _as_before(old_url)
    assert len(before["numbers"]) == 7 and len(before["files"]) == 7  # 2 R, 2 INV, 2 R, 1 CN
    assert {c for _, c in before["balances"].items()} == {138_700, 0}
    assert sum(len(o) for o in before["owners"].values()) > 20

    migrated = _build_app(old_url)
    with migrated.app_context():
        upgrade()
        s = db.session
        enrollments = {e.id: e for e in s.scalars(sa.select(Enrollment))}
        account_of = {eid: e.account_id for eid, e in enrollments.items()}
        assert len(set(account_of.values())) == len(enrollments) == 2
        for eid, enrollment in enrollments.items():
            account = s.get(BillingAccount, enrollment.account_id)
            assert (account.owner, account.person_id, account.community_id) == (
                "enrollment", enrollment.person_id, None)
            assert account.currency == enrollment.cohort.currency
            assert balance(s, account).cents == before["balances"][eid]
            numbers = set(s.scalars(sa.select(Document.display_number)
                                    .where(Document.account_id == account.id)))
            assert numbers == {n for e, n in before["numbers"] if e == eid}
        for document in s.scalars(sa.select(Document)):
            assert balance_at_issue(s, document) == before["at_issue"][document.id]
            stored = stored_pdf(s, document.id, "A4")
            sha, computed = before["files"][(document.id, "A4")]
            assert stored is not None and stored.sha256 == sha == computed
            assert hashlib.sha256(stored.data).hexdigest() == computed
        for table in MONEY:
            now_on = dict(s.execute(sa.text(f"SELECT id, account_id FROM {table}")).all())
            assert now_on == {rid: account_of[eid] for rid, eid in before["owners"][table].items()}

        # New rows get fresh ids (PostgreSQL's sequence was moved past the backfilled accounts).
        cohort = s.scalars(sa.select(Cohort).where(Cohort.currency == "USD")).one()
        newcomer = make_enrollment(s, cohort, email="new@example.org")
        s.commit()
        assert newcomer.account_id not in account_of.values()
        assert s.get(BillingAccount, newcomer.account_id).person_id == newcomer.person_id
        s.remove()
        db.engine.dispose()
