"""A person's private calendar feed: get a link, replace it (the old one stops), find by link.

The link's token is an HMAC of the feed's salt under the application's secret, so the page can
show it again; the database holds only the salt and the token's SHA-256, which open nothing alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import CalendarFeed

TOKEN_LENGTH = 43  # URL-safe base64 of 32 bytes, unpadded


def _token(secret: str, feed: CalendarFeed) -> str:
    mac = hmac.new(secret.encode(), f"calendar-feed:{feed.person_id}:{feed.salt}".encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(session: Session, person_id: int, secret: str) -> str | None:
    """The person's current feed token, or None before they asked for one (or after the
    application's secret changed, which retires every link)."""
    feed = session.scalars(select(CalendarFeed).where(CalendarFeed.person_id == person_id)
                           ).one_or_none()
    if feed is None:
        return None
    token = _token(secret, feed)
    return token if hmac.compare_digest(_hash(token), feed.token_hash) else None


def new_feed_link(session: Session, person_id: int, secret: str, now: datetime) -> str:
    """Make the person's feed link, or replace it: the previous link answers 404 from now on."""
    feed = session.scalars(select(CalendarFeed).where(CalendarFeed.person_id == person_id)
                           .with_for_update()).one_or_none()
    if feed is None:
        feed = CalendarFeed(person_id=person_id, created_at=now)
        session.add(feed)
    feed.salt = secrets.token_hex(16)
    feed.rotated_at = now
    token = _token(secret, feed)
    feed.token_hash = _hash(token)
    session.flush()
    return token


def feed_person(session: Session, token: str) -> int | None:
    """The person whose current feed link carries `token`, if any."""
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    return session.scalar(select(CalendarFeed.person_id)
                          .where(CalendarFeed.token_hash == _hash(token)))
