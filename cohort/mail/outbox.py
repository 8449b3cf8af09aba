"""Queue e-mails in the outbox, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, render_template
from sqlalchemy.orm import Session

from cohort.models import OutboxMessage


def status_url(token: str) -> str:
    """The applicant's private status link, absolute, for e-mails."""
    return f"{current_app.config['BASE_URL']}/a/{token}"


def render_mail(kind: str, **context: Any) -> tuple[str, str]:
    """Render `templates/emails/<kind>.txt` (first line "Subject: …") to (subject, body)."""
    rendered = render_template(f"emails/{kind}.txt", **context)
    first, _, body = rendered.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"emails/{kind}.txt must start with a 'Subject: ' line")
    subject = " ".join(first.removeprefix("Subject: ").split())  # no line breaks of any kind
    return subject, body.lstrip("\n")


def queue_mail(
    session: Session,
    *,
    kind: str,
    to: str,
    now: datetime,
    enrollment_id: int | None = None,
    attachments: list[int] | None = None,
    **context: Any,
) -> OutboxMessage:
    """Render the e-mail `kind` and queue it in the caller's transaction.

    `attachments` are ids of issued documents, attached as PDFs when the message is sent.
    """
    subject, body = render_mail(kind, **context)
    message = OutboxMessage(
        created_at=now,
        kind=kind,
        to_address=to,
        subject=subject,
        body_text=body,
        enrollment_id=enrollment_id,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        attachments=list(attachments or []),
    )
    session.add(message)
    return message
