"""A failed renewal, the card page, the retry and the dunning e-mails: localstripe, both databases.

localstripe never renews (tests/subscription_helpers.py): the tests charge the renewal through
the API. With 4000 0082 6000 3178 localstripe sends the signed `invoice.payment_failed`; with
4000 0000 0000 0341 it declines silently, and the test hands the same invoice to the webhook's
parser and handler, as Stripe's own event would.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from cohort.extensions import db
from cohort.models import (
    Document,
    DunningNotice,
    Membership,
    OutboxMessage,
    PaymentAttempt,
    StripeEvent,
)
from cohort.services.access import open_groups
from cohort.services.dunning import run_dunning
from cohort.timekeeping import tick
from tests.dunning_helpers import (
    CARD_LINK,
    confirm_setup,
    page_csrf,
    stand_in_for_failed_webhook,
    subscribed_member,
    use_localstripe,
)
from tests.factories import set_clock, utc
from tests.hub_helpers import open_hub
from tests.membership_factories import make_community, make_member_person, make_membership
from tests.payments_helpers import wait_until
from tests.subscription_helpers import (
    DECLINED,
    THREE_D_SECURE,
    authenticate,
    fail_renewal,
    payment_method,
)

NOW = utc("2024-01-10T20:00:00Z")  # the app fixture's clock


def _mails(session, kind: str) -> list[OutboxMessage]:
    session.rollback()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                .order_by(OutboxMessage.id)))


def _tick(app) -> str:
    result = app.test_cli_runner().invoke(args=["cohort", "tick"])
    assert result.exit_code == 0, result.output
    return result.output


def _both_at_once(app, work) -> list[object]:
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                results[i] = work(i)
            except Exception as exc:  # asserted on below
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_a_failed_renewal_is_paid_once_with_the_new_card_even_when_saved_twice_at_once(
        app, session, localstripe, stripe_live, fresh_globals):
    stripe_client = localstripe.client()
    member = subscribed_member(session, stripe_client, paid_through=NOW)
    invoice_id = fail_renewal(stripe_client, localstripe, member.subscription_id)
    failing_card = stripe_client.v1.customers.retrieve(
        member.customer_id).invoice_settings.default_payment_method
    wait_until(session, lambda: session.get(Membership, member.membership_id).state
               == "past_due")  # the signed invoice.payment_failed

    failed = _mails(session, "membership_payment_failed")
    assert len(failed) == 1
    assert "Your card was declined." in failed[0].body_text
    path = CARD_LINK.search(failed[0].body_text).group(1)
    page = app.test_client().get(path).get_data(as_text=True)
    assert "$20.00 USD</strong> is owed since" in page
    assert "Your card was declined." in page and "Visa ending 4242" in page

    browsers = [app.test_client(), app.test_client()]
    tokens = [page_csrf(browser, path) for browser in browsers]
    setup_id = confirm_setup(browsers[0], stripe_client, path, tokens[0])
    session.rollback()  # the test's own requests ran in this session: end its transaction

    answers = _both_at_once(app, lambda i: browsers[i].post(
        f"{path}/save", json={"setup_intent": setup_id}, headers={"X-CSRFToken": tokens[i]}))
    assert [getattr(a, "status_code", a) for a in answers] == [200, 200], answers
    assert sorted(a.get_json()["status"] for a in answers) == ["paid", "saved"]

    membership = session.get(Membership, member.membership_id)
    assert membership.state == "active" and membership.grace_until is None
    assert membership.ended_at is None  # access never lapsed
    paid_through = membership.paid_through
    assert paid_through > NOW
    attempts = session.scalars(select(PaymentAttempt).order_by(PaymentAttempt.id)).all()
    assert [(a.outcome, a.stripe_invoice_id, a.amount_cents) for a in attempts] == [
        ("failed", invoice_id, 2_000), ("paid", invoice_id, 2_000)]
    assert attempts[0].decline_message == "Your card was declined."
    invoice = stripe_client.v1.invoices.retrieve(invoice_id)
    assert (invoice.status, invoice.amount_paid) == ("paid", 2_000)
    charges = stripe_client.v1.charges.list(params={"customer": member.customer_id}).data
    assert sorted(c.amount for c in charges if c.status == "succeeded") == [2_000, 2_000]
    assert stripe_client.v1.payment_methods.retrieve(failing_card).customer is None
    account = membership.account
    assert (account.card_brand, account.card_last4, account.card_exp_month,
            account.card_exp_year) == ("visa", "4242", 12, 2030)
    recovered = _mails(session, "membership_recovered")
    assert len(recovered) == 1
    receipts = session.scalars(select(Document).where(Document.kind == "receipt")
                               .order_by(Document.id)).all()
    assert len(receipts) == 1 and receipts[0].total_cents == 2_000
    assert receipts[0].id in recovered[0].attachments

    # The signed invoice.payment_succeeded that follows changes nothing more.
    wait_until(session, lambda: session.scalar(select(func.count()).select_from(StripeEvent)
                                               .where(StripeEvent.type ==
                                                      "invoice.payment_succeeded")) >= 1)
    session.expire_all()
    assert session.get(Membership, member.membership_id).paid_through == paid_through
    assert len(_mails(session, "membership_recovered")) == 1
    assert session.scalar(select(func.count()).select_from(Document)
                          .where(Document.kind == "receipt")) == 1

    # Paid: the reminder halfway through grace never goes out.
    set_clock(app, "2024-01-14T00:00:00Z")
    _tick(app)
    assert _mails(session, "dunning_reminder") == []


def test_grace_expiry_ends_access_and_sends_the_final_notice_once_even_when_tick_runs_twice(
        app, session, localstripe):
    stripe_client = use_localstripe(app, localstripe)
    member = subscribed_member(session, stripe_client, paid_through=NOW)
    invoice_id = fail_renewal(stripe_client, localstripe, member.subscription_id, card=DECLINED)
    assert stand_in_for_failed_webhook(session, stripe_client, invoice_id, NOW) == "past due"
    person_id = session.get(Membership, member.membership_id).person_id
    failed = _mails(session, "membership_payment_failed")
    assert len(failed) == 1 and "Your card was declined." in failed[0].body_text
    assert "January 17, 2024" in failed[0].body_text and CARD_LINK.search(failed[0].body_text)

    set_clock(app, "2024-01-14T07:59:59Z")  # halfway through the 7 days of grace, less a second
    _tick(app)
    assert _mails(session, "dunning_reminder") == []
    set_clock(app, "2024-01-14T08:00:00Z")
    _tick(app)
    _tick(app)
    reminders = _mails(session, "dunning_reminder")
    assert len(reminders) == 1 and "January 17, 2024" in reminders[0].subject
    assert "Your card was declined." in reminders[0].body_text
    assert CARD_LINK.search(reminders[0].body_text)

    at_end = utc("2024-01-17T20:00:00Z")
    set_clock(app, "2024-01-17T20:00:00Z")
    assert [g.slug for g in open_groups(session, person_id, at_end - timedelta(seconds=1))] == [
        "practitioners-lounge"]
    session.rollback()
    gateway = app.extensions["cohort.stripe"]
    reports = _both_at_once(app, lambda i: tick(db.session, at_end, None, gateway))
    _tick(app)

    assert sorted(len(r.memberships.lapsed) for r in reports) == [0, 1], reports
    membership = session.get(Membership, member.membership_id)
    assert membership.state == "ended" and membership.ended_at == at_end
    assert open_groups(session, person_id, at_end) == []
    final = _mails(session, "membership_lapsed")
    assert len(final) == 1 and "has ended" in final[0].subject
    assert stripe_client.v1.subscriptions.retrieve(member.subscription_id).status == "canceled"
    assert len(_mails(session, "dunning_reminder")) == 1
    assert session.scalar(select(func.count()).select_from(DunningNotice)) == 1


def test_a_card_expiring_before_the_next_renewal_gets_one_notice_fourteen_days_ahead(
        app, session, localstripe):
    stripe_client = use_localstripe(app, localstripe)
    renewal = utc("2024-02-20T20:00:00Z")
    member = subscribed_member(session, stripe_client, paid_through=renewal)
    subscribed_member(  # a card valid beyond the renewal: no notice
        session, stripe_client, paid_through=renewal)
    account = session.get(Membership, member.membership_id).account
    account.card_exp_month, account.card_exp_year = 1, 2024  # works until 31 January
    session.commit()

    set_clock(app, "2024-02-06T20:00:00Z")  # 14 days ahead
    reports = _both_at_once(app, lambda i: run_dunning(db.session, utc("2024-02-06T20:00:00Z")))
    assert sorted(r.sent["card_expiring"] for r in reports) == [0, 1]
    set_clock(app, "2024-02-10T20:00:00Z")
    _tick(app)
    notices = _mails(session, "dunning_card_expiring")
    assert len(notices) == 1
    assert notices[0].to_address == session.get(Membership, member.membership_id).person.email
    assert "Visa ending 4242, valid until 01/2024" in notices[0].body_text
    assert CARD_LINK.search(notices[0].body_text)


def test_no_expiring_card_notice_earlier_than_fourteen_days_ahead(app, session, localstripe):
    stripe_client = use_localstripe(app, localstripe)
    member = subscribed_member(session, stripe_client, paid_through=utc("2024-02-20T20:00:00Z"))
    account = session.get(Membership, member.membership_id).account
    account.card_exp_month, account.card_exp_year = 1, 2024
    session.commit()

    set_clock(app, "2024-02-06T19:59:59Z")
    _tick(app)
    assert _mails(session, "dunning_card_expiring") == []


def test_the_hub_tells_a_past_due_member_what_is_owed_until_when_and_links_to_pay(
        app, client, session):
    community = make_community(session)
    person = make_member_person(session, "pia@example.org", "Pia Past")
    membership = make_membership(session, community, "lounge", state="past_due", person=person,
                                 grace_until=NOW + timedelta(days=7))
    membership.state_changed_at = NOW
    session.commit()

    open_hub(client, session, "pia@example.org")
    page = client.get("/hub/memberships").get_data(as_text=True)
    assert "Your renewal of $20.00 USD is unpaid" in page
    assert "Your groups stay open to you until" in page
    card_page = client.get(CARD_LINK.search(page).group(1))
    assert card_page.status_code == 200
    assert "$20.00 USD</strong> is owed since" in card_page.get_data(as_text=True)
    assert f"membership-{membership.id}" in page


def test_a_new_card_that_needs_3d_secure_pays_the_renewal_after_the_member_confirms(
        app, session, localstripe, fresh_globals):
    stripe_client = use_localstripe(app, localstripe)
    member = subscribed_member(session, stripe_client, paid_through=NOW)
    invoice_id = fail_renewal(stripe_client, localstripe, member.subscription_id, card=DECLINED)
    stand_in_for_failed_webhook(session, stripe_client, invoice_id, NOW)
    path = CARD_LINK.search(_mails(session, "membership_payment_failed")[0].body_text).group(1)
    browser = app.test_client()
    csrf = page_csrf(browser, path)

    started = browser.post(f"{path}/setup", json={}, headers={"X-CSRFToken": csrf}).get_json()
    setup_id = started["client_secret"].split("_secret_")[0]
    method = payment_method(stripe_client, THREE_D_SECURE)
    asked = stripe_client.v1.setup_intents.confirm(setup_id, params={"payment_method": method})
    assert asked.status == "requires_action"  # 3-D Secure on saving the card
    assert stripe_client.v1.setup_intents.confirm(setup_id).status == "succeeded"
    session.rollback()

    saved = browser.post(f"{path}/save", json={"setup_intent": setup_id},
                         headers={"X-CSRFToken": csrf}).get_json()
    assert saved["status"] == "authenticate" and saved["client_secret"]
    session.rollback()
    assert session.get(Membership, member.membership_id).state == "past_due"
    intent_id = saved["client_secret"].split("_secret_")[0]
    authenticate(localstripe, intent_id, saved["client_secret"])  # confirmCardPayment
    checked = browser.post(f"{path}/check", json={}, headers={"X-CSRFToken": csrf})

    assert checked.get_json()["status"] == "paid"
    session.rollback()
    assert session.get(Membership, member.membership_id).state == "active"
    outcomes = session.scalars(select(PaymentAttempt.outcome).order_by(PaymentAttempt.id)).all()
    assert outcomes == ["failed", "authenticating", "paid"]
    assert stripe_client.v1.invoices.retrieve(invoice_id).status == "paid"


def test_an_altered_or_expired_card_link_opens_nothing(app, client, session, localstripe):
    stripe_client = use_localstripe(app, localstripe)
    member = subscribed_member(session, stripe_client, paid_through=NOW)
    invoice_id = fail_renewal(stripe_client, localstripe, member.subscription_id, card=DECLINED)
    stand_in_for_failed_webhook(session, stripe_client, invoice_id, NOW)
    path = CARD_LINK.search(_mails(session, "membership_payment_failed")[0].body_text).group(1)

    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404
    set_clock(app, "2024-02-09T20:00:00Z")  # 30 days after the e-mail
    expired = client.get(path)
    assert expired.status_code == 404
    assert "has expired" in expired.get_data(as_text=True)


def test_a_past_due_member_can_end_the_membership_from_the_card_page_instead_of_paying(
        app, client, session, localstripe):
    stripe_client = use_localstripe(app, localstripe)
    member = subscribed_member(session, stripe_client, paid_through=NOW)
    invoice_id = fail_renewal(stripe_client, localstripe, member.subscription_id, card=DECLINED)
    stand_in_for_failed_webhook(session, stripe_client, invoice_id, NOW)
    path = CARD_LINK.search(_mails(session, "membership_payment_failed")[0].body_text).group(1)
    token = page_csrf(client, path)
    session.rollback()

    unticked = client.post(f"{path}/cancel", data={"csrf_token": token})
    assert unticked.status_code == 422
    assert "Tick the box to confirm" in unticked.get_data(as_text=True)
    session.rollback()
    assert session.get(Membership, member.membership_id).state == "past_due"

    ended = client.post(f"{path}/cancel", data={"csrf_token": token, "confirm": "y"})
    assert ended.status_code == 302
    session.rollback()
    membership = session.get(Membership, member.membership_id)
    assert membership.state == "ended" and membership.ended_at == NOW
    assert stripe_client.v1.subscriptions.retrieve(member.subscription_id).status == "canceled"
    assert len(_mails(session, "membership_cancelled")) == 1
    set_clock(app, "2024-01-14T08:00:00Z")
    _tick(app)
    assert _mails(session, "dunning_reminder") == []  # no reminder after cancelling
