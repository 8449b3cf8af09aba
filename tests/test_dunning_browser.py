"""In a real Chromium with localstripe's fake Stripe.js: a past-due member follows the e-mailed
link, saves a new card, the renewal is paid and access never lapses."""

from __future__ import annotations

from sqlalchemy import select

from cohort.models import Membership, OutboxMessage
from tests.browser_helpers import PageWatch
from tests.dunning_helpers import CARD_LINK, subscribed_member
from tests.factories import utc
from tests.live_server import LiveServer
from tests.payments_helpers import wait_until
from tests.subscription_helpers import VISA, fail_renewal

TIMEOUT_MS = 20_000
NOW = utc("2024-01-10T20:00:00Z")  # the app fixture's clock


def test_a_past_due_member_follows_the_emailed_link_saves_a_card_and_keeps_access(
        app, session, localstripe, stripe_live: LiveServer, browser) -> None:
    from playwright.sync_api import expect

    member = subscribed_member(session, localstripe.client(), paid_through=NOW)
    fail_renewal(localstripe.client(), localstripe, member.subscription_id)
    wait_until(session, lambda: session.get(Membership, member.membership_id).state
               == "past_due")  # the signed invoice.payment_failed
    mail = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "membership_payment_failed")).one()
    path = CARD_LINK.search(mail.body_text).group(1)
    session.rollback()  # no transaction left open (SQLite's write lock)

    watch = PageWatch()
    context = browser.new_context(base_url=stripe_live.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = watch.watch(context.new_page(), "member")
    try:
        page.goto(path)
        expect(page.get_by_role("heading", name="Your renewal is unpaid")).to_be_visible()
        card = page.locator("#card-element")
        expect(card.locator("input")).to_have_count(5)  # the fake Stripe.js mounted its inputs
        card.locator("input[placeholder=number]").press_sequentially(VISA)
        card.locator("input[placeholder=exp_month]").fill("12")
        card.locator("input[placeholder=exp_year]").fill("30")
        card.locator("input[placeholder=cvc]").fill("123")
        card.locator("input[placeholder=postal_code]").fill("10013")
        page.get_by_role("button", name="Save the card and pay $20.00 USD").click()
        expect(page.locator(".flash")).to_contain_text("the renewal is paid")
        expect(page.get_by_text("Visa ending 4242")).to_be_visible()
        expect(page.get_by_role("heading", name="Your renewal is unpaid")).to_have_count(0)
        watch.assert_clean("card saved and renewal paid")
    finally:
        context.close()

    session.rollback()
    membership = session.get(Membership, member.membership_id)
    assert membership.state == "active" and membership.ended_at is None
