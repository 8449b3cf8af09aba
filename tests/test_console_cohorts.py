"""The cohort dashboard, cohort actions, cancelling, settings and copies, the help page."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from cohort.demo import PACIFIC, at_local
from cohort.models import Cohort, OutboxMessage
from cohort.schedule import local
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_enrollment, make_staff, set_clock


def _signed_in(client, session, role="facilitator"):
    make_staff(session, role=role, email=f"{role}@example.org")
    session.commit()
    sign_in(client, f"{role}@example.org")


def test_the_dashboard_shows_state_seats_deadlines_and_allowed_actions(client, session):
    cohort = make_cohort(session)
    make_enrollment(session, cohort, state="accepted")
    make_enrollment(session, cohort, state="waitlisted")
    _signed_in(client, session)

    page = client.get(f"/staff/cohorts/{cohort.slug}").get_data(as_text=True)

    assert "1 / 9" in page
    assert "Waitlist:</strong> 1" in page
    assert "Applications close" in page and "in 13 days, 12 hours" in page
    assert "Close applications" in page
    assert "Cancel the cohort" in page
    assert "Confirm: enough people" not in page  # not from "open"


def test_confirming_below_the_minimum_is_shown_disabled_with_the_reason(client, session):
    cohort = make_cohort(session, state="closed", minimum_participants=3)
    make_enrollment(session, cohort, state="registered")
    _signed_in(client, session)
    url = f"/staff/cohorts/{cohort.slug}"

    page = client.get(url).get_data(as_text=True)
    assert "Not now: Only 1 registered; the cohort needs at least 3 to go ahead." in page
    response = client.post(f"{url}/confirm", data={"csrf_token": page_token(client, url)})

    assert response.status_code == 409
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "closed"


def test_closing_applications_from_the_dashboard(client, session):
    cohort = make_cohort(session)
    _signed_in(client, session)
    url = f"/staff/cohorts/{cohort.slug}"

    response = client.post(f"{url}/actions/close", data={"csrf_token": page_token(client, url)})

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "closed"
    assert "Reopen applications" in client.get(url).get_data(as_text=True)


def test_cancelling_needs_the_confirmation_and_tells_everyone(client, session):
    cohort = make_cohort(session, state="closed")
    make_enrollment(session, cohort, state="registered", email="paid@example.org")
    _signed_in(client, session)
    url = f"/staff/cohorts/{cohort.slug}/cancel"
    page = client.get(url).get_data(as_text=True)
    assert "Everything anyone has paid is refunded in full." in page
    token = page_token(client, url)

    unconfirmed = client.post(url, data={"csrf_token": token, "reason": "Too few people"})
    assert unconfirmed.status_code == 422
    assert "Tick to confirm the cancellation." in unconfirmed.get_data(as_text=True)
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "closed"

    done = client.post(url, data={"csrf_token": token, "reason": "Too few people",
                                  "confirm": "y"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "cancelled"
    mail = session.scalars(select(OutboxMessage)).one()
    assert mail.to_address == "paid@example.org" and "Too few people" in mail.body_text


def _settings_form(client, url):
    page = client.get(url).get_data(as_text=True)
    import re

    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        data[name] = value
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\s*([^<]*)</textarea>', page):
        data[name] = value.replace("&#39;", "'").replace("&amp;", "&")
    for name, value in re.findall(
            r'<select[^>]*name="([^"]+)"[^>]*>.*?<option selected value="([^"]*)"', page, re.S):
        data[name] = value
    return data


def test_an_admin_edits_settings_and_a_changed_policy_gets_a_new_version(client, session):
    cohort = make_cohort(session)
    make_enrollment(session, cohort, state="accepted")
    _signed_in(client, session, role="admin")
    url = f"/staff/cohorts/{cohort.slug}/settings"
    data = _settings_form(client, url)
    assert data["price"] == "1,997.00" and data["rebate_percent"] == "25"
    assert data["applications_close_at"] == "2024-01-24T00:00"

    data.update(capacity="10", policy_text="New words.", refund_before_start="nothing")
    response = client.post(url, data=data)

    assert response.status_code == 302
    session.expire_all()
    saved = session.get(Cohort, cohort.id)
    assert saved.capacity == 10
    assert saved.cancellation_policy["version"] == 2
    assert saved.cancellation_policy["tiers"][1] == {"until": "first_meeting", "refund": "nothing"}
    assert len(saved.meetings) == 6


def test_settings_that_contradict_what_happened_are_refused_with_reasons(client, session):
    cohort = make_cohort(session)
    make_enrollment(session, cohort, state="registered")
    make_enrollment(session, cohort, state="accepted")
    _signed_in(client, session, role="admin")
    url = f"/staff/cohorts/{cohort.slug}/settings"
    data = _settings_form(client, url)

    bad_field = client.post(url, data={**data, "price": "12.345"})
    too_small = client.post(url, data={**data, "capacity": "1", "minimum_participants": "1",
                                       "price": "2,500.00"})

    assert bad_field.status_code == 422
    assert "at most two decimals" in bad_field.get_data(as_text=True)
    assert too_small.status_code == 422
    text = too_small.get_data(as_text=True)
    assert "Capacity cannot go below the 2 seats already held." in text
    assert "1 people have already paid" in text
    session.expire_all()
    assert session.get(Cohort, cohort.id).capacity == 9


def test_an_admin_copies_a_cohort_with_dates_shifted_in_local_time(client, session):
    cohort = make_cohort(session)
    _signed_in(client, session, role="admin")
    url = f"/staff/cohorts/{cohort.slug}/copy"

    response = client.post(url, data={"csrf_token": page_token(client, url),
                                      "slug": "cop-2025", "weeks": "52"})

    assert response.status_code == 302
    copy = session.scalars(select(Cohort).where(Cohort.slug == "cop-2025")).one()
    assert copy.state == "draft"
    assert copy.meetings[0].starts_at == at_local(date(2025, 2, 5), time(16), PACIFIC)
    assert [local(m.starts_at, PACIFIC).strftime("%a %H:%M") for m in copy.meetings] == [
        "Wed 16:00"] * 6
    assert copy.title == "February 5, 2025 to June 25, 2025"
    assert copy.display_regions == cohort.display_regions  # the page keeps its time-zone blocks
    duplicate = client.post(url, data={"csrf_token": page_token(client, url),
                                       "slug": "cop-2025", "weeks": "52"})
    assert duplicate.status_code == 409


def test_the_help_page_draws_both_machines_from_their_definitions(client, session):
    _signed_in(client, session, role="finance")

    page = client.get("/staff/help").get_data(as_text=True)

    assert page.count("<svg") == 2
    for state in ("submitted", "waitlisted", "accepted", "lapsed", "participating", "cancelled"):
        assert f'id="enrollment-state-{state}"' in page
    for state in ("draft", "confirmed", "finished", "cancelled"):
        assert f'id="cohort-state-{state}"' in page
    assert "seat_free" in page


def test_after_the_deadline_the_dashboard_says_it_passed(app, client, session):
    cohort = make_cohort(session)
    _signed_in(client, session)
    set_clock(app, "2024-01-26T08:00:00Z")

    page = client.get(f"/staff/cohorts/{cohort.slug}").get_data(as_text=True)

    assert "2 days, 0 hours ago" in page


def test_an_admin_sets_the_cohort_pages_time_zone_blocks(client, session):
    cohort = make_cohort(session, display_regions=[])
    _signed_in(client, session, role="admin")
    url = f"/staff/cohorts/{cohort.slug}/settings"
    data = _settings_form(client, url)
    assert data["regions"] == ""

    data["regions"] = ("Americas | America/Los_Angeles | USA Pacific Time | Los Angeles\n"
                       "Europe | Europe/Lisbon\n"
                       "Europe | Europe/Berlin | Central European Time | Berlin")
    assert client.post(url, data=data).status_code == 302

    session.expire_all()
    assert session.get(Cohort, cohort.id).display_regions[1] == {"name": "Europe", "zones": [
        {"zone": "Europe/Lisbon", "generic": "Lisbon time", "city": "Lisbon"},
        {"zone": "Europe/Berlin", "generic": "Central European Time", "city": "Berlin"}]}
    page = client.get(f"/cohorts/{cohort.slug}").get_data(as_text=True)
    assert "Dates and times – Europe – six meetings" in page
    assert "11:00 pm – 2:00 am WET (Lisbon)" in page
    assert _settings_form(client, url)["regions"].splitlines()[1] == (
        "Europe | Europe/Lisbon | Lisbon time | Lisbon")


@pytest.mark.parametrize(("regions", "message"), [
    ("Americas", "Line 1 is not “Region | Zone | Name | City”."),
    ("Americas | Mars/Olympus", "Line 1: “Mars/Olympus” is not a time zone"),
    ("A | UTC | " + "x" * 61, "keep each part under 60 characters"),
    ("\n".join(["A | UTC"] * 21), "At most 20 zones."),
])
def test_time_zone_blocks_that_do_not_parse_are_refused_beside_the_field(
        client, session, regions, message):
    cohort = make_cohort(session)
    _signed_in(client, session, role="admin")
    url = f"/staff/cohorts/{cohort.slug}/settings"

    response = client.post(url, data={**_settings_form(client, url), "regions": regions})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Cohort, cohort.id).display_regions[0]["name"] == "Americas"
