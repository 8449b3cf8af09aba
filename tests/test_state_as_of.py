"""People see the state the clock implies, to the second, before `cohort tick` has recorded it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cohort.models import AuditRecord, Cohort, Enrollment
from tests.console_helpers import sign_in
from tests.factories import make_cohort, make_enrollment, make_staff, set_clock
from workflows.as_of import Timeline, cohort_as_of, enrollment_as_of

APPLICATIONS_CLOSE = datetime(2024, 1, 24, 8, tzinfo=UTC)  # Jan 23, midnight Pacific
REGISTRATION_DEADLINE = datetime(2024, 1, 31, 8, tzinfo=UTC)  # Jan 30, midnight Pacific
FIRST_MEETING = datetime(2024, 2, 8, 0, tzinfo=UTC)
LAST_MEETING_ENDS = datetime(2024, 6, 27, 3, tzinfo=UTC)
TIMES = Timeline(APPLICATIONS_CLOSE, REGISTRATION_DEADLINE, FIRST_MEETING, LAST_MEETING_ENDS)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(("recorded", "at", "before", "after"), [
    ("open", APPLICATIONS_CLOSE, "open", "closed"),
    ("confirmed", FIRST_MEETING, "confirmed", "running"),
    ("running", LAST_MEETING_ENDS, "running", "finished"),
    ("closed", APPLICATIONS_CLOSE, "closed", "closed"),  # confirming needs people, not time
    ("draft", APPLICATIONS_CLOSE, "draft", "draft"),
])
def test_a_cohorts_state_moves_at_its_instant_to_the_second(recorded, at, before, after):
    assert cohort_as_of(recorded, TIMES, at - SECOND).state == before
    moved = cohort_as_of(recorded, TIMES, at)
    assert moved.state == after
    assert moved.pending == (after != recorded)
    assert moved.since == (at if moved.pending else None)


def test_a_confirmed_cohort_long_past_its_last_meeting_is_finished():
    as_of = cohort_as_of("confirmed", TIMES, LAST_MEETING_ENDS + timedelta(days=3))
    assert (as_of.state, as_of.since) == ("finished", LAST_MEETING_ENDS)


def test_an_accepted_place_lapses_at_the_registration_deadline_to_the_second():
    cohort = cohort_as_of("closed", TIMES, REGISTRATION_DEADLINE)
    before = enrollment_as_of("accepted", cohort, TIMES, REGISTRATION_DEADLINE - SECOND)
    after = enrollment_as_of("accepted", cohort, TIMES, REGISTRATION_DEADLINE)
    assert (before.state, before.pending) == ("accepted", False)
    assert (after.state, after.since, after.pending) == ("lapsed", REGISTRATION_DEADLINE, True)
    assert enrollment_as_of("registered", cohort, TIMES, REGISTRATION_DEADLINE).state \
        == "registered"


def test_paid_and_invoiced_participate_once_the_cohort_runs_and_complete_when_it_ends():
    running = cohort_as_of("confirmed", TIMES, FIRST_MEETING)
    finished = cohort_as_of("confirmed", TIMES, LAST_MEETING_ENDS)
    for recorded in ("paid", "invoiced"):
        assert enrollment_as_of(recorded, running, TIMES, FIRST_MEETING).state == "participating"
        assert enrollment_as_of(recorded, finished, TIMES, LAST_MEETING_ENDS).state == "completed"
    assert enrollment_as_of("registered", running, TIMES, FIRST_MEETING).state == "registered"


def test_the_console_says_applications_closed_at_the_deadline_second_without_tick(
        app, client, session):
    cohort = make_cohort(session, slug="cop-2024")
    make_staff(session, role="facilitator", email="facilitator@example.org")
    session.commit()
    sign_in(client, "facilitator@example.org")

    set_clock(app, "2024-01-24T07:59:59Z")
    home = client.get("/staff/").get_data(as_text=True)
    dashboard = client.get("/staff/cohorts/cop-2024").get_data(as_text=True)
    assert '<span class="state">Open for applications</span>' in home
    assert '<span class="state">Open for applications</span>' in dashboard
    assert "deadline passed" not in home + dashboard

    set_clock(app, "2024-01-24T08:00:00Z")
    home = client.get("/staff/").get_data(as_text=True)
    dashboard = client.get("/staff/cohorts/cop-2024").get_data(as_text=True)
    passed = ("application deadline passed Tuesday, January 23, 2024, midnight PST "
              "(end of the day)")
    assert '<span class="state">Applications closed</span>' in home and passed in home
    assert '<span class="state">Applications closed</span>' in dashboard and passed in dashboard
    assert "Open for applications" not in home
    assert "the next run of <code>cohort tick</code> records it" in dashboard

    session.expire_all()
    assert session.get(Cohort, cohort.id).state == "open"  # tick has not run
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == 0


def test_an_accepted_place_shows_as_lapsing_at_the_deadline_second_without_tick(
        app, client, session):
    cohort = make_cohort(session, slug="cop-2024", state="closed")
    enrollment = make_enrollment(session, cohort, state="accepted", full_name="Ada Lovelace")
    make_staff(session, role="facilitator", email="facilitator@example.org")
    session.commit()
    status = f"/a/{enrollment.status_token}"

    set_clock(app, "2024-01-31T07:59:59Z")
    page = client.get(status).get_data(as_text=True)
    assert '<span class="state state-accepted">Accepted</span>' in page
    assert "Register and pay the deposit</a>" in page

    set_clock(app, "2024-01-31T08:00:00Z")
    page = client.get(status).get_data(as_text=True)
    assert '<span class="state state-accepted">Place lapsing</span>' in page
    assert "(registration deadline passed Tuesday, January 30, 2024, midnight PST" in page
    assert "Register and pay the deposit</a>" not in page
    assert "Your accepted place lapsed because registration was not completed" in page

    sign_in(client, "facilitator@example.org")
    queue = client.get("/staff/cohorts/cop-2024/applications").get_data(as_text=True)
    assert "Place lapsing<br><small class=\"as-of\">registration deadline passed" in queue

    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "accepted"  # tick has not run
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == 0
