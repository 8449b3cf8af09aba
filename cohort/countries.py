"""The ISO 3166-1 country list, from pycountry."""

from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def country_choices() -> tuple[tuple[str, str], ...]:
    """(alpha-2 code, common name) pairs sorted by name."""
    pairs = [(c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries]
    return tuple(sorted(pairs, key=lambda pair: pair[1]))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return dict(country_choices())


def country_name(code: str) -> str:
    """The name of an alpha-2 code ('AU' → 'Australia'); the code itself if unknown."""
    return _names().get(code, code)


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code."""
    return code in _names()
