"""Time passing for subscriptions: renewals, failed renewals and grace, cancelling at period end,
reminders, scheduled starts and switches; localstripe stands in for Stripe's clock."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from cohort.extensions import db
from cohort.models import AuditRecord, Membership, OutboxMessage, StripeEvent
from cohort.payments.subscriptions import subscription_gateway
from cohort.services.subscription_payments import add_interval
from cohort.services.subscription_tick import membership_tick
from cohort.services.subscriptions import schedule_cancel, undo_cancel
from tests.conftest import WEBHOOK_SECRET
from tests.membership_factories import (
    TEST_PRICES,
    account_for,
    make_community,
    make_member_person,
    make_membership,
    plan_of,
    price_of,
)
from tests.payments_helpers import DECLINED, THREE_D_SECURE, signed, wait_until
from tests.subscribe_helpers import membership_of, post_subscription, subscribe_url
from tests.subscription_helpers import fail_renewal, payment_method, renew

# localstripe posts a webhook about a second after the call, to the address registered then.
WEBHOOK_DELAY = 2.5


def _count(session, model, *where) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _subscribed(session, client, localstripe, interval="month"):
    community = make_community(session)
    session.commit()
    response = post_subscription(client, localstripe, subscribe_url(community, interval=interval))
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    # The first invoice's signed notice has been handled (">= 1": localstripe may still be
    # delivering an earlier test's notices to this server, one try each, about a second late).
    wait_until(session, lambda: _count(session, StripeEvent,
                                       StripeEvent.type == "invoice.payment_succeeded") >= 1)
    return community, membership_of(session, "mia@example.org")


def _tick(app, at):
    """The membership jobs of a tick at `at`, in their own context, as the worker runs them."""
    db.session.rollback()  # the test's session holds no transaction (SQLite's write lock)
    with app.app_context():
        report = membership_tick(db.session, at, app.extensions["cohort.stripe"])
        db.session.remove()
    return report


def test_a_paid_renewal_moves_the_period_on_by_one_interval_and_sends_a_receipt(
        app, client, session, stripe_live, localstripe):
    _, membership = _subscribed(session, client, localstripe)
    old_end = membership.paid_through

    invoice_id = renew(localstripe.client(), membership.stripe_subscription_id)

    wait_until(session, lambda: membership_of(session, "mia@example.org").last_invoice_id
               == invoice_id)
    renewed = membership_of(session, "mia@example.org")
    assert renewed.state == "active"
    assert (renewed.period_start, renewed.paid_through) == (old_end,
                                                            add_interval(old_end, "month"))
    receipt = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_renewed")).one()
    assert "/hub" in receipt.body_text and "$20" in receipt.body_text


def test_a_replayed_or_repeated_renewal_notice_changes_nothing(app, client, session,
                                                               stripe_live, localstripe):
    _, membership = _subscribed(session, client, localstripe)
    stripe_client = localstripe.client()
    invoice_id = renew(stripe_client, membership.stripe_subscription_id)
    wait_until(session, lambda: membership_of(session, "mia@example.org").last_invoice_id
               == invoice_id)
    renewed = membership_of(session, "mia@example.org")
    invoice = stripe_client.v1.invoices.retrieve(invoice_id).to_dict()

    answers = []
    for event_id in ("evt_replayed", "evt_replayed", "evt_other_notice"):
        body, headers = signed({"id": event_id, "object": "event",
                                "type": "invoice.payment_succeeded",
                                "data": {"object": invoice}}, WEBHOOK_SECRET)
        answers.append(client.post("/stripe/webhook", data=body, headers=headers).get_json())

    assert [a["outcome"] for a in answers] == ["already applied", "duplicate", "already applied"]
    again = membership_of(session, "mia@example.org")
    assert (again.period_start, again.paid_through) == (renewed.period_start,
                                                        renewed.paid_through)
    assert _count(session, AuditRecord, AuditRecord.event == "renew") == 1


def test_a_failed_renewal_makes_it_past_due_with_grace_then_the_tick_ends_it(
        app, client, session, stripe_live, localstripe):
    community, membership = _subscribed(session, client, localstripe)

    fail_renewal(localstripe.client(), localstripe, membership.stripe_subscription_id)

    wait_until(session, lambda: membership_of(session, "mia@example.org").state == "past_due")
    overdue = membership_of(session, "mia@example.org")
    assert overdue.grants_access
    failed_at = session.scalars(select(AuditRecord.occurred_at).where(
        AuditRecord.event == "fail_payment")).one()
    assert overdue.grace_until == failed_at + timedelta(days=community.grace_days)
    notice = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_payment_failed")).one()
    assert "/hub" in notice.body_text
    grace, membership_id = overdue.grace_until, overdue.id
    session.rollback()

    assert _tick(app, grace - timedelta(seconds=1)).lapsed == []
    assert _tick(app, grace).lapsed == [membership_id]
    assert _tick(app, grace + timedelta(hours=1)).lapsed == []

    ended = membership_of(session, "mia@example.org")
    assert (ended.state, ended.ended_at) == ("ended", grace)
    sub = subscription_gateway().read_subscription(ended.stripe_subscription_id)
    assert sub.status == "canceled"
    assert _count(session, OutboxMessage, OutboxMessage.kind == "membership_lapsed") == 1


def test_cancelling_keeps_access_to_the_period_end_then_the_tick_deletes_the_subscription(
        app, client, session, stripe_live, localstripe):
    _, membership = _subscribed(session, client, localstripe)
    schedule_cancel(session, membership, actor="member:mia", now=membership.period_start)
    session.commit()
    sub = subscription_gateway().read_subscription(membership.stripe_subscription_id)
    assert sub.cancel_at_period_end is True
    end, membership_id = membership.paid_through, membership.id
    session.rollback()

    assert _tick(app, end - timedelta(seconds=1)).ended == []
    assert membership_of(session, "mia@example.org").state == "cancelling"
    assert _tick(app, end).ended == [membership_id]
    assert _tick(app, end + timedelta(minutes=1)).ended == []

    ended = membership_of(session, "mia@example.org")
    assert (ended.state, ended.ended_at) == ("ended", end)
    assert subscription_gateway().read_subscription(
        ended.stripe_subscription_id).status == "canceled"
    wait_until(session, lambda: _count(session, StripeEvent,
                                       StripeEvent.type == "customer.subscription.deleted") >= 1)
    assert membership_of(session, "mia@example.org").state == "ended"
    assert _count(session, OutboxMessage, OutboxMessage.kind == "membership_ended") == 1


def test_a_cancellation_undone_before_the_period_end_renews_at_stripe_again(
        app, client, session, stripe_live, localstripe):
    _, membership = _subscribed(session, client, localstripe)
    schedule_cancel(session, membership, actor="member:mia", now=membership.period_start)
    session.commit()

    undo_cancel(session, membership, actor="member:mia", now=membership.period_start)
    session.commit()

    assert membership_of(session, "mia@example.org").state == "active"
    sub = subscription_gateway().read_subscription(membership.stripe_subscription_id)
    assert (sub.status, sub.cancel_at_period_end) == ("active", False)
    assert _tick(app, membership.paid_through).ended == []


def test_a_yearly_renewal_is_announced_once_seven_days_ahead(app, session):
    community = make_community(session)
    membership = make_membership(session, community, "lounge", interval="year")
    session.commit()
    end = membership.paid_through

    assert _tick(app, end - timedelta(days=8)).reminded == []
    assert _tick(app, end - timedelta(days=7)).reminded == [membership.id]
    assert _tick(app, end - timedelta(days=6)).reminded == []
    monthly = make_membership(session, community, "lounge", interval="month")
    session.commit()
    assert _tick(app, monthly.paid_through - timedelta(days=3)).reminded == []

    reminders = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_renewal_reminder")).all()
    assert len(reminders) == 1 and "$200" in reminders[0].body_text
    assert "/hub" in reminders[0].body_text


def test_a_scheduled_membership_starts_on_the_saved_card_when_its_time_comes(
        app, session, stripe_live, localstripe):
    community = make_community(session)
    person = make_member_person(session)
    account = account_for(session, community, person)
    gateway = subscription_gateway()
    account.stripe_customer_id = gateway.ensure_customer(
        email=person.email, name=person.name, metadata={}, idempotency_key=f"c-{account.id}")
    gateway.attach_payment_method(account.stripe_customer_id,
                                  payment_method(localstripe.client()))
    kept = make_membership(session, community, "lounge", state="scheduled", person=person,
                           interval="month")
    kept.starts_at = kept.created_at + timedelta(days=30)
    session.commit()

    assert _tick(app, kept.starts_at - timedelta(seconds=1)).started == []
    assert _tick(app, kept.starts_at).started == [kept.id]
    assert _tick(app, kept.starts_at + timedelta(minutes=1)).started == []

    session.rollback()
    started = session.get(Membership, kept.id)
    assert (started.state, started.started_at) == ("active", kept.starts_at)
    sub = gateway.read_subscription(started.stripe_subscription_id)
    assert sub.status == "active" and sub.latest_invoice.amount_paid == 2_000
    assert started.paid_through == sub.current_period_end


def test_a_switch_to_yearly_takes_effect_when_the_paid_month_ends(app, client, session,
                                                                  stripe_live, localstripe):
    community, membership = _subscribed(session, client, localstripe)
    yearly = price_of(session, plan_of(session, community, "lounge"), "year")
    membership.next_price_id = yearly.id
    session.commit()
    old_sub, end = membership.stripe_subscription_id, membership.paid_through

    assert _tick(app, end - timedelta(seconds=1)).switched == []
    assert _tick(app, end).switched == [membership.id]
    assert _tick(app, end + timedelta(minutes=1)).switched == []

    switched = membership_of(session, "mia@example.org")
    assert (switched.state, switched.price_id, switched.interval, switched.next_price_id) == (
        "active", yearly.id, "year", None)
    gateway = subscription_gateway()
    assert gateway.read_subscription(old_sub).status == "canceled"
    new = gateway.read_subscription(switched.stripe_subscription_id)
    assert new.latest_invoice.amount_paid == TEST_PRICES[("lounge", "year")]
    assert (switched.period_start, switched.paid_through) == (end, new.current_period_end)


def test_a_switch_chosen_in_the_hub_stops_stripe_renewing_and_survives_stripe_ending_it(
        app, client, session, stripe_live, localstripe):
    """Real Stripe would renew at the old price at period end: the switch tells it not to (its
    undo lets it renew again), and Stripe's end of it (the deleted notice) leaves the
    membership to the tick, which starts the new interval."""
    from cohort.services.hub_memberships import switch_interval
    from cohort.services.subscription_payments import subscription_deleted

    _community, membership = _subscribed(session, client, localstripe)
    gateway = subscription_gateway()
    sub_id, start, end = (membership.stripe_subscription_id, membership.period_start,
                          membership.paid_through)

    def renews_at_stripe() -> bool:
        return not gateway.read_subscription(sub_id).cancel_at_period_end

    for interval, renews in (("year", False), ("month", True), ("year", False)):
        switch_interval(session, membership.person_id, membership.id, interval, now=start)
        session.commit()
        assert renews_at_stripe() is renews

    assert subscription_deleted(session, membership.id, end) == "switch pending"
    session.commit()
    assert membership_of(session, "mia@example.org").state == "active"
    assert _tick(app, end).switched == [membership.id]


def test_a_renewal_whose_webhook_was_missed_is_applied_by_the_tick_a_day_later(
        app, client, session, stripe_live, localstripe):
    _, membership = _subscribed(session, client, localstripe)
    end, membership_id = membership.paid_through, membership.id
    localstripe.register_webhook("http://127.0.0.1:9/nowhere", WEBHOOK_SECRET)  # lost
    try:
        invoice_id = renew(localstripe.client(), membership.stripe_subscription_id)
        time.sleep(WEBHOOK_DELAY)  # its webhook has gone to the address that answers nothing
    finally:
        localstripe.register_webhook(f"{stripe_live.url}/stripe/webhook", WEBHOOK_SECRET)

    assert _tick(app, end + timedelta(hours=23)).checked == []
    assert _tick(app, end + timedelta(days=1)).checked == [membership_id]
    assert _tick(app, end + timedelta(days=1, minutes=1)).checked == []

    renewed = membership_of(session, "mia@example.org")
    assert (renewed.state, renewed.last_invoice_id) == ("active", invoice_id)
    assert (renewed.period_start, renewed.paid_through) == (end, add_interval(end, "month"))


def test_no_renewal_payment_a_day_after_the_period_makes_it_past_due(
        app, client, session, stripe_live, localstripe):
    community, membership = _subscribed(session, client, localstripe)
    end, membership_id = membership.paid_through, membership.id

    assert _tick(app, end + timedelta(days=1)).checked == [membership_id]

    overdue = membership_of(session, "mia@example.org")
    assert overdue.state == "past_due"
    assert overdue.grace_until == end + timedelta(days=1 + community.grace_days)
    assert _count(session, OutboxMessage,
                  OutboxMessage.kind == "membership_payment_failed") == 1


def test_a_first_payment_whose_webhook_and_return_were_lost_is_activated_by_the_tick(
        app, client, session, stripe_live, localstripe):
    community = make_community(session)
    session.commit()
    challenge = post_subscription(client, localstripe, subscribe_url(community),
                                  number=THREE_D_SECURE)
    secret = challenge.get_data(as_text=True).split('data-client-secret="')[1].split('"')[0]
    pending = membership_of(session, "mia@example.org")
    created, membership_id = pending.created_at, pending.id
    localstripe.register_webhook("http://127.0.0.1:9/nowhere", WEBHOOK_SECRET)  # lost
    try:
        localstripe.authenticate(secret.split("_secret_")[0], secret, success=True)
        time.sleep(WEBHOOK_DELAY)
    finally:
        localstripe.register_webhook(f"{stripe_live.url}/stripe/webhook", WEBHOOK_SECRET)

    assert _tick(app, created + timedelta(minutes=59)).settled == []
    assert _tick(app, created + timedelta(hours=1)).settled == [membership_id]
    assert _tick(app, created + timedelta(hours=2)).settled == []

    assert membership_of(session, "mia@example.org").state == "active"


def test_a_sign_up_unpaid_for_a_day_is_given_up_and_its_subscription_deleted(
        app, client, session, stripe_live, localstripe):
    community = make_community(session)
    session.commit()
    declined = post_subscription(client, localstripe, subscribe_url(community), number=DECLINED)
    assert declined.status_code == 402
    pending = membership_of(session, "mia@example.org")
    created, membership_id, sub_id = (pending.created_at, pending.id,
                                      pending.stripe_subscription_id)

    assert _tick(app, created + timedelta(hours=23)).settled == []
    assert _tick(app, created + timedelta(days=1)).settled == [membership_id]

    assert membership_of(session, "mia@example.org").state == "ended"
    assert subscription_gateway().read_subscription(sub_id).status == "canceled"


def test_a_subscription_ended_at_stripe_keeps_the_paid_period_then_ends(
        app, client, session, stripe_live, localstripe):
    _, membership = _subscribed(session, client, localstripe)
    end, membership_id = membership.paid_through, membership.id

    localstripe.client().v1.subscriptions.cancel(membership.stripe_subscription_id)

    wait_until(session, lambda: membership_of(session, "mia@example.org").state == "cancelling")
    assert _tick(app, end - timedelta(seconds=1)).ended == []
    assert _tick(app, end).ended == [membership_id]
    assert membership_of(session, "mia@example.org").state == "ended"
