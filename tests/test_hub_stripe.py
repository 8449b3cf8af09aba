"""The hub on localstripe: cancel PRO, keep the Lounge; the tick ends one and starts the other."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cohort.extensions import db
from cohort.models import Group, Membership, StripeEvent
from cohort.payments.subscriptions import subscription_gateway
from cohort.services.access import group_members
from cohort.services.subscription_tick import membership_tick
from cohort.services.subscriptions import pro_subscribe_token
from tests.factories import set_clock
from tests.hub_helpers import button, open_hub
from tests.membership_factories import (
    TEST_PRICES,
    make_community,
    make_member_person,
    make_membership,
)
from tests.payments_helpers import wait_until
from tests.subscribe_helpers import membership_of, post_subscription, subscribe_url


def _count(session, model, *where) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _tick(app, at):
    db.session.rollback()
    with app.app_context():
        report = membership_tick(db.session, at, app.extensions["cohort.stripe"])
        db.session.remove()
    return report


def _in_group(session, community, slug, at) -> list[int]:
    group = session.scalars(select(Group).where(Group.community_id == community.id,
                                                Group.slug == slug)).one()
    return [m.person_id for m in group_members(session, group.id, at)]


def test_pro_cancelled_in_the_hub_with_the_lounge_kept_changes_over_at_one_instant(
        app, client, session, stripe_live, localstripe):
    community = make_community(session)
    person = make_member_person(session, email="mia@example.org", name="Mia Member")
    approved = make_membership(session, community, "pro", state="approved", person=person)
    session.commit()
    url = subscribe_url(community, plan="pro", token=pro_subscribe_token(approved))
    assert post_subscription(client, localstripe, url).status_code == 302
    wait_until(session, lambda: _count(session, StripeEvent,
                                       StripeEvent.type == "invoice.payment_succeeded") >= 1)
    pro = membership_of(session, "mia@example.org")
    assert (pro.id, pro.state) == (approved.id, "active")
    end, pro_sub = pro.paid_through, pro.stripe_subscription_id
    set_clock(app, pro.period_start.isoformat())

    open_hub(client, session, "mia@example.org")
    assert button(client, f"/hub/memberships/{pro.id}/keep").status_code == 303

    gateway = subscription_gateway()
    assert gateway.read_subscription(pro_sub).cancel_at_period_end is True
    session.rollback()
    kept = session.scalars(select(Membership).where(Membership.follows_id == pro.id)).one()
    assert (kept.state, kept.starts_at, kept.stripe_subscription_id) == ("scheduled", end, None)

    assert _tick(app, end - timedelta(seconds=1)).started == []
    report = _tick(app, end)
    assert (report.started, report.ended) == ([kept.id], [pro.id])

    session.rollback()
    pro, kept = session.get(Membership, pro.id), session.get(Membership, kept.id)
    assert (pro.state, pro.ended_at) == ("ended", end)
    assert (kept.state, kept.started_at) == ("active", end)
    assert gateway.read_subscription(pro_sub).status == "canceled"
    lounge_sub = gateway.read_subscription(kept.stripe_subscription_id)
    assert lounge_sub.latest_invoice.amount_paid == TEST_PRICES[("lounge", "month")]
    for at in (end - timedelta(seconds=1), end):
        assert _in_group(session, community, "practitioners-lounge", at) == [person.id]
    assert _in_group(session, community, "pro-lounge", end - timedelta(seconds=1)) == [person.id]
    assert _in_group(session, community, "pro-lounge", end) == []
