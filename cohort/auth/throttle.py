"""Sign-in throttling: too many failures per account or per address pause sign-in for a while.

Failures are counted in a rolling window (15 minutes unless configured). An account's count starts
again after a successful sign-in; an address's does not, so one known password cannot be used to
keep guessing others. A refused attempt is not counted, so waiting always helps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cohort.models import LoginAttempt
from cohort.services import ServiceError

DEFAULT_FAILURES_PER_ACCOUNT = 5
DEFAULT_FAILURES_PER_ADDRESS = 20
DEFAULT_WINDOW_MINUTES = 15


class LoginThrottled(ServiceError):
    """Too many failed sign-ins recently; `retry_at` says when trying again can succeed."""

    status_code = 429

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


@dataclass(frozen=True)
class ThrottleLimits:
    """How many failures are allowed in how long."""

    per_account: int = DEFAULT_FAILURES_PER_ACCOUNT
    per_address: int = DEFAULT_FAILURES_PER_ADDRESS
    window: timedelta = timedelta(minutes=DEFAULT_WINDOW_MINUTES)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ThrottleLimits:
        """The limits in a Flask config (LOGIN_FAILURES_PER_ACCOUNT, …), defaults for the rest."""
        return cls(
            per_account=int(config.get("LOGIN_FAILURES_PER_ACCOUNT") or
                            DEFAULT_FAILURES_PER_ACCOUNT),
            per_address=int(config.get("LOGIN_FAILURES_PER_ADDRESS") or
                            DEFAULT_FAILURES_PER_ADDRESS),
            window=timedelta(minutes=int(config.get("LOGIN_THROTTLE_WINDOW_MINUTES") or
                                         DEFAULT_WINDOW_MINUTES)),
        )


def current_limits() -> ThrottleLimits:
    """The running application's limits, or the defaults outside an application."""
    return ThrottleLimits.from_config(current_app.config) if has_app_context() else ThrottleLimits()


def wait_in_words(wait: timedelta) -> str:
    """A wait as a person says it: "1 minute", "14 minutes", "1 hour and 5 minutes"."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " and ".join(parts)


def _failures(session: Session, *conditions: Any) -> list[datetime]:
    return list(session.scalars(
        select(LoginAttempt.occurred_at)
        .where(LoginAttempt.succeeded.is_(False), *conditions)
        .order_by(LoginAttempt.occurred_at)
    ))


def _free_again_at(failures: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """When fewer than `limit` of these failures remain in the window, if that is not now."""
    if len(failures) < limit:
        return None
    return failures[len(failures) - limit] + window


def check_allowed(session: Session, email_normalized: str, remote_addr: str, now: datetime,
                  limits: ThrottleLimits) -> None:
    """Raise `LoginThrottled` (saying when to try again) if this sign-in must not be tried now."""
    since = now - limits.window
    last_success = session.scalar(
        select(func.max(LoginAttempt.occurred_at))
        .where(LoginAttempt.email_normalized == email_normalized,
               LoginAttempt.succeeded.is_(True), LoginAttempt.occurred_at > since)
    )
    account_since = max(since, last_success) if last_success else since
    account_at = _free_again_at(
        _failures(session, LoginAttempt.email_normalized == email_normalized,
                  LoginAttempt.occurred_at > account_since),
        limits.per_account, limits.window)
    address_at = _free_again_at(
        _failures(session, LoginAttempt.remote_addr == remote_addr,
                  LoginAttempt.occurred_at > since),
        limits.per_address, limits.window)
    if address_at is not None and (account_at is None or address_at >= account_at):
        raise LoginThrottled(
            "There have been too many failed sign-in attempts from your network, so signing in "
            f"from it is paused. Please try again in {wait_in_words(address_at - now)}.",
            address_at)
    if account_at is not None:
        raise LoginThrottled(
            "There have been too many failed sign-in attempts for this e-mail address, so "
            "signing in to it is paused to protect the account. Please try again in "
            f"{wait_in_words(account_at - now)}.",
            account_at)


def record_attempt(session: Session, email_normalized: str, remote_addr: str, now: datetime,
                   *, succeeded: bool) -> None:
    """Remember one sign-in attempt (the caller commits it, even when the sign-in failed)."""
    session.add(LoginAttempt(occurred_at=now, email_normalized=email_normalized[:254],
                             remote_addr=remote_addr[:64], succeeded=succeeded))
