"""What a new user meets first: the way in for staff, limits stated up front, cohorts by name."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from cohort.models import OutboxMessage
from cohort.services.transitions import change_enrollment
from tests.console_helpers import sign_in
from tests.factories import make_cohort, make_enrollment, make_staff

COHORT_NAME = "A Community of Practice — February 7, 2024 to June 26, 2024"


def _footer(page: str) -> str:
    match = re.search(r"<footer class=\"site\">(.*?)</footer>", page, re.S)
    assert match, "the page has no footer"
    return match.group(1)


def test_public_pages_link_to_staff_sign_in_in_the_footer(client, session):
    cohort = make_cohort(session)
    session.commit()

    for url in ("/", f"/cohorts/{cohort.slug}", f"/cohorts/{cohort.slug}/apply"):
        footer = _footer(client.get(url).get_data(as_text=True))
        assert '<a href="/staff/login">Staff sign-in</a>' in footer, url


def test_the_footer_on_a_cohorts_pages_links_to_its_facilitators(client, session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    session.commit()

    for url in (f"/cohorts/{cohort.slug}", f"/cohorts/{cohort.slug}/apply",
                f"/a/{enrollment.status_token}"):
        footer = _footer(client.get(url).get_data(as_text=True))
        assert '<a href="mailto:evan@example.org">Evan Miller</a>' in footer, url
        assert '<a href="mailto:sheella@example.org">Sheella Mierson</a>' in footer, url
        assert "address on the cohort page" not in footer


def test_the_footer_elsewhere_links_to_the_programs_or_the_configured_address(app, client):
    footer = _footer(client.get("/").get_data(as_text=True))
    assert '<a href="/">see the programs</a>' in footer

    app.config["CONTACT_EMAIL"] = "questions@example.org"
    footer = _footer(client.get("/").get_data(as_text=True))
    assert '<a href="mailto:questions@example.org">questions@example.org</a>' in footer


def test_the_application_form_states_the_hopes_limits_before_any_error(client, session):
    cohort = make_cohort(session)
    session.commit()

    page = client.get(f"/cohorts/{cohort.slug}/apply").get_data(as_text=True)

    for field in ("hopes_to_bring", "hopes_to_gain"):
        help_text = re.search(rf'<p class="help" id="{field}-help">([^<]*)</p>', page)
        assert help_text, field
        assert "between 20 and 3,000 characters" in help_text.group(1)
        textarea = re.search(rf"<textarea[^>]*id=\"{field}\"[^>]*>", page).group(0)
        assert 'minlength="20"' in textarea and 'maxlength="3000"' in textarea
        assert f'aria-describedby="{field}-help"' in textarea
    assert 'class="error"' not in page


def test_the_console_names_cohorts_by_program_and_title_not_slug(client, session):
    make_cohort(session, slug="cop-2024")
    make_staff(session, role="facilitator", email="facilitator@example.org")
    session.commit()
    sign_in(client, "facilitator@example.org")

    home = client.get("/staff/").get_data(as_text=True)
    assert f'<a href="/staff/cohorts/cop-2024">{COHORT_NAME}</a>' in home
    dashboard = client.get("/staff/cohorts/cop-2024").get_data(as_text=True)
    assert f"<title>{COHORT_NAME} — Console</title>" in dashboard
    queue = client.get("/staff/cohorts/cop-2024/applications").get_data(as_text=True)
    assert f"<title>Applications — {COHORT_NAME}</title>" in queue
    assert f"← {COHORT_NAME}</a>" in queue


def test_the_seat_released_notice_to_staff_names_the_cohort_in_its_subject(session):
    cohort = make_cohort(session, slug="cop-2024")
    enrollment = make_enrollment(session, cohort, state="accepted")
    session.commit()

    change_enrollment(session, enrollment.id, "withdraw", actor="applicant",
                      now=datetime(2024, 1, 12, tzinfo=UTC))
    notices = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "staff_seat_released")).all()

    assert notices
    for notice in notices:
        assert notice.subject.endswith(f"— {COHORT_NAME}")
        assert "cop-2024" not in notice.subject


def test_the_status_page_dates_documents_as_printed_and_says_which_zone(client, session):
    from cohort.invoices.issuing import issue_document
    from cohort.services.ledger import post

    cohort = make_cohort(session)  # America/Los_Angeles
    enrollment = make_enrollment(session, cohort, state="invoiced", time_zone="Pacific/Auckland")
    issued = datetime(2024, 1, 10, 20, tzinfo=UTC)
    invoice = issue_document(session, enrollment.account, kind="invoice", now=issued,
                             due_at=datetime(2024, 1, 24, 20, tzinfo=UTC),
                             lines=[("Remainder", cohort.remainder)])
    post(session, enrollment.account, kind="fee", cents=invoice.total_cents, now=issued,
         document_id=invoice.id, description="Invoice: remainder")
    session.commit()

    page = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)
    documents = re.search(r'<ul class="documents">(.*?)</ul>', page, re.S).group(1)

    # Noon in Los Angeles on January 10 is January 11 in Auckland; the PDF says January 10.
    assert "Wednesday, January 10, 2024, due Wednesday, January 24, 2024" in documents
    assert "January 11" not in documents and "January 25" not in documents
    assert "in the cohort's zone (America/Los_Angeles)" in page
    assert '<th scope="col">Date (Pacific/Auckland)</th>' in page


def test_the_finance_desk_names_cohorts_by_program_and_title(client, session):
    cohort = make_cohort(session, slug="cop-2024")
    make_enrollment(session, cohort, state="invoiced")
    make_staff(session, role="finance", email="finance@example.org")
    session.commit()
    sign_in(client, "finance@example.org")

    desk = client.get("/finance/").get_data(as_text=True)
    assert f'<option value="cop-2024">{COHORT_NAME}</option>' in desk
