"""Two programs side by side: the seed's (USA Pacific time, USD, a rebate) and the invented Berlin
one (Europe/Berlin, EUR, no rebate). Every page, e-mail, PDF, CSV and calendar of each cohort
speaks its own zone and currency; nothing of the Berlin cohort mentions Pacific time, dollars or a
rebate."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from cohort.demo import SEED_SLUG, seed_demo
from cohort.demo_berlin import BERLIN
from cohort.mail.outbox import render_mail, status_url
from cohort.models import Cohort, Document, Enrollment, OutboxMessage, Payment, Registration
from cohort.money import Money
from cohort.schedule import format_instant
from cohort.services.applications import submit_application
from cohort.services.cancellation import cancel_cohort
from cohort.services.confirmation import confirm_cohort
from cohort.services.group_sessions import session_by_id
from cohort.services.rebates import rebates_due
from cohort.services.transitions import change_cohort, change_enrollment
from tests.console_helpers import page_token, sign_in
from tests.factories import (
    application_data,
    csrf_token,
    form_data,
    make_enrollment,
    make_staff,
    set_clock,
    utc,
)
from tests.payments_helpers import pay_by_card, register, wait_until

NOW = utc("2024-01-10T20:00:00Z")
# The e-mails a cohort's people can receive: every kind but the communities' own (memberships,
# the Lobby, PRO applications, the hub, dunning, terms), which their own tests read.
COMMUNITY_ONLY = ("dunning_", "hub_", "lobby_", "membership_", "pro_application_", "terms_")
EMAIL_KINDS = sorted(p.stem for p in (Path(__file__).parents[1] / "templates" / "emails")
                     .glob("*.txt") if not p.stem.startswith(COMMUNITY_ONLY))
# What each program's words must include (any one of) for a zone and for money, and never say.
SPEAKS = {
    "seed": {"zone": ("USA Pacific Time", "PST", "PDT"), "money": ("$", "USD"), "never": ()},
    "berlin": {"zone": ("CET", "CEST", "Berlin", "Central European Time"),
               "money": ("€", "EUR"),
               "never": ("Pacific", "PST", "PDT", "$", "USD", "rebate", "Rebate", "REBATE",
                         "TSCG", "with sociocracy")},
}
APPLICANT = {"seed": ("US", "America/Los_Angeles"), "berlin": ("DE", BERLIN)}


class _Visible(HTMLParser):
    """A page's text as people read it; the zone and country pickers' option lists left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("select", "script", "style"):
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("select", "script", "style"):
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.parts.append(" ".join(data.split()))


def visible(html: str) -> str:
    """The visible text of `html`."""
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def pdf_text(data: bytes) -> str:
    """Every page's text, whitespace collapsed."""
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
                    .split())


def check(program: str, label: str, text: str, *, zone: bool = False, money: bool = False
          ) -> None:
    """`text` names the program's zone and currency where asked, and never the other's."""
    rules = SPEAKS[program]
    for word in rules["never"]:
        assert word not in text, f"{program} {label}: says {word!r}: {text[:3000]}"
    if zone:
        assert any(w in text for w in rules["zone"]), f"{program} {label}: no zone: {text[:3000]}"
    if money:
        assert any(w in text for w in rules["money"]), f"{program} {label}: no money: {text}"


def _cohort(session, program: str) -> Cohort:
    seed_demo(session, NOW)
    slug = SEED_SLUG if program == "seed" else "berlin-2024"
    cohort = session.scalars(select(Cohort).where(Cohort.slug == slug)).one()
    cohort.minimum_participants = 1  # this story registers one person who stays
    session.commit()
    return cohort


def _at(app, instant: datetime) -> datetime:
    set_clock(app, instant.isoformat())
    return instant


def _apply(session, cohort: Cohort, program: str, name: str, when: datetime) -> Enrollment:
    country, zone = APPLICANT[program]
    submission = submit_application(session, cohort, application_data(
        full_name=name, email=f"{name.lower()}@example.org", country=country, time_zone=zone),
        when)
    session.commit()
    assert submission.enrollment_id is not None
    return session.get_one(Enrollment, submission.enrollment_id)


def _decide(session, enrollment: Enrollment, event: str, when: datetime) -> None:
    change_enrollment(session, enrollment.id, event, actor="staff:evan@example.org", now=when,
                      message="We look forward to it.")
    session.commit()


@pytest.mark.parametrize("program", ["seed", "berlin"])
def test_every_page_mail_document_and_calendar_speaks_the_cohorts_zone_and_currency(
        app, client, session, localstripe, stripe_live, program):
    cohort = _cohort(session, program)
    slug, texts = cohort.slug, []

    def page(label: str, url: str, *, status: int = 200, **expect: bool) -> None:
        response = client.get(url)
        assert response.status_code == status, (label, response.get_data(as_text=True)[:500])
        texts.append((label, visible(response.get_data(as_text=True)), expect))

    # Before the application deadline: the public pages, then six people apply.
    opened = _at(app, cohort.applications_close_at - timedelta(days=3))
    page("cohort page", f"/cohorts/{slug}", zone=True, money=True)
    page("cohort page, Tokyo visitor", f"/cohorts/{slug}?tz=Asia/Tokyo", zone=True, money=True)
    page("apply form", f"/cohorts/{slug}/apply")
    calendar = client.get(f"/cohorts/{slug}/calendar.ics").get_data(as_text=True)
    texts.append(("calendar", calendar, {"zone": True}))
    ada, ben, cleo, dan, eve, fay = (_apply(session, cohort, program, name, opened) for name in
                                     ("Ada", "Ben", "Cleo", "Dan", "Eve", "Fay"))
    page("status submitted", f"/a/{ada.status_token}", zone=True)
    again = submit_application(session, cohort, application_data(
        full_name="Ada", email="ada@example.org", country=APPLICANT[program][0]), opened)
    session.commit()
    assert again.enrollment_id is None  # the same address: Ada is told by e-mail, nothing changes
    for person in (ada, ben, eve, fay):
        _decide(session, person, "accept", opened)
    _decide(session, cleo, "waitlist", opened)
    _decide(session, dan, "decline", opened)
    page("status waitlisted", f"/a/{cleo.status_token}")
    page("status declined", f"/a/{dan.status_token}")
    page("status accepted", f"/a/{ada.status_token}", zone=True, money=True)
    page("register form", f"/a/{ada.status_token}/register", zone=True, money=True)
    country, _ = APPLICANT[program]

    # Ada and Ben register and pay the deposit by card; Ben cancels before the deadline.
    for person in (ada, ben):
        assert register(client, person.status_token, country=country).status_code == 302
        page(f"pay page {person.person.name}", f"/a/{person.status_token}/pay/deposit",
             money=True)
        status, body, _ = pay_by_card(client, localstripe, person.status_token, "deposit")
        assert status == 200, body
        wait_until(session, lambda p=person: session.get(Enrollment, p.id).state == "registered")
    page("status registered", f"/a/{ada.status_token}", money=True)
    page("cancel page", f"/a/{ben.status_token}/cancel", zone=True, money=True)
    quote = client.get(f"/a/{ben.status_token}/cancel").get_data(as_text=True)
    quoted = quote.split('name="quoted_cents" type="hidden" value="')[1].split('"')[0]
    cancelled = client.post(f"/a/{ben.status_token}/cancel", data={
        "csrf_token": csrf_token(client, f"/a/{ben.status_token}/cancel"),
        "quoted_cents": quoted, "confirm": "y"})
    assert cancelled.status_code == 302
    page("status cancelled", f"/a/{ben.status_token}", money=True)
    change_enrollment(session, eve.id, "withdraw", actor="applicant", now=opened)
    session.commit()
    page("status withdrawn", f"/a/{eve.status_token}")

    # After the registration deadline: Fay's place lapses, the cohort is confirmed and invoiced.
    late = _at(app, cohort.registration_deadline_at + timedelta(minutes=1))
    change_enrollment(session, fay.id, "lapse", actor="system:tick", now=late)
    change_cohort(session, cohort.id, "close", actor="staff:x", now=late)
    confirm_cohort(session, cohort, actor="staff:x", now=late, due_days=14)
    session.commit()
    page("status lapsed", f"/a/{fay.status_token}")
    page("status invoiced", f"/a/{ada.status_token}", money=True)
    for state in ("paid", "participating", "completed"):
        other = make_enrollment(session, cohort, state=state, country=country,
                                time_zone=APPLICANT[program][1])
        session.commit()
        page(f"status {state}", f"/a/{other.status_token}")

    # Documents as PDFs, and the accountant's CSV of this cohort.
    documents = session.scalars(
        select(Document).join(Enrollment, Enrollment.account_id == Document.account_id)
        .where(Enrollment.cohort_id == cohort.id)).all()
    assert {d.kind for d in documents} == {"receipt", "invoice", "credit_note"}
    for document in documents:
        owner = session.scalars(select(Enrollment).where(
            Enrollment.account_id == document.account_id)).one()
        response = client.get(f"/a/{owner.status_token}/documents/{document.id}.pdf")
        assert response.status_code == 200
        texts.append((f"PDF {document.display_number}", pdf_text(response.data),
                      {"zone": True, "money": True}))
    make_staff(session, role="finance", email="money@example.org")
    session.commit()
    desk = client  # one client: the test's app context keeps one CSRF token per client
    sign_in(desk, "money@example.org")
    sheet = desk.get(f"/finance/documents.csv?cohort={slug}").get_data(as_text=True)
    texts.append(("finance CSV", sheet, {"money": True}))
    assert {row["currency"] for row in csv.DictReader(io.StringIO(sheet))} == {cohort.currency}
    texts.append(("finance desk", visible(desk.get(f"/finance/?cohort={slug}").get_data(
        as_text=True)).split("Totals", 1)[1], {"money": True}))

    # The cohort is cancelled: everyone still in it is told and refunded.
    cancel_cohort(session, cohort, gateway=app.extensions["cohort.stripe"], actor="staff:x",
                  reason="Too few people.", now=late + timedelta(hours=1))
    session.commit()
    page("status after the cohort is cancelled", f"/a/{ada.status_token}", money=True)

    # Every e-mail kind: those the story sent, and those it cannot reach rendered the same way.
    mails = session.scalars(select(OutboxMessage).where(
        OutboxMessage.enrollment_id.in_([e.id for e in cohort.enrollments]))).all()
    deposit = session.scalars(select(Payment).where(Payment.account_id == ada.account_id)).first()
    rendered = {m.kind: f"{m.subject}\n{m.body_text}" for m in mails}
    subject, body = render_mail("late_deposit_refunded", enrollment=fay, cohort=cohort,
                                person=fay.person, payment=deposit,
                                status_url=status_url(fay.status_token))
    rendered["late_deposit_refunded"] = f"{subject}\n{body}"
    subject, body = render_mail("overpayment_returned", enrollment=ada, cohort=cohort,
                                person=ada.person, payment=deposit, receipt=None,
                                excess=deposit.amount, balance=Money(0, cohort.currency),
                                status_url=status_url(ada.status_token))
    rendered["overpayment_returned"] = f"{subject}\n{body}"
    if cohort.rebate_rule:
        amount = Money(49_925, cohort.currency)
        subject, body = render_mail("rebate_issued", cohort=cohort, person=ada.person,
                                    amount=amount, refunded=amount,
                                    balance=Money(0, cohort.currency),
                                    credit_note=documents[0],
                                    status_url=status_url(ada.status_token))
        rendered["rebate_issued"] = f"{subject}\n{body}"
    meeting = session_by_id(session, cohort.meetings[0].id)
    for kind in ("session_reminder", "recording_available"):
        when = format_instant(meeting.starts_at, cohort.time_zone)
        subject, body = render_mail(kind, person=ada.person, row=meeting, when=when,
                                    own_when=when, page_url="http://cohort.test/members")
        rendered[kind] = f"{subject}\n{body}"
    expected = set(EMAIL_KINDS) - ({"rebate_issued"} if program == "berlin" else set())
    assert set(rendered) == expected
    with_zone = {"application_received", "application_repeated", "enrollment_accepted",
                 "enrollment_lapsed", "invoice_issued", "session_reminder",
                 "recording_available"}
    with_money = {"enrollment_accepted", "payment_receipt", "invoice_issued",
                  "enrollment_cancelled", "late_deposit_refunded", "overpayment_returned",
                  "rebate_issued"}
    for kind, text in rendered.items():
        texts.append((f"e-mail {kind}", text,
                      {"zone": kind in with_zone, "money": kind in with_money}))

    for label, text, expect in texts:
        check(program, label, text, **expect)


def test_a_canadian_registering_for_the_berlin_cohort_is_promised_no_rebate(client, session):
    cohort = _cohort(session, "berlin")
    canadian = make_enrollment(session, cohort, state="accepted", country="CA",
                               time_zone="America/Toronto")
    session.commit()

    form = client.get(f"/a/{canadian.status_token}/register").get_data(as_text=True)
    response = register(client, canadian.status_token, country="CA")

    assert response.status_code == 302
    assert 'id="country-help"' not in form and "rebate" not in form.lower()
    registration = session.scalars(select(Registration)).one()
    assert registration.rebate_eligible is False
    after_start = cohort.meetings[0].starts_at + timedelta(hours=1)
    assert rebates_due(session, after_start) == []


def test_a_newcomer_applies_to_the_berlin_cohort_and_sees_only_berlin_time_and_euros(
        app, client, session, localstripe, stripe_live):
    cohort = _cohort(session, "berlin")
    slug, seen = cohort.slug, []
    make_staff(session, role="facilitator", email="anna@example.org", name="Anna Becker")
    session.commit()

    def read(label: str, url: str, **expect: bool) -> str:
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        text = visible(response.get_data(as_text=True))
        seen.append((label, text, expect))
        return text

    def mail(kind: str) -> OutboxMessage:
        session.expire_all()
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == kind, OutboxMessage.to_address == "lena@example.org")).one()
        seen.append((f"e-mail {kind}", f"{message.subject}\n{message.body_text}", {}))
        return message

    # She reads the page and applies in her own zone, Berlin.
    set_clock(app, "2024-02-01T10:00:00Z")
    read("cohort page", f"/cohorts/{slug}", zone=True, money=True)
    read("apply form", f"/cohorts/{slug}/apply")
    applied = client.post(f"/cohorts/{slug}/apply", data={
        **form_data(full_name="Lena Schmidt", email="lena@example.org", country="DE",
                    time_zone=BERLIN),
        "csrf_token": csrf_token(client, f"/cohorts/{slug}/apply")})
    assert applied.status_code == 302
    received = mail("application_received").body_text
    token = received.split("/a/", 1)[1].split()[0]
    read("status submitted", f"/a/{token}", zone=True)

    # A facilitator accepts her after the preview.
    sign_in(client, "anna@example.org")
    lena = session.scalars(select(Enrollment).where(Enrollment.status_token == token)).one()
    data = {"csrf_token": page_token(client, f"/staff/cohorts/{slug}/applications"),
            "event": "accept", "enrollment_ids": [str(lena.id)], "message": ""}
    preview = client.post(f"/staff/cohorts/{slug}/decisions/preview", data=data)
    seen.append(("decision preview", visible(preview.get_data(as_text=True)), {"zone": True}))
    assert client.post(f"/staff/cohorts/{slug}/decisions", data=data).status_code == 302
    accepted = mail("enrollment_accepted").body_text
    assert "€300 EUR deposit" in accepted
    assert "Thursday, February 29, 2024, midnight CET (end of the day)" in accepted

    # She registers and pays the EUR 300 deposit by card.
    read("status accepted", f"/a/{token}", zone=True, money=True)
    read("register form", f"/a/{token}/register", zone=True, money=True)
    assert register(client, token, country="DE").status_code == 302
    read("pay page", f"/a/{token}/pay/deposit", money=True)
    status, body, _ = pay_by_card(client, localstripe, token, "deposit")
    assert status == 200, body
    wait_until(session, lambda: session.get(Enrollment, lena.id).state == "registered")
    assert "€300.00 EUR" in mail("payment_receipt").body_text
    read("status registered", f"/a/{token}", money=True)

    # After the registration deadline the facilitator closes and confirms the cohort.
    set_clock(app, "2024-03-01T09:00:00Z")
    token_on_dashboard = page_token(client, f"/staff/cohorts/{slug}")
    done = client.post(f"/staff/cohorts/{slug}/actions/close",
                       data={"csrf_token": token_on_dashboard})
    assert done.status_code == 302, done.get_data(as_text=True)[:300]
    preview = read("confirm preview", f"/staff/cohorts/{slug}/confirm", zone=True, money=True)
    assert "€900.00 EUR" in preview
    done = client.post(f"/staff/cohorts/{slug}/confirm",
                       data={"csrf_token": token_on_dashboard, "enrollment_ids": [lena.id]})
    assert done.status_code == 302, done.get_data(as_text=True)[:300]
    read("staff dashboard", f"/staff/cohorts/{slug}", zone=True)
    invoice_mail = mail("invoice_issued").body_text
    assert "Total due: €900.00 EUR" in invoice_mail

    # Her status page lists the invoice; its PDF is in euros and Berlin time.
    read("status invoiced", f"/a/{token}", money=True)
    invoice = session.scalars(select(Document).where(Document.kind == "invoice")).one()
    pdf = client.get(f"/a/{token}/documents/{invoice.id}.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    seen.append(("invoice PDF", text, {"zone": True, "money": True}))
    assert "Total €900.00 EUR" in text
    assert "Dates are given in Central European Time (Europe/Berlin)." in text

    for label, words, expect in seen:
        check("berlin", label, words, **expect)
