"""Deliver due outbox messages over SMTP in batches; failures stay queued and are retried with
back-off.

A batch is claimed in one transaction and sent over one SMTP connection; each message's outcome
is committed right after its send, so a sender that dies mid-batch has sent at most the message
in hand without recording it (that one waits for the lease; it is never sent twice by a live
sender), and no transaction is open while talking to the SMTP server.
"""

from __future__ import annotations

import smtplib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Row, and_, or_, select, update
from sqlalchemy.orm import Session

from cohort.database import read_only
from cohort.models import OutboxMessage

MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=5)
# A batch starts no message later than this after its claim, so each send ends within the lease.
SEND_WITHIN = CLAIM_LEASE / 2


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


class MessageParts(Protocol):
    """What an e-mail is built from: an outbox row, or the columns of one."""

    id: int
    to_address: str
    subject: str
    body_text: str
    created_at: datetime


def build_email(message: MessageParts, sender: str,
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


class SmtpConnection(Protocol):
    """An open SMTP session (`smtplib.SMTP` is one)."""

    def send_message(self, msg: EmailMessage) -> Any:
        """Send one message (MAIL, RCPT, DATA)."""

    def rset(self) -> Any:
        """Abandon the current mail transaction."""

    def quit(self) -> Any:
        """Say QUIT and close."""

    def close(self) -> None:
        """Close without a word."""


def connect_smtp(settings: SmtpSettings) -> smtplib.SMTP:
    """An SMTP session, greeted, with STARTTLS and LOGIN as the settings say."""
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        smtp.ehlo_or_helo_if_needed()
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _connection_failed(exc: Exception) -> bool:
    """Whether `exc` means the connection is gone or in an unknown state (not a refusal)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class _Line:
    """The one SMTP connection of a batch, opened at its first message."""

    def __init__(self, settings: SmtpSettings,
                 connect: Callable[[SmtpSettings], SmtpConnection]) -> None:
        self.settings = settings
        self.connect = connect
        self.connection: SmtpConnection | None = None
        self.lost = False

    def send(self, email: EmailMessage) -> str | None:
        """Send `email`; None, or the error. After a refusal the session is RSET and goes on."""
        try:
            if self.connection is None:
                self.connection = self.connect(self.settings)
            self.connection.send_message(email)
        except Exception as exc:
            if self.connection is None or _connection_failed(exc) or not self._reset():
                self.lost = True
                self.close()
            return _describe(exc)
        return None

    def _reset(self) -> bool:
        """RSET after a refusal; False when the server has hung up (e.g. after a 421)."""
        assert self.connection is not None
        try:
            self.connection.rset()
        except Exception:
            return False
        return True

    def close(self) -> None:
        """QUIT (or just close, if the server is gone)."""
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except Exception:
            connection.close()


def _due(now: datetime) -> ColumnElement[bool]:
    """Queued and due, or left 'sending' by a sender whose lease ran out (it died)."""
    return or_(
        and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


_CLAIMED = (OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.subject,
            OutboxMessage.body_text, OutboxMessage.created_at, OutboxMessage.attachments,
            OutboxMessage.attempts)


def _outbox_update(*where: ColumnElement[bool]) -> Any:
    """An UPDATE of outbox rows that leaves the session's objects alone (they expire on commit)."""
    return update(OutboxMessage).where(*where).execution_options(synchronize_session=False)


def _claim(session: Session, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Take up to `limit` due messages, oldest first, and commit the claim; their columns.

    On PostgreSQL the rows are read `FOR UPDATE SKIP LOCKED`, so senders on several machines
    each take different messages without waiting for one another; SQLite serialises writers
    (every writing transaction begins IMMEDIATE). The claim is a lease: a sender that dies
    holding it leaves its messages due again when `claimed_until` has passed.
    """
    query = select(*_CLAIMED).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = session.execute(query).all()
    if rows:
        session.execute(_outbox_update(OutboxMessage.id.in_([row.id for row in rows]))
                        .values(status="sending", claimed_until=now + CLAIM_LEASE))
        session.commit()
    else:
        session.rollback()
    return rows


def _record(session: Session, message: Row[Any], now: datetime, error: str | None) -> bool:
    """Commit the outcome of one attempt at `message`; True if it was sent."""
    attempts = message.attempts + 1
    if error is None:
        values: dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": ""}
    else:
        values = {"status": "failed" if attempts >= MAX_ATTEMPTS else "queued",
                  "last_error": error[:2000], "next_attempt_at": now + retry_delay(attempts)}
    session.execute(_outbox_update(OutboxMessage.id == message.id)
                    .values(attempts=attempts, claimed_until=None, **values))
    session.commit()
    return error is None


def _release(session: Session, messages: Sequence[Row[Any]], lease: datetime) -> None:
    """Give claimed messages that were never tried back to the queue, due at once, no attempt
    counted (unless another sender has claimed them since, after our lease ran out)."""
    session.rollback()
    session.execute(_outbox_update(OutboxMessage.id.in_([m.id for m in messages]),
                                   OutboxMessage.status == "sending",
                                   OutboxMessage.claimed_until == lease)
                    .values(status="queued", claimed_until=None))
    session.commit()


def render_attachment(session: Session, document_id: int) -> Attachment:
    """An issued document's stored PDF as an attachment (rendered and stored first if need be)."""
    from cohort.invoices.stored import attachment  # WeasyPrint loads only when needed

    return attachment(session, document_id)


def _build(session: Session, message: Row[Any], sender: str) -> EmailMessage:
    """The claimed message with its attachments, read without taking SQLite's write lock."""
    if not message.attachments:
        return build_email(message, sender)
    with read_only():
        attachments = [render_attachment(session, i) for i in message.attachments]
        session.commit()  # no transaction stays open while talking to the SMTP server
    return build_email(message, sender, attachments)


def deliver_due(
    session: Session,
    settings: SmtpSettings,
    now: datetime,
    connect: Callable[[SmtpSettings], SmtpConnection] = connect_smtp,
    limit: int = 100,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[int, int]:
    """Send up to `limit` due messages, oldest first, over one connection. Returns (sent, failed).

    The batch is claimed in one transaction; each outcome is committed right after its send, and
    no transaction is open while talking to the SMTP server. A message the server refuses
    (recipient, sender or data refused) is recorded as failed and the batch goes on over the
    same connection. When the connection fails (cannot connect, the server hangs up, a network
    error) the message in hand is recorded as failed and the batch ends: its untried messages go
    back to the queue at once, due, with no attempt counted (the next round opens a fresh
    connection for them). `should_stop` is asked before each message: a sender told to stop
    finishes the message in hand and gives the untried ones back at once, as it does when the
    batch has run for SEND_WITHIN (half the lease).
    """
    if should_stop is not None and should_stop():
        return 0, 0
    claimed = _claim(session, now, limit)
    if not claimed:
        return 0, 0
    lease, send_until = now + CLAIM_LEASE, time.monotonic() + SEND_WITHIN.total_seconds()
    untried, line = deque(claimed), _Line(settings, connect)
    sent = failed = 0
    try:
        while untried and not line.lost:
            if (should_stop is not None and should_stop()) or time.monotonic() > send_until:
                break
            message = untried.popleft()  # in hand: from here on it is never given back untried
            try:
                email = _build(session, message, settings.sender)
            except Exception as exc:
                session.rollback()
                error: str | None = _describe(exc)
            else:
                error = line.send(email)
            if _record(session, message, now, error):
                sent += 1
            else:
                failed += 1
    finally:
        try:
            if untried:
                _release(session, untried, lease)
        finally:
            line.close()
    return sent, failed
