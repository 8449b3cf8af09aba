"""Subscribing to the Lounge by card against localstripe, with its real signed webhooks."""

from __future__ import annotations

from sqlalchemy import func, select

from cohort.models import AuditRecord, Membership, OutboxMessage, StripeEvent, TermsAgreement
from cohort.payments.subscriptions import subscription_gateway
from cohort.services.subscriptions import pro_subscribe_token
from tests.membership_factories import (
    TEST_PRICES,
    make_community,
    make_member_person,
    make_membership,
    plan_of,
    price_of,
)
from tests.payments_helpers import DECLINED, THREE_D_SECURE, VISA, wait_until
from tests.subscribe_helpers import (
    membership_of,
    pass_3d_secure,
    post_subscription,
    subscribe_url,
)


def _community(session):
    community = make_community(session)
    session.commit()
    return community


def _count(session, model, *where) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_subscribing_monthly_with_a_good_card_activates_at_once_for_the_plan_price(
        app, client, session, stripe_live, localstripe):
    community = _community(session)

    response = post_subscription(client, localstripe, subscribe_url(community))

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith(f"/communities/{community.slug}/subscribed")
    membership = membership_of(session, "mia@example.org")
    assert membership.state == "active"
    assert membership.price_id == price_of(session, plan_of(session, community, "lounge"),
                                           "month").id
    sub = subscription_gateway().read_subscription(membership.stripe_subscription_id)
    assert sub.status == "active"
    assert sub.latest_invoice.amount_paid == TEST_PRICES[("lounge", "month")]
    assert (membership.period_start, membership.paid_through) == (sub.current_period_start,
                                                                  sub.current_period_end)
    assert membership.account.stripe_customer_id == sub.customer_id
    assert membership.price.stripe_plan_id == sub.plan_id
    assert _count(session, TermsAgreement, TermsAgreement.person_id == membership.person_id) == 1
    welcome = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_welcome")).one()
    assert welcome.to_address == "mia@example.org" and "/hub" in welcome.body_text


def test_the_webhook_after_an_activation_changes_nothing(app, client, session, stripe_live,
                                                         localstripe):
    community = _community(session)
    post_subscription(client, localstripe, subscribe_url(community))
    membership = membership_of(session, "mia@example.org")

    wait_until(session, lambda: _count(session, StripeEvent,
                                       StripeEvent.type == "invoice.payment_succeeded") >= 1)

    again = membership_of(session, "mia@example.org")
    assert (again.state, again.paid_through) == ("active", membership.paid_through)
    assert _count(session, AuditRecord, AuditRecord.subject_type == "membership",
                  AuditRecord.event == "activate") == 1
    assert _count(session, OutboxMessage, OutboxMessage.kind == "membership_welcome") == 1


def test_subscribing_yearly_charges_the_yearly_price_for_a_year(app, client, session,
                                                                stripe_live, localstripe):
    community = _community(session)

    post_subscription(client, localstripe, subscribe_url(community, interval="year"))

    membership = membership_of(session, "mia@example.org")
    assert (membership.state, membership.interval) == ("active", "year")
    sub = subscription_gateway().read_subscription(membership.stripe_subscription_id)
    assert sub.latest_invoice.amount_paid == TEST_PRICES[("lounge", "year")]
    assert 365 <= (membership.paid_through - membership.period_start).days <= 366


def test_three_d_secure_confirmed_activates_through_the_return_check(app, client, session,
                                                                    stripe_live, localstripe):
    community = _community(session)

    challenge = post_subscription(client, localstripe, subscribe_url(community),
                                  number=THREE_D_SECURE)

    assert challenge.status_code == 200
    assert 'id="confirm-form"' in challenge.get_data(as_text=True)
    assert membership_of(session, "mia@example.org").state == "pending"
    back = pass_3d_secure(client, localstripe, challenge)
    assert back.status_code == 302
    assert back.headers["Location"].endswith("/subscribed")
    assert membership_of(session, "mia@example.org").state == "active"


def test_three_d_secure_refused_gives_no_access_and_another_card_can_be_tried(
        app, client, session, stripe_live, localstripe):
    community = _community(session)
    url = subscribe_url(community)
    challenge = post_subscription(client, localstripe, url, number=THREE_D_SECURE)

    back = pass_3d_secure(client, localstripe, challenge, success=False)

    assert back.status_code == 302 and "/subscribe/lounge" in back.headers["Location"]
    membership = membership_of(session, "mia@example.org")
    assert membership.state == "pending" and membership.started_at is None
    retried = post_subscription(client, localstripe, url, number=VISA)
    assert retried.status_code == 302
    again = membership_of(session, "mia@example.org")
    assert again.id == membership.id and again.state == "active"
    assert again.stripe_subscription_id == membership.stripe_subscription_id


def test_a_declined_card_gives_no_access_a_clear_message_and_a_retry(app, client, session,
                                                                    stripe_live, localstripe):
    community = _community(session)
    url = subscribe_url(community)

    declined = post_subscription(client, localstripe, url, number=DECLINED)

    assert declined.status_code == 402
    assert "declined" in declined.get_data(as_text=True)
    membership = membership_of(session, "mia@example.org")
    assert membership.state == "pending" and not membership.grants_access
    retried = post_subscription(client, localstripe, url, number=VISA)
    assert retried.status_code == 302
    again = membership_of(session, "mia@example.org")
    assert (again.id, again.state) == (membership.id, "active")
    sub = subscription_gateway().read_subscription(again.stripe_subscription_id)
    assert sub.status == "active"


def test_three_d_secure_confirmed_activates_on_the_signed_webhook_without_the_return(
        app, client, session, stripe_live, localstripe):
    community = _community(session)
    challenge = post_subscription(client, localstripe, subscribe_url(community),
                                  number=THREE_D_SECURE)
    secret = challenge.get_data(as_text=True).split('data-client-secret="')[1].split('"')[0]

    localstripe.authenticate(secret.split("_secret_")[0], secret, success=True)

    wait_until(session, lambda: membership_of(session, "mia@example.org").state == "active")
    membership = membership_of(session, "mia@example.org")
    assert membership.paid_through is not None and membership.last_invoice_id
    back = pass_3d_secure(client, localstripe, challenge)  # the return comes late: no change
    assert back.status_code == 302
    assert _count(session, AuditRecord, AuditRecord.event == "activate") == 1


def test_a_known_address_is_never_rewritten_and_gets_the_same_answer(app, client, session,
                                                                     stripe_live, localstripe):
    community = _community(session)
    url = subscribe_url(community)
    first = post_subscription(client, localstripe, url, name="Mia Member")

    again = post_subscription(client, localstripe, url, name="Someone Else",
                              email="MIA@example.org")

    assert (again.status_code, again.headers["Location"]) == (302, first.headers["Location"])
    membership = membership_of(session, "mia@example.org")
    assert membership.person.name == "Mia Member"
    assert _count(session, Membership) == 1
    sub = subscription_gateway().read_subscription(membership.stripe_subscription_id)
    assert sub.latest_invoice.amount_paid == TEST_PRICES[("lounge", "month")]  # charged once
    told = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_already")).one()
    assert told.to_address == "mia@example.org" and "nothing was charged" in told.body_text


def test_the_form_refuses_missing_terms_and_bad_fields_beside_them_with_nothing_charged(
        app, client, session):
    community = _community(session)
    url = subscribe_url(community)
    page = client.get(url).get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]

    response = client.post(url, data={"csrf_token": csrf, "terms_version": "1", "name": "",
                                      "email": "not-an-address", "card_token": "4242"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please agree to the Member Guidelines" in html
    assert "Please enter your name." in html
    assert "does not look like an e-mail address" in html
    assert "Please enter your card" in html
    assert _count(session, Membership) == 0


def test_an_unknown_interval_or_plan_is_a_404_with_words(app, client, session):
    community = _community(session)

    assert client.get(subscribe_url(community, interval="week")).status_code == 404
    assert client.get(subscribe_url(community, plan="nothing")).status_code == 404
    free = client.get(subscribe_url(community, plan="lobby"))
    assert free.status_code == 404 and "no monthly subscription" in free.get_data(as_text=True)


def test_pro_is_only_for_an_approved_application_through_its_signed_link(
        app, client, session, stripe_live, localstripe):
    community = _community(session)
    person = make_member_person(session, email="pro@example.org", name="Pat Pro")
    approved = make_membership(session, community, "pro", state="approved", person=person)
    session.commit()

    without = client.get(subscribe_url(community, plan="pro"))
    forged = client.get(subscribe_url(community, plan="pro", token="forged"))
    assert (without.status_code, forged.status_code) == (404, 404)
    assert "by application only" in without.get_data(as_text=True)

    url = subscribe_url(community, plan="pro", interval="year",
                        token=pro_subscribe_token(approved))
    response = post_subscription(client, localstripe, url, name="", email="")

    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    session.rollback()
    pro = session.get(Membership, approved.id)
    assert (pro.state, pro.interval) == ("active", "year")
    sub = subscription_gateway().read_subscription(pro.stripe_subscription_id)
    assert sub.latest_invoice.amount_paid == TEST_PRICES[("pro", "year")]
    assert client.get(url).status_code == 404  # the link has done its work
