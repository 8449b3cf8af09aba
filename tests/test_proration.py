"""The Lounge → PRO upgrade refunds the unused Lounge time, to the cent (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.proration import unused_fraction, unused_value

PROPERTIES = settings(max_examples=300, deadline=None, database=None, derandomize=True)

MONTH_START = datetime(2026, 3, 1, tzinfo=UTC)
MONTH_END = datetime(2026, 4, 1, tzinfo=UTC)  # 31 days


def _plus_months(start: datetime, months: int) -> datetime:
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1)


instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 12, 31),
                        timezones=st.just(UTC))
prices = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def periods(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """A monthly or yearly period starting at any instant of the first 28 days of a month."""
    start = draw(instants).replace(day=draw(st.integers(1, 28)))
    return start, _plus_months(start, draw(st.sampled_from([1, 12])))


@PROPERTIES
@given(price=prices, period=periods(), offset=st.floats(0, 1))
def test_the_refund_never_exceeds_the_price_and_never_goes_below_zero(price, period, offset):
    start, end = period
    at = start + (end - start) * offset
    assert 0 <= unused_value(price, start, end, at) <= price


@PROPERTIES
@given(price=prices, period=periods(), offset=st.floats(0, 1))
def test_the_member_pays_at_most_the_exact_share_of_the_time_used_and_less_than_a_cent_under(
        price, period, offset):
    start, end = period
    at = start + (end - start) * offset
    used_exactly = price * (1 - unused_fraction(start, end, at))
    paid = price - unused_value(price, start, end, at)
    assert paid <= used_exactly < paid + 1


@PROPERTIES
@given(price=prices, period=periods())
def test_the_whole_price_comes_back_at_the_start_and_nothing_at_the_end(price, period):
    start, end = period
    assert unused_value(price, start, end, start) == price
    assert unused_value(price, start, end, end) == 0
    assert unused_value(price, start, end, end + timedelta(days=3)) == 0
    assert unused_value(price, start, end, start - timedelta(days=3)) == price


@PROPERTIES
@given(price=prices, period=periods(), a=st.floats(0, 1), b=st.floats(0, 1))
def test_the_later_the_upgrade_the_smaller_the_refund(price, period, a, b):
    start, end = period
    early, late = sorted([start + (end - start) * a, start + (end - start) * b])
    assert unused_value(price, start, end, early) >= unused_value(price, start, end, late)


def test_a_monthly_lounge_upgraded_after_ten_days_of_thirty_one_refunds_twenty_one_days():
    # 2,000 cents × 21/31 = 1,354.838… → 1,355 (rounded up: the member's favour).
    assert unused_value(2_000, MONTH_START, MONTH_END, MONTH_START + timedelta(days=10)) == 1_355


def test_one_second_into_a_month_refunds_all_but_a_fraction_of_a_cent():
    assert unused_value(2_000, MONTH_START, MONTH_END, MONTH_START + timedelta(seconds=1)) \
        == 2_000
    # One second before the end, 2,000 × 1/2,678,400 of a cent is still owed back: one cent.
    assert unused_value(2_000, MONTH_START, MONTH_END, MONTH_END - timedelta(seconds=1)) == 1


def test_halfway_through_a_yearly_lounge_refunds_half_to_the_cent():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert unused_value(20_000, start, end, start + (end - start) / 2) == 10_000
    assert unused_value(20_001, start, end, start + (end - start) / 2) == 10_001  # 10,000.5 up


def test_a_leap_year_counts_its_extra_day():
    # 2028 is a leap year: 366 days; after 100 days, 266/366 of 36,600 cents is exactly 26,600.
    start, end = datetime(2028, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)
    assert unused_value(36_600, start, end, start + timedelta(days=100)) == 26_600
    # The same 100 days of a 365-day year leave 265/365 of 36,500: exactly 26,500.
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    assert unused_value(36_500, start, end, start + timedelta(days=100)) == 26_500


def test_february_of_a_leap_year_is_a_29_day_month():
    start, end = datetime(2028, 2, 1, tzinfo=UTC), datetime(2028, 3, 1, tzinfo=UTC)
    assert unused_fraction(start, end, start + timedelta(days=28)) == Fraction(1, 29)
    assert unused_value(2_900, start, end, start + timedelta(days=28)) == 100


def test_daylight_saving_changes_nothing_because_instants_are_compared_as_instants():
    berlin_winter, berlin_summer = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))
    start = datetime(2026, 3, 1, 1, 0, tzinfo=berlin_winter)  # 00:00 UTC
    end = datetime(2026, 4, 1, 2, 0, tzinfo=berlin_summer)  # 00:00 UTC, after the clocks moved
    at = datetime(2026, 3, 29, 4, 0, tzinfo=berlin_summer)  # 02:00 UTC on the change's day
    in_utc = [i.astimezone(UTC) for i in (start, end, at)]
    assert unused_value(2_000, start, end, at) == unused_value(2_000, *in_utc)


def test_naive_instants_and_empty_periods_are_refused():
    naive = datetime(2026, 3, 10)
    with pytest.raises(ValueError, match="aware"):
        unused_value(2_000, MONTH_START, MONTH_END, naive)
    with pytest.raises(ValueError, match="end after it starts"):
        unused_value(2_000, MONTH_START, MONTH_START, MONTH_START)
    with pytest.raises(ValueError, match="never negative"):
        unused_value(-1, MONTH_START, MONTH_END, MONTH_START)
