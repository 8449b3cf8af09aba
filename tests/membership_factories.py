"""Factories for memberships: a community shaped like the seed's, and members in any state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import (
    BillingAccount,
    Community,
    Group,
    Membership,
    Person,
    Plan,
    PlanPrice,
    TermsAgreement,
    TermsVersion,
)
from cohort.services.applications import normalize_email
from workflows import MembershipMachine

CREATED = datetime(2026, 1, 1, tzinfo=UTC)
# Round test prices (cents): the seed names none.
TEST_PRICES = {("lounge", "month"): 2_000, ("lounge", "year"): 20_000,
               ("pro", "month"): 5_000, ("pro", "year"): 50_000}


def make_community(session: Session, **overrides: Any) -> Community:
    """A community with the seed's three groups and plans (Lobby, Lounge, PRO) and terms v1."""
    community = Community(
        slug=overrides.pop("slug", f"community-{uuid.uuid4().hex[:8]}"),
        name=overrides.pop("name", "S3 Online Learning Community"),
        time_zone=overrides.pop("time_zone", "Europe/Berlin"),
        currency=overrides.pop("currency", "USD"),
        contact_email="community@example.org", sections=[], faq=[], created_at=CREATED,
        **overrides,
    )
    session.add(community)
    session.flush()
    lobby_room = Group(community_id=community.id, slug="lobby-room", name="The Lobby room",
                       position=1)
    lounge = Group(community_id=community.id, slug="practitioners-lounge",
                   name="Practitioner's Lounge", position=2)
    pro = Group(community_id=community.id, slug="pro-lounge", name="PRO Lounge", position=3)
    session.add_all([lobby_room, lounge, pro])
    plans = [
        Plan(community_id=community.id, slug="lobby", name="The Lobby", free=True, position=1,
             groups=[lobby_room]),
        Plan(community_id=community.id, slug="lounge", name="Practitioner's Lounge",
             position=2, groups=[lounge]),
        Plan(community_id=community.id, slug="pro", name="PRO Lounge", by_application=True,
             position=3, groups=[lounge, pro]),
    ]
    session.add_all(plans)
    session.flush()
    for plan in plans[1:]:
        for interval in ("month", "year"):
            session.add(PlanPrice(plan_id=plan.id, interval=interval,
                                  amount_cents=TEST_PRICES[(plan.slug, interval)],
                                  currency=community.currency, created_at=CREATED))
    session.add(TermsVersion(community_id=community.id, version=1,
                             title="Member Guidelines and Terms of Confidentiality",
                             body="Keep what members share in a group inside that group.",
                             published_at=CREATED))
    session.flush()
    return community


def plan_of(session: Session, community: Community, slug: str) -> Plan:
    """The community's plan with `slug` ('lobby', 'lounge', 'pro')."""
    return session.scalars(select(Plan).where(Plan.community_id == community.id,
                                              Plan.slug == slug)).one()


def price_of(session: Session, plan: Plan, interval: str) -> PlanPrice:
    """The plan's current price for `interval`."""
    return session.scalars(select(PlanPrice).where(
        PlanPrice.plan_id == plan.id, PlanPrice.interval == interval,
        PlanPrice.retired_at.is_(None)).order_by(PlanPrice.id.desc())).first()


def make_member_person(session: Session, email: str | None = None, name: str = "Mia Member"
                       ) -> Person:
    """A person (new address unless given)."""
    email = email or f"member-{uuid.uuid4().hex[:8]}@example.org"
    person = Person(email=email, email_normalized=normalize_email(email), name=name,
                    created_at=CREATED)
    session.add(person)
    session.flush()
    return person


def account_for(session: Session, community: Community, person: Person) -> BillingAccount:
    """The person's billing account with the community (made on first use)."""
    account = session.scalars(select(BillingAccount).where(
        BillingAccount.community_id == community.id,
        BillingAccount.person_id == person.id)).one_or_none()
    if account is None:
        account = BillingAccount(owner="membership", person_id=person.id,
                                 community_id=community.id, currency=community.currency,
                                 created_at=CREATED)
        session.add(account)
        session.flush()
    return account


def make_membership(session: Session, community: Community, plan_slug: str, *,
                    state: str = "active", person: Person | None = None,
                    interval: str | None = "month", started_at: datetime | None = None,
                    paid_through: datetime | None = None, agreed_terms: bool = True,
                    **overrides: Any) -> Membership:
    """A membership in `state` directly (no transitions run); dates default around CREATED.

    Its person has agreed to the community's newest terms at CREATED unless `agreed_terms` is
    false (a group opens only to someone who agreed to the terms in force).
    """
    person = person or make_member_person(session)
    plan = plan_of(session, community, plan_slug)
    price = None if plan.free else price_of(session, plan, interval or "month")
    has_access = state in MembershipMachine.states_that("grants_access")
    started = started_at or (CREATED if has_access or state == "ended" else None)
    if paid_through is None and price is not None and started is not None:
        paid_through = started + timedelta(days=365 if interval == "year" else 31)
    membership = Membership(
        community_id=community.id, person_id=person.id, plan_id=plan.id,
        account_id=account_for(session, community, person).id, state=state,
        price_id=price.id if price else None, interval=None if plan.free else interval,
        started_at=started, paid_through=paid_through,
        ended_at=overrides.pop("ended_at", paid_through if state == "ended" else None),
        period_start=started if price else None, created_at=CREATED,
        state_changed_at=CREATED, **overrides,
    )
    session.add(membership)
    terms = session.scalars(select(TermsVersion).where(
        TermsVersion.community_id == community.id).order_by(TermsVersion.version.desc())).first()
    if agreed_terms and terms is not None and session.scalars(select(TermsAgreement).where(
            TermsAgreement.person_id == person.id,
            TermsAgreement.terms_version_id == terms.id)).first() is None:
        session.add(TermsAgreement(person_id=person.id, terms_version_id=terms.id,
                                   agreed_at=min(CREATED, terms.published_at)))
    session.flush()
    return membership
