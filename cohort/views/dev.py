"""Development only: without an SMTP server, queued e-mail is shown here instead of being lost."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from cohort.extensions import db
from cohort.models import OutboxMessage

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
    """One message as it would be sent."""
    found = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("dev/message.html", message=found)
