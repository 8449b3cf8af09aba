"""Subscribing in a real Chromium with localstripe's fake Stripe.js: a card, then 3-D Secure."""

from __future__ import annotations

import re

import pytest

from tests.browser_helpers import PageWatch
from tests.live_server import LiveServer
from tests.membership_factories import make_community
from tests.payments_helpers import THREE_D_SECURE, VISA
from tests.subscribe_helpers import membership_of, subscribe_url

TIMEOUT_MS = 20_000


@pytest.mark.parametrize("number", [VISA, THREE_D_SECURE], ids=["card", "3-d-secure"])
def test_a_visitor_subscribes_monthly_by_card_in_the_browser(
        app, session, stripe_live: LiveServer, browser, number: str) -> None:
    from playwright.sync_api import expect

    community = make_community(session)
    url, slug = subscribe_url(community), community.slug
    session.commit()  # and no transaction left open (SQLite's write lock)
    watch = PageWatch()
    context = browser.new_context(base_url=stripe_live.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = watch.watch(context.new_page(), "visitor")
    try:
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Practitioner's Lounge")
        page.get_by_label("Your name").fill("Mia Member")
        page.get_by_label("E-mail address").fill("mia@example.org")
        page.get_by_label("I have read the Member Guidelines").check()
        card = page.locator("#card-element")
        expect(card.locator("input")).to_have_count(5)  # the fake Stripe.js mounted its inputs
        card.locator("input[placeholder=number]").press_sequentially(number)
        card.locator("input[placeholder=exp_month]").fill("12")
        card.locator("input[placeholder=exp_year]").fill("30")
        card.locator("input[placeholder=cvc]").fill("123")
        card.locator("input[placeholder=postal_code]").fill("10013")
        page.get_by_role("button", name=re.compile(r"^Subscribe: .* per month")).click()
        if number == THREE_D_SECURE:
            authenticate = page.get_by_role("button", name="Complete authentication")
            expect(authenticate).to_be_visible()
            authenticate.click()
        page.wait_for_url(f"**/communities/{slug}/subscribed")
        expect(page.locator(".flash")).to_contain_text("mia@example.org")
        watch.assert_clean("subscribed")
    finally:
        context.close()

    assert membership_of(session, "mia@example.org").state == "active"
