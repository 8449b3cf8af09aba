"""The finance desk shows 100 documents a page, with totals over all of them, in a fixed number of
statements; its status filter (worked out in SQL) agrees with each row's status, on the desk's
page as in the exports."""

from __future__ import annotations

import re

from flask import g
from sqlalchemy import event, insert

from cohort.extensions import db
from cohort.models import Document
from cohort.services.finance import STATUSES, DocumentFilter, document_report
from cohort.services.finance_desk import desk_page
from cohort.services.ledger import post
from tests.factories import make_cohort, make_enrollment, make_staff, utc
from tests.test_finance_desk import _desk

NOW = utc("2024-02-10T12:00:00Z")
ROW = re.compile(r'<td><a href="/finance/documents/\d+\.pdf')


def _documents(session, account_id, how_many, *, kind="receipt", total=10_000, due_at=None,
               first=0):
    """`how_many` documents on the account, inserted in one statement."""
    session.execute(insert(Document.__table__), [
        {"kind": kind, "series": f"B-{kind}", "number": first + n,
         "display_number": f"B-{kind}-{account_id}-{first + n:05d}",
         "account_id": account_id, "issued_at": utc("2024-01-15T12:00:00Z"),
         "due_at": due_at, "currency": "USD", "total_cents": total,
         "lines": [{"description": "Seat", "amount_cents": total}],
         "seller": {"name": "Seller"}, "buyer": {"name": f"Buyer {n}", "country": "CA"},
         "reason": "", "note": ""} for n in range(how_many)])
    session.commit()


def _statements(session, client, url):
    session.remove()
    g.pop("_login_user", None)
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper() != "BEGIN":
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return seen, response.get_data(as_text=True)


def test_the_desk_shows_a_page_of_100_with_totals_over_all_in_fixed_statements(
        app, client, session):
    cohort = make_cohort(session, state="closed")
    account_id = make_enrollment(session, cohort, state="registered").account_id
    session.commit()
    _documents(session, account_id, 30)
    _desk(client, session)

    few, page = _statements(session, client, "/finance/")
    assert len(ROW.findall(page)) == 30 and "page 1 of" not in page
    assert 'class="total-receipt-USD">$3,000.00 USD' in page

    _documents(session, account_id, 220, first=30)
    many, page = _statements(session, client, "/finance/")
    assert len(ROW.findall(page)) == 100
    assert "250 documents · page 1 of 3" in page
    assert 'class="total-receipt-USD">$25,000.00 USD' in page  # every document, not the page
    assert len(many) == len(few) == 5  # the user, the filter's choices (2), totals, the page
    _, last = _statements(session, client, "/finance/?page=3&kind=receipt")
    assert len(ROW.findall(last)) == 50 and "page 3 of 3" in last
    _, beyond = _statements(session, client, "/finance/?page=99")
    assert "page 3 of 3" in beyond
    csv_text = client.get("/finance/documents.csv?page=2").get_data(as_text=True)
    assert csv_text.count("B-receipt-") == 250  # exports are never paginated


def test_the_status_filter_in_sql_agrees_with_each_rows_status(app, session):
    cohort = make_cohort(session, state="closed")
    make_staff(session, role="finance", email="money@example.org")
    owing = {}
    # Balances: settled, part paid, more than owed, in credit, nothing posted.
    for name, cents in [("settled", 0), ("part", 4_000), ("more", 25_000), ("credit", -500),
                        ("none", None)]:
        enrollment = make_enrollment(session, cohort, state="invoiced", full_name=name)
        if cents is not None:
            post(session, enrollment.account, kind="fee", cents=10_000, description="Fee", now=NOW)
            post(session, enrollment.account, kind="payment", cents=cents - 10_000,
                 description="Paid", now=NOW)
        owing[name] = enrollment.account_id
    session.commit()
    for n, account_id in enumerate(owing.values()):
        _documents(session, account_id, 1, kind="invoice", due_at=utc("2024-02-01T00:00:00Z"),
                   first=10 * n)
        _documents(session, account_id, 1, kind="invoice", due_at=utc("2024-03-01T00:00:00Z"),
                   first=10 * n + 1)
        _documents(session, account_id, 1, kind="invoice", first=10 * n + 2)
        _documents(session, account_id, 1, kind="receipt", first=10 * n)
        _documents(session, account_id, 1, kind="credit_note", total=500, first=10 * n)

    everything = document_report(session, DocumentFilter(), NOW).rows
    assert len(everything) == 25
    seen = set()
    for status in STATUSES:
        filtered = document_report(session, DocumentFilter(status=status), NOW)
        expected = sorted(r.document.id for r in everything if r.status == status)
        assert sorted(r.document.id for r in filtered.rows) == expected, status
        assert all(r.status == status for r in filtered.rows)
        assert filtered.count == len(expected)
        page = desk_page(session, DocumentFilter(status=status), NOW, 1)  # the desk's own rows
        assert page.count == len(expected)
        assert sorted((r.id, r.status, r.paid, r.balance_due) for r in page.rows) == sorted(
            (r.document.id, r.status, r.paid, r.balance_due) for r in filtered.rows), status
        seen.add(status) if expected else None
    assert seen == set(STATUSES)  # the data reaches every status
