"""Status and cancel pages say what is true: what is owed and by when, a rebate given, no refund."""

from __future__ import annotations

from sqlalchemy import select

from cohort.models import Cohort, Enrollment, OutboxMessage, Registration
from cohort.services.confirmation import confirm_cohort
from cohort.services.rebates import issue_rebate
from tests.factories import (
    csrf_token,
    make_cohort,
    make_enrollment,
    offline_deposit,
    set_clock,
    utc,
)

CONFIRMED = utc("2024-02-01T18:00:00Z")


def _invoiced(session, country="US"):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    enrollment = make_enrollment(session, cohort, state="registered")
    offline_deposit(session, enrollment)
    session.add(Registration(enrollment_id=enrollment.id, billing_name="Ada", address="1 St",
                             country=country, policy_version=1, policy_text="p",
                             policy_agreed_at=CONFIRMED, terms_agreed_at=CONFIRMED,
                             rebate_eligible=country in ("AU", "CA", "NZ"),
                             created_at=CONFIRMED, updated_at=CONFIRMED))
    confirm_cohort(session, session.get(Cohort, cohort.id), actor="staff:x", now=CONFIRMED,
                   due_days=14)
    session.commit()
    return enrollment


def test_an_unpaid_invoice_says_what_is_owed_and_by_when(app, client, session):
    enrollment = _invoiced(session)
    set_clock(app, "2024-02-02T12:00:00Z")

    page = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)

    assert "Pay the $1,897.00 USD you owe." in page
    assert "Pay by:" in page and "February 7, 2024" in page  # the first meeting, Pacific


def test_a_participant_who_has_not_paid_is_not_told_all_is_set(app, client, session):
    enrollment = _invoiced(session)
    enrollment.state = "participating"  # the cohort started with the invoice unpaid
    session.commit()
    set_clock(app, "2024-02-20T12:00:00Z")

    page = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)

    assert "all set" not in page
    assert "Pay the $1,897.00 USD you owe: it is overdue." in page
    assert "It was due:" in page and "You owe" in page


def test_a_participant_who_has_paid_is_all_set(app, client, session):
    enrollment = _invoiced(session)
    enrollment.state = "participating"
    session.commit()
    from cohort.money import Money
    from cohort.services.payments import record_offline_payment

    record_offline_payment(session, enrollment, amount=Money(189_700, "USD"), reference="B",
                           actor="staff:x", now=CONFIRMED)
    session.commit()

    page = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)

    assert "You are all set." in page and "you owe" not in page


def test_after_the_rebate_the_page_says_it_was_issued_not_promised(app, client, session):
    enrollment = _invoiced(session, country="AU")
    before = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)
    issue_rebate(session, enrollment.id, gateway=None, now=utc("2024-02-08T00:00:00Z"))
    session.commit()

    after = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)

    assert "you will receive a 25% rebate" in before
    assert "you will receive" not in after
    assert ("Your rebate of $499.25 USD was issued on Wednesday, February 7, 2024 with credit "
            "note") in after
    assert "CN-2024-0001</a>: it was set against what you owe." in after


def test_cancelling_when_nothing_comes_back_says_so_plainly(app, client, session):
    enrollment = _invoiced(session)
    enrollment.state = "participating"
    session.commit()
    set_clock(app, "2024-02-20T12:00:00Z")  # after the start: the policy refunds nothing
    url = f"/a/{enrollment.status_token}/cancel"

    page = client.get(url).get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_token(client, url), "confirm": "y",
                                  "quoted_cents": "0"}, follow_redirects=True)

    assert "$0.00" not in page
    assert "Cancel without a refund" in page and "nothing is refunded" in page
    assert "the $100.00 USD you paid is kept" in page
    text = done.get_data(as_text=True)
    assert "Nothing is refunded, as the policy says." in text
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "cancelled"
    mail = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "enrollment_cancelled")).one()
    assert "Nothing is refunded." in mail.body_text and "$0.00" not in mail.body_text
