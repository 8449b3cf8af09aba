"""Confirming a cohort shows every invoice and e-mail first; nothing is issued until confirmed."""

from __future__ import annotations

from sqlalchemy import func, select

from cohort.models import Cohort, Document, Enrollment, OutboxMessage
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_enrollment, make_staff


def _closed_with_registrants(session, names=("Ada Lovelace", "Grace Hopper")):
    cohort = make_cohort(session, state="closed", minimum_participants=1)
    people = [make_enrollment(session, cohort, state="registered", full_name=name)
              for name in names]
    make_staff(session, role="facilitator", email="facilitator@example.org")
    session.commit()
    return cohort, people


def _nothing_issued(session, cohort) -> None:
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "closed"
    assert session.scalar(select(func.count()).select_from(Document)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert set(session.scalars(select(Enrollment.state))) == {"registered"}


def test_the_dashboards_confirm_leads_to_a_preview_and_issues_nothing(client, session):
    cohort, people = _closed_with_registrants(session)
    sign_in(client, "facilitator@example.org")
    dashboard = f"/staff/cohorts/{cohort.slug}"

    page = client.get(dashboard).get_data(as_text=True)
    assert f'<a class="button" href="{dashboard}/confirm">Confirm: enough people…</a>' in page
    posted = client.post(f"{dashboard}/actions/confirm",
                         data={"csrf_token": page_token(client, dashboard)})
    assert posted.status_code == 303 and posted.location.endswith(f"{dashboard}/confirm")

    preview = client.get(f"{dashboard}/confirm").get_data(as_text=True)
    for person in people:
        assert f"{person.person.name} &lt;{person.person.email}&gt;" in preview
    assert preview.count('<td class="amount">$1,897.00 USD</td>') == 2
    assert preview.count("Wednesday, January 24, 2024") >= 2  # 14 days after Jan 10, cohort zone
    assert preview.count(
        "<strong>Subject:</strong> Invoice INV-2024-…: $1,897.00 USD — A Community of Practice"
    ) == 2
    assert "Good news: enough people have registered" in preview
    assert "Confirm and send 2 invoice(s)" in preview
    _nothing_issued(session, cohort)


def test_confirming_from_the_preview_sends_exactly_what_it_showed(client, session):
    cohort, people = _closed_with_registrants(session)
    sign_in(client, "facilitator@example.org")
    url = f"/staff/cohorts/{cohort.slug}/confirm"
    preview = client.get(url).get_data(as_text=True)
    ids = [p.id for p in people]

    response = client.post(url, data={"csrf_token": page_token(client, url),
                                      "enrollment_ids": ids})

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "confirmed"
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice_issued")
                            .order_by(OutboxMessage.enrollment_id)).all()
    assert [m.enrollment_id for m in mails] == ids
    for mail in mails:
        invoice = session.scalars(select(Document).join(
            Enrollment, Enrollment.account_id == Document.account_id).where(
            Enrollment.id == mail.enrollment_id)).one()
        shown = mail.body_text.replace(invoice.display_number, "INV-2024-…")
        assert shown.strip() in preview.replace("&lt;", "<").replace("&gt;", ">") \
            .replace("&#39;", "'").replace("&amp;", "&")


def test_a_registration_since_the_preview_refuses_the_whole_confirmation(client, session):
    cohort, people = _closed_with_registrants(session, names=("Ada Lovelace",))
    sign_in(client, "facilitator@example.org")
    url = f"/staff/cohorts/{cohort.slug}/confirm"
    token = page_token(client, url)
    make_enrollment(session, session.get(Cohort, cohort.id), state="registered",
                    full_name="Late Registrant")
    session.commit()

    response = client.post(url, data={"csrf_token": token, "enrollment_ids": [people[0].id]})

    assert response.status_code == 409
    assert "Registrations changed since the preview" in response.get_data(as_text=True)
    _nothing_issued(session, cohort)


def test_confirming_without_the_forms_token_is_refused(client, session):
    cohort, people = _closed_with_registrants(session)
    sign_in(client, "facilitator@example.org")

    response = client.post(f"/staff/cohorts/{cohort.slug}/confirm",
                           data={"enrollment_ids": [p.id for p in people]})

    assert response.status_code == 400
    _nothing_issued(session, cohort)


def test_the_preview_below_the_minimum_says_why_and_offers_no_button(client, session):
    cohort = make_cohort(session, state="closed", minimum_participants=3)
    enrollment = make_enrollment(session, cohort, state="registered")
    make_staff(session, role="facilitator", email="facilitator@example.org")
    session.commit()
    sign_in(client, "facilitator@example.org")
    url = f"/staff/cohorts/{cohort.slug}/confirm"

    page = client.get(url).get_data(as_text=True)
    assert "cannot be confirmed now: Only 1 registered; the cohort needs at least 3" in page
    assert "Confirm and send" not in page
    response = client.post(url, data={"csrf_token": page_token(client, f"/staff/cohorts/"
                                                                     f"{cohort.slug}"),
                                      "enrollment_ids": [enrollment.id]})

    assert response.status_code == 409
    _nothing_issued(session, cohort)
