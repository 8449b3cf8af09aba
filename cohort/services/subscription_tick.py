"""What time does to memberships, applied by the tick: period ends, grace expiry, reminders,
scheduled starts and monthly↔yearly switches.

Each membership is its own transaction: the row is locked, its state and instants re-checked
under the lock, the machine fired, Stripe called, then committed; a Stripe error rolls that one
back for the next tick. So a tick is idempotent and two ticks at once never do a thing twice
(the worker also takes an advisory lock for the whole tick).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from cohort.mail.outbox import queue_mail
from cohort.models import Membership
from cohort.payments.gateway import StripeGateway
from cohort.payments.subscriptions import SubscriptionGateway
from cohort.services import ServiceError
from cohort.services.subscription_payments import (
    PaidInvoice,
    apply_paid_invoice,
    hub_url,
    lock_membership,
    subscription_deleted,
)
from cohort.services.subscriptions import end_at_stripe, start_subscription
from cohort.services.transitions import TransitionRefused, change_membership
from workflows import MembershipMachine

logger = logging.getLogger(__name__)
TICK_ACTOR = "system:tick"
REMINDER_AHEAD = timedelta(days=7)
# Stripe bills a renewal at the period end and charges it about an hour later; a day after the
# period ended without its payment, the tick asks Stripe itself.
RENEWAL_SLACK = timedelta(days=1)
# A first payment not heard of within the hour is asked about; one unpaid for a day is given up
# (Stripe itself expires an incomplete subscription after 23 hours).
FIRST_PAYMENT_CHECK = timedelta(hours=1)
SIGN_UP_GIVEN_UP = timedelta(days=1)


@dataclass
class MembershipReport:
    """What one tick did to memberships (ids)."""

    ended: list[int] = field(default_factory=list)
    lapsed: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    switched: list[int] = field(default_factory=list)
    checked: list[int] = field(default_factory=list)
    settled: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the command's output."""
        return (f"memberships ended {len(self.ended)}, lapsed {len(self.lapsed)}, "
                f"started {len(self.started)}, switched {len(self.switched)}, "
                f"renewal reminders {len(self.reminded)}, "
                f"renewals checked with Stripe {len(self.checked)}, "
                f"unpaid sign-ups settled {len(self.settled)}")


def _each(session: Session, stmt: Select[tuple[int]], work: Callable[[Membership], bool],
          done: list[int]) -> None:
    """Run `work` on each due membership, locked, one transaction each."""
    due = list(session.scalars(stmt))
    session.rollback()
    for membership_id in due:
        try:
            membership = lock_membership(session, membership_id)
            changed = work(membership)
        except (TransitionRefused, ServiceError) as refused:
            session.rollback()  # not due any more, or Stripe unreachable: the next tick retries
            logger.info("membership %s left for the next tick: %s", membership_id, refused)
            continue
        if changed:
            session.commit()
            done.append(membership_id)
        else:
            session.rollback()


def _due(event: str, *where: object) -> Select[tuple[int]]:
    return select(Membership.id).where(
        Membership.state.in_(MembershipMachine.sources(event)), *where).order_by(Membership.id)


def _close(session: Session, membership: Membership, event: str, now: datetime, reason: str,
           gateway: SubscriptionGateway | None) -> bool:
    if membership.state not in MembershipMachine.sources(event):
        return False
    change_membership(session, membership.id, event, actor=TICK_ACTOR, now=now, reason=reason,
                      mail={"hub_url": hub_url()})
    if gateway is not None:
        end_at_stripe(membership, gateway=gateway)
    return True


def end_cancelled(session: Session, now: datetime, gateway: SubscriptionGateway | None,
                  report: MembershipReport) -> None:
    """Cancelled memberships whose paid period is over: Stripe subscription deleted, ended."""
    _each(session, _due("end", Membership.paid_through <= now),
          lambda m: _close(session, m, "end", now, "the paid period ended after cancelling",
                           gateway), report.ended)


def lapse_overdue(session: Session, now: datetime, gateway: SubscriptionGateway | None,
                  report: MembershipReport) -> None:
    """Past-due memberships whose grace period is over: Stripe subscription deleted, ended."""
    _each(session, _due("lapse", Membership.grace_until <= now),
          lambda m: _close(session, m, "lapse", now, "the renewal was not paid within the grace "
                           "period", gateway), report.lapsed)


def _remind(session: Session, membership: Membership, now: datetime) -> bool:
    due = (membership.state in MembershipMachine.sources("renew")
           and membership.interval == "year" and membership.paid_through is not None
           and now < membership.paid_through <= now + REMINDER_AHEAD
           and membership.reminded_for != membership.paid_through)
    if not due:
        return False
    price = membership.next_price or membership.price
    queue_mail(session, kind="membership_renewal_reminder", to=membership.person.email, now=now,
               membership=membership, community=membership.community, plan=membership.plan,
               person=membership.person, hub_url=hub_url(),
               amount=price.amount if price else None)
    membership.reminded_for = membership.paid_through
    session.flush()
    return True


def remind_yearly_renewals(session: Session, now: datetime, report: MembershipReport) -> None:
    """Seven days before a yearly renewal, the member is told once what will be charged."""
    _each(session, _due("renew", Membership.interval == "year",
                        Membership.paid_through > now,
                        Membership.paid_through <= now + REMINDER_AHEAD,
                        or_(Membership.reminded_for.is_(None),
                            Membership.reminded_for != Membership.paid_through)),
          lambda m: _remind(session, m, now), report.reminded)


def _charge_new_period(session: Session, membership: Membership, now: datetime,
                       gateway: SubscriptionGateway) -> bool:
    """A new Stripe subscription on the saved card; a refused charge makes it past due."""
    outcome = start_subscription(session, membership, None, now=now, gateway=gateway)
    if outcome.kind == "active":
        return True
    if membership.state in MembershipMachine.sources("start"):
        change_membership(session, membership.id, "start", actor=TICK_ACTOR, now=now,
                          reason="the plan kept after another one ended starts now")
        membership.paid_through = membership.paid_through or now
    membership.grace_until = now + timedelta(days=membership.community.grace_days)
    change_membership(session, membership.id, "fail_payment", actor=TICK_ACTOR, now=now,
                      reason=outcome.message or "the saved card could not be charged",
                      mail={"hub_url": hub_url(), "grace_until": membership.grace_until})
    return True


def start_scheduled(session: Session, now: datetime, gateway: SubscriptionGateway | None,
                    report: MembershipReport) -> None:
    """Scheduled memberships whose start has come: subscribed on the saved card, started."""
    if gateway is None:
        return
    _each(session, _due("start", Membership.starts_at <= now),
          lambda m: (m.state == "scheduled" and m.starts_at is not None and m.starts_at <= now
                     and _charge_new_period(session, m, now, gateway)), report.started)


def _switch(session: Session, membership: Membership, now: datetime,
            gateway: SubscriptionGateway) -> bool:
    due = (membership.state in MembershipMachine.sources("renew")
           and membership.next_price is not None and membership.paid_through is not None
           and membership.paid_through <= now)
    if not due:
        return False
    end_at_stripe(membership, gateway=gateway)
    new_price = membership.next_price
    membership.price_id, membership.interval = new_price.id, new_price.interval
    membership.next_price_id = None
    session.flush()
    session.refresh(membership, ["price", "next_price"])
    return _charge_new_period(session, membership, now, gateway)


def switch_prices(session: Session, now: datetime, gateway: SubscriptionGateway | None,
                  report: MembershipReport) -> None:
    """A monthly↔yearly switch (or a new price) takes effect when the paid period ends."""
    if gateway is None:
        return
    _each(session, _due("renew", Membership.next_price_id.is_not(None),
                        Membership.paid_through <= now),
          lambda m: _switch(session, m, now, gateway), report.switched)


def _check_renewal(session: Session, membership: Membership, now: datetime,
                   gateway: SubscriptionGateway) -> bool:
    due = (membership.state in MembershipMachine.sources("renew")
           and membership.stripe_subscription_id is not None
           and membership.paid_through is not None
           and membership.paid_through + RENEWAL_SLACK <= now)
    if not due:
        return False
    sub = gateway.read_subscription(str(membership.stripe_subscription_id))
    invoice = sub.latest_invoice
    if invoice is not None and invoice.paid and invoice.id != membership.last_invoice_id:
        return apply_paid_invoice(session, membership.id, PaidInvoice.of(invoice, sub),
                                  actor=TICK_ACTOR, now=now) != "already applied"
    if sub.status in ("canceled", "incomplete_expired"):
        subscription_deleted(session, membership.id, now)
        return True
    membership.grace_until = now + timedelta(days=membership.community.grace_days)
    change_membership(session, membership.id, "fail_payment", actor=TICK_ACTOR, now=now,
                      reason="no renewal payment came from Stripe after the paid period ended",
                      mail={"hub_url": hub_url(), "grace_until": membership.grace_until})
    return True


def check_missed_renewals(session: Session, now: datetime,
                          gateway: SubscriptionGateway | None,
                          report: MembershipReport) -> None:
    """Active memberships a day past their paid period with no renewal heard of: a missed
    webhook's payment is applied; no payment makes them past due (grace, then lapse)."""
    if gateway is None:
        return
    _each(session, _due("renew", Membership.stripe_subscription_id.is_not(None),
                        Membership.next_price_id.is_(None),
                        Membership.paid_through <= now - RENEWAL_SLACK),
          lambda m: _check_renewal(session, m, now, gateway), report.checked)


def _settle(session: Session, membership: Membership, now: datetime,
            gateway: SubscriptionGateway) -> bool:
    due = (membership.state in MembershipMachine.sources("activate")
           and membership.stripe_subscription_id is not None
           and membership.created_at <= now - FIRST_PAYMENT_CHECK)
    if not due:
        return False
    sub = gateway.read_subscription(str(membership.stripe_subscription_id))
    invoice = sub.latest_invoice
    if invoice is not None and invoice.paid:  # paid, but the webhook and the return were lost
        return apply_paid_invoice(session, membership.id, PaidInvoice.of(invoice, sub),
                                  actor=TICK_ACTOR, now=now) == "activated"
    if membership.created_at > now - SIGN_UP_GIVEN_UP:
        return False
    end_at_stripe(membership, gateway=gateway)
    if membership.state == "approved":  # the approval stands: its link can start a new one
        membership.stripe_subscription_id = None
        session.flush()
        return True
    change_membership(session, membership.id, "abandon", actor=TICK_ACTOR, now=now,
                      reason="the first payment did not go through within a day")
    return True


def settle_sign_ups(session: Session, now: datetime, gateway: SubscriptionGateway | None,
                    report: MembershipReport) -> None:
    """Memberships waiting for their first payment: activated if Stripe was paid, given up
    (Stripe subscription deleted) after a day unpaid."""
    if gateway is None:
        return
    _each(session, _due("activate", Membership.stripe_subscription_id.is_not(None),
                        Membership.created_at <= now - FIRST_PAYMENT_CHECK),
          lambda m: _settle(session, m, now, gateway), report.settled)


def membership_tick(session: Session, now: datetime,
                    gateway: StripeGateway | None) -> MembershipReport:
    """Everything time implies for memberships, each membership in its own transaction."""
    report = MembershipReport()
    subscriptions = SubscriptionGateway(gateway) if gateway is not None else None
    switch_prices(session, now, subscriptions, report)
    check_missed_renewals(session, now, subscriptions, report)
    settle_sign_ups(session, now, subscriptions, report)
    start_scheduled(session, now, subscriptions, report)
    end_cancelled(session, now, subscriptions, report)
    lapse_overdue(session, now, subscriptions, report)
    remind_yearly_renewals(session, now, report)
    return report
