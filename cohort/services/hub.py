"""The Customer Hub's door: a link by e-mail, single-use, for 24 hours; then a short hub session.

For the other e-mails of a membership: every subscription invoice and receipt e-mail (and any
other e-mail about a membership) carries the hub's address: `hub_url()`, the absolute address of
`/hub`, which every template can print without its caller passing anything, as
``Manage or cancel your membership: {{ customer_hub_url() }}`` (a Jinja global). The hub asks
for the payment e-mail and sends the personal link there; the address itself is safe to print
in any e-mail (it opens nothing by itself).

How the door works:
- `request_hub_link` answers nobody: the page after asking is the same whether the address is
  known or not. Only for a person with at least one membership is a link stored (its SHA-256,
  never the token) and e-mailed to the address we have on file. Both paths run the same queries,
  render the same e-mail and write a record of the request (an audit row: without it the
  member's path, which writes, was ~20 ms slower than the other, which wrote nothing). What
  remains is the member's path's two more rows (the link and the queued e-mail): measured
  through the test client on a shared machine, medians of 150 interleaved requests each were
  46 vs 41 ms on SQLite and 62 vs 53 ms on PostgreSQL.
- At most `LINKS_PER_HOUR` links per person are sent in an hour; further requests are answered
  the same way and send nothing (so the hub cannot be used to flood someone's inbox).
- A link works for `LINK_LIFETIME` (24 h, to the second) and once: `open_hub_link` marks it used
  in one conditional UPDATE, so two clicks at once cannot both open it. It is opened by a POST
  from the page the link shows (a mail scanner that fetches links does not use it up).
- Opening starts a hub session (`HubSession`) that the view keeps in the signed session cookie
  for `SESSION_LIFETIME`; the member's later clicks (cancel, undo, …) use that, not the link.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cohort.addresses import address_key
from cohort.mail.outbox import queue_mail, render_mail
from cohort.models import AuditRecord, HubLink, Membership, Person
from cohort.services import ServiceError

LINK_LIFETIME = timedelta(hours=24)
SESSION_LIFETIME = timedelta(hours=2)
LINKS_PER_HOUR = 5
TOKEN_BYTES = 32
TOKEN_MAX_LENGTH = 64
# The person id used for the queries of an unknown address (no row has it).
NOBODY = -1


class HubLinkUnknown(ServiceError):
    """The link is not one we sent (mistyped or cut short)."""

    status_code = 404


class HubLinkSpent(ServiceError):
    """The link was used already or has expired."""

    status_code = 410


@dataclass(frozen=True)
class HubSession:
    """Who the hub is open for, and until when (kept in the signed session cookie)."""

    person_id: int
    until: datetime

    def open_at(self, now: datetime) -> bool:
        """True while the session lasts."""
        return now < self.until


def hub_url() -> str:
    """The Customer Hub's address, absolute, for e-mails (`/hub`: ask for a personal link)."""
    return f"{current_app.config['BASE_URL']}/hub"


def hub_link_url(token: str) -> str:
    """The personal link to the hub, absolute, as e-mailed."""
    return f"{hub_url()}/{token}"


def token_hash(token: str) -> str:
    """The SHA-256 (hex) stored for a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _member(session: Session, email: str) -> Person | None:
    """The person with this address who has a membership; None otherwise (same two queries)."""
    person = session.scalars(
        select(Person).where(Person.email_normalized == address_key(email))).one_or_none()
    has_membership = session.scalar(
        select(Membership.id).where(Membership.person_id == (person.id if person else NOBODY))
        .limit(1)) is not None
    return person if has_membership else None


def request_hub_link(session: Session, email: str, *, now: datetime) -> None:
    """E-mail a personal hub link if `email` is a member's; tell the caller nothing either way."""
    person = _member(session, email)
    recent = session.scalar(
        select(func.count(HubLink.id)).where(
            HubLink.person_id == (person.id if person else NOBODY),
            HubLink.created_at > now - timedelta(hours=1))) or 0
    token = secrets.token_urlsafe(TOKEN_BYTES)
    context = {"person": person, "link": hub_link_url(token), "expires_at": now + LINK_LIFETIME,
               "time_zone": _zone_of(session, person)}
    sent = person is not None and recent < LINKS_PER_HOUR
    # Written either way: a request leaves the same trace, and costs the same write.
    session.add(AuditRecord(occurred_at=now, actor="visitor", subject_type="hub_link",
                            subject_id=person.id if person else 0, event="request",
                            from_state=None, to_state="sent" if sent else "not_sent"))
    if not sent:
        render_mail("hub_link", **context)  # the same work as queuing it, sent to nobody
        session.flush()
        return
    session.add(HubLink(person_id=person.id, token_hash=token_hash(token), created_at=now,
                        expires_at=now + LINK_LIFETIME))
    queue_mail(session, kind="hub_link", to=person.email, now=now, **context)
    session.flush()


def _zone_of(session: Session, person: Person | None) -> str:
    """The time zone to state the link's expiry in: the member's newest membership's."""
    zone = session.scalar(
        select(Membership.time_zone).where(Membership.person_id == (person.id if person
                                                                    else NOBODY))
        .order_by(Membership.id.desc()).limit(1))
    return zone or "UTC"


def link_state(session: Session, token: str, *, now: datetime) -> HubLink:
    """The link behind `token` if it can still be opened; refuses with words otherwise."""
    link = _link(session, token)
    _check_usable(link, now)
    return link


def _link(session: Session, token: str) -> HubLink:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise HubLinkUnknown(_UNKNOWN)
    link = session.scalars(select(HubLink).where(
        HubLink.token_hash == token_hash(token))).one_or_none()
    if link is None:
        raise HubLinkUnknown(_UNKNOWN)
    return link


_UNKNOWN = ("This hub link is not valid: it may have been cut short. Open the link from the "
            "e-mail again, or ask for a new one.")


def _check_usable(link: HubLink, now: datetime) -> None:
    if link.used_at is not None:
        raise HubLinkSpent("This hub link has been used already: each link opens the hub once. "
                           "Ask for a new one below; it comes by e-mail in a minute.")
    if now >= link.expires_at:
        raise HubLinkSpent("This hub link has expired: links work for 24 hours. Ask for a new "
                           "one below; it comes by e-mail in a minute.")


def open_hub_link(session: Session, token: str, *, now: datetime) -> HubSession:
    """Use the link up (once, before it expires) and start a hub session for its person."""
    link = _link(session, token)
    _check_usable(link, now)
    used = session.execute(
        update(HubLink)
        .where(HubLink.id == link.id, HubLink.used_at.is_(None), HubLink.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    if used.rowcount != 1:  # someone opened it in the moment between
        session.refresh(link)
        _check_usable(link, now)
        raise HubLinkSpent("This hub link has been used already. Ask for a new one below.")
    session.flush()
    return HubSession(person_id=link.person_id, until=now + SESSION_LIFETIME)
