"""Test set-up: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (default: the machine's server, database `test`); a fresh
database is created for the run and dropped after it. Locally a PostgreSQL test skips with a reason
when no server answers; under CI (CI=true) every skip is turned into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ.setdefault("COHORT_ENV", "test")
os.environ.pop("COHORT_NOW", None)
os.environ.pop("MAIL_SERVER", None)

from flask import Flask, g
from flask_migrate import upgrade

from app import create_app
from cohort.extensions import db
from cohort.models import Base
from cohort.payments import setup as payments_setup
from cohort.worker.loop import Worker
from tests.browser_helpers import CHROMIUM, LAUNCH_ARGS, browser_unavailable
from tests.factories import set_clock
from tests.live_server import LiveServer
from tests.localstripe_server import LocalStripe, localstripe_available
from tests.worker_helpers import running_worker

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgresql"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Under CI nothing may be skipped: a skip becomes a failure with its reason."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which must provide every service: {report.longrepr}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres_only` run only with the PostgreSQL database, not with SQLite."""
    deselected = [item for item in items if item.get_closest_marker("postgres_only")
                  and getattr(item, "callspec", None) is not None
                  and item.callspec.params.get("database_url") == "sqlite"]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


def _build_app(url: str, **overrides: object) -> Flask:
    config = {"SQLALCHEMY_DATABASE_URI": url, "COHORT_ENV": "test", "TESTING": True,
              "BASE_URL": "http://cohort.test", "MAIL_SHOW_IN_APP": False, "SERVER_NAME": None}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated to head."""
    admin_url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    name = f"cohort_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.skip(f"PostgreSQL is not reachable at {admin_url.render_as_string()}: {exc}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    app = _build_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    app = _build_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


def _truncate_all(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database: SQLite or PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "cohort.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    _truncate_all(_build_app(url))


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The application on a fresh database, clock frozen at 2024-01-10 12:00 Pacific."""
    application = _build_app(database_url)
    set_clock(application, "2024-01-10T12:00:00-08:00")
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app: Flask):
    """The request-scoped SQLAlchemy session, for arranging and checking data."""
    return db.session


@pytest.fixture
def fresh_globals(app: Flask) -> None:
    """Start every request with an empty `g`, as a real server does (for tests with two browsers).

    The `app` fixture keeps one application context open and Flask reuses it for the test client's
    requests, so `g` (Flask-Login's cached user, Flask-WTF's CSRF token) would otherwise carry over
    from one browser to the next.
    """
    def _forget_previous_request() -> None:
        for name in list(g):
            g.pop(name)

    # First of all the request hooks, as a real request starts with an empty `g`.
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_request)


@pytest.fixture
def client(app: Flask):
    """A test client of the application."""
    return app.test_client()


@pytest.fixture
def worker(app: Flask) -> Iterator[Worker]:
    """The background worker delivering mail in a thread, as `cohort worker` does beside the
    web server (it does not tick: tests run the tick themselves when their clock says so)."""
    with running_worker(app) as running:
        yield running



@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    """One localstripe (started --from-scratch on a free port) for the whole run."""
    reason = localstripe_available()
    if reason:
        pytest.skip(reason)
    server = LocalStripe().start()
    try:
        yield server
    finally:
        server.stop()


WEBHOOK_SECRET = "whsec_cohort_tests"


@pytest.fixture
def stripe_live(app: Flask, localstripe: LocalStripe) -> Iterator[LiveServer]:
    """The app on localstripe, served over HTTP so that localstripe's signed webhooks reach it."""
    app.config.update(
        STRIPE_SECRET_KEY=localstripe.api_key, STRIPE_PUBLISHABLE_KEY=localstripe.publishable_key,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=localstripe.url,
        STRIPE_JS_URL=localstripe.js_url)
    payments_setup.init_app(app)
    server = LiveServer(app).start()
    localstripe.register_webhook(f"{server.url}/stripe/webhook", WEBHOOK_SECRET)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[object]:
    """One headless Chromium (Debian's) for a test module; Playwright's `expect` waits the
    module's TIMEOUT_MS (10 s unless the module says otherwise)."""
    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=getattr(request.module, "TIMEOUT_MS", 10_000))
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
