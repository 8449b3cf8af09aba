"""What the Customer Hub shows one person: each membership's facts and what can be done now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from cohort.models import BillingAccount, Document, Membership, Person, Plan, PlanPrice
from cohort.money import Money
from cohort.services import ServiceError
from cohort.services.card_update import card_token
from cohort.services.facts import membership_facts
from cohort.services.hub_memberships import current_price, followers, kept_plan
from workflows import MembershipMachine

STATE_LABELS = MembershipMachine.labels()
OTHER_INTERVAL = {"month": "year", "year": "month"}


@dataclass(frozen=True)
class Charge:
    """The next amount taken, and when."""

    at: datetime
    amount: Money


@dataclass(frozen=True)
class KeepOffer:
    """The smaller plan the member can keep from the instant this one ends."""

    plan: Plan
    price: PlanPrice
    starts_at: datetime


@dataclass(frozen=True)
class HubRow:
    """One membership as the hub shows it."""

    membership: Membership
    state_label: str
    has_access: bool
    owes: bool  # a renewal failed: access lasts until grace_until unless paid
    next_charge: Charge | None
    no_further_charge: bool  # cancelled: the paid period runs out, nothing more is taken
    can_cancel: bool
    cancel_keeps_access: bool  # cancelling leaves access until the paid period ends
    can_undo: bool
    keep: KeepOffer | None
    continued_by: list[Membership]  # kept plans starting when this one ends
    switch_to: PlanPrice | None  # the other interval, from the end of the paid period
    renews_at: PlanPrice | None  # a switch already chosen (next_price), shown with its undo
    card_token: str | None  # opens the page to change the card (and pay what is overdue)


@dataclass(frozen=True)
class HubPage:
    """Everything the hub page shows."""

    person: Person
    rows: list[HubRow]
    documents: list[Document]  # invoices, receipts and credit notes of their memberships


def _next_charge(membership: Membership) -> Charge | None:
    price = membership.next_price or membership.price
    if price is None:
        return None
    if "renew" in MembershipMachine.events_from(membership.state) and membership.paid_through:
        return Charge(membership.paid_through, price.amount)
    if membership.state in MembershipMachine.sources("start"):
        return Charge(membership.starts_at, price.amount) if membership.starts_at else None
    return None


def _keep_offer(session: Session, membership: Membership, events: list[str]
                ) -> KeepOffer | None:
    ending = membership.state in MembershipMachine.sources("undo_cancel")
    if not (ending or "renew" in events) or membership.paid_through is None:
        return None
    if membership.interval is None or followers(session, membership):
        return None
    plan = kept_plan(session, membership)
    price = current_price(session, plan.id, membership.interval) if plan else None
    if plan is None or price is None:
        return None
    held = session.scalar(select(Membership.id).where(
        Membership.person_id == membership.person_id, Membership.plan_id == plan.id,
        Membership.state.not_in(MembershipMachine.final_state_ids())).limit(1))
    return None if held is not None else KeepOffer(plan, price, membership.paid_through)


def hub_row(session: Session, membership: Membership, now: datetime) -> HubRow:
    """The facts and the possible actions of one membership at `now`."""
    facts = membership_facts(membership, now)
    events = MembershipMachine(membership.state).enabled(facts)
    can_cancel = "cancel" in events
    after_cancel = (MembershipMachine(membership.state).fire("cancel", facts)
                    if can_cancel else None)
    switch_to = None
    if "renew" in events and membership.interval is not None:
        other = current_price(session, membership.plan_id, OTHER_INTERVAL[membership.interval])
        pending = membership.next_price
        if other is not None and (pending is None or pending.interval != other.interval):
            switch_to = other
    renews_at = (membership.next_price if membership.next_price is not None
                 and membership.next_price.interval != membership.interval else None)
    ending = membership.state in MembershipMachine.sources("undo_cancel")
    return HubRow(
        membership=membership,
        state_label=STATE_LABELS[membership.state],
        has_access=membership.grants_access,
        owes=membership.state in MembershipMachine.states_that("owes_money"),
        next_charge=None if ending else _next_charge(membership),
        no_further_charge=ending,
        can_cancel=can_cancel,
        cancel_keeps_access=after_cancel in MembershipMachine.states_that("grants_access"),
        can_undo="undo_cancel" in events,
        keep=_keep_offer(session, membership, events),
        continued_by=followers(session, membership),
        switch_to=switch_to,
        renews_at=renews_at,
        card_token=(card_token(membership, now) if membership.stripe_subscription_id
                    and membership.state in MembershipMachine.states_that("billed")
                    and not ending else None),
    )


def hub_page(session: Session, person_id: int, now: datetime) -> HubPage | None:
    """The person's memberships (every community, newest first); None if the person is gone."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    memberships = session.scalars(
        select(Membership).where(Membership.person_id == person_id)
        .options(joinedload(Membership.community), joinedload(Membership.plan),
                 joinedload(Membership.price), joinedload(Membership.next_price))
        .order_by(Membership.community_id, Membership.created_at.desc(), Membership.id.desc()))
    return HubPage(person=person, rows=[hub_row(session, m, now) for m in memberships],
                   documents=member_documents(session, person_id))


class DocumentNotFound(ServiceError):
    """No document of the hub's person has this id."""

    status_code = 404


def _members_documents(person_id: int) -> Select[tuple[Document]]:
    """Documents of the person's membership accounts (not their enrollments': those have their
    own status link)."""
    return (select(Document).join(BillingAccount, Document.account_id == BillingAccount.id)
            .where(BillingAccount.person_id == person_id, BillingAccount.owner == "membership"))


def member_documents(session: Session, person_id: int) -> list[Document]:
    """The person's membership documents, newest first."""
    return list(session.scalars(
        _members_documents(person_id)
        .options(joinedload(Document.account).joinedload(BillingAccount.community))
        .order_by(Document.issued_at.desc(), Document.id.desc())))


def member_document(session: Session, person_id: int, document_id: int) -> Document:
    """One of the person's membership documents; another's is as unknown as a missing one."""
    found = session.scalars(
        _members_documents(person_id).where(Document.id == document_id)).one_or_none()
    if found is None:
        raise DocumentNotFound("There is no such document among yours. Open the hub from your "
                               "e-mail again to see your invoices and receipts.")
    return found
