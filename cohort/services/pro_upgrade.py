"""Lounge → PRO: the Lounge ends the instant PRO starts, and its unused time is refunded.

The rule (README, "PRO by application, and the Lounge → PRO upgrade"): a member never pays twice
for the same days. When a PRO membership is activated (its first invoice paid, on the signed
webhook or the return check), the same person's paid membership of a plan that PRO includes
(the Practitioner's Lounge: every group it opens, PRO opens too) ends at that instant through
the machine's `upgrade` event; its Stripe subscription is deleted; and

    refund = unused_value(Lounge price, period_start, paid_through, that instant)

(`cohort/proration.py`: exact in UTC, rounded up to the cent) goes back to the card with a
credit note, through the billing service's `refund_unused_days`. PRO itself starts a fresh
period at the full PRO price. Stripe's own proration is never asked for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.errors import ServiceError
from cohort.models import Membership, Plan
from cohort.money import Money
from cohort.payments.subscriptions import SubscriptionGateway, subscription_gateway
from cohort.proration import unused_value
from cohort.services.locking import lock_row
from cohort.services.subscription_billing import refund_unused_days
from cohort.services.transitions import change_membership
from workflows import MembershipMachine

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoungeRefund:
    """What the upgrade did to the plan it replaced: ended it, and what came back."""

    replaced_id: int
    refund: Money
    refunded: bool  # False when the refund could not be made (the reason is in the audit)


def replaced_membership(session: Session, pro: Membership) -> Membership | None:
    """The person's paid membership of a plan `pro`'s plan includes (the Lounge), if live."""
    included = {group.id for group in pro.plan.groups}
    candidates = session.scalars(
        select(Membership).join(Membership.plan)
        .where(Membership.person_id == pro.person_id,
               Membership.community_id == pro.community_id, Membership.id != pro.id,
               Membership.state.in_(MembershipMachine.sources("upgrade")),
               Plan.free.is_(False), Plan.by_application.is_(False))
        .order_by(Membership.id))
    return next((m for m in candidates
                 if m.plan.groups and {g.id for g in m.plan.groups} <= included), None)


def unused_cents(membership: Membership, at: datetime) -> int:
    """What of the membership's current paid period is not used at `at`, in cents."""
    if membership.price is None or membership.period_start is None \
            or membership.paid_through is None or membership.paid_through <= \
            membership.period_start:
        return 0
    return unused_value(membership.price.amount_cents, membership.period_start,
                        membership.paid_through, at)


def _refund(session: Session, lounge: Membership, refund: Money, now: datetime,
            reason: str) -> str:
    """Give the unused time back through the billing service; '' or why it could not."""
    if refund.cents <= 0:
        return ""
    try:
        refund_unused_days(session, lounge, cents=refund.cents, now=now, reason=reason)
    except ServiceError as refused:
        logger.warning("membership %s: unused days not refunded: %s", lounge.id, refused.message)
        return refused.message
    return ""


def upgrade_from_lounge(session: Session, pro: Membership, *, actor: str, now: datetime,
                        gateway: SubscriptionGateway | None = None) -> LoungeRefund | None:
    """End the plan PRO replaces at `now` and refund its unused time; None if there is none."""
    found = replaced_membership(session, pro)
    if found is None:
        return None
    lounge = lock_row(session, Membership, found.id)
    refund = Money(unused_cents(lounge, now), lounge.price.currency if lounge.price
                   else lounge.community.currency)
    reason = (f"replaced by {pro.plan.name} (membership {pro.id}); unused time "
              f"{refund.format()} refunded")
    change_membership(session, lounge.id, "upgrade", actor=actor, now=now, reason=reason,
                      mail={"pro": pro, "refund": refund})
    pro.follows_id = lounge.id
    if lounge.stripe_subscription_id:  # as `subscriptions.end_at_stripe` does: DELETE now
        (gateway or subscription_gateway()).cancel_subscription_now(lounge.stripe_subscription_id)
    problem = _refund(session, lounge, refund, now, reason)
    session.flush()
    return LoungeRefund(lounge.id, refund, refunded=refund.cents > 0 and not problem)
