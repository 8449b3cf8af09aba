"""Small factories: each test says what it needs, with the seed's values as defaults."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cohort.clock import Clock, parse_instant
from cohort.demo import (
    PACIFIC,
    SEED_REGIONS,
    at_local,
    default_cancellation_policy,
    default_rebate_rule,
    end_of_day,
)
from cohort.models import (
    ApplicationAnswers,
    BillingAccount,
    Cohort,
    Enrollment,
    Facilitator,
    GroupSession,
    Person,
    Program,
)
from cohort.services.applications import ApplicationData, new_status_token, normalize_email

SEED_MEETINGS = [(2, 7), (2, 28), (3, 27), (4, 17), (5, 22), (6, 26)]


def set_clock(app: Flask, instant: str) -> None:
    """Freeze the application's clock at an ISO-8601 instant."""
    app.extensions["cohort.clock"] = Clock(parse_instant(instant))


def utc(text: str) -> datetime:
    """An aware UTC instant from ISO-8601 text."""
    return parse_instant(text)


def make_program(session: Session, **overrides: Any) -> Program:
    """A program with two facilitators who receive staff notices."""
    program = Program(
        slug=overrides.pop("slug", f"program-{uuid.uuid4().hex[:8]}"),
        title=overrides.pop("title", "A Community of Practice"),
        description="Peers.", audience="Executives.", prerequisites="Foundations.",
        contact_email="hello@example.org", created_at=datetime(2023, 12, 1, tzinfo=UTC),
        **overrides,
    )
    program.facilitators = [
        Facilitator(position=1, name="Evan Miller", email="evan@example.org", bio="CEO."),
        Facilitator(position=2, name="Sheella Mierson", email="sheella@example.org", bio="PhD."),
    ]
    session.add(program)
    return program


def make_cohort(session: Session, **overrides: Any) -> Cohort:
    """The seed's cohort (9 seats, USD 1,997, deadlines and meetings of 2024) unless overridden."""
    program = overrides.pop("program", None) or make_program(session)
    meetings = overrides.pop("meetings", SEED_MEETINGS)
    values: dict[str, Any] = {
        "slug": f"cohort-{uuid.uuid4().hex[:8]}", "title": "February 7, 2024 to June 26, 2024",
        "state": "open", "time_zone": PACIFIC, "capacity": 9, "minimum_participants": 5,
        "currency": "USD", "price_cents": 199_700, "deposit_cents": 10_000,
        "applications_close_at": end_of_day(date(2024, 1, 23), PACIFIC),
        "cancellation_deadline_at": end_of_day(date(2024, 1, 24), PACIFIC),
        "registration_deadline_at": end_of_day(date(2024, 1, 30), PACIFIC),
        "cancellation_policy": default_cancellation_policy(),
        "rebate_rule": default_rebate_rule(), "sessions_recorded": True,
        "display_regions": [dict(region) for region in SEED_REGIONS],
        "created_at": datetime(2023, 12, 1, tzinfo=UTC),
    }
    values.update(overrides)
    cohort = Cohort(program=program, **values)
    for month, day in meetings:
        start = at_local(date(2024, month, day), time(16), PACIFIC)
        cohort.meetings.append(GroupSession(starts_at=start, duration_minutes=180))
    session.add(cohort)
    session.flush()
    return cohort


def application_data(**overrides: str) -> ApplicationData:
    """A complete, valid application."""
    values = {
        "full_name": "Ada Lovelace", "email": f"ada-{uuid.uuid4().hex[:6]}@example.org",
        "organisation": "Analytical Engines Ltd", "role": "ceo", "role_title": "",
        "organisation_size": "10-49", "sector": "for_profit", "sociocracy_stage": "early",
        "prerequisite": "taken", "prerequisite_details": "",
        "hopes_to_bring": "Ten years of leading a company through change.",
        "hopes_to_gain": "Peers who wrestle with the same questions.",
        "country": "US", "time_zone": "America/New_York",
    }
    values.update(overrides)
    return ApplicationData(**values)


def form_data(**overrides: str) -> dict[str, str]:
    """The application as the form posts it."""
    return dict(application_data(**overrides).__dict__)


def make_enrollment(session: Session, cohort: Cohort, *, state: str = "submitted",
                    email: str | None = None, **answers: str) -> Enrollment:
    """An enrollment put directly in `state` (bypassing the machine, to arrange a test)."""
    data = application_data(**({"email": email} if email else {}), **answers)
    when = datetime(2024, 1, 5, tzinfo=UTC)
    person = Person(email=data.email, email_normalized=normalize_email(data.email),
                    name=data.full_name, created_at=when)
    account = BillingAccount(owner="enrollment", person=person, currency=cohort.currency,
                             created_at=when)
    enrollment = Enrollment(cohort=cohort, person=person, account=account, state=state,
                            status_token=new_status_token(), time_zone=data.time_zone,
                            country=data.country, submitted_at=when, state_changed_at=when)
    fields = {k: v for k, v in data.__dict__.items() if k not in ("email",)}
    enrollment.answers = ApplicationAnswers(**fields)
    session.add(enrollment)
    session.flush()
    return enrollment


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on `url`, as a browser would get it."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no CSRF token in the form at {url}"
    return match.group(1)


def past(instant: datetime, seconds: int = 1) -> datetime:
    """An instant just after `instant`."""
    return instant + timedelta(seconds=seconds)


def make_staff(session: Session, *, role: str, email: str | None = None, name: str | None = None,
               password: str = "correct horse battery", active: bool = True):
    """A staff account made by the real service (Argon2 hash), optionally deactivated."""
    from cohort.auth.services import create_staff_user

    user = create_staff_user(session, email or f"staff-{uuid.uuid4().hex[:8]}@example.org",
                             name or f"Staff {role.title()}", role, password,
                             datetime(2023, 12, 1, tzinfo=UTC))
    user.active = active
    session.flush()
    return user


DEPOSIT_RECEIVED = datetime(2024, 1, 20, 20, tzinfo=UTC)


def offline_deposit(session: Session, enrollment: Enrollment, cents: int = 10_000,
                    when: datetime = DEPOSIT_RECEIVED):
    """A deposit received by bank transfer (no Stripe needed), with its ledger entries."""
    from cohort.models import Payment
    from cohort.services.ledger import post

    payment = Payment(account_id=enrollment.account_id, purpose="deposit", method="bank_transfer",
                      status="succeeded", amount_cents=cents, currency=enrollment.cohort.currency,
                      created_at=when, succeeded_at=when, reference="BANK-1")
    session.add(payment)
    session.flush()
    post(session, enrollment.account, kind="fee", cents=cents, description="Deposit", now=when)
    post(session, enrollment.account, kind="payment", cents=-cents, description="Paid", now=when,
         payment_id=payment.id)
    return payment
