"""Staff accounts: create them, sign in, change passwords, deactivate. Never commits."""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cohort.addresses import EMAIL_MAX_LENGTH, mailing_address
from cohort.addresses import address_key as normalize_email
from cohort.auth.passwords import (
    hash_password,
    needs_rehash,
    spend_verification_time,
    verify_password,
)
from cohort.auth.throttle import ThrottleLimits, check_allowed, current_limits, record_attempt
from cohort.models import STAFF_ROLES, StaffUser
from cohort.services import ServiceError
from cohort.text_rules import invisible_character_problem

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256
NAME_MAX_LENGTH = 120


class StaffAccountInvalid(ServiceError):
    """The details of a staff account are not acceptable."""

    status_code = 422


class DuplicateStaffAccount(ServiceError):
    """There is already a staff account with this e-mail address."""


class StaffAccountNotFound(ServiceError):
    """No staff account has this e-mail address."""

    status_code = 404


class SignInRefused(ServiceError):
    """The e-mail address and password do not open an account."""

    status_code = 401


class AccountDeactivated(SignInRefused):
    """The password is right but the account has been deactivated."""

    status_code = 403


WRONG_CREDENTIALS = ("That e-mail address and password do not match a staff account. "
                     "Check both and try again.")


def check_password_rules(password: str) -> None:
    """Raise `StaffAccountInvalid` unless the password is long enough (and not absurdly long)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise StaffAccountInvalid(
            f"The password must be at least {PASSWORD_MIN_LENGTH} characters long; "
            "a few unrelated words make a good one.")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise StaffAccountInvalid(
            f"The password must be at most {PASSWORD_MAX_LENGTH} characters long.")


def _checked_email(email: str) -> str:
    email = email.strip()
    if len(email) > EMAIL_MAX_LENGTH:
        raise StaffAccountInvalid(f"The e-mail address must be at most {EMAIL_MAX_LENGTH} "
                                  "characters long.")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise StaffAccountInvalid(
            f"{email!r} does not look like an e-mail address (name@example.org).") from None
    return mailing_address(email)


def staff_user_by_email(session: Session, email: str) -> StaffUser | None:
    """The staff account with this e-mail address (in any spelling), if any."""
    return session.scalars(
        select(StaffUser).where(StaffUser.email_normalized == normalize_email(email))
    ).one_or_none()


def _existing(session: Session, email: str) -> StaffUser:
    user = staff_user_by_email(session, email)
    if user is None:
        raise StaffAccountNotFound(f"There is no staff account for {email.strip()}.")
    return user


def staff_users(session: Session) -> list[StaffUser]:
    """Every staff account, by role then e-mail address."""
    return list(session.scalars(
        select(StaffUser).order_by(StaffUser.role, StaffUser.email_normalized)))


def create_staff_user(session: Session, email: str, name: str, role: str, password: str,
                      now: datetime) -> StaffUser:
    """Create an active staff account after checking every detail; refuses a known address."""
    if role not in STAFF_ROLES:
        raise StaffAccountInvalid(
            f"The role must be one of {', '.join(STAFF_ROLES)}, not {role!r}.")
    email = _checked_email(email)
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise StaffAccountInvalid(f"The name must be between 1 and {NAME_MAX_LENGTH} characters.")
    problem = invisible_character_problem(name, single_line=True)
    if problem:
        raise StaffAccountInvalid(f"The name: {problem[0].lower()}{problem[1:]}")
    check_password_rules(password)
    duplicate = DuplicateStaffAccount(f"There is already a staff account for {email}. "
                                      "Nothing was changed.")
    if staff_user_by_email(session, email) is not None:
        raise duplicate
    user = StaffUser(email=email, email_normalized=normalize_email(email), name=name, role=role,
                     password_hash=hash_password(password), active=True, created_at=now)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        # Someone created the same account between our check and our insert.
        raise duplicate from None
    return user


def end_sessions(session: Session, user: StaffUser) -> None:
    """End every session of this account (each one's next request finds itself signed out)."""
    user.session_version += 1
    session.flush()


def set_password(session: Session, email: str, password: str) -> StaffUser:
    """Give the account a new password; every session of it ends."""
    user = _existing(session, email)
    check_password_rules(password)
    user.password_hash = hash_password(password)
    end_sessions(session, user)
    return user


def deactivate_staff_user(session: Session, email: str) -> StaffUser:
    """Stop the account from signing in; every session of it ends at its next request."""
    user = _existing(session, email)
    user.active = False
    end_sessions(session, user)
    return user


def authenticate(session: Session, email: str, password: str, remote_addr: str, now: datetime,
                 limits: ThrottleLimits | None = None) -> StaffUser:
    """The staff user these credentials open, or a `ServiceError` that says why not.

    Every attempt is recorded (the caller commits even on refusal). A throttled attempt is refused
    before the password is looked at; unknown addresses and wrong passwords get the same answer.
    """
    normalized = normalize_email(email)[:EMAIL_MAX_LENGTH]
    remote_addr = (remote_addr or "unknown")[:64]
    check_allowed(session, normalized, remote_addr, now, limits or current_limits())
    user = session.scalars(
        select(StaffUser).where(StaffUser.email_normalized == normalized)
    ).one_or_none()
    if user is None:
        spend_verification_time(password)
        record_attempt(session, normalized, remote_addr, now, succeeded=False)
        raise SignInRefused(WRONG_CREDENTIALS)
    if not verify_password(user.password_hash, password):
        record_attempt(session, normalized, remote_addr, now, succeeded=False)
        raise SignInRefused(WRONG_CREDENTIALS)
    if not user.active:
        record_attempt(session, normalized, remote_addr, now, succeeded=False)
        raise AccountDeactivated("This staff account has been deactivated. "
                                 "Ask an administrator if you need it again.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    record_attempt(session, normalized, remote_addr, now, succeeded=True)
    session.flush()
    return user
