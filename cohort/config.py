"""Configuration read from the environment, once, at application start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cohort.clock import ClockError, parse_instant
from cohort.schedule import is_zone

ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """The environment does not describe a service that can start."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _zone(env: Mapping[str, str], name: str, default: str) -> str:
    """An IANA time zone name from the environment, or `default` when unset."""
    text = env.get(name, "").strip() or default
    if not is_zone(text):
        raise ConfigError(f"{name} must be an IANA time zone such as Europe/Berlin, not {text!r}")
    return text


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number from the environment, or `default` when unset."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def _instant(env: Mapping[str, str], name: str) -> str | None:
    """An ISO-8601 instant with an offset from the environment, checked; None when unset."""
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        parse_instant(text)
    except ClockError as problem:
        raise ConfigError(f"{name}: {problem}") from None
    return text


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config from environment variables (see README for the list)."""
    env = os.environ if env is None else env
    cohort_env = env.get("COHORT_ENV", "production").strip().lower()
    if cohort_env not in ENVIRONMENTS:
        allowed = ", ".join(ENVIRONMENTS)
        raise ConfigError(f"COHORT_ENV must be one of {allowed}, not {cohort_env!r}")
    development = cohort_env != "production"

    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        if not development:
            raise ConfigError("SECRET_KEY is not set: set it to a long random string, or set "
                              "COHORT_ENV=development on your own machine (as `make run` and "
                              "`make flask ARGS=\"…\"` do)")
        secret_key = "development-only-secret-key-do-not-use-in-production"

    default_db = "sqlite:///" + str(Path(instance_path) / "cohort.sqlite3")
    database_url = env.get("DATABASE_URL") or default_db
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    mail_server = env.get("MAIL_SERVER", "")
    try:
        mail_port = int(env.get("MAIL_PORT") or 25)
    except ValueError:
        port = env.get("MAIL_PORT")
        raise ConfigError(f"MAIL_PORT must be a port number, not {port!r}") from None
    return {
        "COHORT_ENV": cohort_env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "COHORT_NOW": _instant(env, "COHORT_NOW"),
        "BASE_URL": env.get("COHORT_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": mail_port,
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _flag(env.get("MAIL_USE_TLS")),
        "MAIL_FROM": env.get("MAIL_FROM", "Cohort <cohort@localhost>"),
        # Without an SMTP server, development shows queued mail at /dev/mail instead of losing it.
        "MAIL_SHOW_IN_APP": development and not mail_server,
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", "").rstrip("/"),
        # Stripe.js comes from Stripe, or from localstripe's fake when STRIPE_API_BASE points there.
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL") or (
            f"{env['STRIPE_API_BASE'].rstrip('/')}/js.stripe.com/v3/"
            if env.get("STRIPE_API_BASE") else "https://js.stripe.com/v3/"),
        "INVOICE_DUE_DAYS": int(env.get("INVOICE_DUE_DAYS") or 14),
        "SELLER_NAME": env.get("SELLER_NAME", "The Sociocracy Consulting Group"),
        "SELLER_ADDRESS": env.get("SELLER_ADDRESS", "PO Box 1, Anytown, CA 90000, USA"),
        "SELLER_TAX_ID": env.get("SELLER_TAX_ID", ""),
        "SELLER_EMAIL": env.get("SELLER_EMAIL", "billing@example.org"),
        # The finance desk's day filters are days here (each document is dated in its cohort's).
        "SELLER_TIME_ZONE": _zone(env, "SELLER_TIME_ZONE", "UTC"),
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL", "").strip(),
        # Where a bank transfer goes (account holder, bank, account number, SWIFT/IBAN); empty:
        # invoices offer card payment only. Newlines (or " | ") separate the printed lines.
        "SELLER_BANK_DETAILS": env.get("SELLER_BANK_DETAILS", "").replace(" | ", "\n").strip(),
        # Anything else a payer should know (e.g. who bears bank charges); printed after them.
        "PAYMENT_INSTRUCTIONS": env.get("PAYMENT_INSTRUCTIONS", "").strip(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not development,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not development,
        "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS": _count(
            env, "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", 5),
        "LOGIN_FAILURES_PER_ADDRESS": _count(env, "LOGIN_FAILURES_PER_ADDRESS", 20),
        "LOGIN_THROTTLE_WINDOW_MINUTES": _count(env, "LOGIN_THROTTLE_WINDOW_MINUTES", 15),
        # A form's token lasts a day: long enough for an application written over an evening,
        # short enough that a token copied from an old page stops working.
        "WTF_CSRF_TIME_LIMIT": 24 * 3600,
        # /healthz answers 503 when no worker has been seen for longer than this.
        "WORKER_HEARTBEAT_MAX_AGE_SECONDS": _count(env, "WORKER_HEARTBEAT_MAX_AGE_SECONDS", 180),
        "TESTING": cohort_env == "test",
    }
