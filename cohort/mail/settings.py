"""Where mail goes: the SMTP settings from the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from cohort.mail.delivery import SmtpSettings


def smtp_settings(config: Mapping[str, Any] | None = None) -> SmtpSettings | None:
    """The SMTP settings from config, or None when mail is not sent (shown at /dev/mail)."""
    config = config if config is not None else current_app.config
    if not config.get("MAIL_SERVER"):
        return None
    return SmtpSettings(
        host=config["MAIL_SERVER"], port=config["MAIL_PORT"], sender=config["MAIL_FROM"],
        username=config["MAIL_USERNAME"], password=config["MAIL_PASSWORD"],
        use_tls=config["MAIL_USE_TLS"],
    )
