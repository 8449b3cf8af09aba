"""The Customer Hub page and buttons: facts, cancel at period end, undo, keep the Lounge, switch."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from cohort.models import AuditRecord, Group, Membership, OutboxMessage
from cohort.services.access import group_members
from cohort.services.card_update import membership_from_card_token
from cohort.services.transitions import change_membership
from tests.factories import set_clock, utc
from tests.hub_helpers import button, open_hub
from tests.membership_factories import (
    make_community,
    make_member_person,
    make_membership,
    plan_of,
    price_of,
)

NOW = "2026-01-15T12:00:00Z"
PAID_THROUGH = utc("2026-02-01T00:00:00Z")  # make_membership: CREATED + 31 days


def _setup(session, plan="lounge", interval="month", email="ada@example.org"):
    community = make_community(session)
    person = make_member_person(session, email=email, name="Ada Member")
    membership = make_membership(session, community, plan, person=person, interval=interval,
                                 time_zone="Europe/Berlin")
    session.commit()
    return community, person, membership


def _mail(session, kind):
    return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                           .order_by(OutboxMessage.id)).all()


def _group(session, community, slug):
    return session.scalars(select(Group).where(Group.community_id == community.id,
                                               Group.slug == slug)).one()


def _members(session, community, slug, at):
    return [m.person_id for m in group_members(session, _group(session, community, slug).id, at)]


def _reload(session, membership):
    session.expire_all()
    return session.get(Membership, membership.id)


def test_the_hub_page_shows_each_membership_with_its_own_price_and_next_charge(
        app, client, session):
    set_clock(app, NOW)
    community, person, _lounge = _setup(session)
    other = make_community(session, name="Another Community")
    make_membership(session, other, "lobby", person=person)
    price = price_of(session, plan_of(session, community, "lounge"), "month")
    price.retired_at = utc("2026-01-10T00:00:00Z")  # staff raised the price: Ada keeps hers
    session.commit()
    open_hub(client, session, "ada@example.org")

    page = client.get("/hub/memberships").get_data(as_text=True)

    assert "Practitioner&#39;s Lounge" in page and "Another Community" in page
    assert "$20.00 USD a month</dd>" in page and "Monthly" in page
    assert "Paid through</dt><dd>Sunday, February 1, 2026, 1:00 am CET" in page
    assert "$20.00 USD on Sunday, February 1, 2026, 1:00 am CET" in page  # the next charge
    assert "Active" in page and "Free" in page
    assert "Switch to yearly at $200.00 USD a year" in page


def test_cancel_keeps_access_to_the_end_of_the_paid_period_and_says_so(app, client, session):
    set_clock(app, NOW)
    community, person, lounge = _setup(session)
    open_hub(client, session, "ada@example.org")

    response = button(client, f"/hub/memberships/{lounge.id}/cancel")

    assert response.status_code == 303
    lounge = _reload(session, lounge)
    assert (lounge.state, lounge.cancel_requested_at) == ("cancelling", utc(NOW))
    page = client.get("/hub/memberships").get_data(as_text=True)
    assert "No further charge: access ends on Sunday, February 1, 2026, 1:00 am CET." in page
    assert "Undo the cancellation" in page
    mail = _mail(session, "membership_cancelled")[-1]
    assert mail.to_address == "ada@example.org"
    assert "You keep access until the end of the period you have paid for: Sunday, " \
           "February 1, 2026, 1:00 am CET" in mail.body_text
    assert "http://cohort.test/hub" in mail.body_text
    assert _members(session, community, "practitioners-lounge",
                    PAID_THROUGH - timedelta(seconds=1)) == [person.id]


def test_undo_takes_the_cancellation_back_until_the_period_ends(app, client, session):
    set_clock(app, NOW)
    _community, _person, lounge = _setup(session)
    open_hub(client, session, "ada@example.org")
    button(client, f"/hub/memberships/{lounge.id}/cancel")

    assert button(client, f"/hub/memberships/{lounge.id}/undo").status_code == 303

    assert _reload(session, lounge).state == "active"
    assert "renews on Sunday, February 1, 2026" in _mail(
        session, "membership_cancel_undone")[-1].body_text
    assert "$20.00 USD on Sunday, February 1, 2026" in client.get("/hub/memberships").get_data(
        as_text=True)
    button(client, f"/hub/memberships/{lounge.id}/cancel")
    set_clock(app, "2026-02-01T00:00:00Z")
    open_hub(client, session, "ada@example.org")
    late = button(client, f"/hub/memberships/{lounge.id}/undo")
    assert late.status_code == 409 and "paid period is over" in late.get_data(as_text=True)


def test_cancelling_pro_ends_both_lounges_at_the_end_of_its_paid_period(app, client, session):
    set_clock(app, NOW)
    community, person, pro = _setup(session, plan="pro")
    open_hub(client, session, "ada@example.org")

    button(client, f"/hub/memberships/{pro.id}/cancel")
    change_membership(session, pro.id, "end", actor="tick", now=PAID_THROUGH)  # the tick's job
    session.commit()

    before = PAID_THROUGH - timedelta(seconds=1)
    for slug in ("practitioners-lounge", "pro-lounge"):
        assert _members(session, community, slug, before) == [person.id]
        assert _members(session, community, slug, PAID_THROUGH) == []
    mail = _mail(session, "membership_cancelled")[-1].body_text
    assert "every group it opens: Practitioner's Lounge, PRO Lounge" in mail


def test_keeping_the_lounge_schedules_it_from_the_instant_pro_ends(app, client, session):
    set_clock(app, NOW)
    community, person, pro = _setup(session, plan="pro", interval="year")
    open_hub(client, session, "ada@example.org")
    page = client.get("/hub/memberships").get_data(as_text=True)
    assert "Cancel PRO Lounge and keep the Practitioner&#39;s Lounge" in page

    assert button(client, f"/hub/memberships/{pro.id}/keep").status_code == 303

    pro = _reload(session, pro)
    kept = session.scalars(select(Membership).where(Membership.follows_id == pro.id)).one()
    assert pro.state == "cancelling"
    assert (kept.state, kept.plan.slug, kept.interval) == ("scheduled", "lounge", "year")
    assert kept.starts_at == pro.paid_through and kept.account_id == pro.account_id
    assert kept.price_id == price_of(session, plan_of(session, community, "lounge"), "year").id
    assert kept.paid_through is None and kept.stripe_subscription_id is None  # charged then
    page = client.get("/hub/memberships").get_data(as_text=True)
    assert "No further charge" in page  # PRO
    start = "Friday, January 1, 2027, 1:00 am CET"  # CREATED + 365 days, in Berlin
    assert f"$200.00 USD on {start}" in page  # the Lounge's first charge, when PRO ends
    assert "Keep the Practitioner" not in page  # offered once
    scheduled = _mail(session, "membership_scheduled")[-1]
    assert "no gap" in scheduled.body_text and "$200.00 USD on " + start in scheduled.body_text

    # The tick ends PRO and starts the Lounge at the same instant: no second without access.
    change_membership(session, pro.id, "end", actor="tick", now=pro.paid_through)
    change_membership(session, kept.id, "start", actor="tick", now=kept.starts_at)
    session.commit()
    end = pro.paid_through
    assert _members(session, community, "practitioners-lounge", end - timedelta(seconds=1)) \
        == [person.id]
    assert _members(session, community, "practitioners-lounge", end) == [person.id]
    assert _members(session, community, "pro-lounge", end) == []


def test_keeping_twice_or_undoing_pro_leaves_one_subscription(app, client, session):
    set_clock(app, NOW)
    _community, person, pro = _setup(session, plan="pro")
    open_hub(client, session, "ada@example.org")
    button(client, f"/hub/memberships/{pro.id}/cancel")
    assert "Keep the Practitioner&#39;s Lounge" in client.get("/hub/memberships").get_data(
        as_text=True)
    button(client, f"/hub/memberships/{pro.id}/keep")
    again = button(client, f"/hub/memberships/{pro.id}/keep")
    assert again.status_code == 409 and "already" in again.get_data(as_text=True)

    button(client, f"/hub/memberships/{pro.id}/undo")

    states = {m.plan.slug: m.state for m in session.scalars(
        select(Membership).where(Membership.person_id == person.id)
        .execution_options(populate_existing=True))}
    assert states == {"pro": "active", "lounge": "ended"}
    assert "continues" in _mail(session, "membership_cancel_undone")[-1].body_text
    dropped = _mail(session, "membership_cancelled")[-1]
    assert "Practitioner's Lounge" in dropped.subject
    assert "it will not start, and nothing will be charged" in dropped.body_text
    assert "PRO Lounge membership continues, and it includes the Practitioner's Lounge" \
        in dropped.body_text


def test_switching_to_yearly_takes_effect_at_period_end_and_can_be_undone(app, client, session):
    set_clock(app, NOW)
    community, _person, lounge = _setup(session)
    yearly = price_of(session, plan_of(session, community, "lounge"), "year")
    open_hub(client, session, "ada@example.org")

    assert button(client, f"/hub/memberships/{lounge.id}/switch",
                  interval="year").status_code == 303

    lounge = _reload(session, lounge)
    assert (lounge.next_price_id, lounge.interval, lounge.state) == (yearly.id, "month", "active")
    page = client.get("/hub/memberships").get_data(as_text=True)
    assert "renews yearly at $200.00 USD a year" in page
    assert "$200.00 USD on Sunday, February 1, 2026" in page
    assert "switches to yearly" in _mail(session, "membership_switch")[-1].subject
    audit = session.scalars(select(AuditRecord).where(
        AuditRecord.subject_type == "membership", AuditRecord.event == "switch_interval")).one()
    assert audit.actor == "member:ada@example.org"

    assert button(client, f"/hub/memberships/{lounge.id}/switch",
                  interval="month").status_code == 303
    assert _reload(session, lounge).next_price_id is None
    assert "stays monthly" in _mail(session, "membership_switch")[-1].subject


def test_bad_actions_are_4xx_with_words(app, client, session):
    set_clock(app, NOW)
    community, _person, lounge = _setup(session)
    lobby = make_membership(session, community, "lobby", person=make_member_person(session))
    session.commit()
    open_hub(client, session, "ada@example.org")

    assert button(client, f"/hub/memberships/{lounge.id}/switch",
                  interval="week").status_code == 422
    assert button(client, f"/hub/memberships/{lounge.id}/switch").status_code == 422
    assert button(client, f"/hub/memberships/{lounge.id}/switch",
                  interval="month").status_code == 409  # renews monthly already
    assert client.post(f"/hub/memberships/{lounge.id}/cancel").status_code == 400  # no token
    assert button(client, f"/hub/memberships/{lounge.id}/undo").status_code == 409
    assert button(client, f"/hub/memberships/{lounge.id}/keep").status_code == 409
    assert client.post(f"/hub/memberships/{10**30}/cancel").status_code == 404
    assert _reload(session, lounge).state == "active" and lobby.state == "active"


def test_a_hub_session_cannot_touch_another_persons_membership(app, client, session):
    set_clock(app, NOW)
    community, _person, _lounge = _setup(session)
    theirs = make_membership(session, community, "lounge",
                             person=make_member_person(session, email="bo@example.org"))
    session.commit()
    open_hub(client, session, "ada@example.org")

    for action, data in (("cancel", {}), ("undo", {}), ("keep", {}),
                         ("switch", {"interval": "year"})):
        response = button(client, f"/hub/memberships/{theirs.id}/{action}", **data)
        assert response.status_code == 404, action
        assert "no such membership among yours" in response.get_data(as_text=True)
    theirs = _reload(session, theirs)
    assert (theirs.state, theirs.next_price_id) == ("active", None)
    assert "bo@example.org" not in client.get("/hub/memberships").get_data(as_text=True)


def test_buttons_without_a_hub_session_are_refused(app, client, session):
    set_clock(app, NOW)
    _community, _person, lounge = _setup(session)
    response = button(client, f"/hub/memberships/{lounge.id}/cancel")
    assert response.status_code == 401
    assert _reload(session, lounge).state == "active"


def test_a_past_due_member_is_offered_the_card_page_from_the_hub(app, client, session):
    set_clock(app, NOW)
    _community, _person, lounge = _setup(session)
    lounge.state, lounge.grace_until = "past_due", utc("2026-02-08T00:00:00Z")
    lounge.stripe_subscription_id = "sub_test_past_due"
    lounge.account.card_brand, lounge.account.card_last4 = "visa", "0341"
    session.commit()
    open_hub(client, session, "ada@example.org")

    page = client.get("/hub/memberships").get_data(as_text=True)

    found = re.search(r'href="/hub/card/([^"]+)">Pay what is overdue with another card</a> '
                      r"\(on file: Visa ending 0341\)", page)
    assert found, page
    assert membership_from_card_token(session, found.group(1), utc(NOW)).id == lounge.id
    assert "Access until</dt><dd>Sunday, February 8, 2026, 1:00 am CET" in page
