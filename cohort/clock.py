"""The one clock: every "now" in the service comes from here.

`COHORT_NOW` (an ISO-8601 instant) freezes the clock, so demos and tests can live "as of" a date.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


class ClockError(ValueError):
    """A clock setting that is not an ISO-8601 instant with an offset."""


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 instant; it must carry an offset ("Z" or "+hh:mm")."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ClockError(f"not an ISO-8601 instant: {text!r}") from exc
    if value.tzinfo is None:
        raise ClockError(f"an instant needs an offset, e.g. 2024-01-10T12:00:00-08:00: {text!r}")
    return value.astimezone(UTC)


class Clock:
    """Tells the current UTC instant; frozen when built with `frozen_at`."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        if frozen_at is not None and frozen_at.tzinfo is None:
            raise ClockError("a frozen instant needs a time zone")
        self.frozen_at = frozen_at.astimezone(UTC) if frozen_at else None

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return self.frozen_at if self.frozen_at is not None else datetime.now(UTC)

    @classmethod
    def from_setting(cls, setting: str | None) -> Clock:
        """Build the clock from the `COHORT_NOW` setting (empty: the real time)."""
        return cls(parse_instant(setting) if setting else None)


def now() -> datetime:
    """Return the current instant from the application's clock."""
    clock: Clock = current_app.extensions["cohort.clock"]
    return clock.now()
