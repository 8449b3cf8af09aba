"""Deliver mail queued by a request once that request has committed."""

from __future__ import annotations

from flask import Flask, Response, current_app
from sqlalchemy import inspect

from cohort.clock import now
from cohort.extensions import db
from cohort.mail.delivery import SmtpSettings, deliver_due
from cohort.mail.outbox import PENDING_FLAG


def smtp_settings(config: dict | None = None) -> SmtpSettings | None:
    """The SMTP settings from config, or None when mail is not sent (shown at /dev/mail)."""
    config = config if config is not None else current_app.config
    if not config.get("MAIL_SERVER"):
        return None
    return SmtpSettings(
        host=config["MAIL_SERVER"], port=config["MAIL_PORT"], sender=config["MAIL_FROM"],
        username=config["MAIL_USERNAME"], password=config["MAIL_PASSWORD"],
        use_tls=config["MAIL_USE_TLS"],
    )


def _deliver_after_request(response: Response) -> Response:
    """Send what this request queued, once its view has committed.

    Only this request's messages are tried (older ones are `cohort tick`'s job), and a failure
    here never turns a saved change into an error page: the messages stay queued.
    """
    queued = db.session.info.pop(PENDING_FLAG, [])
    settings = smtp_settings()
    if not queued or settings is None:
        return response
    ids = [m.id for m in queued if inspect(m).has_identity and not inspect(m).deleted]
    db.session.rollback()  # a view that did not commit has sent nothing
    try:
        deliver_due(db.session, settings, now(), only_ids=ids)
    except Exception:
        current_app.logger.exception("mail delivery after request failed; it stays queued")
        db.session.rollback()
    return response


def init_app(app: Flask) -> None:
    """Register the after-request delivery."""
    app.after_request(_deliver_after_request)
