"""A group opens to a member only with the terms in force agreed: a new version closes its
sessions, recordings, reminders and calendar until the member agrees again."""

from __future__ import annotations

from datetime import timedelta

from cohort.models import TermsAgreement, TermsVersion
from cohort.services.access import entered_groups, group_members
from cohort.services.session_access import attendees, sessions_open_to
from tests.factories import set_clock, utc
from tests.test_recordings import _lounge, _member_browser, _recorded_qa

PUBLISHED = utc("2026-03-08T10:00:00Z")


def _publish_v2(session, community_id: int) -> TermsVersion:
    terms = TermsVersion(community_id=community_id, version=2, title="Member Guidelines",
                         body="Version two.", published_at=PUBLISHED)
    session.add(terms)
    session.commit()
    return terms


def test_new_terms_close_the_groups_sessions_and_recordings_until_the_member_agrees(
        app, client, session):
    member, qa, recording = _recorded_qa(app, session)
    community = member.community
    lounge = _lounge(community)
    before = PUBLISHED - timedelta(seconds=1)
    terms = _publish_v2(session, community.id)

    # The membership still opens the group (rosters, billing), but the member cannot enter it.
    assert [m.id for m in group_members(session, lounge.id, PUBLISHED)] == [member.id]
    assert [g.id for g in entered_groups(session, member.person_id, before)] == [lounge.id]
    assert entered_groups(session, member.person_id, PUBLISHED) == []
    assert sessions_open_to(session, member.person_id, PUBLISHED) == []
    assert attendees(session, qa, PUBLISHED) == []

    _member_browser(client, member.person_id)
    page = client.get("/members").get_data(as_text=True)
    assert "has new Member Guidelines (version 2)" in page
    assert "/terms/agree/" in page
    assert f'href="/recordings/{recording.id}"' not in page
    assert client.get(f"/recordings/{recording.id}").status_code == 404

    agreed_at = PUBLISHED + timedelta(hours=1)
    session.add(TermsAgreement(person_id=member.person_id, terms_version_id=terms.id,
                               agreed_at=agreed_at))
    session.commit()
    set_clock(app, "2026-03-10T12:00:00Z")
    assert [g.id for g in entered_groups(session, member.person_id, agreed_at)] == [lounge.id]
    assert [a.person.id for a in attendees(session, qa, agreed_at)] == [member.person_id]
    page = client.get("/members").get_data(as_text=True)
    assert "has new Member Guidelines" not in page
    assert client.get(f"/recordings/{recording.id}").status_code == 303
