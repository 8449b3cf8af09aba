"""What a member does in the Customer Hub: cancel at period end, undo, keep the Lounge, switch.

Every state change goes through `change_membership` (lock, machine, audit, e-mail); cancelling
and undoing through the subscription service's `schedule_cancel` / `undo_cancel`, which also
tell Stripe not to renew (or to renew again). Cancelling is our state: access ends when the paid
period ends (`cohort tick` ends the membership then and deletes its Stripe subscription).

Keeping a smaller plan (cancelling PRO, keeping the Practitioner's Lounge): PRO grants both
lounges, so its end ends both. Keeping the Lounge creates a *scheduled* Lounge membership on
the same billing account, same interval, at the Lounge's current price, with
`starts_at` = PRO's `paid_through`: no day without access and no day paid twice. Its first
charge is at `starts_at`, when the tick starts it. Undoing PRO's cancellation drops the kept
Lounge again (it would otherwise be a second subscription for days PRO already covers).

Switching monthly <-> yearly sets `next_price_id`; the renewal at the end of the paid period
applies it. Choosing the current interval again undoes the switch.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.mail.outbox import queue_mail
from cohort.models import BILLING_INTERVALS, AuditRecord, Membership, Plan, PlanPrice
from cohort.services import ServiceError
from cohort.services.locking import lock_row
from cohort.services.subscriptions import hold_renewal, schedule_cancel
from cohort.services.subscriptions import undo_cancel as undo_cancel_at_stripe
from cohort.services.transitions import change_membership
from workflows import MembershipMachine

INTERVAL_WORDS = {"month": "monthly", "year": "yearly"}


class MembershipNotFound(ServiceError):
    """No membership of the hub's person has this id."""

    status_code = 404


class HubActionInvalid(ServiceError):
    """The request names something that does not exist (an unknown interval)."""

    status_code = 422


def membership_of(session: Session, person_id: int, membership_id: int) -> Membership:
    """The person's membership with this id; another person's is as unknown as a missing one."""
    membership = session.scalars(select(Membership).where(
        Membership.id == membership_id, Membership.person_id == person_id)).one_or_none()
    if membership is None:
        raise MembershipNotFound("There is no such membership among yours. Open the hub from "
                                 "your e-mail again to see your memberships.")
    return membership


def _actor(membership: Membership) -> str:
    return f"member:{membership.person.email_normalized}"


def current_price(session: Session, plan_id: int, interval: str) -> PlanPrice | None:
    """The plan's price for `interval` that new subscriptions get now (None if it has none)."""
    return session.scalars(select(PlanPrice).where(
        PlanPrice.plan_id == plan_id, PlanPrice.interval == interval,
        PlanPrice.retired_at.is_(None)).order_by(PlanPrice.id.desc()).limit(1)).first()


def kept_plan(session: Session, membership: Membership) -> Plan | None:
    """The plan a member can keep when this one ends: paid, open to anyone, granting a part of
    this plan's groups (the Practitioner's Lounge for PRO); None when there is none."""
    groups = {group.id for group in membership.plan.groups}
    candidates = [
        plan for plan in session.scalars(select(Plan).where(
            Plan.community_id == membership.community_id, Plan.id != membership.plan_id,
            Plan.free.is_(False), Plan.by_application.is_(False)))
        if plan.groups and {group.id for group in plan.groups} < groups
    ]
    candidates.sort(key=lambda plan: (-len(plan.groups), plan.position))
    return candidates[0] if candidates else None


def followers(session: Session, membership: Membership) -> list[Membership]:
    """Memberships waiting to continue this one (a kept Lounge), oldest first."""
    return list(session.scalars(select(Membership).where(
        Membership.follows_id == membership.id,
        Membership.state.in_(MembershipMachine.sources("start"))).order_by(Membership.id)))


def cancel(session: Session, person_id: int, membership_id: int, *, now: datetime
           ) -> Membership:
    """Cancel: access lasts to the end of the paid period (undoable until then)."""
    membership = membership_of(session, person_id, membership_id)
    return _cancel(session, membership, now)


def _cancel(session: Session, membership: Membership, now: datetime) -> Membership:
    return schedule_cancel(session, membership, actor=_actor(membership), now=now)


def undo_cancel(session: Session, person_id: int, membership_id: int, *, now: datetime
                ) -> Membership:
    """Take a cancellation back before the paid period ends; a kept plan is then dropped."""
    membership = membership_of(session, person_id, membership_id)
    waiting = followers(session, membership)
    undo_cancel_at_stripe(session, membership, actor=_actor(membership), now=now)
    for follower in waiting:
        change_membership(session, follower.id, "cancel", actor=_actor(membership), now=now,
                          reason=f"Your {membership.plan.name} membership continues, and it "
                                 f"includes the {follower.plan.name}.")
    return membership


def keep_plan(session: Session, person_id: int, membership_id: int, *, now: datetime
              ) -> Membership:
    """Keep the smaller plan from the instant this one ends (cancelling this one if need be).

    Returns the new scheduled membership.
    """
    membership = lock_row(session, Membership,
                          membership_of(session, person_id, membership_id).id)
    plan = kept_plan(session, membership)
    if plan is None or membership.interval is None:
        raise ServiceError(f"{membership.plan.name} has no smaller plan to keep.")
    if membership.state in MembershipMachine.sources("renew"):
        _cancel(session, membership, now)
    if membership.state not in MembershipMachine.sources("undo_cancel"):
        raise ServiceError(f"Your {membership.plan.name} membership is not ending at the end "
                           "of a paid period, so there is nothing to continue from.")
    held = session.scalars(select(Membership).where(
        Membership.person_id == membership.person_id, Membership.plan_id == plan.id,
        Membership.state.not_in(MembershipMachine.final_state_ids())).limit(1)).first()
    if held is not None:
        raise ServiceError(f"You have the {plan.name} already "
                           f"({MembershipMachine.labels()[held.state].lower()}).")
    price = current_price(session, plan.id, membership.interval)
    if price is None:
        raise ServiceError(f"The {plan.name} has no {INTERVAL_WORDS[membership.interval]} "
                           "price at the moment; please write to the community.")
    kept = Membership(
        community_id=membership.community_id, person_id=membership.person_id, plan_id=plan.id,
        account_id=membership.account_id, state=MembershipMachine.initial_state.id,
        price_id=price.id, interval=membership.interval, starts_at=membership.paid_through,
        follows_id=membership.id, time_zone=membership.time_zone, created_at=now,
        state_changed_at=now)
    session.add(kept)
    session.flush()
    return change_membership(session, kept.id, "schedule", actor=_actor(membership), now=now,
                             mail={"follows": membership})


def switch_interval(session: Session, person_id: int, membership_id: int, interval: str, *,
                    now: datetime) -> Membership:
    """Renew monthly or yearly from the end of the paid period (the current interval: undo)."""
    if interval not in BILLING_INTERVALS:
        raise HubActionInvalid("Choose monthly or yearly.")
    membership = lock_row(session, Membership,
                          membership_of(session, person_id, membership_id).id)
    if membership.state not in MembershipMachine.sources("renew") or membership.price is None:
        raise ServiceError("Only an active paid membership can switch between monthly and "
                           "yearly; it takes effect when the paid period ends.")
    target = current_price(session, membership.plan_id, interval)
    if interval == membership.interval:
        # Back to the current interval: renew at its current price (None: the price kept).
        wanted = target.id if target is not None and target.id != membership.price_id else None
    elif target is None:
        raise ServiceError(f"The {membership.plan.name} has no {INTERVAL_WORDS[interval]} "
                           "price at the moment.")
    else:
        wanted = target.id
    if wanted == membership.next_price_id:
        raise ServiceError(f"Your membership renews {INTERVAL_WORDS[interval]} already.")
    before = membership.next_price
    membership.next_price_id = wanted
    # Stripe must not renew at the old price: at period end the tick starts the new interval.
    hold_renewal(membership, wanted is not None)
    session.flush()
    session.refresh(membership, ["next_price"])
    renews = membership.next_price or membership.price
    session.add(AuditRecord(
        occurred_at=now, actor=_actor(membership)[:200], subject_type="membership",
        subject_id=membership.id, event="switch_interval", from_state=membership.state,
        to_state=membership.state,
        reason=f"renews {INTERVAL_WORDS[renews.interval]} at {renews.amount.format()} "
               f"(was {(before or membership.price).interval})"))
    queue_mail(session, kind="membership_switch", to=membership.person.email, now=now,
               membership=membership, community=membership.community, plan=membership.plan,
               person=membership.person, renews=renews,
               undone=renews.interval == membership.interval)
    session.flush()
    return membership
