"""One finance desk for cohorts in USD and EUR: totals per currency, currency in the CSV, days in
the seller's zone (SELLER_TIME_ZONE), each document dated in its own cohort's zone."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from cohort.config import ConfigError, load_config
from cohort.demo_berlin import seed_berlin
from cohort.invoices.issuing import issue_document
from cohort.models import Cohort, Enrollment, Payment, Registration
from cohort.services.confirmation import confirm_cohort
from cohort.services.ledger import post
from tests.console_helpers import sign_in
from tests.factories import make_cohort, make_enrollment, make_staff, utc

# 23:30 UTC on January 31: still January 31 in Los Angeles, already February 1 in Berlin.
LATE_JANUARY = utc("2024-01-31T23:30:00Z")
CONFIRMED = utc("2024-02-02T12:00:00Z")


def _deposit_paid(session, cohort: Cohort, *, name: str, when=LATE_JANUARY) -> Enrollment:
    """Registered, the cohort's deposit received by bank transfer at `when`, with its receipt."""
    enrollment = make_enrollment(session, cohort, state="registered", full_name=name)
    session.add(Registration(enrollment_id=enrollment.id, billing_name=name, organisation="",
                             address="1 Street", country="DE", tax_id="", policy_version=1,
                             policy_text="p", policy_agreed_at=when, terms_agreed_at=when,
                             rebate_eligible=False, created_at=when, updated_at=when))
    payment = Payment(account_id=enrollment.account_id, purpose="deposit", method="bank_transfer",
                      status="succeeded", amount_cents=cohort.deposit_cents,
                      currency=cohort.currency, created_at=when, succeeded_at=when,
                      reference="DEP")
    session.add(payment)
    session.flush()
    post(session, enrollment.account, kind="fee", cents=cohort.deposit_cents, description="Deposit",
         now=when)
    post(session, enrollment.account, kind="payment", cents=-cohort.deposit_cents,
         description="Paid",
         now=when, payment_id=payment.id)
    issue_document(session, enrollment.account, kind="receipt", now=when,
                   lines=[("Deposit", cohort.deposit)])
    return enrollment


@pytest.fixture
def two_currencies(app, client, session):
    """The seed-like cohort in USD and the Berlin demo cohort in EUR, each confirmed and
    invoiced to two people; finance signed in."""
    dollars = make_cohort(session, state="closed", minimum_participants=1, slug="cop-usd")
    euros = seed_berlin(session, utc("2023-12-01T00:00:00Z"), weeks=0)
    euros.state, euros.minimum_participants = "closed", 1
    session.flush()
    for cohort in (dollars, euros):
        for name in ("Ada Lovelace", "Grace Hopper"):
            _deposit_paid(session, cohort, name=f"{name} {cohort.currency}")
        confirm_cohort(session, cohort, actor="staff:x", now=CONFIRMED, due_days=14)
    make_staff(session, role="finance", email="money@example.org")
    session.commit()
    sign_in(client, "money@example.org")
    return dollars, euros


def _totals(page: str) -> dict[str, str]:
    return dict(re.findall(r'class="total-([a-z_]+-[A-Z]{3})">([^<]+)</strong>', page))


def test_totals_are_per_currency_and_never_added_across_currencies(client, two_currencies):
    page = client.get("/finance/").get_data(as_text=True)

    assert _totals(page) == {
        "receipt-USD": "$200.00 USD", "invoice-USD": "$3,794.00 USD",
        "receipt-EUR": "€600.00 EUR", "invoice-EUR": "€1,800.00 EUR",
    }
    assert "$800.00" not in page and "€800.00" not in page  # no deposit total across currencies


def test_the_csv_gives_each_documents_currency_and_its_cohorts_date(client, two_currencies):
    rows = list(csv.DictReader(io.StringIO(
        client.get("/finance/documents.csv").get_data(as_text=True))))

    receipts = {(r["currency"], r["date"], r["net"]) for r in rows if r["type"] == "receipt"}
    invoices = {(r["currency"], r["net"]) for r in rows if r["type"] == "invoice"}
    assert receipts == {("USD", "2024-01-31", "100.00"), ("EUR", "2024-02-01", "300.00")}
    assert invoices == {("USD", "1897.00"), ("EUR", "900.00")}
    assert len(rows) == 8


def test_the_desk_shows_each_document_on_its_cohorts_day(client, two_currencies):
    page = client.get("/finance/?kind=receipt").get_data(as_text=True)

    assert page.count("Wednesday, January 31, 2024") == 2  # Los Angeles
    assert page.count("Thursday, February 1, 2024") == 2  # Berlin


@pytest.mark.parametrize(("seller_zone", "february_receipts"), [
    ("Europe/Berlin", 4), ("America/Los_Angeles", 0), ("UTC", 0)])
def test_the_day_filters_are_days_in_the_sellers_zone(app, client, two_currencies,
                                                      seller_zone, february_receipts):
    app.config["SELLER_TIME_ZONE"] = seller_zone

    february = client.get("/finance/?kind=receipt&issued_from=2024-02-01").get_data(
        as_text=True)
    january = client.get("/finance/?kind=receipt&issued_to=2024-01-31").get_data(as_text=True)

    assert february.count("R-2024-") == february_receipts
    assert january.count("R-2024-") == 4 - february_receipts
    assert f"seller's days ({seller_zone})" in february


def test_the_sellers_zone_is_a_setting_checked_at_start(tmp_path: Path):
    assert load_config(str(tmp_path), {"COHORT_ENV": "test"})["SELLER_TIME_ZONE"] == "UTC"
    berlin = load_config(str(tmp_path), {"COHORT_ENV": "test", "SELLER_TIME_ZONE": "Europe/Berlin"})
    assert berlin["SELLER_TIME_ZONE"] == "Europe/Berlin"
    with pytest.raises(ConfigError, match="SELLER_TIME_ZONE must be an IANA time zone"):
        load_config(str(tmp_path), {"COHORT_ENV": "test", "SELLER_TIME_ZONE": "Mars/Olympus"})
