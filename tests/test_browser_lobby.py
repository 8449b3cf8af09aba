"""In Chromium, on a phone: the S3 community's page, joining the Lobby, confirming by the link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cohort.clock import parse_instant
from cohort.demo import seed_demo
from cohort.demo_community_text import SLUG
from cohort.models import Membership, OutboxMessage, Person
from tests.browser_helpers import PHONE, PageWatch, Screenshots, horizontal_overflow
from tests.factories import set_clock
from tests.live_server import LiveServer
from tests.test_browser_journey import TIMEOUT_MS, backend_of, expect


def test_a_visitor_on_a_phone_reads_the_plans_joins_the_lobby_and_confirms(
        request: pytest.FixtureRequest, app: Flask, session: Any, stripe_live: LiveServer,
        browser: Any) -> None:
    seed_demo(session, parse_instant("2026-02-01T10:00:00Z"))
    session.commit()
    set_clock(app, "2026-02-01T10:00:00Z")
    shots = Screenshots(backend_of(request), prefix="lobby-")
    watch = PageWatch()
    context = browser.new_context(base_url=stripe_live.url, timezone_id="Europe/London",
                                  locale="en-GB", **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = watch.watch(context.new_page(), "phone")
    try:
        def fits(step: str) -> None:
            assert horizontal_overflow(page) == 0, f"{step}: wider than the phone's screen"
            shots.take(page, step)
            watch.assert_clean(step)

        page.goto("/")
        page.get_by_role("link", name="Sociocracy 3.0 Online Learning Community",
                         exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Sociocracy 3.0 Online Learning Community")
        expect(page.locator("#plan-lounge")).to_contain_text("$20 USD per month")
        expect(page.locator("#plan-pro")).to_contain_text("By application only.")
        fits("page")

        page.fill("#name", "Lea Lobby")
        page.fill("#email", "lea.lobby@example.org")
        with watch.expecting(422, f"/communities/{SLUG}/join"):
            page.get_by_role("button", name="Join the Lobby").click()
            expect(page.locator("#agree_terms-error")).to_have_text(
                "Please agree to the terms to join.")
        expect(page.locator("#email")).to_have_value("lea.lobby@example.org")
        fits("join-errors")

        page.check("#agree_terms")
        page.get_by_role("button", name="Join the Lobby").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
        fits("joined")

        body = session.scalars(select(OutboxMessage.body_text).where(
            OutboxMessage.kind == "lobby_confirm")).one()
        session.rollback()
        link = re.search(r"https?://[^\s/]+(/communities/\S+)", body).group(1)
        page.goto(link)
        page.get_by_role("button", name="Confirm and join").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome to")
        fits("confirmed")

        person = session.scalars(select(Person).where(
            Person.email_normalized == "lea.lobby@example.org")).one()
        states = session.scalars(select(Membership.state).where(
            Membership.person_id == person.id)).all()
        assert states == ["active"]
    finally:
        context.close()
