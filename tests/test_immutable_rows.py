"""Rows that must not change, can't: documents, ledger entries, audit records; and state columns
accept only the states the machines define (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from cohort.extensions import db
from cohort.invoices.issuing import issue_document
from cohort.models import (
    AuditRecord,
    AuditRecordImmutable,
    BillingAccount,
    Cohort,
    Document,
    DocumentImmutable,
    Enrollment,
    LedgerEntry,
    LedgerEntryImmutable,
    RowImmutable,
)
from cohort.money import Money
from cohort.services.ledger import post
from cohort.services.transitions import change_enrollment
from tests.factories import make_cohort, make_enrollment, utc
from workflows import CohortMachine, EnrollmentMachine

NOW = utc("2024-01-12T18:00:00Z")


def _one_of_each(session):
    """An enrollment with one audit record, one ledger entry and one receipt; ids by model."""
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    session.commit()
    change_enrollment(session, enrollment.id, "waitlist", actor="staff:x", now=NOW)
    receipt = issue_document(session, enrollment.account, kind="receipt", now=NOW,
                             lines=[("Deposit", Money(10_000, cohort.currency))])
    entry = post(session, enrollment.account, kind="fee", cents=10_000, description="Deposit",
                 now=NOW,
                 document_id=receipt.id)
    session.commit()
    record = session.scalars(select(AuditRecord)).one()
    return {Document: receipt.id, LedgerEntry: entry.id, AuditRecord: record.id}


KINDS = [
    (Document, DocumentImmutable, "note", "rewritten"),
    (LedgerEntry, LedgerEntryImmutable, "amount_cents", 1),
    (AuditRecord, AuditRecordImmutable, "reason", "rewritten"),
]


@pytest.mark.parametrize(("model", "error", "column", "value"), KINDS,
                         ids=[k[0].__name__ for k in KINDS])
def test_an_immutable_row_refuses_an_edit_and_keeps_its_value(session, model, error, column,
                                                              value):
    row_id = _one_of_each(session)[model]
    row = session.get(model, row_id)
    before = getattr(row, column)
    setattr(row, column, value)
    with pytest.raises(error) as refused:
        session.flush()
    assert isinstance(refused.value, RowImmutable)
    assert "cannot change" in str(refused.value)
    session.rollback()
    session.expire_all()
    assert getattr(session.get(model, row_id), column) == before


@pytest.mark.parametrize(("model", "error", "column", "value"), KINDS,
                         ids=[k[0].__name__ for k in KINDS])
def test_an_immutable_row_refuses_to_be_deleted(session, model, error, column, value):
    row_id = _one_of_each(session)[model]
    session.delete(session.get(model, row_id))
    with pytest.raises(error) as refused:
        session.flush()
    assert "cannot be removed" in str(refused.value)
    session.rollback()
    assert session.get(model, row_id) is not None


def test_a_new_ledger_entry_is_how_an_account_changes(session):
    ids = _one_of_each(session)
    account_id = session.get(LedgerEntry, ids[LedgerEntry]).account_id
    post(session, session.get(BillingAccount, account_id), kind="credit", cents=-10_000,
         description="Correction", now=NOW)
    session.commit()
    amounts = session.scalars(select(LedgerEntry.amount_cents).order_by(LedgerEntry.id)).all()
    assert amounts == [10_000, -10_000]


# -- state columns --------------------------------------------------------------------------------
def test_an_enrollment_in_a_state_the_machine_does_not_know_is_refused(session):
    enrollment = make_enrollment(session, make_cohort(session))
    session.commit()
    enrollment.state = "approved"
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.get(Enrollment, enrollment.id).state == "submitted"


def test_a_cohort_in_a_state_the_machine_does_not_know_is_refused(session):
    cohort = make_cohort(session)
    session.commit()
    cohort.state = "archived"
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.get(Cohort, cohort.id).state == cohort.state


def test_sql_that_bypasses_the_models_cannot_write_an_unknown_state_either(session):
    enrollment = make_enrollment(session, make_cohort(session))
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE enrollments SET state = 'Accepted' WHERE id = :id"),
                        {"id": enrollment.id})
    session.rollback()


@pytest.mark.parametrize("state", EnrollmentMachine.state_ids())
def test_every_state_the_enrollment_machine_defines_can_be_stored(session, state):
    enrollment = make_enrollment(session, make_cohort(session))
    session.commit()
    enrollment.state = state
    session.commit()
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == state


@pytest.mark.parametrize(("table", "machine"), [("enrollments", EnrollmentMachine),
                                                ("cohorts", CohortMachine)])
def test_the_migrated_check_lists_exactly_the_machines_states(app, table, machine):
    """A machine that gains or loses a state needs a migration: this fails until it has one."""
    with db.engine.connect() as connection:
        checks = inspect(connection).get_check_constraints(table)
    state_check = next(c for c in checks if c["name"] == f"ck_{table}_state_known")
    assert re.findall(r"'([a-z_]+)'", state_check["sqltext"]) == machine.state_ids()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_adding_the_state_checks_to_a_sqlite_database_with_rows_keeps_every_row(app, session):
    """SQLite rebuilds a table to add a CHECK: nothing that refers to it may cascade or break."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    cohort = make_cohort(session)
    enrollment_id = make_enrollment(session, cohort, state="waitlisted").id
    _one_of_each(session)
    session.commit()
    counted = {name: session.scalar(text(f"SELECT count(*) FROM {name}"))
               for name in ("cohorts", "enrollments", "application_answers", "ledger_entries",
                            "documents", "audit_records", "program_sessions")}
    session.remove()
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    checks = next(r for r in script.walk_revisions() if r.revision.endswith("_state_checks"))
    downgrade(revision=checks.down_revision)
    upgrade()
    db.engine.dispose()
    for name, count in counted.items():
        assert db.session.scalar(text(f"SELECT count(*) FROM {name}")) == count, name
    assert db.session.get(Enrollment, enrollment_id).answers.full_name
    assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
    db.session.get(Enrollment, enrollment_id).state = "approved"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
