"""Who is in which group at any instant, to the second, on both databases."""

from datetime import timedelta

from cohort.extensions import db
from cohort.services.access import group_members, open_groups
from cohort.services.transitions import change_membership
from tests.factories import utc
from tests.membership_factories import make_community, make_membership


def test_a_pro_member_is_in_both_lounges_and_a_lobby_member_in_the_lobby_room_only(app):
    with app.app_context():
        community = make_community(db.session)
        pro = make_membership(db.session, community, "pro")
        lobby = make_membership(db.session, community, "lobby", interval=None)
        at = pro.started_at + timedelta(days=1)
        groups = {g.slug: g for g in community.groups}
        assert [g.slug for g in open_groups(db.session, pro.person_id, at)] == [
            "practitioners-lounge", "pro-lounge"]
        assert [m.id for m in group_members(db.session, groups["lobby-room"].id, at)] == [
            lobby.id]
        assert [m.id for m in group_members(db.session, groups["pro-lounge"].id, at)] == [pro.id]


def test_access_ends_on_the_second_the_membership_ends(app):
    with app.app_context():
        community = make_community(db.session)
        member = make_membership(db.session, community, "lounge", state="cancelling",
                                 paid_through=utc("2026-01-31T23:59:59Z"))
        ended = change_membership(db.session, member.id, "end", actor="tick",
                                  now=utc("2026-01-31T23:59:59Z"))
        lounge = next(g for g in community.groups if g.slug == "practitioners-lounge")
        assert ended.state == "ended"
        assert group_members(db.session, lounge.id, utc("2026-01-31T23:59:58Z")) == [ended]
        assert group_members(db.session, lounge.id, utc("2026-01-31T23:59:59Z")) == []
