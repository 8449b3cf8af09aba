"""Registration: billing details and explicit agreement to the versioned cancellation policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import Enrollment, Registration
from cohort.schedule import format_deadline
from cohort.services import ServiceError
from workflows import EnrollmentMachine


class RegistrationClosed(ServiceError):
    """Registration is not possible for this enrollment now."""

    status_code = 403


class PolicyChanged(ServiceError):
    """The policy changed while the form was open; it must be read and agreed again."""

    status_code = 409


@dataclass(frozen=True)
class BillingDetails:
    """What the registration form collects (already shape-checked)."""

    billing_name: str
    organisation: str
    address: str
    country: str
    tax_id: str
    policy_version: int


def rebate_eligible(enrollment: Enrollment, country: str) -> bool:
    """The cohort's rebate rule covers this billing country."""
    rule = enrollment.cohort.rebate_rule or {}
    return country in rule.get("countries", []) and int(rule.get("basis_points", 0)) > 0


def registration_open(enrollment: Enrollment, now: datetime) -> str:
    """Empty when the enrollment may register now, else the reason in words."""
    cohort = enrollment.cohort
    if now >= cohort.registration_deadline_at:
        when = format_deadline(cohort.registration_deadline_at, cohort.time_zone)
        return f"Registration closed on {when} ({cohort.zone_label})."
    if enrollment.state not in EnrollmentMachine.sources("register"):
        return f"Registration is for accepted applicants; this application is {enrollment.state}."
    return ""


def registration_of(session: Session, enrollment: Enrollment) -> Registration | None:
    """The enrollment's registration, if any."""
    return session.scalars(
        select(Registration).where(Registration.enrollment_id == enrollment.id)
    ).one_or_none()


def save_registration(session: Session, enrollment: Enrollment, details: BillingDetails,
                      now: datetime) -> Registration:
    """Store billing details and the agreements (with time and policy version)."""
    problem = registration_open(enrollment, now)
    if problem:
        raise RegistrationClosed(problem)
    policy = enrollment.cohort.cancellation_policy
    if details.policy_version != policy["version"]:
        raise PolicyChanged("The cancellation policy changed while you were reading it. "
                            "Please read the current version and agree to it again.")
    registration = registration_of(session, enrollment)
    if registration is None:
        registration = Registration(enrollment_id=enrollment.id, created_at=now)
        session.add(registration)
    registration.billing_name = details.billing_name
    registration.organisation = details.organisation
    registration.address = details.address
    registration.country = details.country
    registration.tax_id = details.tax_id
    registration.policy_version = policy["version"]
    registration.policy_text = policy["text"]
    registration.policy_agreed_at = now
    registration.terms_agreed_at = now
    registration.rebate_eligible = rebate_eligible(enrollment, details.country)
    registration.updated_at = now
    session.flush()
    return registration
