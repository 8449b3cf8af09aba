"""Lounge → PRO: the Lounge ends as PRO starts; its unused time comes back, to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from sqlalchemy import select

from cohort.clock import now
from cohort.models import AuditRecord, Membership, OutboxMessage, Refund
from cohort.money import Money
from cohort.payments.subscriptions import subscription_gateway
from cohort.services.pro_applications import ProApplicationData, submit_pro_application
from cohort.services.pro_review import apply_pro_decisions
from cohort.services.pro_upgrade import upgrade_from_lounge
from cohort.services.subscriptions import pro_subscribe_token
from tests.factories import set_clock
from tests.membership_factories import (
    TEST_PRICES,
    make_community,
    make_member_person,
    make_membership,
)
from tests.subscribe_helpers import membership_of, post_subscription, subscribe_url

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def _lounge_and_pro(session, community, person, **lounge):
    kept = make_membership(session, community, "lounge", person=person, started_at=MARCH,
                           paid_through=APRIL, **lounge)
    pro = make_membership(session, community, "pro", person=person, state="approved")
    return kept, pro


def test_upgrading_ten_days_into_a_monthly_lounge_ends_it_and_refunds_21_of_31_days(session):
    community = make_community(session)
    mia = make_member_person(session, email="mia@example.org")
    lounge, pro = _lounge_and_pro(session, community, mia)
    at = MARCH + timedelta(days=10)

    done = upgrade_from_lounge(session, pro, actor="test", now=at)

    # 2,000 cents × 21/31 = 1,354.84 → 1,355: rounded up, in the member's favour.
    assert done.replaced_id == lounge.id and done.refund == Money(1_355, "USD")
    session.expire_all()
    lounge = session.get(Membership, lounge.id)
    assert (lounge.state, lounge.ended_at) == ("ended", at)
    assert session.get(Membership, pro.id).follows_id == lounge.id
    audit = session.scalars(select(AuditRecord).where(AuditRecord.event == "upgrade")).one()
    assert (audit.subject_id, audit.from_state, audit.to_state) == (lounge.id, "active", "ended")
    assert "$13.55" in audit.reason
    mail = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_upgraded")).one()
    assert mail.to_address == "mia@example.org"
    assert "$13.55 USD" in mail.body_text and "PRO Lounge" in mail.subject


def test_a_yearly_lounge_in_a_leap_year_refunds_by_the_second(session):
    community = make_community(session)
    mia = make_member_person(session)
    start, end = datetime(2028, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)
    lounge = make_membership(session, community, "lounge", person=mia, interval="year",
                             started_at=start, paid_through=end)
    pro = make_membership(session, community, "pro", person=mia, state="approved")
    at = start + timedelta(days=100, hours=6, seconds=1)
    # 20,000 × 22,960,799 s left of 31,622,400 s (366 days) = 14,521.857… → 14,522 cents.
    assert Fraction(20_000 * 22_960_799, 31_622_400) == Fraction(574_019_975, 39_528)
    assert upgrade_from_lounge(session, pro, actor="test", now=at).refund.cents == 14_522
    assert session.get(Membership, lounge.id).state == "ended"


def test_a_cancelling_lounge_ends_too_and_a_lapsed_period_refunds_nothing(session):
    community = make_community(session)
    mia = make_member_person(session)
    lounge, pro = _lounge_and_pro(session, community, mia, state="past_due")
    done = upgrade_from_lounge(session, pro, actor="test", now=APRIL + timedelta(days=2))
    assert done.refund.cents == 0 and not done.refunded
    assert session.get(Membership, lounge.id).state == "ended"

    sam = make_member_person(session)
    lounge, pro = _lounge_and_pro(session, community, sam, state="cancelling")
    done = upgrade_from_lounge(session, pro, actor="test", now=MARCH)
    assert done.refund.cents == TEST_PRICES[("lounge", "month")]
    assert session.get(Membership, lounge.id).state == "ended"


def test_the_lobby_and_other_peoples_lounges_are_left_alone(session):
    community = make_community(session)
    mia, other = make_member_person(session), make_member_person(session)
    lobby = make_membership(session, community, "lobby", person=mia, interval=None)
    theirs = make_membership(session, community, "lounge", person=other, started_at=MARCH,
                             paid_through=APRIL)
    pro = make_membership(session, community, "pro", person=mia, state="approved")
    assert upgrade_from_lounge(session, pro, actor="test", now=MARCH) is None
    assert (lobby.state, theirs.state) == ("active", "active")


def test_a_lounge_member_accepted_for_pro_subscribes_and_never_pays_twice_for_the_same_days(
        app, client, session, stripe_live, localstripe):
    community = make_community(session)
    session.commit()
    assert post_subscription(client, localstripe, subscribe_url(community)).status_code == 302
    lounge = membership_of(session, "mia@example.org")
    assert lounge.state == "active"
    start, end = lounge.period_start, lounge.paid_through

    application = submit_pro_application(session, community, ProApplicationData(
        full_name="Mia Member", email="mia@example.org", time_zone="Europe/Berlin",
        s3_training="yes", training_details="S3 practitioner course, 2025.",
        exception_reason="", s3_experience="Facilitating consent decisions for two years.",
        helping_others="working", helping_details="I teach S3 to teams in my city council.",
        giving="A monthly case from the council and my workshop materials."), now())
    pro = application.membership
    apply_pro_decisions(session, [pro], "approve", actor="staff:test", message="", now=now())
    session.commit()
    token = pro_subscribe_token(pro)
    upgrade_at = (start + timedelta(days=9, hours=7, minutes=13, seconds=5)).replace(
        microsecond=0)
    set_clock(app, upgrade_at.isoformat())

    response = post_subscription(client, localstripe, subscribe_url(community, "pro", "month",
                                                                     token))

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.rollback()
    pro, lounge = session.get(Membership, pro.id), session.get(Membership, lounge.id)
    assert pro.state == "active" and pro.follows_id == lounge.id
    assert (lounge.state, lounge.ended_at) == ("ended", upgrade_at)
    assert pro.started_at == upgrade_at
    assert subscription_gateway().read_subscription(lounge.stripe_subscription_id).status \
        == "canceled"
    # What was paid for and not used: the price times the exact share of the period left.
    share = Fraction(int((end - upgrade_at).total_seconds()), int((end - start).total_seconds()))
    expected = -(-(TEST_PRICES[("lounge", "month")] * share) // 1)
    mail = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_upgraded")).one()
    assert Money(int(expected), "USD").format() in mail.body_text
    assert 0 < expected < TEST_PRICES[("lounge", "month")]
    # Refunded to the card through the billing service: one refund of exactly that amount.
    refund = session.scalars(select(Refund).where(
        Refund.account_id == lounge.account_id)).one()
    assert (refund.amount_cents, refund.currency) == (int(expected), "USD")
    assert refund.stripe_refund_id
