"""Wire the Stripe gateway into the application when keys are configured."""

from __future__ import annotations

from flask import Flask

from cohort.payments.gateway import StripeGateway


def init_app(app: Flask) -> None:
    """`app.extensions["cohort.stripe"]`: the gateway, or None without STRIPE_SECRET_KEY."""
    key = app.config["STRIPE_SECRET_KEY"]
    app.extensions["cohort.stripe"] = (
        StripeGateway(key, app.config["STRIPE_API_BASE"]) if key else None)
