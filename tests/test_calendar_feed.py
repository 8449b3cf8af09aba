"""A person's private calendar feed: valid iCalendar, stable UIDs, follows access, revocable."""

from __future__ import annotations

import re

from icalendar import Calendar

from cohort.services.group_sessions import SessionPlan, schedule_session
from tests.factories import make_cohort, make_enrollment, set_clock, utc
from tests.membership_factories import make_community, make_membership

ZOOM = "https://zoom.us/j/123456789"
FEED = re.compile(r'value="https?://[^"/]+(/calendar/[A-Za-z0-9_-]{43}\.ics)"')


def _lounge(community):
    return next(g for g in community.groups if g.slug == "practitioners-lounge")


def _feed_path(client, status_token: str) -> str:
    page = client.get(f"/a/{status_token}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/a/{status_token}/calendar", data={"csrf_token": token})
    assert response.status_code == 302
    match = FEED.search(client.get(f"/a/{status_token}").get_data(as_text=True))
    assert match, "the status page shows the new calendar link"
    return match.group(1)


def _events(client, path: str) -> dict[str, tuple]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    return {str(e["UID"]): (e.decoded("DTSTART"), str(e["SUMMARY"]))
            for e in calendar.walk("VEVENT")}


def _arrange(app, session, *, ended_at=None):
    """A paid cohort participant who is also a Lounge member, and a Lounge Q&A in March."""
    set_clock(app, "2026-02-01T12:00:00Z")
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, state="paid")
    community = make_community(session)
    make_membership(session, community, "lounge", person=enrollment.person,
                    started_at=utc("2026-01-01T00:00:00Z"), ended_at=ended_at)
    qa = schedule_session(session, SessionPlan("qa", "Ask us", utc("2026-03-04T17:00:00Z"), 60,
                                               ZOOM), group=_lounge(community))
    session.commit()
    return enrollment, qa


def test_the_feed_lists_the_cohorts_meetings_and_the_groups_sessions_with_stable_uids(
        app, client, session):
    enrollment, qa = _arrange(app, session)
    path = _feed_path(client, enrollment.status_token)
    first, second = _events(client, path), _events(client, path)
    assert first.keys() == second.keys()
    assert len(first) == 7
    assert first[f"session-{qa.id}@cohort.test"] == (utc("2026-03-04T17:00:00Z"),
                                                   "Ask us — S3 Online Learning Community — "
                                                   "Practitioner's Lounge")
    assert sum(uid.startswith(f"cohort-{enrollment.cohort.slug}-meeting-") for uid in first) == 6


def test_ending_the_membership_removes_its_sessions_from_the_feed_at_the_second(
        app, client, session):
    ends = utc("2026-02-28T22:59:59Z")  # 23:59:59 in Berlin
    enrollment, qa = _arrange(app, session, ended_at=ends)
    path = _feed_path(client, enrollment.status_token)
    set_clock(app, "2026-02-28T22:59:58Z")
    assert f"session-{qa.id}@cohort.test" in _events(client, path)
    set_clock(app, "2026-02-28T23:00:00Z")  # 00:00:00 in Berlin
    remaining = _events(client, path)
    assert f"session-{qa.id}@cohort.test" not in remaining
    assert len(remaining) == 6  # the cohort's meetings stay


def test_a_cancelled_participant_has_no_cohort_meetings_in_the_feed(app, client, session):
    enrollment, _ = _arrange(app, session)
    path = _feed_path(client, enrollment.status_token)
    enrollment.state = "cancelled"
    session.commit()
    assert all(uid.startswith("session-") for uid in _events(client, path))


def test_replacing_the_link_retires_the_old_one(app, client, session):
    enrollment, _ = _arrange(app, session)
    old = _feed_path(client, enrollment.status_token)
    new = _feed_path(client, enrollment.status_token)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/calendar/" + "x" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404


def test_the_database_holds_no_usable_feed_link(app, client, session):
    from sqlalchemy import text

    enrollment, _ = _arrange(app, session)
    path = _feed_path(client, enrollment.status_token)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    stored = session.execute(text("SELECT salt, token_hash FROM calendar_feeds")).one()
    assert token not in stored
    assert client.get(f"/calendar/{stored.token_hash[:43]}.ics").status_code == 404


def test_a_member_from_the_hub_gets_and_replaces_the_link_on_their_page(app, client, session):
    enrollment, qa = _arrange(app, session)
    with client.session_transaction() as kept:
        kept["hub"] = {"person": enrollment.person_id, "until": "2030-01-01T00:00:00+00:00"}
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/members").get_data(as_text=True)).group(1)
    assert client.post("/members/calendar", data={"csrf_token": token}).status_code == 303
    path = FEED.search(client.get("/members").get_data(as_text=True)).group(1)
    assert f"session-{qa.id}@cohort.test" in _events(client, path)
    client.post("/members/calendar", data={"csrf_token": token})
    assert client.get(path).status_code == 404
