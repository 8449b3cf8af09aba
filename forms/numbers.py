"""Numbers people type into forms: plain ASCII digits only, read without `Decimal` or `int()`.

`Decimal("1E+2")`, `Decimal("١٠٠")` and `int("١٠٠")` all succeed, and `Decimal("1e999999")`
cannot be rounded to the cent: every amount, percentage and count a form reads goes through here.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms import IntegerField

from cohort.models.base import MAX_ROW_ID

# 1997, 1,997, 1997.5, 1,997.00 — optional leading "$"; commas only between groups of three.
AMOUNT = re.compile(r"\$?((?:[0-9]{1,3}(?:,[0-9]{3})+)|[0-9]+)(?:\.([0-9]{1,2}))?")
PERCENT = re.compile(r"([0-9]{1,3})(?:\.([0-9]{1,2}))?")
WHOLE = re.compile(r"[0-9]{1,9}")
WHOLE_ID = re.compile(r"[0-9]{1,10}")
MAX_CENTS = 100_000_000  # USD 1,000,000
AMOUNT_MESSAGE = ("Please give an amount in digits such as 1,997.00 "
                  "(at most two decimals, no letters or exponents).")


def _hundredths(whole: str, fraction: str | None) -> int:
    return int(whole.replace(",", "")) * 100 + int((fraction or "").ljust(2, "0"))


def parse_cents(text: str) -> int:
    """'1,997.00' → 199700; only ASCII digits, thousands commas and at most two decimals."""
    cleaned = (text or "").strip()
    match = AMOUNT.fullmatch(cleaned) if len(cleaned) <= 20 else None
    if match is None:
        raise ValueError(AMOUNT_MESSAGE)
    cents = _hundredths(*match.groups())
    if cents > MAX_CENTS:
        raise ValueError(f"That amount is too large (at most {MAX_CENTS // 100:,}.00).")
    return cents


def parse_basis_points(text: str) -> int:
    """'25' or '12.5' (a percentage) → 2500 or 1250 basis points; 0 to 100 only."""
    match = PERCENT.fullmatch((text or "").strip())
    if match is None:
        raise ValueError("Please give a percentage in digits such as 25 or 12.5.")
    points = _hundredths(*match.groups())
    if points > 10_000:
        raise ValueError("Between 0 and 100, at most two decimals.")
    return points


def row_id(value: Any) -> int:
    """A row id ticked in a form ('12' → 12); ValueError unless digits naming a possible row."""
    text = value.strip() if isinstance(value, str) else str(value)
    if not WHOLE_ID.fullmatch(text) or int(text) > MAX_ROW_ID:
        raise ValueError("That is not one of the rows shown.")
    return int(text)


class WholeNumberField(IntegerField):
    """An IntegerField that reads only ASCII digits (WTForms' `int()` takes '١٠' and '1_0')."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """The submitted text as an int, or a message beside the field."""
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        if not WHOLE.fullmatch(text):
            self.data = None
            raise ValueError("Please give a whole number in digits, such as 12.")
        self.data = int(text)
