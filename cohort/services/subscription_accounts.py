"""Who subscribes: the person (found by address, never changed), their account, the terms.

Concurrent requests for the same address meet at unique keys: an insert that loses runs in a
savepoint, which alone is rolled back, and the winner's row is read instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.models import BillingAccount, Community, Person, TermsAgreement, TermsVersion

T = TypeVar("T")


def _get_or_insert(session: Session, read: Callable[[], T | None], make: Callable[[], T]) -> T:
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


def get_or_insert_person(session: Session, address: str, key: str, name: str,
                         now: datetime) -> Person:
    """The person with this address key; a new one from what was typed (a known one unchanged)."""
    return _get_or_insert(
        session,
        lambda: session.scalars(select(Person).where(Person.email_normalized == key)).first(),
        lambda: Person(email=address, email_normalized=key, name=name, created_at=now))


def membership_account(session: Session, community: Community, person: Person,
                       now: datetime) -> BillingAccount:
    """The person's billing account with the community, made on first use."""
    return _get_or_insert(
        session,
        lambda: session.scalars(select(BillingAccount).where(
            BillingAccount.community_id == community.id,
            BillingAccount.person_id == person.id)).first(),
        lambda: BillingAccount(owner="membership", person_id=person.id,
                               community_id=community.id, currency=community.currency,
                               created_at=now))


def current_terms(session: Session, community: Community) -> TermsVersion | None:
    """The community's newest terms."""
    return session.scalars(select(TermsVersion).where(TermsVersion.community_id == community.id)
                           .order_by(TermsVersion.version.desc()).limit(1)).first()


def agree_to_terms(session: Session, person: Person, terms: TermsVersion,
                   now: datetime) -> TermsAgreement:
    """Record the person's explicit agreement to this version (the first one is kept)."""
    return _get_or_insert(
        session,
        lambda: session.scalars(select(TermsAgreement).where(
            TermsAgreement.person_id == person.id,
            TermsAgreement.terms_version_id == terms.id)).first(),
        lambda: TermsAgreement(person_id=person.id, terms_version_id=terms.id, agreed_at=now))
