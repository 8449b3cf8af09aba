"""Money: integer cents of one currency, exact percentages, the seed's formatting."""

from decimal import Decimal

import pytest

from cohort.money import CurrencyMismatch, Money

PRICE = Money(199_700, "USD")
DEPOSIT = Money(10_000, "USD")


@pytest.mark.parametrize("cents", [1997.0, 0.5, Decimal("1997"), "199700", True],
                         ids=["float", "fraction", "decimal", "string", "bool"])
def test_money_refuses_anything_but_integer_cents(cents):
    with pytest.raises(TypeError):
        Money(cents, "USD")


@pytest.mark.parametrize("currency", ["usd", "US", "USDX", ""])
def test_money_refuses_a_malformed_currency_code(currency):
    with pytest.raises(ValueError):
        Money(100, currency)


def test_adding_or_subtracting_different_currencies_raises():
    with pytest.raises(CurrencyMismatch):
        _ = PRICE + Money(100, "EUR")
    with pytest.raises(CurrencyMismatch):
        _ = PRICE - Money(100, "CAD")


def test_same_currency_arithmetic_stays_in_cents():
    total, refund = PRICE + DEPOSIT, -DEPOSIT
    assert total == Money(209_700, "USD")
    assert refund == Money(-10_000, "USD")
    assert (PRICE - DEPOSIT).cents == 189_700


def test_remainder_is_price_minus_deposit():
    remainder = PRICE - DEPOSIT
    assert remainder == Money(189_700, "USD")
    assert remainder.format_short() == "$1,897 USD"


def test_format_shows_symbol_thousands_cents_and_code():
    assert PRICE.format() == "$1,997.00 USD"
    assert str(PRICE) == "$1,997.00 USD"
    assert Money(123_456_789, "USD").format() == "$1,234,567.89 USD"
    assert Money(5, "USD").format() == "$0.05 USD"


def test_format_without_symbol_leads_with_the_code():
    assert PRICE.format(symbol=False) == "USD 1,997.00"
    assert Money(1_000, "CHF").format() == "CHF 10.00"


def test_format_short_drops_zero_cents_like_the_seed():
    assert PRICE.format_short() == "$1,997 USD"
    assert DEPOSIT.format_short() == "$100 USD"


def test_format_short_keeps_cents_that_are_not_zero():
    assert Money(199_750, "USD").format_short() == "$1,997.50 USD"


def test_negative_amounts_put_the_sign_before_the_symbol():
    assert Money(-199_700, "USD").format() == "-$1,997.00 USD"
    assert Money(-199_700, "USD").format_short() == "-$1,997 USD"
    assert Money(-5, "USD").format() == "-$0.05 USD"
    assert Money(-49_925, "AUD").format() == "-A$499.25 AUD"


def test_a_quarter_of_the_seed_price_is_exact():
    assert PRICE.percent(2500) == Money(49_925, "USD")
    assert PRICE.percent(2500).format() == "$499.25 USD"


def test_percent_keeps_the_currency():
    assert Money(10_000, "CAD").percent(2500) == Money(2_500, "CAD")


@pytest.mark.parametrize(("cents", "basis_points", "expected"), [
    # remainder exactly 5000/10000 of a cent: half a cent, away from zero
    (1, 5_000, 1),
    (5_000, 1, 1),
    (15_000, 1, 2),
    (199_702, 2_500, 49_926),  # 49,925.5 cents
    (-1, 5_000, -1),
    (-5_000, 1, -1),
    (-15_000, 1, -2),
    (-199_702, 2_500, -49_926),
    # remainder 4999/10000 of a cent: just under half, toward zero
    (1, 4_999, 0),
    (4_999, 1, 0),
    (14_999, 1, 1),
    (-1, 4_999, 0),
    (-4_999, 1, 0),
    (-14_999, 1, -1),
])
def test_percent_rounds_half_a_cent_away_from_zero_and_less_toward_zero(
        cents, basis_points, expected):
    assert Money(cents, "USD").percent(basis_points) == Money(expected, "USD")


def test_percent_of_a_negative_amount_mirrors_the_positive_one():
    for cents in (1, 4_999, 5_000, 15_000, 199_700, 199_702):
        assert Money(-cents, "USD").percent(2_500) == -Money(cents, "USD").percent(2_500)


def test_a_negative_percentage_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        Money(300, "USD").percent(-5000)


def test_amounts_in_different_currencies_cannot_be_compared():
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "USD") < Money(200, "EUR")
    assert Money(100, "USD") < Money(200, "USD")
    assert Money(300, "USD") >= Money(200, "USD")


def test_short_format_of_a_currency_without_symbol_matches_the_long_one():
    assert Money(1000, "CHF").format_short() == "CHF 10.00"
