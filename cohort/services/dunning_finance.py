"""The finance desk's view of dunning: who is past due and for how much, what the banks said,
and what came back this month.

"Recovered" is a past-due membership brought back to active (the `recover` transition, by a
retry here or by Stripe's own retry): the amount is the failed renewal invoice it paid. Months
are calendar months in UTC, like the rest of the desk's instants.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cohort.models import AuditRecord, Membership, PaymentAttempt
from cohort.money import Money
from workflows import MembershipMachine


@dataclass(frozen=True)
class PastDueLine:
    """Past-due members of one plan in one currency, and what they owe together."""

    community: str
    plan: str
    members: int
    owed: Money


@dataclass(frozen=True)
class PastDueMember:
    """One past-due membership: what it owes, since when, until when access stays."""

    membership: Membership
    owed: Money
    decline_message: str


@dataclass(frozen=True)
class DunningDesk:
    """Everything the desk's dunning page shows."""

    lines: list[PastDueLine]
    members: list[PastDueMember]
    failures: list[PaymentAttempt]
    recovered: list[Money]  # this month, one per currency
    month_start: datetime


def _month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _latest_failed(session: Session, membership_ids: list[int], before: datetime | None = None
                   ) -> dict[int, PaymentAttempt]:
    """The last failed charge of each membership (at or before `before` when given)."""
    if not membership_ids:
        return {}
    stmt = select(PaymentAttempt).where(PaymentAttempt.membership_id.in_(membership_ids),
                                        PaymentAttempt.outcome == "failed")
    if before is not None:
        stmt = stmt.where(PaymentAttempt.attempted_at <= before)
    latest: dict[int, PaymentAttempt] = {}
    for attempt in session.scalars(stmt.order_by(PaymentAttempt.attempted_at,
                                                 PaymentAttempt.id)):
        latest[attempt.membership_id] = attempt
    return latest


def _owed(membership: Membership, attempt: PaymentAttempt | None) -> Money:
    if attempt is not None:
        return Money(attempt.amount_cents, attempt.currency)
    if membership.price is not None:
        return membership.price.amount
    return Money(0, membership.community.currency)


def dunning_desk(session: Session, now: datetime, *, failures: int = 50) -> DunningDesk:
    """Past-due members per plan and currency, the latest failed charges, recovered revenue."""
    owing = list(session.scalars(
        select(Membership).where(
            Membership.state.in_(MembershipMachine.states_that("owes_money")))
        .options(selectinload(Membership.plan), selectinload(Membership.price),
                 selectinload(Membership.community), selectinload(Membership.person))
        .order_by(Membership.grace_until, Membership.id)))
    latest = _latest_failed(session, [m.id for m in owing])
    members = [PastDueMember(m, _owed(m, latest.get(m.id)),
                             latest[m.id].decline_message if m.id in latest else "")
               for m in owing]
    grouped: dict[tuple[str, str, str], list[Money]] = defaultdict(list)
    for member in members:
        m = member.membership
        grouped[(m.community.name, m.plan.name, member.owed.currency)].append(member.owed)
    lines = [PastDueLine(community, plan, len(amounts),
                         Money(sum(a.cents for a in amounts), currency))
             for (community, plan, currency), amounts in sorted(grouped.items())]
    recent = list(session.scalars(
        select(PaymentAttempt).where(PaymentAttempt.outcome == "failed")
        .options(selectinload(PaymentAttempt.membership).selectinload(Membership.person),
                 selectinload(PaymentAttempt.membership).selectinload(Membership.plan))
        .order_by(PaymentAttempt.attempted_at.desc(), PaymentAttempt.id.desc())
        .limit(failures)))
    start = _month_start(now)
    return DunningDesk(lines=lines, members=members, failures=recent,
                       recovered=recovered_since(session, start, now), month_start=start)


def recovered_since(session: Session, start: datetime, end: datetime) -> list[Money]:
    """What past-due memberships paid to become active again between `start` and `end`."""
    recoveries = list(session.execute(
        select(AuditRecord.subject_id, AuditRecord.occurred_at).where(
            AuditRecord.subject_type == "membership", AuditRecord.event == "recover",
            AuditRecord.occurred_at >= start, AuditRecord.occurred_at <= end)))
    totals: dict[str, int] = defaultdict(int)
    for membership_id, at in recoveries:
        attempt = _latest_failed(session, [membership_id], before=at).get(membership_id)
        if attempt is not None:
            totals[attempt.currency] += attempt.amount_cents
        else:
            membership = session.get(Membership, membership_id)
            if membership is not None and membership.price is not None:
                totals[membership.price.currency] += membership.price.amount_cents
    return [Money(cents, currency) for currency, cents in sorted(totals.items())]
