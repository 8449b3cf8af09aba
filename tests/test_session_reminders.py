"""E-mail about sessions: a reminder the day before (once, however often tick runs), with the
joining link; none for people who turned them off or left; "recording available"."""

from __future__ import annotations

from sqlalchemy import select

from cohort.models import OutboxMessage
from cohort.services.group_sessions import SessionPlan, schedule_session
from cohort.services.recordings import RecordingLink, attach_recording
from tests.console_helpers import page_token
from tests.factories import set_clock, utc
from tests.membership_factories import make_community, make_membership

ZOOM = "https://zoom.us/j/123456789"


def _tick(app) -> str:
    result = app.test_cli_runner().invoke(args=["cohort", "tick"])
    assert result.exit_code == 0, result.output
    return result.output


def _mail(session, kind: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                .order_by(OutboxMessage.id)))


def _lounge_with_learning_session(app, session):
    set_clock(app, "2026-03-01T12:00:00Z")
    community = make_community(session)
    lounge = next(g for g in community.groups if g.slug == "practitioners-lounge")
    started = utc("2026-01-01T00:00:00Z")
    staying = make_membership(session, community, "lounge", started_at=started)
    leaving = make_membership(session, community, "pro", started_at=started,
                              ended_at=utc("2026-03-03T12:00:00Z"))
    row = schedule_session(session, SessionPlan("learning", "Consent decisions",
                                                utc("2026-03-04T17:00:00Z"), 90, ZOOM),
                           group=lounge)
    session.commit()
    return staying, leaving, row


def test_the_reminder_goes_out_once_a_day_before_even_when_tick_runs_twice(app, session):
    staying, leaving, _ = _lounge_with_learning_session(app, session)
    set_clock(app, "2026-03-03T16:59:59Z")  # more than a day before: nothing yet
    _tick(app)
    assert _mail(session, "session_reminder") == []
    set_clock(app, "2026-03-03T17:00:00Z")
    assert "session reminders 1" in _tick(app)  # the PRO member's access ended at noon
    assert "session reminders 0" in _tick(app)
    sent = _mail(session, "session_reminder")
    assert [m.to_address for m in sent] == [staying.person.email]
    assert sent[0].subject == ("Tomorrow: Consent decisions — S3 Online Learning Community — "
                               "Practitioner's Lounge")
    assert ZOOM in sent[0].body_text
    assert "Wednesday, March 4, 2026, 5:00 pm UTC" in sent[0].body_text  # the member's zone
    assert "6:00 pm CET" in sent[0].body_text  # and the group's own
    assert leaving.person.email not in [m.to_address for m in sent]


def test_a_member_who_turned_reminders_off_gets_none(app, client, session):
    staying, _, _ = _lounge_with_learning_session(app, session)
    with client.session_transaction() as kept:
        kept["hub"] = {"person": staying.person_id, "until": "2030-01-01T00:00:00+00:00"}
    response = client.post("/members/reminders", data={
        "csrf_token": page_token(client, "/members"), "reminders": "off"})
    assert response.status_code == 303
    assert "Session reminders are off." in client.get("/members").get_data(as_text=True)
    set_clock(app, "2026-03-04T12:00:00Z")
    _tick(app)
    assert _mail(session, "session_reminder") == []


def test_members_who_may_watch_hear_that_a_recording_is_available(app, session):
    staying, _, row = _lounge_with_learning_session(app, session)
    attach_recording(session, row, RecordingLink("https://vimeo.com/1"), actor="staff:x",
                     now=utc("2026-03-05T09:00:00Z"))
    attach_recording(session, row, RecordingLink("https://vimeo.com/2"), actor="staff:x",
                     now=utc("2026-03-05T10:00:00Z"))  # a replacement is not announced again
    session.commit()
    sent = _mail(session, "recording_available")
    assert [m.to_address for m in sent] == [staying.person.email]
    assert "vimeo" not in sent[0].body_text  # the page opens it after checking access
