"""Opening the Customer Hub in tests the way a member does: ask, read the e-mail, open the link."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cohort.models import OutboxMessage
from tests.factories import csrf_token

LINK = re.compile(r"http://cohort\.test(/hub/[A-Za-z0-9_-]+)")


def ask_for_link(client: FlaskClient, email: str):
    """Submit the hub's form with `email`; the response."""
    return client.post("/hub", data={"email": email, "csrf_token": csrf_token(client, "/hub")})


def hub_mail(session: Session, email: str) -> list[OutboxMessage]:
    """The hub-link e-mails queued to `email`, oldest first."""
    return list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "hub_link", OutboxMessage.to_address == email)
        .order_by(OutboxMessage.id)))


def link_path(message: OutboxMessage) -> str:
    """The personal link's path in a hub e-mail."""
    match = LINK.search(message.body_text)
    assert match, message.body_text
    return match.group(1)


def open_link(client: FlaskClient, path: str):
    """Press 'Open my memberships' on the link's page (its form token from the page)."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/hub")})


def open_hub(client: FlaskClient, session: Session, email: str) -> None:
    """Ask for a link for `email` and open it: the client's browser is then in the hub."""
    assert ask_for_link(client, email).status_code == 200
    opened = open_link(client, link_path(hub_mail(session, email)[-1]))
    assert opened.status_code == 303, opened.get_data(as_text=True)


def button(client: FlaskClient, path: str, **data: str):
    """Press a hub button (a POST with the page's form token)."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/hub"), **data})
