"""Deliver due outbox messages over SMTP; failures stay queued and are retried with back-off."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import or_, select, update
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


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The RFC 5322 message for an outbox row."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
    email.set_content(message.body_text)
    return email


def send_smtp(settings: SmtpSettings, email: EmailMessage) -> None:
    """Send one message over SMTP."""
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(email)


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    """Take one message for sending; two senders never take the same one."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "queued",
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(status="sending", claimed_until=now + CLAIM_LEASE)
    )
    session.commit()
    return result.rowcount == 1


def deliver_due(
    session: Session,
    settings: SmtpSettings,
    now: datetime,
    send: Callable[[SmtpSettings, EmailMessage], None] = send_smtp,
    limit: int = 100,
) -> tuple[int, int]:
    """Send queued messages that are due. Commits per message. Returns (sent, failed)."""
    due_ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    session.commit()
    sent = failed = 0
    for message_id in due_ids:
        if not _claim(session, message_id, now):
            continue
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        assert message is not None
        try:
            send(settings, build_email(message, settings.sender))
        except (OSError, smtplib.SMTPException) as exc:
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "queued"
            message.next_attempt_at = now + retry_delay(message.attempts)
            failed += 1
        else:
            message.attempts += 1
            message.status = "sent"
            message.sent_at = now
            message.last_error = ""
            sent += 1
        message.claimed_until = None
        session.commit()
    return sent, failed
