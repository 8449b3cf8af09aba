"""The whole journey in a real browser (Chromium via Playwright), over real HTTP, SMTP and Stripe.

Two applicants (New York and Sydney) apply through the form; a facilitator accepts both from the
queue after the preview; each opens the link from the e-mail they received, registers and pays
the deposit by typing a card into localstripe's fake Stripe.js (Sydney's card asks for 3-D
Secure); the facilitator confirms the cohort and the invoices arrive with their PDFs; both pay
the remainder; after the first meeting the Australian gets the rebate; finance downloads the
accountant's CSV and its totals are checked against the ledger to the cent. Every step is
screenshotted under artifacts/browser/<backend>/ and fails on any console error or failed
request. A second test looks at the public pages on a phone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select

from cohort.clock import parse_instant
from cohort.demo import seed_demo
from cohort.models import Cohort, Document, Enrollment, LedgerEntry, Payment
from cohort.worker.loop import Worker
from tests.browser_helpers import (
    PHONE,
    PageWatch,
    Screenshots,
    body_text,
    cents_in,
    horizontal_overflow,
    reload_until,
    status_path,
    wait_for_mail,
)
from tests.console_helpers import PASSWORD
from tests.factories import make_staff, set_clock
from tests.live_server import LiveServer
from tests.payments_helpers import THREE_D_SECURE, VISA
from tests.smtp_server import SmtpTestServer

SLUG = "cop-2024"
TIMEOUT_MS = 10_000
FACILITATOR = "evan.browser@example.org"
FINANCE = "finance.browser@example.org"


@dataclass(frozen=True)
class Applicant:
    """Someone who applies, with every answer the form asks for."""

    key: str
    name: str
    email: str
    organisation: str
    role: str
    role_title: str
    size: str
    sector: str
    stage: str
    prerequisite: str
    details: str
    country: str
    country_name: str
    zone: str
    locale: str
    deposit_card: str
    address: str


NEW_YORK = Applicant(
    key="us", name="Dana Whitfield", email="dana.whitfield@example.org",
    organisation="Hudson Community Health", role="executive_director",
    role_title="Executive Director", size="50-249", sector="not_for_profit", stage="early",
    prerequisite="taken", details="Foundations of Sociocracy with TSCG, autumn 2023.",
    country="US", country_name="United States", zone="America/New_York", locale="en-US",
    deposit_card=VISA, address="200 Hudson Street\nNew York, NY 10013")
SYDNEY = Applicant(
    key="au", name="Kim Nguyen", email="kim.nguyen@example.org",
    organisation="Harbour Cooperative Housing", role="other", role_title="Board chair",
    size="10-49", sector="for_profit", stage="exploring", prerequisite="equivalent",
    details="Sociocracy for All's facilitation course, twelve weeks in 2023.",
    country="AU", country_name="Australia", zone="Australia/Sydney", locale="en-AU",
    deposit_card=THREE_D_SECURE, address="1 Harbour Street\nSydney NSW 2000")


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpTestServer]:
    """A real SMTP server the application's worker sends to."""
    server = SmtpTestServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    try:
        yield server
    finally:
        server.stop()


def backend_of(request: pytest.FixtureRequest) -> str:
    """'sqlite' or 'postgresql': the database this run of the test uses."""
    return request.node.callspec.params["database_url"]


class Journey:
    """The browser contexts of everyone in the story, their pages, screenshots and checks."""

    def __init__(self, browser: Any, server: LiveServer, app: Flask, smtp: SmtpTestServer,
                 shots: Screenshots) -> None:
        self.browser, self.server, self.app, self.smtp, self.shots = (
            browser, server, app, smtp, shots)
        self.watch = PageWatch()
        self.contexts: list[Any] = []

    def page(self, who: str, **options: Any) -> Any:
        """A fresh browser (own cookies) for one person, watched for errors."""
        context = self.browser.new_context(base_url=self.server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return self.watch.watch(context.new_page(), who)

    def done(self, page: Any, step: str) -> None:
        """End of a step: screenshot it, and fail on any error seen in any page."""
        self.shots.take(page, step)
        self.watch.assert_clean(step)

    def tick(self) -> str:
        """`flask cohort tick` at the application's clock."""
        result = self.app.test_cli_runner().invoke(args=["cohort", "tick"])
        assert result.exit_code == 0, result.output
        return result.output

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


# --- the steps -------------------------------------------------------------------------------

def sign_in(page: Any, email: str) -> None:
    page.goto("/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def apply_in_browser(journey: Journey, who: Applicant) -> Any:
    page = journey.page(who.key, timezone_id=who.zone, locale=who.locale)
    page.goto(f"/cohorts/{SLUG}")
    # On a first visit the page switches itself to the browser's time zone.
    page.wait_for_url(f"**/cohorts/{SLUG}?tz=*")
    expect(page.locator("#deadlines thead")).to_contain_text(f"Your time ({who.zone})")
    page.get_by_role("link", name="Apply now").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Apply:")
    page.fill("#full_name", who.name)
    page.fill("#email", who.email)
    page.fill("#organisation", who.organisation)
    page.check(f"input[name=role][value={who.role}]")
    page.fill("#role_title", who.role_title)
    page.select_option("#organisation_size", value=who.size)
    page.check(f"input[name=sector][value={who.sector}]")
    page.check(f"input[name=sociocracy_stage][value={who.stage}]")
    page.check(f"input[name=prerequisite][value={who.prerequisite}]")
    page.fill("#prerequisite_details", who.details)
    page.fill("#hopes_to_bring", f"{who.organisation}: fifteen years of leading people "
                                 "through change, and the questions that came with it.")
    page.fill("#hopes_to_gain", "Peers who wrestle with the same questions, and the courage "
                                "to try consent decision-making at board level.")
    page.select_option("#country", value=who.country)
    page.select_option("#time_zone", value=who.zone)
    journey.shots.take(page, f"apply-form-{who.key}")
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you — your application is in")
    expect(page.locator("main")).to_contain_text(who.email)
    journey.done(page, f"applied-{who.key}")
    return page


def accept_both(journey: Journey, page: Any) -> None:
    sign_in(page, FACILITATOR)
    page.locator(f"a[href='/staff/cohorts/{SLUG}']").click()
    expect(page.locator(".dates .state")).to_have_text("Open for applications")
    page.get_by_role("link", name="Review applications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Applications")
    for who in (NEW_YORK, SYDNEY):
        page.get_by_label(f"Select {who.name}").check()
    journey.shots.take(page, "queue-selected")
    page.get_by_role("button", name="Accept…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accept: check before sending")
    previews = page.locator("article.preview")
    expect(previews).to_have_count(2)
    for who in (NEW_YORK, SYDNEY):
        expect(previews.filter(has_text=who.email)).to_contain_text("You are accepted")
    journey.shots.take(page, "decision-preview")
    page.get_by_role("button", name="Accept and send 2 e-mail(s)").click()
    expect(page.locator(".flash-success")).to_contain_text(
        f"Accept: {NEW_YORK.name}, {SYDNEY.name}")
    expect(page.locator("table.queue tbody tr", has_text="Accepted")).to_have_count(2)
    journey.done(page, "accepted")


def pay_by_card(journey: Journey, page: Any, who: Applicant, number: str, amount: str,
                step: str) -> None:
    """On the card page: type the card into the fake Stripe.js and pay (3-D Secure if asked)."""
    expect(page.get_by_role("heading", level=1)).to_contain_text(amount)
    card = page.locator("#card-element")
    expect(card.locator("input")).to_have_count(5)  # the fake Stripe.js mounted its inputs
    card.locator("input[placeholder=number]").press_sequentially(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("30")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10013" if who.country == "US" else "2000")
    journey.shots.take(page, f"{step}-card")
    page.get_by_role("button", name=f"Pay {amount}").click()
    if number == THREE_D_SECURE:
        authenticate = page.get_by_role("button", name="Complete authentication")
        expect(authenticate).to_be_visible()
        journey.shots.take(page, f"{step}-3ds")
        authenticate.click()
    page.wait_for_url(f"**{status_path_of(page)}")


def status_path_of(page: Any) -> str:
    """/a/<token> of the page the applicant is on (register, pay or status)."""
    parts = page.url.split("/a/", 1)[1].split("/")
    return f"/a/{parts[0].split('?')[0]}"


def state_is(page: Any, label: str) -> bool:
    return page.locator("#state-heading .state").inner_text().strip() == label


def register_and_pay_deposit(journey: Journey, who: Applicant) -> tuple[Any, str]:
    accepted = wait_for_mail(journey.smtp, who.email, "You are accepted")
    link = status_path(accepted)
    page = journey.page(who.key, timezone_id=who.zone, locale=who.locale)
    page.goto(link)
    expect(page.locator("#state-heading .state")).to_have_text("Accepted")
    page.get_by_role("link", name="Register and pay the deposit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Register for")
    expect(page.locator("#billing_name")).to_have_value(who.name)
    page.fill("#address", who.address)
    page.select_option("#country", value=who.country)
    page.check("#agree_policy")
    page.check("#agree_terms")
    journey.shots.take(page, f"register-{who.key}")
    page.get_by_role("button", name="Continue to the deposit").click()
    pay_by_card(journey, page, who, who.deposit_card, "$100.00 USD", f"deposit-{who.key}")
    reload_until(page, lambda: state_is(page, "Registered"), what="the deposit's webhook")
    expect(page.locator("#statement")).to_contain_text("Deposit received")
    if who.country == "AU":
        expect(page.locator("p.rebate")).to_contain_text("Australia: you will receive a 25")
    journey.done(page, f"registered-{who.key}")
    return page, link


def confirm_cohort(journey: Journey, page: Any) -> None:
    page.goto(f"/staff/cohorts/{SLUG}")
    expect(page.locator(".dates .state")).to_have_text("Applications closed")
    journey.shots.take(page, "dashboard-closed")
    page.get_by_role("link", name="Confirm: enough people…").click()
    expect(page.locator("article.preview")).to_have_count(2)
    journey.shots.take(page, "confirm-preview")
    page.get_by_role("button", name="Confirm and send 2 invoice(s)").click()
    expect(page.locator(".flash-success").first).to_contain_text(
        "2 remainder invoice(s) issued and e-mailed.")
    expect(page.locator(".dates .state")).to_have_text("Confirmed")
    journey.done(page, "confirmed")


def check_invoice_mail(journey: Journey, who: Applicant) -> str:
    """The invoice e-mail arrived with its PDF; answer the invoice number."""
    message = wait_for_mail(journey.smtp, who.email, "Invoice INV-", nudge=journey.tick)
    number = str(message["Subject"]).split()[1].rstrip(":")
    assert "$1,897.00 USD" in str(message["Subject"])
    assert "Total due: $1,897.00 USD" in body_text(message)
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"{number}.pdf"]
    assert attachments[0].get_content_type() == "application/pdf"
    pdf = attachments[0].get_content()
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert number in text and who.name in text and "1,897.00" in text
    return number


def pay_remainder(journey: Journey, page: Any, who: Applicant, link: str) -> None:
    page.goto(link)
    expect(page.locator("#state-heading .state")).to_have_text("Invoice sent")
    page.get_by_role("link", name="Pay $1,897.00 USD by card").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pay the invoice: $1,897.00 USD")
    pay_by_card(journey, page, who, VISA, "$1,897.00 USD", f"balance-{who.key}")
    reload_until(page, lambda: state_is(page, "Paid in full"), what="the balance's webhook")
    expect(page.locator("#statement .balance")).to_have_text("$0.00 USD")
    journey.done(page, f"paid-{who.key}")


def finance_export(journey: Journey, page: Any) -> tuple[list[dict[str, str]], dict[str, int]]:
    """Finance filters by cohort and downloads the CSV; answer its rows and the page's totals."""
    sign_in(page, FINANCE)
    page.goto("/finance/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Finance desk")
    page.select_option("#cohort", value=SLUG)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/finance/?*cohort={SLUG}*")
    expect(page.locator("table.documents tbody tr")).to_have_count(7)
    totals = {kind: cents_in(page.locator(f".total-{kind}-USD").inner_text())
              for kind in ("invoice", "receipt", "credit_note")}
    journey.shots.take(page, "finance-desk")
    # A download ends the navigation that started it: Chromium reports it as aborted.
    with journey.watch.expecting("net::ERR_ABORTED", "/finance/documents.csv"), \
            page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "documents.csv"
    text = download.value.path().read_text(encoding="utf-8")
    journey.done(page, "finance-csv")
    return list(csv.DictReader(io.StringIO(text))), totals


def ledger_sums(session: Any) -> dict[str, int]:
    rows = session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount_cents))
        .join(Enrollment, Enrollment.account_id == LedgerEntry.account_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Cohort.slug == SLUG).group_by(LedgerEntry.kind)).all()
    deposits = session.scalar(
        select(func.sum(Payment.amount_cents))
        .join(Enrollment, Enrollment.account_id == Payment.account_id).join(Cohort)
        .where(Cohort.slug == SLUG, Payment.purpose == "deposit",
               Payment.status == "succeeded"))
    session.rollback()  # hold no transaction while the server works (SQLite's write lock)
    return {**{kind: int(total) for kind, total in rows}, "deposits": int(deposits or 0)}


# --- the tests -------------------------------------------------------------------------------

def test_from_application_to_rebate_and_the_accountants_csv(
        request: pytest.FixtureRequest, app: Flask, session: Any, stripe_live: LiveServer,
        smtp: SmtpTestServer, worker: Worker, browser: Any) -> None:
    # 1. The seed's cohort, a facilitator and finance; the cohort may go ahead with two.
    now = parse_instant("2024-01-10T20:00:00Z")
    seed_demo(session, now)
    cohort = session.scalars(select(Cohort).where(Cohort.slug == SLUG)).one()
    cohort.minimum_participants = 2  # the seed's cohort needs 5; this story has two people
    make_staff(session, role="facilitator", email=FACILITATOR, name="Evan Miller")
    make_staff(session, role="finance", email=FINANCE, name="Finance Desk")
    session.commit()
    set_clock(app, "2024-01-10T20:00:00Z")
    journey = Journey(browser, stripe_live, app, smtp, Screenshots(backend_of(request)))
    try:
        _journey(journey, session)
    finally:
        journey.close()


def _journey(journey: Journey, session: Any) -> None:
    # 2. Two applicants apply through the form.
    for who in (NEW_YORK, SYDNEY):
        apply_in_browser(journey, who)
        received = wait_for_mail(journey.smtp, who.email, "")
        assert status_path(received).startswith("/a/")

    # 3. The facilitator accepts both after the preview.
    staff = journey.page("facilitator", timezone_id="America/Los_Angeles")
    accept_both(journey, staff)

    # 4. Each registers from the link in the acceptance e-mail and pays the deposit.
    pages, links = {}, {}
    for who in (NEW_YORK, SYDNEY):
        pages[who.key], links[who.key] = register_and_pay_deposit(journey, who)
        wait_for_mail(journey.smtp, who.email, "Payment received: $100.00 USD")

    # 5. After the deadlines the cohort is closed by tick, then confirmed: invoices go out.
    set_clock(journey.app, "2024-02-01T18:00:00Z")
    assert f"closed 1 cohort(s) ['{SLUG}']" in journey.tick()
    confirm_cohort(journey, staff)
    invoices = {who.key: check_invoice_mail(journey, who) for who in (NEW_YORK, SYDNEY)}
    assert sorted(invoices.values()) == ["INV-2024-0001", "INV-2024-0002"]

    # 6. Both pay the remainder by card.
    for who in (NEW_YORK, SYDNEY):
        pay_remainder(journey, pages[who.key], who, links[who.key])
        wait_for_mail(journey.smtp, who.email, "Payment received: $1,897.00 USD")

    # 7. The first meeting has begun: the Australian's rebate.
    set_clock(journey.app, "2024-02-08T00:00:01Z")
    assert "rebated 1 enrollment(s)" in journey.tick()
    running = session.scalar(select(Cohort.state).where(Cohort.slug == SLUG)) == "running"
    session.rollback()
    page = pages[SYDNEY.key]
    page.goto(links[SYDNEY.key])
    expect(page.locator("#state-heading .state")).to_have_text(
        "Participating" if running else "Paid in full")
    expect(page.locator("#statement")).to_contain_text("Rebate, credit note CN-2024-0001")
    expect(page.locator("ul.documents")).to_contain_text("CN-2024-0001")
    expect(page.locator("ul.documents")).to_contain_text("Credit note — $499.25 USD")
    expect(page.locator("p.rebate")).to_contain_text("issued on")
    journey.done(page, "rebate-au")
    rebate = wait_for_mail(journey.smtp, SYDNEY.email, "Your rebate of $499.25 USD",
                           nudge=journey.tick)
    assert "$499.25 USD (credit note CN-2024-0001)" in body_text(rebate)
    assert "$499.25 USD is refunded to the card you paid with." in body_text(rebate)
    assert not [m for m in journey.smtp.received
                if NEW_YORK.email in m.rcpt_tos and "rebate" in str(m.message["Subject"])]

    # 8. Finance: the accountant's CSV for the cohort against the ledger, to the cent.
    rows, totals = finance_export(journey, journey.page("finance"))
    by_kind: dict[str, list[int]] = {}
    for row in rows:
        by_kind.setdefault(row["type"], []).append(cents_in(row["net"]))
        assert row["currency"] == "USD"
    ledger = ledger_sums(session)
    invoices_net, receipts_net = sum(by_kind["invoice"]), sum(by_kind["receipt"])
    credits_net = sum(by_kind["credit note"])
    assert sorted(by_kind["invoice"]) == [189_700, 189_700]
    assert sorted(by_kind["receipt"]) == [10_000, 10_000, 189_700, 189_700]
    # Fees are the deposits (receipted when paid, never invoiced) plus the remainder invoices.
    assert ledger["fee"] == invoices_net + ledger["deposits"] == 399_400
    # Every payment received has its receipt.
    assert -ledger["payment"] == receipts_net == 399_400
    # Credit notes: the one rebate, refunded to the card.
    assert credits_net == -ledger["credit"] == 49_925
    assert ledger["refund"] == 49_925
    assert totals == {"invoice": invoices_net, "receipt": receipts_net,
                      "credit_note": credits_net}
    balance_due = sum(cents_in(row["balance"]) for row in rows)
    assert balance_due == sum(ledger[k] for k in ("fee", "payment", "credit", "refund")) == 0

    # The Australian's final status page fits a phone.
    phone = journey.page("au-phone", timezone_id=SYDNEY.zone, locale=SYDNEY.locale, **PHONE)
    phone.goto(links[SYDNEY.key])
    expect(phone.locator("#statement .balance")).to_have_text("$0.00 USD")
    assert horizontal_overflow(phone) == 0
    journey.done(phone, "phone-status-au")
    documents = session.scalar(select(func.count()).select_from(Document))
    session.rollback()
    assert documents == 7


def test_the_public_pages_fit_a_phone(request: pytest.FixtureRequest, app: Flask, session: Any,
                                      stripe_live: LiveServer, browser: Any) -> None:
    seed_demo(session, parse_instant("2024-01-10T20:00:00Z"))
    session.commit()
    set_clock(app, "2024-01-10T20:00:00Z")
    shots = Screenshots(backend_of(request), prefix="phone-")
    watch = PageWatch()
    context = browser.new_context(base_url=stripe_live.url, timezone_id="Pacific/Auckland",
                                  locale="en-NZ", **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = watch.watch(context.new_page(), "phone")
    try:
        def fits(step: str) -> None:
            assert horizontal_overflow(page) == 0, f"{step}: wider than the phone's screen"
            shots.take(page, step)
            watch.assert_clean(step)

        page.goto("/")
        expect(page.get_by_role("link", name="Nurturing Healthy Culture").first).to_be_visible()
        fits("index")
        page.get_by_role("link", name="Nurturing Healthy Culture").first.click()
        page.wait_for_url(f"**/cohorts/{SLUG}?tz=*")
        expect(page.locator("#deadlines thead")).to_contain_text("Pacific/Auckland")
        fits("cohort")
        page.get_by_role("link", name="Apply now").click()
        fits("apply")

        page.fill("#full_name", "Aroha Tane")
        page.fill("#email", "not-an-address")
        page.fill("#hopes_to_bring", "Too short.")
        with watch.expecting(422, f"/cohorts/{SLUG}/apply"):
            page.get_by_role("button", name="Send my application").click()
            expect(page.locator("p.notice[role=alert]")).to_contain_text("Please correct")
        for field in ("email", "organisation", "hopes_to_bring", "hopes_to_gain", "country"):
            expect(page.locator(f"#{field}-error")).to_be_visible()
            expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#role-error")).to_be_visible()
        expect(page.locator("#full_name")).to_have_value("Aroha Tane")
        fits("apply-errors")

        page.fill("#email", "aroha.tane@example.org")
        page.fill("#organisation", "Whānau Trust")
        page.check("input[name=role][value=general_manager]")
        page.select_option("#organisation_size", value="1-9")
        page.check("input[name=sector][value=not_for_profit]")
        page.check("input[name=sociocracy_stage][value=mature]")
        page.check("input[name=prerequisite][value=in_progress]")
        page.fill("#hopes_to_bring", "Four years of running a trust with consent decisions.")
        page.fill("#hopes_to_gain", "Other leaders to learn with, across the Pacific.")
        page.select_option("#country", value="NZ")
        page.select_option("#time_zone", value="Pacific/Auckland")
        page.get_by_role("button", name="Send my application").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Thank you — your application is in")
        fits("applied")

        token = session.scalars(select(Enrollment.status_token)).one()
        session.rollback()
        page.goto(f"/a/{token}")
        expect(page.locator("#state-heading .state")).to_have_text("Application received")
        expect(page.get_by_role("heading", name="Meetings in your time zone")).to_contain_text(
            "Pacific/Auckland")
        fits("status")
    finally:
        context.close()
