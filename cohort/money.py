"""Money as integer minor units (cents) plus an ISO 4217 currency code. Never floats."""

from __future__ import annotations

from dataclasses import dataclass
from functools import total_ordering

BASIS_POINTS = 10_000  # 100 % in basis points: 2500 bp is 25 %

SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "EUR": "€", "GBP": "£"}


class CurrencyMismatch(ValueError):
    """Arithmetic across two currencies."""


@total_ordering
@dataclass(frozen=True)
class Money:
    """An amount in cents of one currency."""

    cents: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError(f"Money needs integer cents, got {self.cents!r}")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.cents < other.cents

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents - other.cents, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def percent(self, basis_points: int) -> Money:
        """Return `basis_points`/10000 of this amount, rounded half away from zero to the cent.

        The rounding rule: exact integer arithmetic, then a remainder of half a cent or more
        rounds away from zero. 25 % of USD 1,997.00 is exactly USD 499.25.
        """
        if basis_points < 0:
            raise ValueError("a percentage is given as non-negative basis points")
        numerator = abs(self.cents) * basis_points
        whole, remainder = divmod(numerator, BASIS_POINTS)
        if remainder * 2 >= BASIS_POINTS:
            whole += 1
        return Money(whole if self.cents >= 0 else -whole, self.currency)

    def format(self, *, symbol: bool = True) -> str:
        """Render as e.g. "$1,997.00 USD" (or "USD 1,997.00" without the symbol)."""
        sign = "-" if self.cents < 0 else ""
        whole, cents = divmod(abs(self.cents), 100)
        number = f"{whole:,}.{cents:02d}"
        if symbol and self.currency in SYMBOLS:
            return f"{sign}{SYMBOLS[self.currency]}{number} {self.currency}"
        return f"{sign}{self.currency} {number}"

    def format_short(self) -> str:
        """Render without cents when they are zero, like the seed: "$1,997 USD"."""
        if self.cents % 100 or self.currency not in SYMBOLS:
            return self.format()
        sign = "-" if self.cents < 0 else ""
        return f"{sign}{SYMBOLS[self.currency]}{abs(self.cents) // 100:,} {self.currency}"

    def __str__(self) -> str:
        return self.format()
