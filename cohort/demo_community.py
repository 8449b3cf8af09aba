"""The S3 Online Learning Community (seed 000) as demo data, with a few members in every state.

Prices are DEMO VALUES: the seed names none. Members are invented (example.org addresses) and
dated around the moment of seeding, so the staff pages show a roster, the hub shows each state
and the review queue has an application. Seeding again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort import demo_community_text as text
from cohort.addresses import address_key
from cohort.models import (
    AuditRecord,
    Community,
    Group,
    Membership,
    Person,
    Plan,
    PlanPrice,
    TermsAgreement,
    TermsVersion,
)
from cohort.services.memberships import membership_account

ZONE = "America/Los_Angeles"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class DemoMember:
    """One invented member: who, which plan and state, and where their dates lie (days from now)."""

    name: str
    email: str
    plan: str
    state: str
    interval: str | None = None
    started: int | None = None  # days before now (None: never had access)
    paid_through: int | None = None  # days from now (negative: in the past)
    ended: int | None = None  # days before now
    cancel_requested: int | None = None  # days before now
    grace_until: int | None = None  # days from now


DEMO_MEMBERS = (
    DemoMember("Lena Lobby", "lena.lobby@example.org", "lobby", "active", started=60),
    DemoMember("Marco Monthly", "marco.monthly@example.org", "lounge", "active", "month",
               started=100, paid_through=20),
    DemoMember("Yara Yearly", "yara.yearly@example.org", "lounge", "active", "year",
               started=200, paid_through=165),
    DemoMember("Cora Cancelling", "cora.cancelling@example.org", "lounge", "cancelling",
               "month", started=48, paid_through=12, cancel_requested=3),
    DemoMember("Paulo Pastdue", "paulo.pastdue@example.org", "pro", "past_due", "month",
               started=95, paid_through=-2, grace_until=5),
    DemoMember("Erin Ended", "erin.ended@example.org", "lounge", "ended", "month",
               started=200, paid_through=-30, ended=30, cancel_requested=40),
)
# A PRO application waiting for the facilitators, in the seed's criteria.
DEMO_APPLICANT = DemoMember("Priya Pro", "priya.pro@example.org", "pro", "applied", "month")
DEMO_APPLICATION = {  # the answers of the PRO application form (forms/pro_application.py)
    "full_name": "Priya Pro", "email": "priya.pro@example.org", "time_zone": "Europe/Lisbon",
    "s3_training": "yes",
    "training_details": "The S3 Facilitator Training (2023) and two S3 workshops.",
    "exception_reason": "",
    "s3_experience": "Three years of Driver Mapping, Consent Decision Making and "
                     "Navigate via Tension with teams in a cooperative.",
    "helping_others": "working",
    "helping_details": "I run an internal S3 practice group and facilitate workshops for "
                       "non-profits.",
    "giving": "I would bring case studies from the cooperative and host a monthly reading "
              "circle.",
    "terms_version": 1,
}


def _community(session: Session, now: datetime) -> Community:
    community = Community(
        slug=text.SLUG, name=text.NAME, tagline=text.TAGLINE, sections=text.SECTIONS,
        faq=text.FAQ, time_zone=ZONE, currency="USD", contact_email=text.CONTACT,
        grace_days=7, created_at=now)
    session.add(community)
    session.flush()
    groups = {}
    for position, (slug, (name, description)) in enumerate(text.GROUPS.items(), start=1):
        groups[slug] = Group(community_id=community.id, slug=slug, name=name,
                             description=description, position=position)
    session.add_all(groups.values())
    for position, (slug, words) in enumerate(text.PLANS.items(), start=1):
        plan = Plan(community_id=community.id, slug=slug, free=slug == "lobby",
                    by_application=slug == "pro", position=position,
                    groups=[groups[g] for g in text.GRANTS[slug]], **words)
        session.add(plan)
        session.flush()
        for (plan_slug, interval), cents in text.DEMO_PRICES.items():
            if plan_slug == slug:
                session.add(PlanPrice(plan_id=plan.id, interval=interval, amount_cents=cents,
                                      currency="USD", created_at=now))
    session.add(TermsVersion(community_id=community.id, version=1, title=text.TERMS_TITLE,
                             body=text.TERMS_BODY, published_at=now - 365 * DAY))
    session.flush()
    return community


def _person(session: Session, name: str, email: str, now: datetime) -> Person:
    key = address_key(email)
    person = session.scalars(select(Person).where(Person.email_normalized == key)).one_or_none()
    if person is None:
        person = Person(email=email, email_normalized=key, name=name, created_at=now)
        session.add(person)
        session.flush()
    return person


def _member(session: Session, community: Community, member: DemoMember, now: datetime,
            terms: TermsVersion) -> Membership:
    plan = next(p for p in community.plans if p.slug == member.plan)
    person = _person(session, member.name, member.email, now)
    price = session.scalars(select(PlanPrice).where(
        PlanPrice.plan_id == plan.id, PlanPrice.interval == member.interval)).first() \
        if member.interval else None

    def ago(days: int | None) -> datetime | None:
        return None if days is None else now - days * DAY

    def ahead(days: int | None) -> datetime | None:
        return None if days is None else now + days * DAY

    paid_through = ahead(member.paid_through)
    period = {"month": 30, "year": 365}.get(member.interval or "", 0)
    membership = Membership(
        community_id=community.id, person_id=person.id, plan_id=plan.id,
        account_id=membership_account(session, community, person, now).id, state=member.state,
        price_id=price.id if price else None, interval=member.interval,
        period_start=paid_through - period * DAY if paid_through and period else None,
        paid_through=paid_through, grace_until=ahead(member.grace_until),
        started_at=ago(member.started), ended_at=ago(member.ended),
        cancel_requested_at=ago(member.cancel_requested), time_zone=ZONE,
        application=DEMO_APPLICATION if member.state == "applied" else None,
        created_at=ago(member.started) or now - 2 * DAY,
        state_changed_at=ago(member.ended or member.cancel_requested) or now - DAY)
    session.add(membership)
    session.flush()
    if member.started is not None:
        session.add(TermsAgreement(person_id=person.id, terms_version_id=terms.id,
                                   agreed_at=now - member.started * DAY))
    session.add(AuditRecord(occurred_at=now, actor="demo:seed", subject_type="membership",
                            subject_id=membership.id, event="seed", from_state=None,
                            to_state=member.state, reason="demo data"))
    return membership


def seed_community(session: Session, now: datetime) -> Community:
    """The S3 community, its plans (demo prices), groups, terms v1 and demo members (idempotent)."""
    existing = session.scalars(select(Community).where(Community.slug == text.SLUG)
                               ).one_or_none()
    if existing is not None:
        return existing
    community = _community(session, now)
    terms = session.scalars(select(TermsVersion).where(
        TermsVersion.community_id == community.id)).one()
    session.refresh(community)
    for member in (*DEMO_MEMBERS, DEMO_APPLICANT):
        _member(session, community, member, now, terms)
    session.flush()
    return community
