"""Joining a community: billing accounts, the terms members agree to, and the free Lobby.

Joining the Lobby is an unauthenticated form, so it never changes a stored person and its answer
never tells whether the address is known: every join gets the same page, and the address gets
one e-mail (a confirmation link, or "you are already a member" when it is in the Lobby already).
The membership becomes active, and the terms agreement is recorded, only when the link is
followed: the click proves the address is the joiner's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.addresses import address_key, mailing_address
from cohort.mail.outbox import queue_mail
from cohort.models import (
    AuditRecord,
    BillingAccount,
    Community,
    Membership,
    OutboxMessage,
    Person,
    Plan,
    TermsAgreement,
    TermsVersion,
)
from cohort.services import ServiceError
from cohort.services.locking import lock_row
from cohort.services.transitions import change_membership
from workflows import MembershipMachine

# A confirmation link works for this long after it is sent.
CONFIRM_LINK_LIFETIME = timedelta(days=7)
# The same address is e-mailed about joining at most this often (a form cannot flood a mailbox).
JOIN_NOTICE_INTERVAL = timedelta(hours=1)
CONFIRM_SALT = "lobby-confirm"

T = TypeVar("T")
_INITIAL = next(s.id for s in MembershipMachine.states if s.initial)


class TermsChanged(ServiceError):
    """The terms were replaced by a newer version while the visitor was reading them."""


class LinkNotValid(ServiceError):
    """A confirmation link that was altered, has expired, or no longer leads anywhere."""

    status_code = 404


@dataclass(frozen=True)
class Confirmation:
    """What following a confirmation link did: `newly` is False when it had been followed."""

    membership: Membership
    newly: bool


def _get_or_insert(session: Session, read: Callable[[], T | None], make: Callable[[], T]) -> T:
    """The row `read` finds, or a new one from `make`; a concurrent insert is re-read.

    The insert runs in a savepoint: when another transaction got there first the unique key
    refuses it, only the savepoint is rolled back, and the row it made is read instead.
    """
    found = read()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            row = make()
            session.add(row)
            session.flush()
        return row
    except IntegrityError:
        found = read()
        if found is None:
            raise
        return found


def membership_account(session: Session, community: Community, person: Person,
                       now: datetime | None = None) -> BillingAccount:
    """The person's billing account with the community, made on first use (one per pair)."""
    def read() -> BillingAccount | None:
        return session.scalars(select(BillingAccount).where(
            BillingAccount.community_id == community.id,
            BillingAccount.person_id == person.id)).one_or_none()

    def make() -> BillingAccount:
        return BillingAccount(owner="membership", person_id=person.id, community_id=community.id,
                              currency=community.currency,
                              created_at=now or community.created_at)

    return _get_or_insert(session, read, make)


def listed_communities(session: Session) -> list[Community]:
    """Every community, by name (for the public index)."""
    return list(session.scalars(select(Community).order_by(Community.name, Community.id)))


def current_terms(session: Session, community: Community) -> TermsVersion | None:
    """The community's newest published terms (None if it has none)."""
    return session.scalars(select(TermsVersion).where(TermsVersion.community_id == community.id)
                           .order_by(TermsVersion.version.desc()).limit(1)).first()


def agreed_version(session: Session, person: Person, community: Community) -> int | None:
    """The newest version of the community's terms the person agreed to, if any."""
    return session.scalar(
        select(TermsVersion.version).join(TermsAgreement,
                                          TermsAgreement.terms_version_id == TermsVersion.id)
        .where(TermsAgreement.person_id == person.id,
               TermsVersion.community_id == community.id)
        .order_by(TermsVersion.version.desc()).limit(1))


def needs_agreement(session: Session, person: Person, community: Community) -> bool:
    """True when the person has not agreed to the community's current terms."""
    terms = current_terms(session, community)
    if terms is None:
        return False
    return session.scalar(select(TermsAgreement.id).where(
        TermsAgreement.person_id == person.id,
        TermsAgreement.terms_version_id == terms.id)) is None


def agree_terms(session: Session, person: Person, terms_version: TermsVersion,
                now: datetime) -> TermsAgreement:
    """Record that the person agreed to this version now; agreeing again keeps the first record."""
    def read() -> TermsAgreement | None:
        return session.scalars(select(TermsAgreement).where(
            TermsAgreement.person_id == person.id,
            TermsAgreement.terms_version_id == terms_version.id)).one_or_none()

    def make() -> TermsAgreement:
        return TermsAgreement(person_id=person.id, terms_version_id=terms_version.id,
                              agreed_at=now)

    return _get_or_insert(session, read, make)


def lobby_plan(session: Session, community: Community) -> Plan:
    """The community's free plan (the Lobby)."""
    plan = session.scalars(select(Plan).where(Plan.community_id == community.id,
                                              Plan.free.is_(True))
                           .order_by(Plan.position, Plan.id).limit(1)).first()
    if plan is None:
        raise ServiceError("This community has no free plan to join.")
    return plan


# -- the signed confirmation link ------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirm_token(membership: Membership, terms_version_id: int | None, now: datetime) -> str:
    """A signed token naming the membership, the terms version ticked and when it was sent.

    The instant is the service's clock (not the machine's), so expiry follows `cohort.clock`.
    """
    return str(_serializer().dumps({"m": membership.id, "t": terms_version_id,
                                    "at": int(now.timestamp())}))


def confirm_url(community: Community, token: str) -> str:
    """The absolute confirmation link for e-mails."""
    return f"{current_app.config['BASE_URL']}/communities/{community.slug}/confirm/{token}"


def read_confirm_token(token: str, now: datetime) -> tuple[int, int | None]:
    """The (membership id, terms version id) a token names; refused if altered or expired."""
    try:
        payload = _serializer().loads(token) if len(token) <= 500 else None
    except BadSignature:
        payload = None
    if not isinstance(payload, dict):
        raise LinkNotValid("This confirmation link is not valid. Check the link in your "
                           "e-mail.")
    membership_id, terms_id, sent = payload.get("m"), payload.get("t"), payload.get("at")
    if not isinstance(membership_id, int) or not isinstance(sent, int) or \
            not (terms_id is None or isinstance(terms_id, int)):
        raise LinkNotValid("This confirmation link is not valid.")
    if now.timestamp() - sent > CONFIRM_LINK_LIFETIME.total_seconds():
        raise LinkNotValid("This confirmation link has expired. Join again from the community "
                           "page to get a new one.")
    return membership_id, terms_id


# -- joining -----------------------------------------------------------------------------------

def _recently_told(session: Session, address: str, kinds: tuple[str, ...],
                   now: datetime) -> bool:
    return session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.to_address == address, OutboxMessage.kind.in_(kinds),
        OutboxMessage.created_at > now - JOIN_NOTICE_INTERVAL).limit(1)) is not None


def _person(session: Session, typed: str, name: str, now: datetime) -> Person:
    """The person with this address, or a new one from what was typed (a known one is kept)."""
    key = address_key(typed)

    def read() -> Person | None:
        return session.scalars(select(Person).where(Person.email_normalized == key)).one_or_none()

    def make() -> Person:
        return Person(email=typed, email_normalized=key, name=name, created_at=now)

    return _get_or_insert(session, read, make)


def _lobby_membership(session: Session, plan: Plan, person: Person) -> Membership | None:
    """The person's Lobby membership that has not ended, if any."""
    return session.scalars(select(Membership).where(
        Membership.plan_id == plan.id, Membership.person_id == person.id,
        Membership.state.not_in(MembershipMachine.final_state_ids()))
        .order_by(Membership.id.desc()).limit(1)).first()


def join_lobby(session: Session, community: Community, name: str, email: str,
               agreed_terms_version_id: int | None, now: datetime) -> str:
    """Take a request to join the Lobby; returns the address (as typed) the answer repeats.

    New address: a person is made from what was typed. Known address: the stored person is left
    as it is. Either way a pending Lobby membership waits for its confirmation link, which goes
    to the stored address; an address already in the Lobby is told so by e-mail instead.
    """
    terms = current_terms(session, community)
    if terms is not None and agreed_terms_version_id != terms.id:
        raise TermsChanged("The terms were updated while you were reading them. Please read "
                           "the new version and tick the box again.")
    plan = lobby_plan(session, community)
    typed = mailing_address(email)
    person = _person(session, typed, name, now)
    account = membership_account(session, community, person, now)
    lock_row(session, BillingAccount, account.id)  # one join at a time per person and community
    kinds = ("lobby_confirm", "lobby_already_member")
    existing = _lobby_membership(session, plan, person)
    if existing is not None and existing.state in MembershipMachine.states_that("grants_access"):
        if not _recently_told(session, person.email, kinds, now):
            queue_mail(session, kind="lobby_already_member", to=person.email, now=now,
                       community=community, person=person, membership=existing,
                       attempted_at=now)
        session.flush()
        return typed
    membership = existing or _new_membership(session, community, plan, person, account, now)
    if existing is None or not _recently_told(session, person.email, kinds, now):
        queue_mail(session, kind="lobby_confirm", to=person.email, now=now,
                   community=community, person=person, membership=membership, plan=plan,
                   terms=terms, lifetime_days=CONFIRM_LINK_LIFETIME.days,
                   confirm_url=confirm_url(community, confirm_token(
                       membership, terms.id if terms else None, now)))
    session.flush()
    return typed


def _new_membership(session: Session, community: Community, plan: Plan, person: Person,
                    account: BillingAccount, now: datetime) -> Membership:
    membership = Membership(
        community_id=community.id, person_id=person.id, plan_id=plan.id, account_id=account.id,
        state=_INITIAL, time_zone=community.time_zone,
        created_at=now, state_changed_at=now)
    session.add(membership)
    session.flush()
    session.add(AuditRecord(
        occurred_at=now, actor=f"visitor:{person.email_normalized}"[:200],
        subject_type="membership", subject_id=membership.id, event="join", from_state=None,
        to_state=membership.state, reason="asked to join the Lobby"))
    return membership


def confirm_lobby(session: Session, community: Community, token: str,
                  now: datetime) -> Confirmation:
    """Follow a confirmation link: record the terms agreed on the form, activate the membership.

    Following it again changes nothing and says so.
    """
    membership_id, terms_id = read_confirm_token(token, now)
    membership = session.get(Membership, membership_id)
    if membership is None or membership.community_id != community.id:
        raise LinkNotValid("This confirmation link is not valid.")
    membership = lock_row(session, Membership, membership_id)
    if membership.state in MembershipMachine.states_that("grants_access"):
        return Confirmation(membership, newly=False)
    if membership.state not in MembershipMachine.sources("activate"):
        raise LinkNotValid("This membership has ended; join again from the community page.")
    if terms_id is not None:
        terms = session.get(TermsVersion, terms_id)
        if terms is None or terms.community_id != community.id:
            raise LinkNotValid("This confirmation link is not valid.")
        agree_terms(session, membership.person, terms, now)
    change_membership(session, membership.id, "activate",
                      actor=f"member:{membership.person.email_normalized}", now=now,
                      reason="confirmed by the e-mailed link")
    return Confirmation(membership, newly=True)
