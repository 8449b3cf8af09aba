"""An application costs a fixed, small number of SQL statements; the public pages load what they
show in as few statements as possible (pinned, so that a lazy load creeping back shows)."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import event, func, select

from cohort.extensions import db
from cohort.models import Enrollment, OutboxMessage
from tests.factories import csrf_token, form_data, make_cohort, make_enrollment


def _statements(session, send) -> tuple[list[str], object]:
    """The statements one request sends (SQLite's explicit BEGINs left out), from a new session."""
    session.remove()
    g.pop("_login_user", None)
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.strip().upper().startswith("BEGIN"):
            seen.append(" ".join(statement.split())[:100])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = send()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen, response


def test_an_application_takes_seven_statements_and_its_form_one(client, session):
    cohort = make_cohort(session)
    session.commit()
    slug = cohort.slug
    url = f"/cohorts/{slug}/apply"

    form_page, response = _statements(session, lambda: client.get(url))
    assert response.status_code == 200
    # The cohort with its program and facilitators, in one statement.
    assert len(form_page) == 1, "\n".join(form_page)

    data = {**form_data(), "csrf_token": csrf_token(client, url)}
    posted, response = _statements(session, lambda: client.post(url, data=data))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    # The cohort (with program and facilitators, which the e-mail names); the person and the
    # enrollment, each inserted unless its key is taken, and the enrollment's billing account;
    # the answers; the audit row; the outbox row. No savepoint, no look-up before inserting,
    # nothing reloaded after the commit.
    assert len(posted) == 7, "\n".join(posted)
    assert sum(s.startswith("INSERT") for s in posted) == 6
    assert not any(s.startswith(("SELECT programs", "SELECT facilitators", "SAVEPOINT"))
                   for s in posted), "\n".join(posted)
    assert session.scalar(select(func.count()).select_from(Enrollment)) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_cohort_page_loads_in_two_statements(client, session):
    cohort = make_cohort(session)
    for state in ("submitted", "waitlisted", "declined", "accepted", "registered", "paid",
                  "cancelled", "withdrawn"):
        make_enrollment(session, cohort, state=state)
    session.commit()
    slug = cohort.slug
    statements, response = _statements(session, lambda: client.get(f"/cohorts/{slug}"))
    assert response.status_code == 200
    # Cohort + program + facilitators + meetings; the seats taken, counted among the states
    # that hold one (not every application of the cohort counted by state).
    assert len(statements) == 2, "\n".join(statements)
    assert statements[1].startswith("SELECT count(*)") and "GROUP BY" not in statements[1]
    # 9 seats; accepted, registered and paid hold one each.
    assert '<span class="seats-left">6</span> of 9 left' in response.get_data(as_text=True)


def test_twelve_simultaneous_applications_from_one_new_address_make_one(app, session):
    from cohort.models import ApplicationAnswers, AuditRecord, BillingAccount, Person
    from cohort.services.applications import submit_application
    from tests.factories import application_data
    from tests.test_concurrency import NOW, _all_at_once

    cohort_id = make_cohort(session).id
    session.commit()

    def apply_once(i: int) -> bool:
        from cohort.models import Cohort

        cohort = db.session.get(Cohort, cohort_id)
        made = submit_application(db.session, cohort, application_data(
            email="Same.Person@Example.org", full_name=f"Typist {i}"), NOW).enrollment_id
        db.session.commit()
        return made is not None

    results = _all_at_once(app, 12, apply_once)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results.count(True) == 1
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Person)) == 1
    assert session.scalar(select(func.count()).select_from(Enrollment)) == 1
    # The repeats' accounts went with their refused enrollments: one account, the enrollment's.
    assert session.scalars(select(BillingAccount.id)).all() == [
        session.scalar(select(Enrollment.account_id))]
    assert session.scalar(select(func.count()).select_from(ApplicationAnswers)) == 1
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == 1
    kinds = session.scalars(select(OutboxMessage.kind)).all()
    # One confirmation; the others tell the owner that someone applied again (the hourly limit
    # on those notices is checked before inserting, so simultaneous ones may each send one).
    assert kinds.count("application_received") == 1
    assert set(kinds) == {"application_received", "application_repeated"}


def _transaction_states(session, send) -> tuple[list[tuple[str, bool]], object]:
    """(statement, whether it ran inside a transaction) for each statement one request sends."""
    session.remove()
    g.pop("_login_user", None)
    seen: list[tuple[str, bool]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0], not conn.connection.dbapi_connection.autocommit))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = send()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen, response


@pytest.mark.postgres_only
def test_public_pages_read_without_a_transaction_and_an_application_writes_in_one(client,
                                                                                  session):
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"

    for page in (f"/cohorts/{cohort.slug}", url):
        statements, response = _transaction_states(session, lambda page=page: client.get(page))
        assert response.status_code == 200
        # No BEGIN, no ROLLBACK: each read stands alone, as it would under READ COMMITTED.
        assert statements and not any(inside for _, inside in statements), statements

    data = {**form_data(), "csrf_token": csrf_token(client, url)}
    statements, response = _transaction_states(session, lambda: client.post(url, data=data))
    assert response.status_code == 302
    # Everything an application writes is one transaction: all of it or nothing (how many rows
    # it writes is pinned above).
    assert "INSERT" in [s for s, _ in statements]
    assert all(inside for _, inside in statements), statements

    # The connection goes back to the pool as it came: the next transaction is a transaction.
    with db.engine.connect() as conn:
        assert not conn.connection.dbapi_connection.autocommit


def test_an_application_validates_each_spelling_of_its_address_once(client, session, monkeypatch):
    from cohort import addresses

    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"
    checked: list[str] = []
    real = addresses.validate_email

    def counting(text: str, **options: object) -> object:
        checked.append(text)
        return real(text, **options)

    monkeypatch.setattr(addresses, "validate_email", counting)
    addresses.mailing_address.cache_clear()
    typed = "Ada.Lovelace@EXAMPLE.org"
    data = {**form_data(email=typed), "csrf_token": csrf_token(client, url)}
    assert client.post(url, data=data).status_code == 302
    # Each spelling is validated once, however many times the form, the spelling kept and the
    # key ask (four validations before): the typed one, then the kept one (for its key).
    assert checked == [typed, "Ada.Lovelace@example.org"]
    assert session.scalar(select(OutboxMessage.to_address)) == "Ada.Lovelace@example.org"
