"""Deliver due outbox messages over SMTP; failures stay queued and are retried with back-off."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from cohort.database import read_only
from cohort.models import OutboxMessage

MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send."""

    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    use_tls: bool = False
    timeout: float = 10.0


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 1, 2, 4 … minutes, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


Attachment = tuple[str, bytes]


def build_email(message: OutboxMessage, sender: str,
                attachments: list[Attachment] | None = None) -> EmailMessage:
    """The RFC 5322 message for an outbox row, with PDF attachments."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email.set_content(message.body_text)
    for filename, data in attachments or []:
        email.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return email


def send_smtp(settings: SmtpSettings, email: EmailMessage) -> None:
    """Send one message over SMTP."""
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(email)


def _due(now: datetime) -> ColumnElement[bool]:
    """Queued and due, or left 'sending' by a sender whose lease ran out (it died)."""
    return or_(
        and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def _claim_next(session: Session, now: datetime) -> int | None:
    """Take the oldest due message for sending and commit the claim; its id, or None.

    On PostgreSQL the row is read `FOR UPDATE SKIP LOCKED`, so senders on several machines
    each take a different message without waiting for one another; SQLite serialises writers
    (every writing transaction begins IMMEDIATE). The claim is a lease: a sender that dies
    holding it leaves the message due again when `claimed_until` has passed.
    """
    query = select(OutboxMessage).where(_due(now)).order_by(OutboxMessage.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    message = session.scalars(query).first()
    if message is None:
        session.rollback()
        return None
    message.status, message.claimed_until = "sending", now + CLAIM_LEASE
    message_id = message.id
    session.commit()
    return message_id


def _record(session: Session, message_id: int, now: datetime, error: str | None) -> bool:
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    message.attempts += 1
    message.claimed_until = None
    if error is None:
        message.status, message.sent_at, message.last_error = "sent", now, ""
    else:
        message.last_error = error[:2000]
        message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "queued"
        message.next_attempt_at = now + retry_delay(message.attempts)
    session.commit()
    return error is None


def render_attachment(session: Session, document_id: int) -> Attachment:
    """An issued document's stored PDF as an attachment (rendered and stored first if need be)."""
    from cohort.invoices.stored import attachment  # WeasyPrint loads only when needed

    return attachment(session, document_id)


def _build(session: Session, message_id: int, sender: str) -> EmailMessage:
    """The claimed message with its attachments, read without taking SQLite's write lock."""
    with read_only():
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        assert message is not None
        email = build_email(message, sender,
                            [render_attachment(session, i) for i in message.attachments or []])
        session.commit()  # no transaction stays open while talking to the SMTP server
    return email


def deliver_due(
    session: Session,
    settings: SmtpSettings,
    now: datetime,
    send: Callable[[SmtpSettings, EmailMessage], None] = send_smtp,
    limit: int = 100,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[int, int]:
    """Send up to `limit` due messages, oldest first, committing each. Returns (sent, failed).

    No transaction is open while talking to the SMTP server. `should_stop` is asked before
    each message: a worker told to stop finishes the message in hand and takes no other.
    """
    sent = failed = 0
    for _ in range(limit):
        if should_stop is not None and should_stop():
            break
        message_id = _claim_next(session, now)
        if message_id is None:
            break
        try:
            send(settings, _build(session, message_id, settings.sender))
        except Exception as exc:
            session.rollback()
            error: str | None = f"{type(exc).__name__}: {exc}"
        else:
            error = None
        if _record(session, message_id, now, error):
            sent += 1
        else:
            failed += 1
    return sent, failed
