"""Asking members to agree to a new version of the terms: an e-mailed, signed, expiring link.

The link names the person and the version; following it shows the terms, and pressing the button
records the agreement (version, time, person). Agreeing twice keeps the first record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.mail.outbox import queue_mail
from cohort.models import Community, Membership, Person, TermsAgreement, TermsVersion
from cohort.services.access import has_access_at
from cohort.services.memberships import LinkNotValid, agree_terms

AGREE_LINK_LIFETIME = timedelta(days=30)
AGREE_SALT = "terms-agree"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=AGREE_SALT)


def agree_url(community: Community, person: Person, terms: TermsVersion, now: datetime) -> str:
    """The absolute link that lets this person agree to this version (signed, expiring)."""
    token = _serializer().dumps({"p": person.id, "t": terms.id, "at": int(now.timestamp())})
    return (f"{current_app.config['BASE_URL']}/communities/{community.slug}/terms/agree/"
            f"{token}")


def read_agree_link(session: Session, community: Community, token: str,
                    now: datetime) -> tuple[Person, TermsVersion]:
    """The person and terms version a link names; refused if altered, expired or elsewhere."""
    try:
        payload = _serializer().loads(token) if len(token) <= 500 else None
    except BadSignature:
        payload = None
    if not isinstance(payload, dict) or not all(
            isinstance(payload.get(key), int) for key in ("p", "t", "at")):
        raise LinkNotValid("This link is not valid. Check the link in your e-mail.")
    if now.timestamp() - payload["at"] > AGREE_LINK_LIFETIME.total_seconds():
        raise LinkNotValid("This link has expired. The next e-mail from the community about "
                           "the terms will bring a new one; or write to us.")
    person = session.get(Person, payload["p"])
    terms = session.get(TermsVersion, payload["t"])
    if person is None or terms is None or terms.community_id != community.id:
        raise LinkNotValid("This link is not valid. Check the link in your e-mail.")
    return person, terms


def agreement_of(session: Session, person: Person, terms: TermsVersion) -> TermsAgreement | None:
    """The person's recorded agreement to this version, if any."""
    return session.scalars(select(TermsAgreement).where(
        TermsAgreement.person_id == person.id,
        TermsAgreement.terms_version_id == terms.id)).one_or_none()


def agree_by_link(session: Session, community: Community, token: str,
                  now: datetime) -> TermsAgreement:
    """Record the agreement the link asks for (once; a second press keeps the first)."""
    person, terms = read_agree_link(session, community, token, now)
    return agree_terms(session, person, terms, now)


def ask_members_to_agree(session: Session, community: Community, terms: TermsVersion,
                         now: datetime) -> int:
    """E-mail everyone with group access now a link to agree to `terms`; returns how many."""
    people = session.scalars(
        select(Person).join(Membership, Membership.person_id == Person.id)
        .where(Membership.community_id == community.id, has_access_at(now))
        .distinct().order_by(Person.id)).all()
    for person in people:
        if agreement_of(session, person, terms) is not None:
            continue
        queue_mail(session, kind="terms_updated", to=person.email, now=now,
                   community=community, person=person, terms=terms,
                   lifetime_days=AGREE_LINK_LIFETIME.days,
                   agree_url=agree_url(community, person, terms, now))
    session.flush()
    return len(people)
