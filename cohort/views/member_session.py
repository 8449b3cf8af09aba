"""Who is looking at the members' area: a browser session opened from a private link.

A status link (cohort participants) opens it here; the Customer Hub's session, kept in the same
shape under its own key, opens it too. Either lasts a few hours in the signed session cookie.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import session

from cohort.clock import now

MEMBER_KEY = "member"
HUB_KEY = "hub"
LASTS = timedelta(hours=2)


def start_member_session(person_id: int, moment: datetime) -> None:
    """Let this browser into the person's members' area for the next two hours."""
    session[MEMBER_KEY] = {"person": person_id, "until": (moment + LASTS).isoformat()}


def member_person_id() -> int | None:
    """The person whose area this browser may see now, if any."""
    moment = now()
    for key in (MEMBER_KEY, HUB_KEY):
        kept = session.get(key)
        if not isinstance(kept, dict):
            continue
        try:
            person_id, until = int(kept["person"]), datetime.fromisoformat(str(kept["until"]))
        except (KeyError, TypeError, ValueError):
            continue
        if until.tzinfo is not None and moment < until:
            return person_id
    return None
