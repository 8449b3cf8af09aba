"""Security headers on every response: a strict Content-Security-Policy and its companions.

Every response of the staff, finance, sign-in, applicant, registration, hub and card blueprints
(pages, CSV exports, PDFs, errors) is also sent with `Cache-Control: private, no-store`, and so
is the public page after applying, which repeats the applicant's address.

The policy allows only this service and the origin Stripe.js is loaded from (config
`STRIPE_JS_URL`: https://js.stripe.com in production, localstripe's fake in development and
tests). Pages therefore carry no inline `<script>`, no `on…=` handlers and no `style=""`
attributes; `tests/test_security_headers.py` scans the templates for them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

REAL_STRIPE_JS = "https://js.stripe.com"
# Real Stripe.js frames its card fields and 3-D Secure pages and calls Stripe's API itself.
REAL_STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")
REAL_STRIPE_API = "https://api.stripe.com"
HSTS = "max-age=31536000; includeSubDomains"
# Pages, exports and documents about people or money: no browser or proxy may keep a copy.
PRIVATE_BLUEPRINTS = frozenset({"staff", "staff_auth", "finance", "applicant", "registration",
                                "dev", "hub", "card", "finance_dunning", "members"})
# Public pages that show what one visitor typed (the address they applied with).
PRIVATE_ENDPOINTS = frozenset({"public.applied", "community.joined", "community.confirm_page",
                               "community.confirm", "community.agree_page", "community.agree",
                               "pro.applied"})
NO_STORE = "private, no-store"
HOST_AND_PORT = re.compile(r"[a-z0-9.-]+(:[0-9]{1,5})?|\[[0-9a-f:.]+\](:[0-9]{1,5})?")


def origin_of(url: str) -> str:
    """'https://js.stripe.com/v3/' → 'https://js.stripe.com'; '' unless a plain http(s) URL."""
    parts = urlsplit((url or "").strip())
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    if parts.scheme not in ("http", "https") or not HOST_AND_PORT.fullmatch(host):
        return ""  # nothing that could smuggle a quote, a space or a ';' into the policy
    return f"{parts.scheme}://{host}"


@lru_cache(maxsize=8)
def content_security_policy(stripe_js_url: str) -> str:
    """The policy for a service whose Stripe.js comes from `stripe_js_url`."""
    stripe = origin_of(stripe_js_url)
    if stripe == REAL_STRIPE_JS:
        frames: tuple[str, ...] = REAL_STRIPE_FRAMES
        connect: tuple[str, ...] = (stripe, REAL_STRIPE_API)
    else:
        frames = (stripe,) if stripe else ()
        connect = (stripe,) if stripe else ()
    directives = [
        ("default-src", ("'self'",)),
        ("script-src", ("'self'", stripe) if stripe else ("'self'",)),
        ("connect-src", ("'self'", *connect)),
        ("frame-src", frames or ("'none'",)),
        ("img-src", ("'self'", "data:")),
        ("style-src", ("'self'",)),
        ("object-src", ("'none'",)),
        ("base-uri", ("'none'",)),
        ("form-action", ("'self'",)),
        ("frame-ancestors", ("'none'",)),
    ]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


def _secure_headers(response: Response) -> Response:
    config = current_app.config
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(config.get("STRIPE_JS_URL", ""))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    # Pages behind a private token set the stricter no-referrer themselves: keep theirs.
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.blueprint in PRIVATE_BLUEPRINTS or request.endpoint in PRIVATE_ENDPOINTS:
        headers["Cache-Control"] = NO_STORE
    if config.get("COHORT_ENV") == "production":
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    """Register the headers for every response (pages, errors, static files, JSON)."""
    app.after_request(_secure_headers)
