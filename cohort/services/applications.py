"""Taking an application: one per person per cohort, only while applications are open."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.orm import Session

from cohort.addresses import address_key, mailing_address
from cohort.database import insert_new, insert_row
from cohort.mail.outbox import queue_mail, status_url
from cohort.models import (
    ApplicationAnswers,
    AuditRecord,
    BillingAccount,
    Cohort,
    Enrollment,
    OutboxMessage,
    Person,
)
from cohort.schedule import format_deadline
from cohort.services import ServiceError
from cohort.services.accounts import new_enrollment_account
from workflows import CohortMachine
from workflows.as_of import cohort_state_at


class ApplicationsClosed(ServiceError):
    """The cohort does not take applications now."""

    status_code = 403


# A second application from a known address tells its owner by e-mail, at most this often.
REPEAT_NOTICE_INTERVAL = timedelta(hours=1)


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


@dataclass(frozen=True)
class Submission:
    """What the applicant is told: the same whether or not the address had applied before.

    `address` is the spelling of what they typed that the confirmation page repeats (never the
    stored spelling of someone else's address); `enrollment_id` is None when nothing new was
    made.
    """

    address: str
    enrollment_id: int | None


def normalize_email(address: str) -> str:
    """The key people and staff are told apart by (see `cohort.addresses.address_key`)."""
    return address_key(address)


def new_status_token() -> str:
    """An unguessable token for the applicant's status link (256 bits)."""
    return secrets.token_urlsafe(32)


def applications_open(cohort: Cohort, now: datetime) -> bool:
    """True while the cohort is open and its application deadline has not passed."""
    return (cohort_state_at(cohort, now).state in CohortMachine.states_that("takes_applications"))


def registration_ahead(cohort: Cohort, now: datetime) -> bool:
    """True while accepted applicants may still register: before the deadline, cohort deciding."""
    return (now < cohort.registration_deadline_at
            and cohort_state_at(cohort, now).state in CohortMachine.states_that("takes_decisions"))


def closed_message(cohort: Cohort, now: datetime) -> str:
    """Why the cohort takes no applications, in words."""
    if cohort.state not in CohortMachine.states_that("public"):
        return "Applications for this cohort have not opened yet."
    if now >= cohort.applications_close_at or not applications_open(cohort, now):
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


def _tell_owner_of_repeat(session: Session, existing: Enrollment, now: datetime) -> None:
    """E-mail the stored address that someone applied again with it (at most hourly)."""
    recent = session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.enrollment_id == existing.id,
            OutboxMessage.kind == "application_repeated",
            OutboxMessage.created_at > now - REPEAT_NOTICE_INTERVAL,
        ).limit(1)
    )
    if recent is None:
        queue_mail(session, kind="application_repeated", to=existing.person.email, now=now,
                   enrollment_id=existing.id, enrollment=existing, cohort=existing.cohort,
                   person=existing.person, attempted_at=now,
                   status_url=status_url(existing.status_token))


def _new_enrollment(session: Session, cohort: Cohort, data: ApplicationData, typed: str,
                    key: str, now: datetime) -> tuple[Row[Any], Row[Any] | None]:
    """The person (found by key, or made from what was typed: id, email, name) and their new
    enrollment (id, status_token, time_zone), or None when they already applied to this cohort.
    A known person is never changed.

    Nothing in the request reads these rows back as objects, so every row is inserted with Core.
    """
    person = insert_new(session, Person, ["email_normalized"], {
        "email": typed, "email_normalized": key, "name": data.full_name, "created_at": now},
        returning=("id", "email", "name"))
    if person is None:
        person = session.execute(select(Person.id, Person.email, Person.name)
                                 .where(Person.email_normalized == key)).one()
    account_id = new_enrollment_account(session, person_id=person.id, currency=cohort.currency,
                                        now=now)
    enrollment = insert_new(session, Enrollment, ["cohort_id", "person_id"], {
        "cohort_id": cohort.id, "person_id": person.id, "account_id": account_id,
        "state": "submitted", "status_token": new_status_token(), "time_zone": data.time_zone,
        "country": data.country, "submitted_at": now, "state_changed_at": now},
        returning=("id", "status_token", "time_zone"))
    if enrollment is None:  # they applied already: their enrollment has its account
        session.connection().execute(delete(BillingAccount.__table__)
                                     .where(BillingAccount.__table__.c.id == account_id))
        return person, None
    insert_row(session, ApplicationAnswers, {
        "enrollment_id": enrollment.id, "full_name": data.full_name,
        "organisation": data.organisation, "role": data.role, "role_title": data.role_title,
        "organisation_size": data.organisation_size, "sector": data.sector,
        "sociocracy_stage": data.sociocracy_stage, "prerequisite": data.prerequisite,
        "prerequisite_details": data.prerequisite_details,
        "hopes_to_bring": data.hopes_to_bring, "hopes_to_gain": data.hopes_to_gain,
        "country": data.country, "time_zone": data.time_zone})
    return person, enrollment


def submit_application(
    session: Session, cohort: Cohort, data: ApplicationData, now: datetime
) -> Submission:
    """Take an application; the answer never tells whether the address was known.

    A new address makes a person. A known address never changes the stored person (name and
    spelling stay as they are, whoever typed the form): the application is attached to them and
    the confirmation goes to the stored address, so only its owner can follow it. The answers keep
    what was typed. If the address already applied to this cohort, nothing is stored and its owner
    is e-mailed their status link instead.
    """
    if not applications_open(cohort, now):
        raise ApplicationsClosed(closed_message(cohort, now))
    typed = mailing_address(data.email)
    key = address_key(typed)
    # Concurrent requests with the same address cannot both insert: the person's key and the
    # (cohort, person) pair are unique, and a taken one inserts nothing (see `insert_new`).
    person, enrollment = _new_enrollment(session, cohort, data, typed, key, now)
    if enrollment is None:
        existing = find_enrollment(session, cohort.id, typed)
        if existing is None:  # the insert has just met it: it cannot be missing
            raise RuntimeError("an application that is there and is not")
        _tell_owner_of_repeat(session, existing, now)
        session.flush()
        return Submission(address=typed, enrollment_id=None)
    insert_row(session, AuditRecord, {
        "occurred_at": now, "actor": f"applicant:{key}", "subject_type": "enrollment",
        "subject_id": enrollment.id, "event": "submit", "from_state": None,
        "to_state": "submitted", "reason": "application submitted"})
    queue_mail(session, kind="application_received", to=person.email, now=now,
               enrollment_id=enrollment.id, enrollment=enrollment, cohort=cohort,
               person=person, status_url=status_url(enrollment.status_token))
    session.flush()
    return Submission(address=typed, enrollment_id=enrollment.id)
