"""Clicks at the same instant: a hub link opens once; 'keep the Lounge' makes one membership."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from cohort.models import Membership
from tests.factories import csrf_token, set_clock
from tests.hub_helpers import ask_for_link, hub_mail, link_path, open_hub
from tests.membership_factories import make_community, make_member_person, make_membership

COUNT = 6
NOW = "2026-01-15T12:00:00Z"


def _at_once(session, posts: list[Callable[[], object]]) -> list[object]:
    session.rollback()  # the test's reads hold no transaction (SQLite's write lock)
    barrier = threading.Barrier(len(posts))
    statuses: list[object] = [None] * len(posts)

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            statuses[i] = posts[i]().status_code
        except Exception as exc:  # asserted on below
            statuses[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def _member(session, plan="lounge"):
    community = make_community(session)
    person = make_member_person(session, email="ada@example.org", name="Ada Member")
    membership = make_membership(session, community, plan, person=person)
    session.commit()
    return membership


def test_a_link_opened_in_several_browsers_at_once_opens_one_hub(app, session, fresh_globals):
    set_clock(app, NOW)
    _member(session)
    ask_for_link(app.test_client(), "ada@example.org")
    path = link_path(hub_mail(session, "ada@example.org")[0])
    browsers = [app.test_client() for _ in range(COUNT)]
    tokens = [csrf_token(browser, "/hub") for browser in browsers]

    statuses = _at_once(session, [
        (lambda b=browser, t=token: b.post(path, data={"csrf_token": t}))
        for browser, token in zip(browsers, tokens, strict=True)])

    assert sorted(statuses, key=str) == [303] + [410] * (COUNT - 1)
    opened = [b for b, s in zip(browsers, statuses, strict=True) if s == 303]
    assert opened[0].get("/hub/memberships").status_code == 200
    assert sum(b.get("/hub/memberships").status_code == 401 for b in browsers) == COUNT - 1


def test_keep_the_lounge_pressed_several_times_at_once_keeps_it_once(app, session,
                                                                     fresh_globals):
    set_clock(app, NOW)
    pro = _member(session, "pro")
    browser = app.test_client()
    open_hub(browser, session, "ada@example.org")
    token = csrf_token(browser, "/hub")
    url = f"/hub/memberships/{pro.id}/keep"

    statuses = _at_once(session, [lambda: browser.post(url, data={"csrf_token": token})
                                  for _ in range(COUNT)])

    assert sorted(statuses, key=str) == [303] + [409] * (COUNT - 1), statuses
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Membership).where(
        Membership.follows_id == pro.id)) == 1
    assert session.get(Membership, pro.id).state == "cancelling"
