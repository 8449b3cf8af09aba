"""Amounts people type: plain digits only, and credit notes never above what is owed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cohort.models import Cohort, Document, Payment
from cohort.money import Money
from cohort.services.confirmation import confirm_cohort
from cohort.services.ledger import balance
from forms.numbers import parse_basis_points, parse_cents
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_enrollment, make_staff, offline_deposit, utc
from tests.test_console_cohorts import _settings_form

NOW = utc("2024-01-20T20:00:00Z")
NOT_AMOUNTS = ["1E+2", "1e2", "1e999999", "١٠٠", "１００", "100²", "1_000", "12.345", "-5",
               "1,99", "1,9970.00", "0x10", "NaN", "Infinity", " ", "10.", ".5", "1 000"]


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_an_amount_is_ascii_digits_with_thousands_commas_and_two_decimals(text):
    with pytest.raises(ValueError, match="Please give an amount in digits"):
        parse_cents(text)


@pytest.mark.parametrize(("text", "cents"), [
    ("1,897.00", 189_700), ("$97", 9_700), ("97.5", 9_750), ("0.01", 1), ("1997", 199_700),
    (" 1,000,000.00 ", 100_000_000)])
def test_plain_amounts_are_read_to_the_cent(text, cents):
    assert parse_cents(text) == cents


def test_an_absurd_amount_says_the_limit():
    with pytest.raises(ValueError, match="too large"):
        parse_cents("1,000,000.01")


@pytest.mark.parametrize("text", ["1E+1", "٢٥", "25.001", "101", "-1", "2_5"])
def test_a_percentage_is_plain_digits_between_0_and_100(text):
    with pytest.raises(ValueError):
        parse_basis_points(text)


def _invoiced(session):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment = make_enrollment(session, cohort, state="registered")
    offline_deposit(session, enrollment)
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x", now=NOW,
                   due_days=14)
    make_staff(session, role="finance", email="money@example.org")
    session.commit()
    return enrollment


@pytest.mark.parametrize("text", ["1E+2", "١٠٠", "1e999999", "12.345"])
def test_finance_amounts_in_other_notations_are_refused_beside_the_field(client, session, text):
    enrollment = _invoiced(session)
    sign_in(client, "money@example.org")
    url = f"/finance/enrollments/{enrollment.id}"

    payment = client.post(f"{url}/payments", data={
        "csrf_token": page_token(client, url), "pay-amount": text, "pay-reference": "BANK-1"})
    credit = client.post(f"{url}/credit-notes", data={
        "csrf_token": page_token(client, url), "credit-credit_amount": text,
        "credit-reason": "Discount"})

    for response in (payment, credit):
        assert response.status_code == 422
        assert 'class="error"' in response.get_data(as_text=True)
        assert "Please give an amount in digits such as 1,997.00" in response.get_data(
            as_text=True)
    assert session.scalar(select(func.count()).select_from(Payment).where(
        Payment.purpose == "balance")) == 0
    assert balance(session, enrollment.account) == Money(189_700, "USD")


def test_a_credit_note_above_what_is_owed_is_refused_and_says_the_cap(client, session):
    enrollment = _invoiced(session)
    sign_in(client, "money@example.org")
    url = f"/finance/enrollments/{enrollment.id}"

    too_much = client.post(f"{url}/credit-notes", data={
        "csrf_token": page_token(client, url), "credit-credit_amount": "5,000.00",
        "credit-reason": "Typo"})
    just_right = client.post(f"{url}/credit-notes", data={
        "csrf_token": page_token(client, url), "credit-credit_amount": "1,897.00",
        "credit-reason": "Waived"})
    nothing_left = client.post(f"{url}/credit-notes", data={
        "csrf_token": page_token(client, url), "credit-credit_amount": "1.00",
        "credit-reason": "Again"})

    assert too_much.status_code == 422
    text = too_much.get_data(as_text=True)
    assert 'id="credit-credit_amount-error"' in text
    assert "At most $1,897.00 USD can be credited: that is what is owed." in text
    assert just_right.status_code == 302
    assert nothing_left.status_code == 422
    assert "Nothing is owed" in nothing_left.get_data(as_text=True)
    notes = session.scalars(select(Document).where(Document.kind == "credit_note")).all()
    assert [n.total_cents for n in notes] == [189_700]
    assert balance(session, enrollment.account) == Money(0, "USD")


@pytest.mark.parametrize(("field", "value"), [
    ("capacity", "١٠"), ("capacity", "1_0"), ("minimum_participants", "５"),
    ("meeting_minutes", "9e1"), ("rebate_percent", "1E+1"), ("rebate_percent", "٢٥"),
    ("price", "1E+3"), ("deposit", "١٠٠")])
def test_cohort_settings_refuse_numbers_in_other_notations(client, session, field, value):
    cohort = make_cohort(session)
    make_staff(session, role="admin", email="admin@example.org")
    session.commit()
    sign_in(client, "admin@example.org")
    url = f"/staff/cohorts/{cohort.slug}/settings"
    data = _settings_form(client, url)

    response = client.post(url, data={**data, field: value})

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    session.expire_all()
    saved = session.get(Cohort, cohort.id)
    assert (saved.capacity, saved.price_cents) == (9, 199_700)


def test_meeting_dates_in_other_digits_are_refused(client, session):
    cohort = make_cohort(session)
    make_staff(session, role="admin", email="admin@example.org")
    session.commit()
    sign_in(client, "admin@example.org")
    url = f"/staff/cohorts/{cohort.slug}/settings"
    data = _settings_form(client, url)

    response = client.post(url, data={**data, "meetings": "٢٠٢٤-٠٢-٠٧ 16:00"})

    assert response.status_code == 422
    assert "is not “YYYY-MM-DD HH:MM”" in response.get_data(as_text=True)


def test_a_superscript_page_number_shows_the_first_page(client, session):
    cohort = make_cohort(session)
    make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    sign_in(client, "f@example.org")

    response = client.get(f"/staff/cohorts/{cohort.slug}/applications?page=²")

    assert response.status_code == 200
