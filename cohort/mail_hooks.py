"""Deliver mail queued by a request once that request has committed."""

from __future__ import annotations

from flask import Flask, Response, current_app

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
    if db.session.info.pop(PENDING_FLAG, False):
        settings = smtp_settings()
        if settings is not None:
            # Runs after the view committed; anything not sent stays queued for `cohort tick`.
            db.session.rollback()
            deliver_due(db.session, settings, now())
    return response


def init_app(app: Flask) -> None:
    """Register the after-request delivery."""
    app.after_request(_deliver_after_request)
