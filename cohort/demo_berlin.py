"""A second demo program, invented for the demo (not from the seeds): Berlin time, euros.

It shows that nothing of the first program is baked in: its own zone, currency, seats, deposit,
deadlines, cancellation policy and schedule regions, and no rebate.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import Cohort, Facilitator, GroupSession, Program
from cohort.schedule import at_local, end_of_day

BERLIN = "Europe/Berlin"
PROGRAM_SLUG = "demo-berlin-facilitation"
SLUG_PREFIX = "berlin-"
BERLIN_CLOSES = date(2024, 2, 15)  # applications close at the end of this day, Berlin time
CANCELLATION_DEADLINE = date(2024, 2, 22)
REGISTRATION_DEADLINE = date(2024, 2, 29)
# Four Tuesdays, 18:00–20:30 Berlin time; the EU changes to summer time on March 31, 2024.
MEETING_DATES = [date(2024, 3, 5), date(2024, 3, 19), date(2024, 4, 9), date(2024, 4, 23)]
MEETING_START = time(18, 0)
MEETING_MINUTES = 150

DEMO_NOTICE = ("Demo data, invented to show a second program beside the seed's: this program, "
               "its facilitators and its dates are not real.")
REGIONS: list[dict[str, Any]] = [
    {"name": "Europe", "zones": [
        {"zone": BERLIN, "generic": "Central European Time", "city": "Berlin"},
        {"zone": "Europe/London", "generic": "UK time", "city": "London"},
        {"zone": "Europe/Helsinki", "generic": "Eastern European Time", "city": "Helsinki"},
    ]},
    {"name": "Americas", "zones": [
        {"zone": "America/New_York", "generic": "USA Eastern Time", "city": "New York"},
    ]},
]
POLICY_TEXT = "\n".join([
    "If you cancel on or before the cancellation deadline, we refund everything you have paid, "
    "including the deposit.",
    "After the cancellation deadline we do not give refunds.",
    "If the workshop series does not go ahead, we refund everything you have paid.",
])


def _program(session: Session, now: datetime) -> Program:
    program = session.scalars(select(Program).where(Program.slug == PROGRAM_SLUG)).one_or_none()
    if program is not None:
        return program
    program = Program(
        slug=PROGRAM_SLUG, title="Facilitating Decisions in Small Teams (demo)",
        tagline="A demo workshop series in Berlin time, priced in euros",
        description=(f"{DEMO_NOTICE}\n\nFour evening workshops for team leads who facilitate "
                     "decisions: rounds, consent, and objections that improve a proposal."),
        outcomes=["Run a consent round with your own team",
                  "Turn an objection into a better proposal",
                  "Keep meetings short without cutting anyone out"],
        audience="Team leads and facilitators in organisations of any size, up to twelve people.",
        prerequisites="None: bring a decision your team faces.",
        format_notes="Four online workshops of two and a half hours, two or three weeks apart.",
        contact_email="berlin-demo@example.org", created_at=now,
    )
    program.facilitators = [
        Facilitator(position=1, name="Anna Becker (demo)", title="Facilitator",
                    email="anna.becker@example.org", bio="An invented facilitator for the demo."),
        Facilitator(position=2, name="Jonas Weber (demo)", title="Facilitator",
                    email="jonas.weber@example.org", bio="An invented facilitator for the demo."),
    ]
    session.add(program)
    return program


def seed_berlin(session: Session, now: datetime, *, weeks: int) -> Cohort:
    """The Berlin demo cohort, its dates shifted by `weeks` (idempotent per year)."""
    shift = timedelta(weeks=weeks)
    first, last = MEETING_DATES[0] + shift, MEETING_DATES[-1] + shift
    slug = f"{SLUG_PREFIX}{first.year}"
    existing = session.scalars(select(Cohort).where(Cohort.slug == slug)).one_or_none()
    if existing is not None:
        return existing
    cohort = Cohort(
        program=_program(session, now), slug=slug, state="open", time_zone=BERLIN,
        title=f"{first.day} {first:%B} to {last.day} {last:%B} {last.year}",
        capacity=12, minimum_participants=6, currency="EUR",
        price_cents=120_000, deposit_cents=30_000,
        applications_close_at=end_of_day(BERLIN_CLOSES + shift, BERLIN),
        cancellation_deadline_at=end_of_day(CANCELLATION_DEADLINE + shift, BERLIN),
        registration_deadline_at=end_of_day(REGISTRATION_DEADLINE + shift, BERLIN),
        cancellation_policy={"version": 1, "text": POLICY_TEXT, "tiers": [
            {"until": "cancellation_deadline", "refund": "everything"},
            {"until": "first_meeting", "refund": "nothing"},
            {"until": None, "refund": "nothing"},
        ]},
        rebate_rule=None, display_regions=[dict(region) for region in REGIONS],
        sessions_recorded=False, created_at=now,
    )
    for day in MEETING_DATES:
        cohort.meetings.append(GroupSession(starts_at=at_local(day + shift, MEETING_START, BERLIN),
                                       duration_minutes=MEETING_MINUTES))
    session.add(cohort)
    return cohort
