"""Recordings: only people with access now can open them, through a redirect; opens are counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cohort.models import RecordingOpen
from cohort.services.group_sessions import SessionPlan, schedule_session
from cohort.services.recordings import (
    RecordingLink,
    RecordingProblem,
    attach_recording,
    open_counts,
)
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_enrollment, make_staff, set_clock, utc
from tests.membership_factories import make_community, make_member_person, make_membership

ZOOM = "https://zoom.us/j/123456789"
VIDEO = "https://vimeo.com/987654321/secret-hash"


def _lounge(community):
    return next(g for g in community.groups if g.slug == "practitioners-lounge")


def _member_browser(client, person_id: int, until: str = "2030-01-01T00:00:00+00:00") -> None:
    """The browser holds a hub session for the person (as the Customer Hub leaves it)."""
    with client.session_transaction() as kept:
        kept["hub"] = {"person": person_id, "until": until}


def _recorded_qa(app, session, **membership):
    set_clock(app, "2026-03-10T12:00:00Z")
    community = make_community(session)
    member = make_membership(session, community, "lounge",
                             started_at=utc("2026-01-01T00:00:00Z"), **membership)
    qa = schedule_session(session, SessionPlan("qa", "Ask us", utc("2026-03-04T17:00:00Z"), 60,
                                               ZOOM), group=_lounge(community))
    recording = attach_recording(session, qa, RecordingLink(VIDEO, "42", "Slides in the notes."),
                                 actor="staff:evan@example.org", now=utc("2026-03-05T09:00:00Z"))
    session.commit()
    return member, qa, recording


def test_a_member_opens_the_recording_through_the_service_and_the_open_is_counted(
        app, client, session):
    member, qa, recording = _recorded_qa(app, session)
    _member_browser(client, member.person_id)
    page = client.get("/members").get_data(as_text=True)
    assert f'href="/recordings/{recording.id}"' in page
    assert "Passcode: <code>42</code>" in page
    assert VIDEO not in page and "vimeo" not in page
    response = client.get(f"/recordings/{recording.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == VIDEO
    client.get(f"/recordings/{recording.id}")
    assert open_counts(session, [qa.id]) == {qa.id: (2, 1)}


def test_a_removed_member_gets_404_and_no_trace_of_the_video(app, client, session):
    member, _, recording = _recorded_qa(app, session, state="ended",
                                        ended_at=utc("2026-03-09T22:59:59Z"))
    _member_browser(client, member.person_id)
    response = client.get(f"/recordings/{recording.id}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert VIDEO not in body and "vimeo" not in body
    page = client.get("/members").get_data(as_text=True)
    assert f"/recordings/{recording.id}" not in page and "vimeo" not in page
    assert session.scalar(select(func.count()).select_from(RecordingOpen)) == 0


def test_access_ends_at_the_last_second_of_the_membership(app, client, session):
    ends = utc("2026-03-10T22:59:59Z")  # 23:59:59 in Berlin
    member, _, recording = _recorded_qa(app, session, ended_at=ends)
    _member_browser(client, member.person_id)
    set_clock(app, "2026-03-10T22:59:58Z")
    assert client.get(f"/recordings/{recording.id}").status_code == 303
    set_clock(app, "2026-03-10T23:00:00Z")  # 00:00:00 in Berlin
    assert client.get(f"/recordings/{recording.id}").status_code == 404


def test_without_a_member_session_a_recording_is_not_found(app, client, session):
    _, _, recording = _recorded_qa(app, session)
    assert client.get(f"/recordings/{recording.id}").status_code == 404
    assert client.get("/members").status_code == 401
    assert client.get("/recordings/99999").status_code == 404


def test_an_expired_member_session_opens_nothing(app, client, session):
    member, _, recording = _recorded_qa(app, session)
    _member_browser(client, member.person_id, until="2026-03-10T11:59:59+00:00")
    assert client.get(f"/recordings/{recording.id}").status_code == 404


def test_cohort_participants_see_recordings_until_the_date_staff_set(app, client, session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, state="participating")
    first = cohort.meetings[0]
    recording = attach_recording(session, first, RecordingLink(VIDEO), actor="staff:x",
                                 now=first.ends_at)
    cohort.recordings_until = utc("2024-07-31T07:00:00Z")
    session.commit()
    set_clock(app, "2024-07-01T00:00:00Z")
    response = client.get(f"/a/{enrollment.status_token}/members")
    assert response.status_code == 303 and response.headers["Location"] == "/members"
    assert f"/recordings/{recording.id}" in client.get("/members").get_data(as_text=True)
    assert client.get(f"/recordings/{recording.id}").status_code == 303
    set_clock(app, "2024-07-31T07:00:00Z")
    client.get(f"/a/{enrollment.status_token}/members")
    assert client.get(f"/recordings/{recording.id}").status_code == 404


def test_a_recording_waits_for_its_session(app, session):
    set_clock(app, "2026-03-01T00:00:00Z")
    community = make_community(session)
    qa = schedule_session(session, SessionPlan("qa", "", utc("2026-03-04T17:00:00Z"), 60, ZOOM),
                          group=_lounge(community))
    with pytest.raises(RecordingProblem, match="once the session has taken place"):
        attach_recording(session, qa, RecordingLink(VIDEO), actor="staff:x",
                         now=qa.starts_at - timedelta(seconds=1))


def test_a_facilitator_attaches_a_recording_and_sees_how_often_it_was_opened(
        app, client, session):
    member, qa, _ = _recorded_qa(app, session)
    facilitator = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, facilitator.email)
    url = f"/staff/sessions/{qa.id}/recording"
    response = client.post(url, data={"csrf_token": page_token(client, url),
                                      "url": "https://vimeo.com/111", "passcode": "",
                                      "notes": ""})
    assert response.status_code == 303
    session.expire_all()
    assert qa.recording.url == "https://vimeo.com/111"
    bad = client.post(url, data={"csrf_token": page_token(client, url), "url": "javascript:x"})
    assert bad.status_code == 422
    assert "Please give an https:// address" in bad.get_data(as_text=True)
    someone_else = make_member_person(session).id
    for person_id in (member.person_id, member.person_id, someone_else):
        session.add(RecordingOpen(session_id=qa.id, person_id=person_id,
                                  opened_at=utc("2026-03-06T09:00:00Z")))
    session.commit()
    listing = client.get(f"/staff/communities/{qa.group.community.slug}/groups/"
                         "practitioners-lounge/sessions").get_data(as_text=True)
    assert "opened 3 times by 2 people" in listing


def test_the_hub_session_leads_to_the_members_page(app, client, session):
    member, _, recording = _recorded_qa(app, session)
    _member_browser(client, member.person_id, until="2026-03-10T14:00:00+00:00")
    hub = client.get("/hub/memberships")
    assert hub.status_code == 200
    assert 'href="/members"' in hub.get_data(as_text=True)
    assert f"/recordings/{recording.id}" in client.get("/members").get_data(as_text=True)
