"""The applicant's private status page /a/<token>."""

from __future__ import annotations

from sqlalchemy import select

from cohort.models import AuditRecord, Enrollment
from tests.factories import csrf_token, make_cohort, make_enrollment


def test_the_status_page_shows_state_next_step_and_deadline_in_both_zones(client, session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, state="accepted", time_zone="Australia/Perth")
    session.commit()

    response = client.get(f"/a/{enrollment.status_token}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Accepted" in page
    assert "pay the $100 USD deposit to hold your place" in page
    assert "Tuesday, January 30, 2024, midnight PST (end of the day)" in page
    assert "Wednesday, January 31, 2024, 4:00 pm AWST" in page
    assert "Thursday, February 8, 2024, 8:00 – 11:00 am AWST" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_each_state_has_a_next_step(client, session):
    cohort = make_cohort(session)
    expectations = {
        "submitted": "The facilitators are reviewing applications",
        "waitlisted": "If one frees up before the registration deadline",
        "registered": "send you an invoice for the remainder ($1,897.00 USD)",
        "lapsed": "registration was not completed by the deadline",
        "declined": "There is nothing more to do",
    }
    tokens = {state: make_enrollment(session, cohort, state=state).status_token
              for state in expectations}
    session.commit()

    for state, expected in expectations.items():
        assert expected in client.get(f"/a/{tokens[state]}").get_data(as_text=True), state


def test_an_unknown_or_malformed_token_is_not_found(client, session):
    make_enrollment(session, make_cohort(session))
    session.commit()

    assert client.get("/a/not-a-real-token").status_code == 404
    assert client.get("/a/" + "x" * 300).status_code == 404


def test_an_applicant_can_withdraw_after_confirming(client, session):
    enrollment = make_enrollment(session, make_cohort(session))
    session.commit()
    url = f"/a/{enrollment.status_token}"
    token = csrf_token(client, url)

    unconfirmed = client.post(f"{url}/withdraw", data={"csrf_token": token})
    assert unconfirmed.status_code == 302
    assert session.get(Enrollment, enrollment.id).state == "submitted"

    confirmed = client.post(f"{url}/withdraw", data={"csrf_token": token, "confirm": "y",
                                                     "reason": "Timing"})
    assert confirmed.status_code == 302
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "withdrawn"
    record = session.scalars(select(AuditRecord)).one()
    assert (record.event, record.reason) == ("withdraw", "Timing")
    assert "Withdrawn" in client.get(url).get_data(as_text=True)


def test_withdrawing_twice_is_a_clear_refusal_not_an_error(client, session):
    enrollment = make_enrollment(session, make_cohort(session), state="withdrawn")
    session.commit()
    url = f"/a/{enrollment.status_token}"
    token = csrf_token(client, f"/cohorts/{enrollment.cohort.slug}/apply")

    response = client.post(f"{url}/withdraw", data={"csrf_token": token, "confirm": "y"})

    assert response.status_code == 409
    assert "cannot withdraw an application that is withdrawn" in response.get_data(as_text=True)


def test_history_and_documents_use_the_words_people_read_not_ids(client, session):
    """State and document-kind labels come from one vocabulary (the machine, the models)."""
    from cohort.invoices.issuing import issue_document
    from cohort.money import Money
    from cohort.services.ledger import post
    from cohort.services.transitions import change_enrollment
    from tests.factories import utc

    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    session.commit()
    change_enrollment(session, enrollment.id, "waitlist", actor="staff:x",
                      now=utc("2024-01-08T18:00:00Z"))
    note = issue_document(session, enrollment.account, kind="credit_note",
                          now=utc("2024-01-08T18:00:00Z"),
                          lines=[("Goodwill", Money(1_000, cohort.currency))])
    post(session, enrollment.account, kind="credit", cents=-1_000, description="Goodwill",
         now=utc("2024-01-08T18:00:00Z"), document_id=note.id)
    session.commit()

    page = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)

    assert ": On the waitlist</li>" in page
    assert ": waitlisted</li>" not in page
    assert "— Credit note —" in page
    assert "credit_note" not in page
