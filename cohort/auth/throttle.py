"""Sign-in throttling that slows guessing without letting a stranger lock the owner out.

Failures are counted per (account, remote address) pair over the last day. The first few
failures of a pair cost nothing; after them each further attempt from that address to that
account must wait, twice as long each time (1, 2, 4, 8 minutes, then the window: 15 minutes
unless configured), counted from the pair's last failure. Because the address is part of the
pair, someone guessing from elsewhere slows only themselves: the owner, from their own network,
signs in as usual. A pair's count starts again after a successful sign-in from it.

Separately, an address with too many failures across all accounts in the window is paused until
they fall out of it (one address cannot spread its guesses over many accounts). A refused attempt is
not counted, so waiting always helps.
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

DEFAULT_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
DEFAULT_FAILURES_PER_ADDRESS = 20
DEFAULT_WINDOW_MINUTES = 15
FIRST_DELAY = timedelta(minutes=1)
PAIR_MEMORY = timedelta(days=1)


class LoginThrottled(ServiceError):
    """Too many failed sign-ins recently; `retry_at` says when trying again can succeed."""

    status_code = 429

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


@dataclass(frozen=True)
class ThrottleLimits:
    """How many failures cost nothing, how many pause an address, in how long."""

    per_account_and_address: int = DEFAULT_FAILURES_PER_ACCOUNT_AND_ADDRESS
    per_address: int = DEFAULT_FAILURES_PER_ADDRESS
    window: timedelta = timedelta(minutes=DEFAULT_WINDOW_MINUTES)
    first_delay: timedelta = FIRST_DELAY
    pair_memory: timedelta = PAIR_MEMORY

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ThrottleLimits:
        """The limits in a Flask config (LOGIN_FAILURES_PER_ADDRESS, …), defaults for the rest."""
        return cls(
            per_account_and_address=int(config.get("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS") or
                                        DEFAULT_FAILURES_PER_ACCOUNT_AND_ADDRESS),
            per_address=int(config.get("LOGIN_FAILURES_PER_ADDRESS") or
                            DEFAULT_FAILURES_PER_ADDRESS),
            window=timedelta(minutes=int(config.get("LOGIN_THROTTLE_WINDOW_MINUTES") or
                                         DEFAULT_WINDOW_MINUTES)),
        )

    def delay_after(self, failures: int) -> timedelta:
        """How long a pair with this many recent failures waits after its last one."""
        if failures < self.per_account_and_address:
            return timedelta(0)
        doublings = min(failures - self.per_account_and_address, 30)
        return min(self.window, self.first_delay * 2 ** doublings)


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
    pair = (LoginAttempt.email_normalized == email_normalized,
            LoginAttempt.remote_addr == remote_addr)
    last_success = session.scalar(
        select(func.max(LoginAttempt.occurred_at))
        .where(*pair, LoginAttempt.succeeded.is_(True))
    )
    remembered = now - limits.pair_memory
    pair_failures = _failures(session, *pair,
                              LoginAttempt.occurred_at > max(remembered,
                                                             last_success or remembered))
    pair_at = (pair_failures[-1] + limits.delay_after(len(pair_failures))
               if pair_failures else None)
    if pair_at is not None and pair_at <= now:
        pair_at = None
    address_at = _free_again_at(
        _failures(session, LoginAttempt.remote_addr == remote_addr,
                  LoginAttempt.occurred_at > since),
        limits.per_address, limits.window)
    if address_at is not None and (pair_at is None or address_at >= pair_at):
        raise LoginThrottled(
            "There have been too many failed sign-in attempts from your network, so signing in "
            f"from it is paused. Please try again in {wait_in_words(address_at - now)}.",
            address_at)
    if pair_at is not None:
        raise LoginThrottled(
            "There have been several failed sign-in attempts for this e-mail address from your "
            "network, so each new attempt has to wait a little longer than the last. Please try "
            f"again in {wait_in_words(pair_at - now)}.",
            pair_at)


def record_attempt(session: Session, email_normalized: str, remote_addr: str, now: datetime,
                   *, succeeded: bool) -> None:
    """Remember one sign-in attempt (the caller commits it, even when the sign-in failed)."""
    session.add(LoginAttempt(occurred_at=now, email_normalized=email_normalized[:254],
                             remote_addr=remote_addr[:64], succeeded=succeeded))
