"""What staff change on a community: a plan's price (members keep theirs) and its terms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.models import AuditRecord, Community, Plan, PlanPrice, TermsVersion
from cohort.models.community import BILLING_INTERVALS
from cohort.services import ServiceError
from cohort.services.terms_links import ask_members_to_agree


class PriceRefused(ServiceError):
    """A price that cannot be set (the free plan, an unknown interval)."""

    status_code = 400


def current_prices(session: Session, community: Community) -> dict[int, dict[str, PlanPrice]]:
    """Each plan's current (not retired) price per interval: {plan_id: {"month": …, "year": …}}."""
    rows = session.scalars(
        select(PlanPrice).join(Plan, Plan.id == PlanPrice.plan_id)
        .where(Plan.community_id == community.id, PlanPrice.retired_at.is_(None))
        .order_by(PlanPrice.id))
    prices: dict[int, dict[str, PlanPrice]] = {}
    for price in rows:  # the newest wins should two ever be current at once
        prices.setdefault(price.plan_id, {})[price.interval] = price
    return prices


def change_price(session: Session, plan: Plan, interval: str, amount_cents: int, *,
                 actor: str, now: datetime) -> PlanPrice:
    """A new current price for the plan's interval; the old one is retired, not changed.

    Memberships keep the price row they pay (`price_id`) until they renew onto the new one.
    """
    if plan.free:
        raise PriceRefused(f"{plan.name} is free: it has no price to change.")
    if interval not in BILLING_INTERVALS:
        raise PriceRefused("A price is per month or per year.")
    if amount_cents <= 0:
        raise PriceRefused("A price must be above zero.")
    old = session.scalars(select(PlanPrice).where(
        PlanPrice.plan_id == plan.id, PlanPrice.interval == interval,
        PlanPrice.retired_at.is_(None)).order_by(PlanPrice.id.desc()).limit(1)).first()
    session.execute(update(PlanPrice).where(
        PlanPrice.plan_id == plan.id, PlanPrice.interval == interval,
        PlanPrice.retired_at.is_(None)).values(retired_at=now))
    price = PlanPrice(plan_id=plan.id, interval=interval, amount_cents=amount_cents,
                      currency=plan.community.currency, created_at=now)
    session.add(price)
    session.flush()
    before = f"{old.amount_cents} {old.currency}" if old else None
    session.add(AuditRecord(
        occurred_at=now, actor=actor[:200], subject_type="plan_price", subject_id=price.id,
        event="change_price", from_state=before, to_state=f"{amount_cents} {price.currency}",
        reason=f"{plan.name} per {interval}"))
    session.flush()
    return price


def publish_terms(session: Session, community: Community, *, title: str, body: str,
                  actor: str, now: datetime) -> TermsVersion:
    """Publish the next version of the terms; every member is e-mailed a link to agree again."""
    newest = session.scalar(select(func.max(TermsVersion.version))
                            .where(TermsVersion.community_id == community.id)) or 0
    try:
        with session.begin_nested():
            terms = TermsVersion(community_id=community.id, version=newest + 1, title=title,
                                 body=body, published_at=now)
            session.add(terms)
            session.flush()
    except IntegrityError:
        raise ServiceError("Someone else published a version at the same moment; look at the "
                           "terms again before publishing yours.") from None
    session.add(AuditRecord(
        occurred_at=now, actor=actor[:200], subject_type="terms_version", subject_id=terms.id,
        event="publish", from_state=str(newest) if newest else None,
        to_state=str(terms.version), reason=title))
    session.flush()
    ask_members_to_agree(session, community, terms, now)
    return terms
