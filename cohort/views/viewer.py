"""The visitor's chosen time zone: ?tz=… or the remembered cookie; the browser's by default."""

from __future__ import annotations

from flask import Response, request

from cohort.schedule import is_zone

ZONE_COOKIE = "tz"
ONE_YEAR = 365 * 24 * 3600


def chosen_zone(default: str) -> tuple[str, bool]:
    """(zone, chosen) — chosen is False when nothing valid was given and `default` is used."""
    for candidate in (request.args.get("tz", ""), request.cookies.get(ZONE_COOKIE, "")):
        if is_zone(candidate):
            return candidate, True
    return default, False


def remember_zone(response: Response) -> Response:
    """Keep a zone picked with ?tz= for later visits."""
    picked = request.args.get("tz", "")
    if is_zone(picked):
        response.set_cookie(ZONE_COOKIE, picked, max_age=ONE_YEAR, samesite="Lax",
                            httponly=False, secure=request.is_secure)
    return response
