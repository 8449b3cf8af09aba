"""Demo data reproducing the customer's page exactly: `flask --app app cohort seed-demo`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort import demo_text as text
from cohort.demo_berlin import BERLIN, BERLIN_CLOSES, seed_berlin
from cohort.demo_community import seed_community
from cohort.models import Cohort, Facilitator, GroupSession, Program
from cohort.schedule import at_local, end_of_day

__all__ = ["PACIFIC", "SEED_REGIONS", "SEED_SLUG", "at_local", "end_of_day", "seed_demo"]

PACIFIC = "America/Los_Angeles"
SEED_SLUG = "cop-2024"
WEEKS_PER_YEAR = 52  # shifting by whole weeks keeps the meetings on Wednesdays
# The seed's "Dates and times" blocks: the zones its page names, region by region.
SEED_REGIONS: list[dict[str, Any]] = [
    {"name": "Americas", "zones": [
        {"zone": "America/Los_Angeles", "generic": "USA Pacific Time", "city": "Los Angeles"},
        {"zone": "America/New_York", "generic": "USA Eastern Time", "city": "New York"},
    ]},
    {"name": "Australasia", "zones": [
        {"zone": "Australia/Perth", "generic": "Australian Western Time", "city": "Perth"},
        {"zone": "Australia/Sydney", "generic": "Australian Eastern Time", "city": "Sydney"},
        {"zone": "Australia/Brisbane", "generic": "Australian Eastern Time (no DST)",
         "city": "Brisbane"},
    ]},
]


def default_cancellation_policy() -> dict[str, Any]:
    """The default policy: all back until the deadline, all but the deposit until the start."""
    return {
        "version": 1,
        "text": text.CANCELLATION_POLICY_TEXT,
        "tiers": [
            {"until": "cancellation_deadline", "refund": "everything"},
            {"until": "first_meeting", "refund": "all_but_deposit"},
            {"until": None, "refund": "nothing"},
        ],
    }


def default_rebate_rule() -> dict[str, Any]:
    """25 % of the fee back to Canadian, Australian and New Zealand participants."""
    return {
        "countries": ["CA", "AU", "NZ"],
        "basis_points": 2500,
        "applies_to": "price",
        "paid_after": "first_meeting_start",
        "note": text.REBATE_NOTE,
    }


def _program(session: Session, now: datetime) -> Program:
    program = session.scalars(
        select(Program).where(Program.slug == text.PROGRAM_SLUG)
    ).one_or_none()
    if program is not None:
        return program
    program = Program(
        slug=text.PROGRAM_SLUG, title=text.TITLE,
        tagline="A Community of Practice for Executive Leaders",
        description=text.DESCRIPTION + "\n\n" + text.ORIGIN, outcomes=text.OUTCOMES,
        audience=text.AUDIENCE, prerequisites=text.PREREQUISITES,
        format_notes=text.FORMAT_NOTES, contact_email="hello@example.org", created_at=now,
    )
    for position, person in enumerate(text.FACILITATORS, start=1):
        program.facilitators.append(Facilitator(position=position, **person))
    session.add(program)
    return program


def _cohort(session: Session, program: Program, *, slug: str, weeks: int, now: datetime) -> Cohort:
    """The seed's cohort shifted by `weeks` (0 for the seed itself), in Pacific wall time."""
    existing = session.scalars(select(Cohort).where(Cohort.slug == slug)).one_or_none()
    if existing is not None:
        return existing
    shift = timedelta(weeks=weeks)
    start = date(2024, 2, 7) + shift
    end = date(2024, 6, 26) + shift
    cohort = Cohort(
        program=program, slug=slug, state="open", time_zone=PACIFIC,
        title=f"{start:%B} {start.day}, {start.year} to {end:%B} {end.day}, {end.year}",
        capacity=9, minimum_participants=5, currency="USD",
        price_cents=199_700, deposit_cents=10_000,
        applications_close_at=end_of_day(date(2024, 1, 23) + shift, PACIFIC),
        cancellation_deadline_at=end_of_day(date(2024, 1, 24) + shift, PACIFIC),
        registration_deadline_at=end_of_day(date(2024, 1, 30) + shift, PACIFIC),
        cancellation_policy=default_cancellation_policy(), rebate_rule=default_rebate_rule(),
        display_regions=[dict(region) for region in SEED_REGIONS],
        sessions_recorded=True, created_at=now,
    )
    for month, day in text.MEETING_DATES_2024:
        cohort.meetings.append(GroupSession(
            starts_at=at_local(date(2024, month, day) + shift, time(16, 0), PACIFIC),
            duration_minutes=180,
        ))
    session.add(cohort)
    return cohort


def next_cohort_weeks(now: datetime, *, closes: date = date(2024, 1, 23), zone: str = PACIFIC,
                      at_least: int = WEEKS_PER_YEAR) -> int:
    """The smallest whole-year shift from `at_least` weeks that puts `closes` in the future."""
    weeks = at_least
    while end_of_day(closes + timedelta(weeks=weeks), zone) <= now:
        weeks += WEEKS_PER_YEAR
    return weeks


def seed_demo(session: Session, now: datetime) -> list[Cohort]:
    """The seed's cohort, the next on its pattern, the invented Berlin one (idempotent).

    The S3 Online Learning Community (seed 000) comes with them: `cohort.demo_community`.
    """
    program = _program(session, now)
    seed = _cohort(session, program, slug=SEED_SLUG, weeks=0, now=now)
    weeks = next_cohort_weeks(now)
    year = (date(2024, 2, 7) + timedelta(weeks=weeks)).year
    upcoming = _cohort(session, program, slug=f"cop-{year}", weeks=weeks, now=now)
    berlin = seed_berlin(session, now, weeks=next_cohort_weeks(
        now, closes=BERLIN_CLOSES, zone=BERLIN, at_least=0))
    session.flush()
    seed_community(session, now)
    return [seed, upcoming, berlin]
