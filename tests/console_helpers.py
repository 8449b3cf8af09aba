"""Signing staff in through the real login form, and small console helpers for tests."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.factories import csrf_token

PASSWORD = "correct horse battery"


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Sign in through /staff/login as a browser would."""
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login", data={"email": email, "password": password,
                                                  "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def page_token(client: FlaskClient, url: str) -> str:
    """The CSRF token from any form on `url`."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no form on {url}"
    return match.group(1)
