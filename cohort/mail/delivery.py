"""Deliver due outbox messages over SMTP; failures stay queued and are retried with back-off."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

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


def _claim(session: Session, message_id: int, now: datetime) -> EmailMessage | None:
    """Take one message for sending (two senders never take the same one) and build it."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due(now))
        .values(status="sending", claimed_until=now + CLAIM_LEASE)
    )
    if result.rowcount != 1:
        session.rollback()
        return None
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    session.commit()
    return message


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


def render_attachment(document_id: int) -> Attachment:
    """An issued document as a PDF attachment (needs the app context)."""
    from cohort.invoices.rendering import render_by_id  # WeasyPrint loads only when needed

    return render_by_id(document_id)


def deliver_due(
    session: Session,
    settings: SmtpSettings,
    now: datetime,
    send: Callable[[SmtpSettings, EmailMessage], None] = send_smtp,
    limit: int = 100,
    only_ids: Collection[int] | None = None,
) -> tuple[int, int]:
    """Send due messages (or only `only_ids`); commit per message. Returns (sent, failed).

    No transaction is open while talking to the SMTP server.
    """
    query = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
    if only_ids is not None:
        query = query.where(OutboxMessage.id.in_(list(only_ids)))
    due_ids = session.scalars(query).all()
    session.commit()
    sent = failed = 0
    for message_id in due_ids:
        message = _claim(session, message_id, now)
        if message is None:
            continue
        try:
            email = build_email(message, settings.sender,
                                [render_attachment(i) for i in message.attachments or []])
            send(settings, email)
        except Exception as exc:
            error: str | None = f"{type(exc).__name__}: {exc}"
        else:
            error = None
        if _record(session, message_id, now, error):
            sent += 1
        else:
            failed += 1
    return sent, failed
