"""Finance for memberships: a summary per plan, and subscriptions and invoices against Stripe.

Monthly recurring revenue (MRR) counts each membership that is a member now (its state counts as
a member, access started) and will renew (no cancellation requested), at the price it pays: a
monthly price as it is, a yearly one as amount / 12 rounded to the nearest cent, half a cent up
(USD 200.00 a year = USD 16.67 a month). Totals are per currency, never added across currencies.
Cancellations this month are cancellation requests made since the first day of the current
month in the community's zone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cohort.models import Community, Membership, Payment, Plan, PlanPrice
from cohort.money import Money
from cohort.payments.gateway import PaymentProviderError, StripeGateway
from cohort.payments.subscriptions import SubscriptionGateway
from cohort.schedule import local
from cohort.services.finance import Reconciliation, reconcile
from workflows import MembershipMachine

MEMBER_STATES = MembershipMachine.states_that("counts_as_member")
# What a Stripe subscription's status should be for a membership in a state with these traits.
STRIPE_STATUS_OF_TRAITS = (("owes_money", ("past_due", "unpaid")),
                           ("billed", ("active", "trialing")))


def monthly_cents(price: PlanPrice) -> int:
    """The price per month in cents: a yearly price / 12, half a cent rounded up."""
    if price.interval != "year":
        return price.amount_cents
    whole, rest = divmod(price.amount_cents, 12)
    return whole + (1 if rest * 2 >= 12 else 0)


def month_start(now: datetime, zone: str) -> datetime:
    """The first instant of the current month in `zone`."""
    wall = local(now, zone)
    return wall.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass
class PlanSummary:
    """One plan: its members now, the monthly recurring revenue, cancellations this month."""

    community: Community
    plan: Plan
    members: int = 0
    mrr: dict[str, int] = field(default_factory=dict)  # currency -> cents
    cancellations: int = 0

    @property
    def mrr_amounts(self) -> list[Money]:
        """MRR per currency, as money."""
        return [Money(cents, currency) for currency, cents in sorted(self.mrr.items())]


def plan_summaries(session: Session, now: datetime) -> list[PlanSummary]:
    """Every plan of every community with its members, MRR and cancellations this month."""
    communities = session.scalars(select(Community).options(selectinload(Community.plans))
                                  .order_by(Community.name)).all()
    summaries = {plan.id: PlanSummary(community, plan)
                 for community in communities for plan in community.plans}
    members = session.scalars(
        select(Membership).where(Membership.state.in_(MEMBER_STATES),
                                 Membership.started_at.is_not(None),
                                 Membership.started_at <= now)
        .options(selectinload(Membership.price))).all()
    mrr: dict[int, Counter[str]] = defaultdict(Counter)
    for membership in members:
        summaries[membership.plan_id].members += 1
        if membership.price is not None and membership.cancel_requested_at is None:
            mrr[membership.plan_id][membership.price.currency] += monthly_cents(membership.price)
    for plan_id, per_currency in mrr.items():
        summaries[plan_id].mrr = dict(per_currency)
    # A month is at most 31 days: read that much, then count per community zone.
    recent = session.execute(
        select(Membership.plan_id, Membership.cancel_requested_at)
        .where(Membership.cancel_requested_at >= now - timedelta(days=32),
               Membership.cancel_requested_at <= now)).all()
    for plan_id, requested in recent:
        summary = summaries[plan_id]
        if requested >= month_start(now, summary.community.time_zone):
            summary.cancellations += 1
    return list(summaries.values())


@dataclass(frozen=True)
class SubscriptionCheck:
    """One membership's subscription, or one subscription payment, as we and Stripe see it."""

    membership: Membership
    what: str  # "subscription sub_…" or "invoice in_…"
    ours: str
    stripe: str
    differences: tuple[str, ...]


def _expected_status(membership: Membership) -> tuple[str, ...]:
    for trait, statuses in STRIPE_STATUS_OF_TRAITS:
        if membership.state in MembershipMachine.states_that(trait):
            return statuses
    return ("canceled", "incomplete_expired")


def _subscription_check(membership: Membership, gateway: SubscriptionGateway
                        ) -> SubscriptionCheck:
    sub_id = membership.stripe_subscription_id or ""
    ours = f"{membership.state}, paid through {membership.paid_through:%Y-%m-%d %H:%M} UTC" \
        if membership.paid_through else membership.state
    try:
        sub = gateway.read_subscription(sub_id)
    except PaymentProviderError:
        return SubscriptionCheck(membership, f"subscription {sub_id}", ours, "unreachable",
                                 ("Stripe did not answer for this subscription",))
    differences = []
    if sub.status not in _expected_status(membership):
        differences.append(f"state: ours {membership.state}, Stripe {sub.status}")
    renews = membership.state in MembershipMachine.states_that("billed") \
        and membership.cancel_requested_at is None
    if sub.status not in ("canceled", "incomplete_expired") and \
            sub.cancel_at_period_end == renews:
        differences.append("renewal: ours " + ("renews" if renews else "ends at period end")
                           + ", Stripe " + ("ends at period end" if sub.cancel_at_period_end
                                            else "renews"))
    if membership.paid_through is not None and sub.status in ("active", "past_due") and \
            sub.current_period_end != membership.paid_through:
        differences.append(f"period end: ours {membership.paid_through:%Y-%m-%d %H:%M}, Stripe "
                           f"{sub.current_period_end:%Y-%m-%d %H:%M} (UTC)")
    stripe = f"{sub.status}, period ends {sub.current_period_end:%Y-%m-%d %H:%M} UTC"
    return SubscriptionCheck(membership, f"subscription {sub_id}", ours, stripe,
                             tuple(differences))


def _invoice_check(membership: Membership, payment: Payment, gateway: SubscriptionGateway
                   ) -> SubscriptionCheck:
    invoice_id = payment.stripe_invoice_id or ""
    ours = f"{payment.status}, {payment.amount}"
    try:
        invoice = gateway.retrieve_invoice(invoice_id)
    except PaymentProviderError:
        return SubscriptionCheck(membership, f"invoice {invoice_id}", ours, "unreachable",
                                 ("Stripe did not answer for this invoice",))
    differences = []
    if not invoice.paid:
        differences.append(f"state: ours {payment.status}, Stripe {invoice.status}")
    if (invoice.amount_paid, invoice.currency) != (payment.amount_cents, payment.currency):
        differences.append(f"amount: ours {payment.amount}, Stripe "
                           f"{Money(invoice.amount_paid, invoice.currency)}")
    if payment.stripe_payment_intent_id and invoice.payment_intent_id and \
            invoice.payment_intent_id != payment.stripe_payment_intent_id:
        differences.append(f"payment: ours {payment.stripe_payment_intent_id}, Stripe "
                           f"{invoice.payment_intent_id}")
    stripe = f"{invoice.status}, {Money(invoice.amount_paid, invoice.currency)}"
    return SubscriptionCheck(membership, f"invoice {invoice_id}", ours, stripe,
                             tuple(differences))


def reconcile_subscriptions(session: Session, gateway: SubscriptionGateway
                            ) -> list[SubscriptionCheck]:
    """Each membership's Stripe subscription and each paid subscription invoice, against Stripe."""
    memberships = {m.id: m for m in session.scalars(
        select(Membership).where(Membership.stripe_subscription_id.is_not(None))
        .options(selectinload(Membership.person), selectinload(Membership.plan))
        .order_by(Membership.id))}
    checks = [_subscription_check(m, gateway) for m in memberships.values()]
    payments = session.scalars(
        select(Payment).where(Payment.purpose == "subscription",
                              Payment.stripe_invoice_id.is_not(None))
        .order_by(Payment.id)).all()
    for payment in payments:
        membership = memberships.get(payment.membership_id or 0) or (
            session.get(Membership, payment.membership_id) if payment.membership_id else None)
        if membership is not None:
            checks.append(_invoice_check(membership, payment, gateway))
    return checks


@dataclass(frozen=True)
class ReconciliationReport:
    """Card payments against their PaymentIntents; subscriptions and their invoices."""

    payments: list[Reconciliation]
    subscriptions: list[SubscriptionCheck]

    @property
    def differing(self) -> int:
        """How many rows differ from Stripe."""
        return sum(1 for row in [*self.payments, *self.subscriptions] if row.differences)


def reconciliation_report(session: Session, gateway: StripeGateway) -> ReconciliationReport:
    """Everything finance checks against Stripe, in one report."""
    return ReconciliationReport(reconcile(session, gateway),
                                reconcile_subscriptions(session, SubscriptionGateway(gateway)))
