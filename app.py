"""The application factory: configuration, extensions, blueprints and commands. No routes here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from cohort import (
    cli,
    database,
    finance_cli,
    request_ids,
    request_limits,
    security,
    startup,
    templating,
)
from cohort.auth import cli as users_cli
from cohort.auth.roles import load_user
from cohort.clock import Clock
from cohort.extensions import csrf, db, login_manager, migrate
from cohort.payments import setup as payments_setup
from cohort.views import (
    applicant,
    card,
    community,
    dev,
    errors,
    finance,
    finance_dunning,
    health,
    hub,
    members,
    pro,
    public,
    registration,
    row_ids,
    staff,
    staff_auth,
    stripe_webhook,
    subscribe,
)

PROJECT_ROOT = os.path.dirname(os.path.abspath(__file__))


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application from the environment, then apply `overrides` (for tests)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    startup.configure(app, overrides)
    os.makedirs(app.instance_path, exist_ok=True)

    app.extensions["cohort.clock"] = Clock.from_setting(app.config["COHORT_NOW"])
    request_ids.init_app(app)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff_auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    templating.init_app(app)
    payments_setup.init_app(app)
    security.init_app(app)
    request_limits.init_app(app)  # registers its check first, before the CSRF check
    row_ids.init_app(app)  # before the blueprints: their <int:…> ids are bounded

    app.register_blueprint(public.bp)
    app.register_blueprint(community.bp)
    app.register_blueprint(applicant.bp)
    app.register_blueprint(members.bp)
    app.register_blueprint(dev.bp)
    app.register_blueprint(staff_auth.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(registration.bp)
    app.register_blueprint(stripe_webhook.bp)
    app.register_blueprint(finance.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(subscribe.bp)
    app.register_blueprint(hub.bp)
    app.register_blueprint(card.bp)
    app.register_blueprint(finance_dunning.bp)
    app.register_blueprint(pro.bp)
    errors.init_app(app)
    cli.init_app(app)
    users_cli.init_app(app)
    finance_cli.init_app(app)
    return app
