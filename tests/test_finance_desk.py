"""The finance desk: filters and totals, balances, bank transfers, credit notes, exports."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from cohort.models import Cohort, Document, Enrollment, LedgerEntry, Payment
from cohort.money import Money
from cohort.services.confirmation import confirm_cohort
from cohort.services.ledger import balance, post
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_enrollment, make_staff, set_clock, utc
from tests.payments_helpers import finish_payment, pay_by_card, register

NOW = utc("2024-01-20T20:00:00Z")
FINANCE_PAGES = ["/finance/", "/finance/balances", "/finance/payments",
                 "/finance/documents.csv"]


def _registered(session, cohort, *, country="US", name="Ada Lovelace"):
    """Registered with a deposit paid by bank transfer, and its receipt."""
    from cohort.invoices.issuing import issue_document
    from cohort.models import Registration

    enrollment = make_enrollment(session, cohort, state="registered", full_name=name,
                                 country=country)
    session.add(Registration(enrollment_id=enrollment.id, billing_name=name, organisation="Org",
                             address="1 Street", country=country, tax_id="TAX-1",
                             policy_version=1, policy_text="p", policy_agreed_at=NOW,
                             terms_agreed_at=NOW, rebate_eligible=country in ("AU", "CA", "NZ"),
                             created_at=NOW, updated_at=NOW))
    payment = Payment(account_id=enrollment.account_id, purpose="deposit", method="bank_transfer",
                      status="succeeded", amount_cents=10_000, currency=cohort.currency,
                      created_at=NOW, succeeded_at=NOW, reference="DEP")
    session.add(payment)
    session.flush()
    post(session, enrollment.account, kind="fee", cents=10_000, description="Deposit", now=NOW)
    post(session, enrollment.account, kind="payment", cents=-10_000, description="Paid", now=NOW,
         payment_id=payment.id)
    issue_document(session, enrollment.account, kind="receipt", now=NOW,
                   lines=[("Deposit", Money(10_000, cohort.currency))])
    session.commit()
    return enrollment


def _desk(client, session):
    make_staff(session, role="finance", email="money@example.org")
    session.commit()
    sign_in(client, "money@example.org")


@pytest.mark.parametrize("who", ["anonymous", "facilitator", "finance", "admin"])
def test_only_finance_and_admins_open_the_desk(client, session, who):
    enrollment = _registered(session, make_cohort(session, state="closed"))
    if who != "anonymous":
        make_staff(session, role=who, email=f"{who}@example.org")
        session.commit()
        sign_in(client, f"{who}@example.org")

    for url in [*FINANCE_PAGES, f"/finance/enrollments/{enrollment.id}"]:
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
        else:
            assert response.status_code == (403 if who == "facilitator" else 200), (url, who)


def test_documents_filter_by_cohort_type_status_dates_and_country_with_totals(
        app, client, session):
    first = make_cohort(session, state="closed", minimum_participants=1, slug="cop-first")
    second = make_cohort(session, state="closed", minimum_participants=1, slug="cop-second")
    au = _registered(session, first, country="AU", name="Kim Sydney")
    _registered(session, first, country="US", name="Sam Boston")
    _registered(session, second, country="US", name="Lee Denver")
    set_clock(app, "2024-02-01T18:00:00Z")
    confirm_cohort(session, session.get(Cohort, first.id), actor="staff:x",
                   now=utc("2024-02-01T18:00:00Z"), due_days=14)
    session.commit()
    _desk(client, session)

    everything = client.get("/finance/").get_data(as_text=True)
    invoices = client.get("/finance/?kind=invoice").get_data(as_text=True)
    first_only = client.get("/finance/?cohort=cop-first&kind=receipt").get_data(as_text=True)
    australia = client.get("/finance/?country=AU").get_data(as_text=True)
    outstanding = client.get("/finance/?status=outstanding").get_data(as_text=True)
    january = client.get("/finance/?issued_from=2024-01-01&issued_to=2024-01-31").get_data(
        as_text=True)

    assert everything.count('<td><a href="/finance/documents/') == 5
    assert 'class="total-invoice-USD">$3,794.00 USD' in everything
    assert 'class="total-receipt-USD">$300.00 USD' in everything
    assert invoices.count("INV-2024-") == 2 and "R-2024-" not in invoices
    assert first_only.count("R-2024-") == 2 and "Lee Denver" not in first_only
    assert "Kim Sydney" in australia and "Sam Boston" not in australia
    assert outstanding.count("INV-2024-") == 2
    assert "INV-2024-" not in january and january.count("R-2024-") == 3
    assert au.state == "invoiced"


def test_the_csv_has_the_accountants_columns_and_matches_the_ledger(app, client, session):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment = _registered(session, cohort, country="AU", name="=cmd|' /C calc'!A0")
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x",
                   now=utc("2024-02-01T18:00:00Z"), due_days=14)
    session.commit()
    _desk(client, session)

    response = client.get("/finance/documents.csv")

    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["number", "type", "date", "buyer", "organisation", "country",
                             "tax id", "currency", "net", "paid", "balance", "refers to",
                             "status", "stripe ids", "billed for", "account"]
    invoice = next(r for r in rows if r["type"] == "invoice")
    assert invoice["billed for"] == f"{cohort.program.title} — {cohort.title}"
    assert invoice["account"] == str(enrollment.account_id)
    assert (invoice["net"], invoice["paid"], invoice["balance"]) == ("1897.00", "0.00",
                                                                     "1897.00")
    assert invoice["buyer"].startswith("'=")  # no formula for a spreadsheet to run
    assert invoice["tax id"] == "TAX-1" and invoice["country"] == "AU"
    ledger_fees = sum(e.amount_cents for e in session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == "fee")))
    csv_total = sum(int(r["net"].replace(".", "")) for r in rows if r["type"] != "credit note")
    assert csv_total == ledger_fees == 199_700
    assert balance(session, enrollment.account).cents == int(invoice["balance"].replace(".", ""))


def test_finance_records_a_bank_transfer_with_a_reference(client, session):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment = _registered(session, cohort)
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x", now=NOW,
                   due_days=14)
    session.commit()
    _desk(client, session)
    url = f"/finance/enrollments/{enrollment.id}"

    bad = client.post(f"{url}/payments", data={
        "csrf_token": page_token(client, url), "pay-amount": "ten", "pay-reference": ""})
    good = client.post(f"{url}/payments", data={
        "csrf_token": page_token(client, url), "pay-amount": "1,897.00",
        "pay-reference": "BANK-778"})

    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Please give an amount in digits such as 1,997.00" in text
    assert "Please give the bank&#39;s reference." in text
    assert good.status_code == 302
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "paid"
    assert session.scalars(select(Payment).where(Payment.reference == "BANK-778")).one()


def test_a_manual_credit_note_refers_to_the_invoice_and_reduces_the_balance(client, session):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment = _registered(session, cohort)
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x", now=NOW,
                   due_days=14)
    session.commit()
    _desk(client, session)
    url = f"/finance/enrollments/{enrollment.id}"

    response = client.post(f"{url}/credit-notes", data={
        "csrf_token": page_token(client, url), "credit-credit_amount": "97.00",
        "credit-reason": "Early-bird discount agreed by e-mail"})

    assert response.status_code == 302
    note = session.scalars(select(Document).where(Document.kind == "credit_note")).one()
    assert note.refers_to.kind == "invoice" and note.total_cents == 9_700
    assert balance(session, enrollment.account) == Money(180_000, "USD")


def test_outstanding_balances_show_due_dates_and_overdue(app, client, session):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    _registered(session, cohort, name="Late Payer")
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x", now=NOW,
                   due_days=14)
    session.commit()
    _desk(client, session)
    set_clock(app, "2024-02-05T00:00:00Z")

    page = client.get("/finance/balances").get_data(as_text=True)

    assert "Late Payer" in page and "$1,897.00 USD" in page
    assert "A Community of Practice — February 7, 2024 to June 26, 2024" in page
    assert "Saturday, February 3, 2024" in page and "(overdue)" in page


def test_reconciliation_compares_each_card_payment_with_stripe(
        client, session, localstripe, stripe_live):
    cohort = make_cohort(session, state="closed")
    enrollment = make_enrollment(session, cohort, state="accepted")
    session.commit()
    register(client, enrollment.status_token)
    _, _, form = pay_by_card(client, localstripe, enrollment.status_token, "deposit")
    finish_payment(client, form)
    _desk(client, session)

    clean = client.get("/finance/reconciliation").get_data(as_text=True)
    payment = session.scalars(select(Payment)).one()
    payment.amount_cents = 9_999  # a record gone wrong
    session.commit()
    differing = client.get("/finance/reconciliation").get_data(as_text=True)

    assert 'class="differing">0</strong>' in clean
    assert payment.stripe_payment_intent_id in clean
    assert 'class="differing">1</strong>' in differing
    assert "amount: ours $99.99 USD, Stripe $100.00 USD" in differing
