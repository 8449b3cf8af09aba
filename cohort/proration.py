"""What is left of a paid period at an instant: the Lounge → PRO upgrade's refund, to the cent.

The rule (also in the README): a member who moves from the Practitioner's Lounge to PRO never
pays twice for the same days. When their PRO subscription starts, at instant `at`, the Lounge
membership ends at that same instant, and the unused part of the Lounge period they paid for is
refunded to them:

    unused = price × (period_end − at) ÷ (period_end − period_start)

with both durations measured exactly (to the microsecond, the resolution of stored instants)
and the quotient rounded **up** to the cent, so the member never pays even a fraction of a cent
for time they did not use. At the period's start the whole price comes back; at its end (or
after) nothing does; before its start (a period not yet begun) the whole price.

Instants are UTC: a period's length is the real time between its two instants, so daylight
saving never changes it, and a leap year's February simply makes a longer month.

Pure Python: no Flask, no database; integers and `fractions.Fraction`, never floats.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

MICROSECOND = timedelta(microseconds=1)


def _microseconds(span: timedelta) -> int:
    return span // MICROSECOND


def _check_instant(name: str, instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware instant (UTC), not a naive datetime")


def unused_fraction(period_start: datetime, period_end: datetime, at: datetime) -> Fraction:
    """The exact share of the period [period_start, period_end) still ahead at `at` (0 to 1)."""
    for name, instant in (("period_start", period_start), ("period_end", period_end),
                          ("at", at)):
        _check_instant(name, instant)
    length = _microseconds(period_end - period_start)
    if length <= 0:
        raise ValueError("a paid period must end after it starts")
    remaining = _microseconds(period_end - max(at, period_start))
    return Fraction(min(max(remaining, 0), length), length)


def unused_value(price_cents: int, period_start: datetime, period_end: datetime,
                 at: datetime) -> int:
    """Cents of `price_cents` not yet used at `at`: the exact pro-rata share, rounded up."""
    if price_cents < 0:
        raise ValueError("a price is never negative")
    share = price_cents * unused_fraction(period_start, period_end, at)
    return -(-share.numerator // share.denominator)  # the ceiling, in integers
