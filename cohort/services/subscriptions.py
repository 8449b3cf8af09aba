"""Subscribing to a paid plan by card, and ending a subscription at Stripe.

The page posts the visitor's name, e-mail, the terms version they agreed to and the card token
Stripe.js made (`subscribe`). Under the lock of the person's billing account we look for a live
membership of the plan: none → a `pending` one is made; a pending one (a declined card, an
abandoned 3-D Secure) is retried with the new card on its own Stripe subscription; one with
access → nothing is charged and the address is told by e-mail. So ten simultaneous posts make one
membership and one Stripe subscription, and the answer never says whether the address was known.

The amount is the membership's `PlanPrice`, a Stripe Plan made for that price on first use
(`PlanPrice.stripe_plan_id`). A paid first invoice activates the membership at once (Stripe
answered the server); 3-D Secure gives the browser the PaymentIntent's client secret for
Stripe.js `confirmCardPayment`, then the return check (`check_subscription`) asks Stripe; the
signed webhook does the same on its own. Whichever comes second changes nothing
(`subscription_payments.apply_paid_invoice`).

PRO is by application only. An approved PRO membership is subscribed to through a signed link,
`/communities/<slug>/subscribe/<plan>?interval=month|year&token=<pro_subscribe_token(m)>`
(`pro_subscribe_url(membership, interval)` makes it absolute, for the acceptance e-mail): the
token names the approved membership and is good for `PRO_LINK_LIFETIME`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.addresses import address_key, mailing_address
from cohort.mail.outbox import queue_mail
from cohort.models import Community, Membership, OutboxMessage, Person, Plan, PlanPrice
from cohort.payments.gateway import CardDeclined
from cohort.payments.subscription_shapes import InvoiceInfo, SubscriptionInfo
from cohort.payments.subscriptions import SubscriptionGateway, subscription_gateway
from cohort.services import ServiceError
from cohort.services.locking import lock_row
from cohort.services.memberships import (
    TermsChanged,
    agree_terms,
    current_terms,
    membership_account,
)
from cohort.services.subscription_accounts import get_or_insert_person
from cohort.services.subscription_payments import PaidInvoice, apply_paid_invoice, hub_url
from cohort.services.transitions import change_membership
from workflows import MembershipMachine

PRO_LINK_LIFETIME = timedelta(days=30)
PRO_SALT = "pro-subscribe"
RETURN_SALT = "subscribe-return"
RETURN_LINK_LIFETIME = timedelta(days=1)
ALREADY_NOTICE_INTERVAL = timedelta(hours=1)
# A plan's membership that is neither finished nor waiting for review: another subscription to
# the same plan would pay twice for the same access.
OPEN_STATES = ("pending", "approved")
DECLINED = "Nothing was charged and the membership has not started. Please try another card."
NOT_CONFIRMED = ("The bank did not confirm the payment, so nothing was charged and the "
                 "membership has not started. Please try again, or use another card.")


class NotOffered(ServiceError):
    """The plan cannot be subscribed to this way (free, by application, no price)."""

    status_code = 404


@dataclass(frozen=True)
class Subscriber:
    """What the subscribe form says (typed by a visitor: never written over a stored person)."""

    name: str
    email: str
    terms_version: int


@dataclass(frozen=True)
class Outcome:
    """Where a subscription attempt stands.

    `kind`: active (paid), needs_action (3-D Secure: `client_secret` for Stripe.js), declined
    (`message` says why; retry with another card), processing (the webhook will tell), or
    already (a membership with access exists: nothing charged, its owner e-mailed).
    """

    kind: str
    membership_id: int | None = None
    client_secret: str | None = None
    message: str = ""


# -- what is offered -----------------------------------------------------------------------------

def current_price(session: Session, plan: Plan, interval: str) -> PlanPrice:
    """The plan's price for `interval` that new members pay, or NotOffered."""
    price = session.scalars(select(PlanPrice).where(
        PlanPrice.plan_id == plan.id, PlanPrice.interval == interval,
        PlanPrice.retired_at.is_(None)).order_by(PlanPrice.id.desc()).limit(1)).first()
    if plan.free or price is None:
        raise NotOffered(f"{plan.name} has no {interval}ly subscription.")
    return price


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def pro_subscribe_token(membership: Membership) -> str:
    """The signed token naming an approved (application-only) membership, for its link."""
    return str(_serializer(PRO_SALT).dumps({"m": membership.id}))


def pro_subscribe_url(membership: Membership, interval: str) -> str:
    """The absolute link an accepted applicant subscribes through."""
    return (f"{current_app.config['BASE_URL']}/communities/{membership.community.slug}/subscribe/"
            f"{membership.plan.slug}?interval={interval}&token={pro_subscribe_token(membership)}")


def _read_token(token: str, salt: str, lifetime: timedelta, now: datetime) -> int | None:
    try:
        payload, signed_at = _serializer(salt).loads(token, return_timestamp=True)
    except BadSignature:
        return None
    found = payload.get("m") if isinstance(payload, dict) else None
    if not isinstance(found, int) or now - signed_at > lifetime:
        return None
    return found


def approved_membership(session: Session, plan: Plan, token: str, now: datetime) -> Membership:
    """The approved membership of `plan` a PRO link names, or NotOffered with words."""
    found = _read_token(token, PRO_SALT, PRO_LINK_LIFETIME, now) if token else None
    membership = session.get(Membership, found) if found is not None else None
    if membership is None or membership.plan_id != plan.id:
        raise NotOffered(f"{plan.name} is by application only: subscribe through the link in "
                         "the e-mail that accepted your application (it is valid for 30 days).")
    if membership.state not in MembershipMachine.sources("activate"):
        raise NotOffered(f"This link to {plan.name} has done its work: your membership page "
                         "(the link is in your receipts) shows where your membership stands.")
    return membership


def return_token(membership: Membership) -> str:
    """The signed token of the return check after 3-D Secure."""
    return str(_serializer(RETURN_SALT).dumps({"m": membership.id}))


def returning_membership(session: Session, token: str, now: datetime) -> Membership | None:
    """The membership a return-check token names (None when altered or expired)."""
    found = _read_token(token, RETURN_SALT, RETURN_LINK_LIFETIME, now)
    return session.get(Membership, found) if found is not None else None


# -- subscribing ---------------------------------------------------------------------------------

def _agree(session: Session, community: Community, person: Person, version: int,
           now: datetime) -> None:
    terms = current_terms(session, community)
    if terms is not None and terms.version != version:
        raise TermsChanged("The Member Guidelines and Terms of Confidentiality changed while "
                           "you were reading them: please read the new version and agree again.")
    if terms is not None:
        agree_terms(session, person, terms, now)


def _live_membership(session: Session, person_id: int, plan: Plan) -> Membership | None:
    """The person's membership of the plan that is waiting for payment or has access."""
    states = (*OPEN_STATES, "scheduled", *MembershipMachine.states_that("grants_access"))
    return session.scalars(select(Membership).where(
        Membership.person_id == person_id, Membership.plan_id == plan.id,
        Membership.state.in_(states)).order_by(Membership.id).limit(1)).first()


def _tell_already_member(session: Session, membership: Membership, now: datetime) -> Outcome:
    """Nothing is charged; the address's owner is told (at most hourly: no mailbox flooding)."""
    recent = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.to_address == membership.person.email,
        OutboxMessage.kind == "membership_already",
        OutboxMessage.created_at > now - ALREADY_NOTICE_INTERVAL).limit(1))
    if recent is not None:
        return Outcome("already", membership.id)
    queue_mail(session, kind="membership_already", to=membership.person.email, now=now,
               membership=membership, community=membership.community, plan=membership.plan,
               person=membership.person, hub_url=hub_url())
    return Outcome("already", membership.id)


def subscribe(session: Session, community: Community, plan: Plan, interval: str,
              subscriber: Subscriber, card: str, *, now: datetime, pro_token: str = "",
              gateway: SubscriptionGateway | None = None) -> Outcome:
    """Subscribe the visitor to `plan` by card; one membership and subscription per person."""
    price = current_price(session, plan, interval)
    if plan.by_application:
        approved = approved_membership(session, plan, pro_token, now)
        person = approved.person
    else:
        typed = mailing_address(subscriber.email)
        person = get_or_insert_person(session, typed, address_key(typed), subscriber.name, now)
    _agree(session, community, person, subscriber.terms_version, now)
    account = membership_account(session, community, person, now)
    lock_row(session, type(account), account.id)  # one subscribe at a time per person
    membership = _live_membership(session, person.id, plan)
    if membership is not None and membership.state not in OPEN_STATES:
        return _tell_already_member(session, membership, now)
    if membership is None:
        if plan.by_application:  # the approved membership has ended or started meanwhile
            raise NotOffered(f"This link to {plan.name} has been used or is no longer valid.")
        membership = Membership(
            community_id=community.id, person_id=person.id, plan_id=plan.id,
            account_id=account.id, state="pending", time_zone=community.time_zone,
            created_at=now, state_changed_at=now)
        session.add(membership)
    membership.price_id, membership.interval = price.id, interval
    session.flush()
    return start_subscription(session, membership, card, now=now, gateway=gateway)


def _stripe_plan(gateway: SubscriptionGateway, price: PlanPrice) -> str:
    if not price.stripe_plan_id:
        price.stripe_plan_id = gateway.ensure_product_and_plan(
            key=f"plan-{price.plan_id}", name=price.plan.name, amount=price.amount_cents,
            currency=price.currency, interval=price.interval,
            metadata={"plan_price": str(price.id)})
    return price.stripe_plan_id


def _customer(gateway: SubscriptionGateway, membership: Membership) -> str:
    account = membership.account
    account.stripe_customer_id = gateway.ensure_customer(
        email=membership.person.email, name=membership.person.name,
        metadata={"billing_account": str(account.id)},
        idempotency_key=f"billing-account-{account.id}-customer",
        existing_id=account.stripe_customer_id)
    return account.stripe_customer_id


def _judge(session: Session, membership: Membership, sub: SubscriptionInfo,
           invoice: InvoiceInfo | None, now: datetime, actor: str) -> Outcome:
    """Activate on a paid first invoice; otherwise say what the browser must do."""
    if invoice is not None and invoice.paid:
        apply_paid_invoice(session, membership.id, PaidInvoice.of(invoice, sub), actor=actor,
                           now=now)
        return Outcome("active", membership.id)
    payment = invoice.payment if invoice is not None else None
    if payment is not None and payment.needs_action:
        return Outcome("needs_action", membership.id, client_secret=payment.client_secret)
    if payment is not None and payment.status in ("requires_payment_method", "canceled"):
        if payment.status == "canceled":
            return Outcome("declined", membership.id, message=NOT_CONFIRMED)
        bank = payment.decline_message or "The card was declined."
        return Outcome("declined", membership.id, message=f"{bank} {DECLINED}")
    return Outcome("processing", membership.id)


def start_subscription(session: Session, membership: Membership, payment_method_id: str | None,
                       *, now: datetime, gateway: SubscriptionGateway | None = None) -> Outcome:
    """Charge the membership's first period by card (a token or PaymentMethod id; None: the
    customer's saved card); reuses its incomplete Stripe subscription when it has one."""
    gateway = gateway or subscription_gateway()
    if membership.price is None:
        raise NotOffered("This membership has no price to subscribe at.")
    plan_id = _stripe_plan(gateway, membership.price)
    customer_id = _customer(gateway, membership)
    session.flush()
    try:
        if payment_method_id and payment_method_id.startswith("pm_"):
            gateway.attach_payment_method(customer_id, payment_method_id)
        elif payment_method_id:
            gateway.attach_card_token(customer_id, payment_method_id)
    except CardDeclined as declined:
        return Outcome("declined", membership.id, message=f"{declined.message} {DECLINED}")
    sub = None
    if membership.stripe_subscription_id:
        sub = gateway.read_subscription(membership.stripe_subscription_id)
        if sub.status in ("canceled", "incomplete_expired"):
            sub = None
    if sub is None:
        sub = gateway.create_subscription(
            customer_id=customer_id, plan_id=plan_id,
            metadata={"membership": str(membership.id)},
            idempotency_key=f"membership-{membership.id}-{int(now.timestamp() * 1000)}")
        membership.stripe_subscription_id = sub.id
        session.flush()
        invoice = sub.latest_invoice
    else:
        invoice = sub.latest_invoice
        if invoice is not None and not invoice.paid and sub.latest_invoice_id:
            try:  # Stripe refuses a declined charge with an error; localstripe answers open
                invoice = gateway.pay_invoice(sub.latest_invoice_id)
            except CardDeclined as declined:
                return Outcome("declined", membership.id, message=f"{declined.message} "
                                                                  f"{DECLINED}")
    return _judge(session, membership, sub, invoice, now, actor="system:stripe")


def check_subscription(session: Session, membership: Membership, *, now: datetime,
                       gateway: SubscriptionGateway | None = None) -> Outcome:
    """The return check after 3-D Secure: ask Stripe, activate if paid (once)."""
    if membership.state not in OPEN_STATES:
        has_access = membership.state in MembershipMachine.states_that("grants_access")
        return Outcome("active" if has_access else "declined", membership.id,
                       message="" if has_access else NOT_CONFIRMED)
    if not membership.stripe_subscription_id:
        return Outcome("declined", membership.id, message=NOT_CONFIRMED)
    gateway = gateway or subscription_gateway()
    sub = gateway.read_subscription(membership.stripe_subscription_id)
    return _judge(session, membership, sub, sub.latest_invoice, now, actor="system:return-check")


# -- cancelling and ending -------------------------------------------------------------------

def _cancel_at_period_end(gateway: SubscriptionGateway, subscription_id: str,
                          flag: bool) -> None:
    """Tell Stripe not to renew (or to renew again): we end the membership ourselves."""
    gateway._call("change the subscription", gateway.client.v1.subscriptions.update,
                  subscription_id, params={"cancel_at_period_end": flag})


def hold_renewal(membership: Membership, hold: bool, *,
                 gateway: SubscriptionGateway | None = None) -> None:
    """Tell Stripe not to renew at period end (a switch: the tick starts the new interval)."""
    if membership.stripe_subscription_id:
        _cancel_at_period_end(gateway or subscription_gateway(),
                              membership.stripe_subscription_id, hold)


def schedule_cancel(session: Session, membership: Membership, *, actor: str, now: datetime,
                    gateway: SubscriptionGateway | None = None) -> Membership:
    """Cancel at the end of the paid period (past due: at once); Stripe will not renew."""
    changed = change_membership(session, membership.id, "cancel", actor=actor, now=now,
                                reason="cancelled by the member")
    changed.cancel_requested_at = now
    if changed.stripe_subscription_id:
        gateway = gateway or subscription_gateway()
        if changed.state in MembershipMachine.final_state_ids():
            end_at_stripe(changed, gateway=gateway)
        else:
            _cancel_at_period_end(gateway, changed.stripe_subscription_id, True)
    session.flush()
    return changed


def undo_cancel(session: Session, membership: Membership, *, actor: str, now: datetime,
                gateway: SubscriptionGateway | None = None) -> Membership:
    """Take back a cancellation before the paid period ends; Stripe renews again."""
    changed = change_membership(session, membership.id, "undo_cancel", actor=actor, now=now,
                                reason="cancellation undone by the member")
    changed.cancel_requested_at = None
    if changed.stripe_subscription_id:
        # Stripe renews again, unless a switch waits for the period's end (the tick does it).
        _cancel_at_period_end(gateway or subscription_gateway(), changed.stripe_subscription_id,
                              changed.next_price_id is not None)
    session.flush()
    return changed


def end_at_stripe(membership: Membership, *, gateway: SubscriptionGateway | None = None) -> None:
    """End the membership's Stripe subscription now (DELETE); one already ended is fine."""
    if membership.stripe_subscription_id:
        (gateway or subscription_gateway()).cancel_subscription_now(
            membership.stripe_subscription_id)
