"""Development only: without an SMTP server, queued e-mail is shown here instead of being lost."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from sqlalchemy import select

from cohort.extensions import db
from cohort.invoices.download import pdf_response
from cohort.models import Document, OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def _only_when_mail_is_shown() -> None:
    if not current_app.config["MAIL_SHOW_IN_APP"]:
        abort(404)


@bp.get("/mail")
def mailbox() -> str:
    """Every message in the outbox, newest first."""
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    ).all()
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mail/<int:message_id>")
def message(message_id: int) -> str:
    """One message as it would be sent, with the PDFs it carries."""
    found = db.session.get(OutboxMessage, message_id) or abort(404)
    attached = db.session.scalars(
        select(Document).where(Document.id.in_(found.attachments or []))
        .order_by(Document.id)).all()
    return render_template("dev/message.html", message=found, attached=attached)


@bp.get("/mail/<int:message_id>/attachments/<int:document_id>.pdf")
def attachment(message_id: int, document_id: int) -> Response:
    """One attached PDF, as the recipient gets it (only documents this message carries)."""
    found = db.session.get(OutboxMessage, message_id) or abort(404)
    document = db.session.get(Document, document_id)
    if document is None or document_id not in (found.attachments or []):
        abort(404, description="This message has no such attachment.")
    return pdf_response(document, "A4")
