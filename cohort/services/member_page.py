"""What a person's page in the members' area shows: groups, sessions, recordings, questions,
terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from cohort.models import (
    Cohort,
    Community,
    Enrollment,
    Group,
    GroupSession,
    Membership,
    Person,
    SessionQuestion,
    TermsAgreement,
    TermsVersion,
)
from cohort.services.access import (
    communities_awaiting_agreement,
    open_groups,
    terms_in_force,
)
from cohort.services.questions import own_questions
from cohort.services.recordings import watchable
from cohort.services.session_access import attended_cohorts, sessions_open_to
from cohort.services.terms_links import agree_url


@dataclass(frozen=True)
class AgreedTerms:
    """Terms the person agreed to, and when."""

    community: str
    title: str
    version: int
    agreed_at: datetime


@dataclass(frozen=True)
class MemberPage:
    """One person's view of the members' area at an instant."""

    person: Person
    groups: list[Group]
    cohorts: list[Cohort]
    upcoming: list[GroupSession]
    recordings: list[GroupSession]
    questions: list[SessionQuestion]
    agreements: list[AgreedTerms]
    zone: str  # the zone the person gave us (their latest application or membership)
    # Communities whose new terms wait for the person's agreement: (community, terms, link).
    awaiting_terms: list[tuple[Community, TermsVersion, str]]


def member_page(session: Session, person_id: int, now: datetime) -> MemberPage | None:
    """The person's groups and cohorts, sessions still to come, recordings and agreed terms."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    cohorts = list(session.scalars(select(Cohort).where(Cohort.id.in_(attended_cohorts(person_id)))
                                   .options(joinedload(Cohort.program))
                                   .order_by(Cohort.id)))
    agreements = [AgreedTerms(name, title, version, at) for name, title, version, at in
                  session.execute(
                      select(Community.name, TermsVersion.title, TermsVersion.version,
                             TermsAgreement.agreed_at)
                      .join(TermsVersion, TermsVersion.id == TermsAgreement.terms_version_id)
                      .join(Community, Community.id == TermsVersion.community_id)
                      .where(TermsAgreement.person_id == person_id)
                      .order_by(TermsAgreement.agreed_at))]
    zone = session.scalar(select(Enrollment.time_zone).where(Enrollment.person_id == person_id)
                          .order_by(Enrollment.id.desc()).limit(1)) or session.scalar(
        select(Membership.time_zone).where(Membership.person_id == person_id)
        .order_by(Membership.id.desc()).limit(1)) or "UTC"
    return MemberPage(
        person=person, groups=open_groups(session, person_id, now), cohorts=cohorts,
        upcoming=[s for s in sessions_open_to(session, person_id, now) if s.ends_at > now],
        recordings=watchable(session, person_id, now),
        questions=own_questions(session, person_id), agreements=agreements, zone=zone,
        awaiting_terms=_awaiting_terms(session, person, now))


def _awaiting_terms(session: Session, person: Person, now: datetime
                    ) -> list[tuple[Community, TermsVersion, str]]:
    """The communities whose groups stay closed until the person agrees to their new terms."""
    waiting = []
    for community_id in sorted(communities_awaiting_agreement(session, person.id, now)):
        community = session.get(Community, community_id)
        terms = terms_in_force(session, community_id, now)
        if community is not None and terms is not None:
            waiting.append((community, terms, agree_url(community, person, terms, now)))
    return waiting
