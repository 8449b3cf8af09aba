"""Queue e-mails in the outbox, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from jinja2 import Template
from sqlalchemy.orm import Session

from cohort.database import insert_row
from cohort.models import OutboxMessage


def status_url(token: str) -> str:
    """The applicant's private status link, absolute, for e-mails."""
    return f"{current_app.config['BASE_URL']}/a/{token}"


def _subject_and_body_templates(kind: str) -> tuple[Template, Template]:
    """The template's first line ("Subject: …") and the rest, compiled apart (and kept)."""
    env = current_app.jinja_env
    cache = current_app.extensions.setdefault("cohort.mail_templates", {})
    if kind not in cache:
        plain = env.overlay(autoescape=False)  # e-mails are plain text, as the .txt files are
        name = f"emails/{kind}.txt"
        source = env.loader.get_source(env, name)[0] if env.loader else ""
        first, _, rest = source.partition("\n")
        if not first.startswith("Subject: "):
            raise ValueError(f"{name} must start with a 'Subject: ' line")
        cache[kind] = (plain.from_string(first.removeprefix("Subject: ")),
                       plain.from_string(rest))
    return cache[kind]


def render_mail(kind: str, **context: Any) -> tuple[str, str]:
    """Render `templates/emails/<kind>.txt` (first line "Subject: …") to (subject, body).

    The subject line is rendered on its own, so a line break inside a value (a name written
    before such names were refused) stays in the subject, collapsed to a space, instead of
    cutting it short and spilling the rest into the body.
    """
    subject_template, body_template = _subject_and_body_templates(kind)
    current_app.update_template_context(context)
    subject = " ".join(subject_template.render(context).split())  # no line breaks of any kind
    return subject, body_template.render(context).lstrip("\n")


def queue_mail(
    session: Session,
    *,
    kind: str,
    to: str,
    now: datetime,
    enrollment_id: int | None = None,
    attachments: list[int] | None = None,
    **context: Any,
) -> None:
    """Render the e-mail `kind` and queue it in the caller's transaction.

    `attachments` are ids of issued documents, attached as PDFs when the message is sent. The
    row is written at once with Core (`insert_row`): nothing reads it back in the request.
    """
    subject, body = render_mail(kind, **context)
    insert_row(session, OutboxMessage, {
        "created_at": now, "kind": kind, "to_address": to, "subject": subject,
        "body_text": body, "enrollment_id": enrollment_id, "status": "queued", "attempts": 0,
        "next_attempt_at": now, "attachments": list(attachments or [])})

