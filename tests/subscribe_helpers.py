"""Subscribing as the browser does: the page, Stripe.js's card token, 3-D Secure, the return."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import Community, Membership
from tests.localstripe_server import LocalStripe
from tests.payments_helpers import VISA, card_token


def subscribe_url(community: Community, plan: str = "lounge", interval: str = "month",
                  token: str | None = None) -> str:
    """The subscribe page of a plan."""
    url = f"/communities/{community.slug}/subscribe/{plan}?interval={interval}"
    return f"{url}&token={token}" if token else url


def post_subscription(client: FlaskClient, localstripe: LocalStripe, url: str, *,
                      number: str = VISA, name: str = "Mia Member",
                      email: str = "mia@example.org", **overrides: str) -> Any:
    """Open the page, let 'Stripe.js' tokenise `number`, send the form; the response."""
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    html = page.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    version = re.search(r'name="terms_version" type="hidden" value="([^"]*)"', html).group(1)
    data = {"csrf_token": csrf, "terms_version": version, "agree_terms": "y",
            "card_token": card_token(localstripe, number), "name": name, "email": email}
    data.update(overrides)
    return client.post(url, data=data)


def confirm_page(response: Any) -> tuple[str, str]:
    """The 3-D Secure page's client secret and its return-check URL."""
    html = response.get_data(as_text=True)
    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    action = re.search(r'id="confirm-form" action="([^"]+)"', html).group(1)
    return secret, action.replace("&amp;", "&")


def pass_3d_secure(client: FlaskClient, localstripe: LocalStripe, response: Any, *,
                   success: bool = True) -> Any:
    """What the confirm page's script does: Stripe.js authenticates, then the return check."""
    secret, action = confirm_page(response)
    localstripe.authenticate(secret.split("_secret_")[0], secret, success=success)
    html = response.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(action, data={"csrf_token": csrf})


def membership_of(session: Session, email: str, plan_id: int | None = None) -> Membership | None:
    """The newest membership of the person with this address (of one plan if given)."""
    session.rollback()
    stmt = select(Membership).where(
        Membership.person.has(email=email)).order_by(Membership.id.desc())
    if plan_id is not None:
        stmt = stmt.where(Membership.plan_id == plan_id)
    return session.scalars(stmt.limit(1)).first()
