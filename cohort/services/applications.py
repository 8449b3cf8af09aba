"""Taking an application: one per person per cohort, only while applications are open."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.mail.outbox import queue_mail, status_url
from cohort.models import ApplicationAnswers, AuditRecord, Cohort, Enrollment, Person
from cohort.schedule import format_deadline
from cohort.services import ServiceError


class ApplicationsClosed(ServiceError):
    """The cohort does not take applications now."""

    status_code = 403


class DuplicateApplication(ServiceError):
    """This e-mail address has already applied to this cohort."""


@dataclass(frozen=True)
class ApplicationData:
    """What the applicant submits, already shape-checked by the form."""

    full_name: str
    email: str
    organisation: str
    role: str
    role_title: str
    organisation_size: str
    sector: str
    sociocracy_stage: str
    prerequisite: str
    prerequisite_details: str
    hopes_to_bring: str
    hopes_to_gain: str
    country: str
    time_zone: str


def normalize_email(address: str) -> str:
    """The form of an address used to tell people apart: NFKC, trimmed, lower-cased."""
    return unicodedata.normalize("NFKC", address).strip().lower()


def new_status_token() -> str:
    """An unguessable token for the applicant's status link (256 bits)."""
    return secrets.token_urlsafe(32)


def applications_open(cohort: Cohort, now: datetime) -> bool:
    """True while the cohort is open and its application deadline has not passed."""
    return cohort.state == "open" and now < cohort.applications_close_at


def closed_message(cohort: Cohort, now: datetime) -> str:
    """Why the cohort takes no applications, in words."""
    if cohort.state == "draft":
        return "Applications for this cohort have not opened yet."
    if now >= cohort.applications_close_at or cohort.state != "open":
        when = format_deadline(cohort.applications_close_at, cohort.time_zone)
        if now < cohort.applications_close_at:
            return f"Applications for this cohort are closed (the cohort is {cohort.state})."
        return f"Applications for this cohort closed on {when}."
    return ""


def find_enrollment(session: Session, cohort_id: int, email: str) -> Enrollment | None:
    """The enrollment of this address in this cohort, if any."""
    return session.scalars(
        select(Enrollment)
        .join(Person)
        .where(Enrollment.cohort_id == cohort_id, Person.email_normalized == normalize_email(email))
    ).one_or_none()


def _duplicate(existing: Enrollment, cohort: Cohort) -> DuplicateApplication:
    when = format_deadline(existing.submitted_at, cohort.time_zone)
    return DuplicateApplication(
        f"We already have an application from {existing.person.email} for this cohort "
        f"(submitted {when}). Nothing was changed. Your private status link is in the "
        "e-mail we sent you then."
    )


def submit_application(
    session: Session, cohort: Cohort, data: ApplicationData, now: datetime
) -> Enrollment:
    """Create the person (if new), the enrollment and the answers; queue the confirmation."""
    if not applications_open(cohort, now):
        raise ApplicationsClosed(closed_message(cohort, now))
    existing = find_enrollment(session, cohort.id, data.email)
    if existing is not None:
        raise _duplicate(existing, cohort)
    normalized = normalize_email(data.email)
    try:
        with session.begin_nested():
            person = session.scalars(
                select(Person).where(Person.email_normalized == normalized)
            ).one_or_none()
            if person is None:
                person = Person(email=data.email.strip(), email_normalized=normalized,
                                name=data.full_name, created_at=now)
                session.add(person)
            else:
                person.name = data.full_name
                person.email = data.email.strip()
            enrollment = Enrollment(
                cohort=cohort, person=person, state="submitted", status_token=new_status_token(),
                time_zone=data.time_zone, country=data.country, submitted_at=now,
                state_changed_at=now,
            )
            enrollment.answers = ApplicationAnswers(
                full_name=data.full_name, organisation=data.organisation, role=data.role,
                role_title=data.role_title, organisation_size=data.organisation_size,
                sector=data.sector, sociocracy_stage=data.sociocracy_stage,
                prerequisite=data.prerequisite, prerequisite_details=data.prerequisite_details,
                hopes_to_bring=data.hopes_to_bring, hopes_to_gain=data.hopes_to_gain,
                country=data.country, time_zone=data.time_zone,
            )
            session.add(enrollment)
            session.flush()
    except IntegrityError:
        # Another request created the same application between our check and our insert.
        existing = find_enrollment(session, cohort.id, data.email)
        if existing is None:
            raise
        raise _duplicate(existing, cohort) from None
    session.add(AuditRecord(
        occurred_at=now, actor=f"applicant:{normalized}", subject_type="enrollment",
        subject_id=enrollment.id, event="submit", from_state=None, to_state="submitted",
        reason="application submitted",
    ))
    queue_mail(session, kind="application_received", to=person.email, now=now,
               enrollment_id=enrollment.id, enrollment=enrollment, cohort=cohort,
               person=person, status_url=status_url(enrollment.status_token))
    session.flush()
    return enrollment
