"""Ten simultaneous subscribe posts for one person and plan: one membership, one subscription."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from cohort.models import Membership, OutboxMessage, Person
from tests.membership_factories import make_community
from tests.payments_helpers import card_token
from tests.subscribe_helpers import subscribe_url

COUNT = 10


def test_ten_simultaneous_subscribes_make_one_membership_and_one_stripe_subscription(
        app, session, fresh_globals, stripe_live, localstripe):
    community = make_community(session)
    session.commit()
    url = subscribe_url(community)
    forms = []
    for _ in range(COUNT):  # ten browsers, each with its own page, CSRF token and card token
        client = app.test_client()
        html = client.get(url).get_data(as_text=True)
        forms.append((client, {
            "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                    html).group(1),
            "terms_version": "1", "agree_terms": "y", "name": "Mia Member",
            "email": "mia@example.org", "card_token": card_token(localstripe)}))
    session.rollback()  # the pages' reads hold no transaction (SQLite's write lock)
    barrier = threading.Barrier(COUNT)
    statuses: list[object] = [None] * COUNT

    def post(i: int) -> None:
        client, data = forms[i]
        barrier.wait(timeout=30)
        try:
            statuses[i] = client.post(url, data=data).status_code
        except Exception as exc:  # asserted on below
            statuses[i] = exc

    threads = [threading.Thread(target=post, args=(i,)) for i in range(COUNT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [302] * COUNT
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Person)) == 1
    membership = session.scalars(select(Membership)).one()
    assert membership.state == "active"
    listed = localstripe.client().v1.subscriptions.list(
        params={"customer": membership.account.stripe_customer_id})
    assert [sub.id for sub in listed.data] == [membership.stripe_subscription_id]
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "membership_already")) == 1  # at most hourly
