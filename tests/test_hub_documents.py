"""The member's invoices and receipts in the hub: listed, downloadable, and nobody else's."""

from __future__ import annotations

from cohort.invoices.issuing import issue_document
from cohort.money import Money
from tests.factories import make_cohort, make_enrollment, set_clock, utc
from tests.hub_helpers import open_hub
from tests.membership_factories import (
    account_for,
    make_community,
    make_member_person,
    make_membership,
)

NOW = "2026-01-15T12:00:00Z"


def _invoice(session, account, text="Practitioner's Lounge, January 2026", cents=2_000):
    return issue_document(session, account, kind="invoice", now=utc("2026-01-01T00:00:00Z"),
                          lines=[(text, Money(cents, account.currency))])


def test_the_hub_lists_the_members_documents_and_serves_their_pdfs(app, client, session):
    set_clock(app, NOW)
    community = make_community(session)
    person = make_member_person(session, email="ada@example.org", name="Ada Member")
    make_membership(session, community, "lounge", person=person)
    invoice = _invoice(session, account_for(session, community, person))
    session.commit()
    open_hub(client, session, "ada@example.org")

    page = client.get("/hub/memberships").get_data(as_text=True)
    assert invoice.display_number in page and "$20.00 USD" in page
    assert f"/hub/documents/{invoice.id}" in page

    pdf = client.get(f"/hub/documents/{invoice.id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert invoice.display_number in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/hub/documents/{invoice.id}?paper=Letter").status_code == 200
    assert client.get(f"/hub/documents/{invoice.id}?paper=A0").status_code == 400


def test_another_persons_documents_and_ones_own_enrollment_documents_are_not_served(
        app, client, session):
    set_clock(app, NOW)
    community = make_community(session)
    enrollment = make_enrollment(session, make_cohort(session), state="invoiced",
                                 email="ada@example.org")
    person = enrollment.person  # an applicant of a cohort who is a member too
    make_membership(session, community, "lounge", person=person)
    cohort_invoice = _invoice(session, enrollment.account, "Program fee", 189_700)
    other = make_member_person(session, email="bo@example.org")
    make_membership(session, community, "lounge", person=other)
    theirs = _invoice(session, account_for(session, community, other))
    session.commit()
    open_hub(client, session, "ada@example.org")

    refused = client.get(f"/hub/documents/{theirs.id}")
    assert refused.status_code == 404
    assert "no such document among yours" in refused.get_data(as_text=True)
    assert client.get(f"/hub/documents/{cohort_invoice.id}").status_code == 404
    page = client.get("/hub/memberships").get_data(as_text=True)
    assert theirs.display_number not in page and cohort_invoice.display_number not in page
    assert client.get(f"/hub/documents/{10**30}").status_code == 404


def test_documents_need_a_hub_session(app, client, session):
    set_clock(app, NOW)
    community = make_community(session)
    person = make_member_person(session, email="ada@example.org")
    make_membership(session, community, "lounge", person=person)
    invoice = _invoice(session, account_for(session, community, person))
    session.commit()
    assert client.get(f"/hub/documents/{invoice.id}").status_code == 401
