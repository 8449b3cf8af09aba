"""Sessions of a cohort or a group: one table, meetings included; staff schedule them."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from cohort.extensions import db
from cohort.models import GroupSession
from cohort.services.group_sessions import SessionPlan, SessionProblem, schedule_session
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_staff, utc
from tests.membership_factories import make_community

ZOOM = "https://zoom.us/j/123456789"


def _lounge(community):
    return next(g for g in community.groups if g.slug == "practitioners-lounge")


def test_a_cohorts_meetings_are_its_sessions_of_kind_meeting(session):
    cohort = make_cohort(session)
    schedule_session(session, SessionPlan("qa", "Ask us", utc("2024-03-01T17:00:00Z"), 60, ZOOM,
                                          utc("2024-02-29T17:00:00Z")), cohort=cohort)
    session.commit()
    rows = session.scalars(text("SELECT kind FROM program_sessions WHERE cohort_id = :c"),
                           {"c": cohort.id}).all()
    assert sorted(rows) == ["meeting"] * 6 + ["qa"]
    assert len(cohort.meetings) == 6  # the Q&A is a session, not a meeting
    assert [s.kind for s in cohort.sessions].count("qa") == 1
    assert cohort.first_meeting_at == utc("2024-02-08T00:00:00Z")


def test_a_session_belongs_to_exactly_one_cohort_or_group(session):
    cohort = make_cohort(session)
    community = make_community(session)
    session.add(GroupSession(cohort_id=cohort.id, group_id=_lounge(community).id, kind="meetup",
                             starts_at=utc("2024-05-01T17:00:00Z"), duration_minutes=60))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_two_sessions_of_a_group_cannot_start_at_the_same_instant(session):
    group = _lounge(make_community(session))
    plan = SessionPlan("learning", "Consent", utc("2026-03-04T17:00:00Z"), 90, ZOOM)
    schedule_session(session, plan, group=group)
    with pytest.raises(SessionProblem, match="already starts at that time"):
        schedule_session(session, plan, group=group)


def test_the_migration_moves_meetings_into_sessions_keeping_their_ids(app, session):
    cohort = make_cohort(session)
    ids, cohort_id = [m.id for m in cohort.meetings], cohort.id
    session.commit()
    session.remove()
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    move = next(r for r in script.walk_revisions() if r.revision.endswith("_group_sessions"))
    try:
        downgrade(revision=move.down_revision)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE meetings SET recording_url = 'https://vimeo.com/1'"
                              " WHERE id = :i"), {"i": ids[0]})
            assert sorted(conn.execute(text("SELECT id FROM meetings")).scalars()) == ids
    finally:
        upgrade()
    with db.engine.connect() as conn:
        moved = conn.execute(text("SELECT id, kind, cohort_id FROM program_sessions ORDER BY id"))
        assert [tuple(r) for r in moved] == [(i, "meeting", cohort_id) for i in ids]
        assert conn.execute(text("SELECT session_id, url FROM session_recordings")).all() == [
            (ids[0], "https://vimeo.com/1")]
    later = GroupSession(cohort_id=cohort_id, kind="meetup", starts_at=utc("2024-07-01T17:00:00Z"),
                         duration_minutes=60)
    db.session.add(later)
    db.session.flush()  # the id sequence continues after the moved rows
    assert later.id > max(ids)


def test_facilitators_schedule_a_group_session_shown_in_the_groups_zone_and_theirs(
        app, client, session):
    community = make_community(session)
    facilitator = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, facilitator.email)
    url = f"/staff/communities/{community.slug}/groups/practitioners-lounge/sessions"
    response = client.post(url, data={
        "csrf_token": page_token(client, url), "kind": "qa", "title": "Ask the facilitators",
        "starts_at": "2026-03-04T18:00", "duration_minutes": "60", "join_url": ZOOM,
        "questions_close_at": "2026-03-03T18:00"})
    assert response.status_code == 303
    row = session.scalars(db.select(GroupSession)).one()
    assert row.starts_at == utc("2026-03-04T17:00:00Z")  # 18:00 Berlin (CET)
    assert row.questions_close_at == utc("2026-03-03T17:00:00Z")
    page = client.get(url + "?tz=America/New_York").get_data(as_text=True)
    assert "Wednesday, March 4, 2026, 6:00 – 7:00 pm CET" in page
    assert "Wednesday, March 4, 2026, noon – 1:00 pm EST" in page


def test_a_session_form_refuses_a_plain_http_link_and_late_question_deadline(
        app, client, session):
    cohort = make_cohort(session)
    facilitator = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, facilitator.email)
    url = f"/staff/cohorts/{cohort.slug}/sessions"
    response = client.post(url, data={
        "csrf_token": page_token(client, url), "kind": "qa", "title": "",
        "starts_at": "2024-03-04T10:00", "duration_minutes": "60",
        "join_url": "http://zoom.us/j/1", "questions_close_at": "2024-03-05T10:00"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please give an https:// address" in page
    assert "Questions must close no later than the session starts." in page
    assert session.scalar(text("SELECT COUNT(*) FROM program_sessions WHERE kind = 'qa'")) == 0


def test_group_sessions_are_for_facilitators_only(app, client, session):
    community = make_community(session)
    finance = make_staff(session, role="finance")
    session.commit()
    sign_in(client, finance.email)
    url = f"/staff/communities/{community.slug}/groups/practitioners-lounge/sessions"
    assert client.get(url).status_code == 403
    assert client.get(f"/staff/communities/{community.slug}/groups/nope/sessions").status_code \
        in (403, 404)


def test_the_groups_staff_page_leads_facilitators_to_its_sessions_and_back(app, client, session):
    community = make_community(session)
    facilitator = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, facilitator.email)
    sessions_url = f"/staff/communities/{community.slug}/groups/practitioners-lounge/sessions"
    group_url = f"/staff/communities/{community.slug}/groups/practitioners-lounge"
    assert f'href="{sessions_url}"' in client.get(group_url).get_data(as_text=True)
    assert f'href="{group_url}"' in client.get(sessions_url).get_data(as_text=True)
