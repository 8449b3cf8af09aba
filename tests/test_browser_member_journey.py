"""A member's whole journey in a real browser (Chromium), over real HTTP, SMTP and Stripe.

Mia finds the S3 community of `cohort seed-demo`, joins the free Lobby and confirms from the
e-mail, subscribes to the Practitioner's Lounge monthly with 4242, applies for PRO; a
facilitator approves her from the PRO queue after the preview; she subscribes to PRO from the
acceptance e-mail (the Lounge's unused days come back), then asks the Customer Hub for a link,
opens it and cancels PRO keeping the Lounge from the instant PRO ends. Finance sees her invoices
and receipts on the desk. Every step is screenshotted under artifacts/browser/<backend>/ and
fails on any console error or failed request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cohort.clock import now as clock_now
from cohort.demo import seed_demo
from cohort.demo_community_text import SLUG
from cohort.models import Document, Membership, Person
from cohort.worker.loop import Worker
from tests.browser_helpers import Screenshots, body_text, reload_until, wait_for_mail
from tests.factories import make_staff, set_clock
from tests.live_server import LiveServer
from tests.payments_helpers import VISA
from tests.smtp_server import SmtpTestServer
from tests.test_browser_journey import (  # noqa: F401 - the SMTP fixture
    FACILITATOR,
    FINANCE,
    Journey,
    backend_of,
    expect,
    sign_in,
    smtp,
)

MIA = "mia.lindqvist@example.org"
LINK = re.compile(r"https?://[^\s/]+(/\S+)")


def link_in(message: Any, part: str) -> str:
    """The path of the first link in the e-mail whose path contains `part`."""
    for match in LINK.finditer(body_text(message)):
        if part in match.group(1):
            return match.group(1)
    raise AssertionError(f"no link with {part!r} in: {body_text(message)}")


def type_card(page: Any, number: str) -> None:
    """Type a card into localstripe's fake Stripe.js."""
    card = page.locator("#card-element")
    expect(card.locator("input")).to_have_count(5)
    card.locator("input[placeholder=number]").press_sequentially(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("30")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("SW1A 1AA")


@dataclass(frozen=True)
class Seen:
    """What the test reads of a membership (read, then the transaction ends: SQLite's lock)."""

    state: str
    person_id: int
    starts_at: datetime | None
    paid_through: datetime | None


def membership(session: Any, plan: str) -> Seen | None:
    """Mia's newest membership of `plan`, read afresh, without holding the database."""
    session.expire_all()
    try:
        row = session.scalars(
            select(Membership).join(Person).where(Person.email == MIA)
            .where(Membership.plan.has(slug=plan)).order_by(Membership.id.desc())).first()
        return None if row is None else Seen(row.state, row.person_id, row.starts_at,
                                             row.paid_through)
    finally:
        session.rollback()


def state_of(session: Any, plan: str) -> str | None:
    """The state of Mia's newest membership of `plan` (None without one)."""
    seen = membership(session, plan)
    return seen.state if seen else None


def join_the_lobby(journey: Journey, page: Any) -> None:
    page.goto(f"/communities/{SLUG}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sociocracy 3.0 Online Learning Community")
    expect(page.locator("#plan-lobby")).to_contain_text("Free")
    page.fill("#name", "Mia Lindqvist")
    page.fill("#email", MIA)
    page.check("#agree_terms")
    journey.shots.take(page, "member-lobby-form")
    page.get_by_role("button", name="Join the Lobby").click()
    expect(page.locator("main")).to_contain_text(MIA)
    confirm = wait_for_mail(journey.smtp, MIA, "Confirm that you want to join")
    page.goto(link_in(confirm, "/confirm"))
    page.get_by_role("button", name="Confirm and join").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome to")
    journey.done(page, "member-lobby-joined")


def subscribe(journey: Journey, page: Any, plan_name: str, step: str) -> None:
    """On a subscribe page: name, e-mail, terms, the card; pay monthly and land on thanks."""
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(plan_name))
    name = page.get_by_label("Your name")
    if name.count() and name.is_editable():
        name.fill("Mia Lindqvist")
    email = page.get_by_label("E-mail address")
    if email.count() and email.is_editable():
        email.fill(MIA)
    terms = page.get_by_label("I have read the Member Guidelines")
    if terms.count():
        terms.check()
    type_card(page, VISA)
    journey.shots.take(page, f"{step}-card")
    page.get_by_role("button", name=re.compile(r"^Subscribe: .* per month")).click()
    page.wait_for_url(f"**/communities/{SLUG}/subscribed*")
    journey.done(page, step)


def apply_for_pro(journey: Journey, page: Any) -> None:
    page.goto(f"/communities/{SLUG}")
    page.locator("#plan-pro").get_by_role("link", name=re.compile("^Apply for")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("PRO")
    page.fill("#full_name", "Mia Lindqvist")
    page.fill("#email", MIA)
    page.select_option("#time_zone", value="Europe/Stockholm")
    page.locator("input[name=s3_training]").first.check()
    page.fill("#training_details", "S3 practitioner training with Bernhard Bockelbrink, 2024.")
    page.fill("#s3_experience", "Two years of driver mapping, consent decision-making and "
                                "role selection in a 40-person cooperative.")
    page.locator("input[name=helping_others]").first.check()
    for field in page.locator("textarea").all():
        if not field.input_value():
            field.fill("Running monthly S3 practice circles for other cooperatives, and "
                       "writing up what works for the community.")
    terms = page.locator("#agree_terms")
    if terms.count():
        terms.check()
    journey.shots.take(page, "member-pro-form")
    page.get_by_role("button", name=re.compile("^(Send|Apply)")).click()
    expect(page.locator("main")).to_contain_text(MIA)
    journey.done(page, "member-pro-applied")


def approve_in_queue(journey: Journey, staff: Any) -> None:
    sign_in(staff, FACILITATOR)
    staff.goto(f"/staff/communities/{SLUG}/queue")
    staff.get_by_label(re.compile("^Select Mia Lindqvist")).check()
    staff.get_by_role("button", name=re.compile("^Approve")).click()
    expect(staff.locator("article.preview")).to_have_count(1)
    journey.shots.take(staff, "member-pro-preview")
    staff.get_by_role("button", name=re.compile(r"^Approve and send 1 e-mail")).click()
    expect(staff.locator(".flash-success")).to_contain_text("Mia Lindqvist")
    journey.done(staff, "member-pro-approved")


def cancel_pro_keep_lounge(journey: Journey, page: Any) -> None:
    page.goto("/hub")
    page.fill("#email", MIA)
    page.get_by_role("button", name="E-mail me a link").click()
    message = wait_for_mail(journey.smtp, MIA, "Your link to the Customer Hub")
    page.goto(link_in(message, "/hub/"))
    page.get_by_role("button", name="Open my memberships").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your memberships")
    journey.shots.take(page, "member-hub")
    page.get_by_role("button", name=re.compile(
        r"^Cancel PRO.* and keep the Practitioner.s Lounge")).click()
    expect(page.locator("main")).to_contain_text("continues from")
    journey.done(page, "member-hub-kept-lounge")


def test_a_member_joins_subscribes_goes_pro_and_keeps_the_lounge_after_cancelling_pro(
        request: pytest.FixtureRequest, app: Flask, session: Any, stripe_live: LiveServer,
        smtp: SmtpTestServer, worker: Worker, browser: Any) -> None:  # noqa: F811
    set_clock(app, datetime.now(UTC).isoformat())  # Stripe's (localstripe's) time is real time
    seed_demo(session, clock_now())
    make_staff(session, role="facilitator", email=FACILITATOR, name="Evan Miller")
    make_staff(session, role="finance", email=FINANCE, name="Finance Desk")
    session.commit()
    journey = Journey(browser, stripe_live, app, smtp, Screenshots(backend_of(request), "member-"))
    try:
        page = journey.page("mia", timezone_id="Europe/Stockholm", locale="sv-SE")
        join_the_lobby(journey, page)
        assert state_of(session, "lobby") == "active"

        page.goto(f"/communities/{SLUG}")
        page.locator("#plan-lounge").get_by_role("link", name="Subscribe monthly").click()
        subscribe(journey, page, "Practitioner.s Lounge", "member-lounge-subscribed")
        reload_until(page, lambda: state_of(session, "lounge") == "active",
                     what="the Lounge's first payment")

        apply_for_pro(journey, page)
        assert state_of(session, "pro") == "applied"
        approve_in_queue(journey, journey.page("facilitator"))

        accepted = wait_for_mail(journey.smtp, MIA, "your application is accepted")
        page.goto(link_in(accepted, "interval=month"))
        subscribe(journey, page, "PRO", "member-pro-subscribed")
        reload_until(page, lambda: state_of(session, "pro") == "active",
                     what="PRO's first payment")
        # The Lounge ends as PRO starts (PRO opens it too); its unused days are refunded.
        assert state_of(session, "lounge") == "ended"

        cancel_pro_keep_lounge(journey, page)
        pro, lounge = membership(session, "pro"), membership(session, "lounge")
        assert pro.state == "cancelling"
        assert lounge.state == "scheduled" and lounge.starts_at == pro.paid_through

        finance = journey.page("finance")
        sign_in(finance, FINANCE)
        finance.goto("/finance/")
        expect(finance.get_by_role("heading", level=1)).to_have_text("Finance desk")
        mine = finance.locator("table.documents tbody tr", has_text="Mia Lindqvist")
        expect(mine.first).to_be_visible()
        journey.done(finance, "member-finance-desk")
        numbers = session.scalars(select(Document.display_number).where(
            Document.account.has(person_id=pro.person_id))).all()
        session.rollback()
        # An invoice and a receipt for each of Lounge and PRO, and the credit note of the
        # Lounge's unused days refunded when PRO began.
        assert sorted(n.split("-")[0] for n in numbers) == ["CN", "INV", "INV", "R", "R"]
        for number in numbers:
            expect(finance.locator("table.documents")).to_contain_text(number)
    finally:
        journey.close()
