"""Every staff route, walked as anonymous, facilitator, finance and admin."""

from __future__ import annotations

import pytest

from cohort.models import Membership
from tests.console_helpers import sign_in
from tests.factories import csrf_token, make_cohort, make_enrollment, make_staff
from tests.membership_factories import make_community, make_membership

# endpoint -> roles that get 200 (admins always do); everyone else signed in gets 403.
GET_ROUTES = {
    "staff.home": ("facilitator", "finance", "admin"),
    "staff.help_page": ("facilitator", "finance", "admin"),
    "staff.dashboard": ("facilitator", "admin"),
    "staff.queue": ("facilitator", "admin"),
    "staff.export_csv": ("facilitator", "admin"),
    "staff.application": ("facilitator", "admin"),
    "staff.cancel": ("facilitator", "admin"),
    "staff.confirm_preview": ("facilitator", "admin"),
    "staff.settings": ("admin",),
    "staff.copy": ("admin",),
    "staff.cohort_session_list": ("facilitator", "admin"),
    "staff.group_session_list": ("facilitator", "admin"),
    "staff.session_recording": ("facilitator", "admin"),
    "staff.session_question_list": ("facilitator", "admin"),
    "staff.communities": ("facilitator", "finance", "admin"),
    "staff.community": ("facilitator", "finance", "admin"),
    "staff.group": ("facilitator", "finance", "admin"),
    "staff.roster": ("facilitator", "finance", "admin"),
    "staff.prices": ("finance", "admin"),
    "staff.terms": ("facilitator", "admin"),
    "staff.pro_queue_page": ("facilitator", "admin"),
    "staff.pro_application": ("facilitator", "admin"),
}
POST_ONLY = {"staff.review", "staff.preview", "staff.decide", "staff.cohort_action",
             "staff.confirm", "staff.recordings_until", "staff.question_action",
             "staff.set_price", "staff.pro_review", "staff.pro_preview", "staff.pro_decide"}


def _pro_application(session, slug: str) -> Membership:
    """A PRO application in a community whose address is the cohort's (the routes share <slug>)."""
    community = make_community(session, slug=slug)
    return make_membership(session, community, "pro", state="applied",
                           application={"full_name": "Paula Pro"})


def _url(rule: str, cohort, enrollment, community=None, membership=None) -> str:
    url = (rule.replace("<slug>", cohort.slug)
           .replace("<int:enrollment_id>", str(enrollment.id))
           .replace("<event>", "close")
           .replace("<int:session_id>", str(cohort.meetings[0].id))
           .replace("<int:question_id>", "1")
           .replace("<int:membership_id>", str(membership.id if membership else 0))
           .replace("<group_slug>", "pro-lounge").replace("<plan_slug>", "lounge")
           .replace("<interval>", "month"))
    if community is not None:
        url = url.replace("<community>", community.slug).replace("<group>", "lobby-room")
    return url


def test_the_table_covers_every_staff_route(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("staff.")}
    assert endpoints == set(GET_ROUTES) | POST_ONLY


@pytest.mark.parametrize("who", ["anonymous", "facilitator", "finance", "admin"])
def test_each_role_gets_exactly_its_pages(app, client, session, who):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    community = make_community(session)
    membership = _pro_application(session, cohort.slug)
    if who != "anonymous":
        user = make_staff(session, role=who)
    session.commit()
    if who != "anonymous":
        sign_in(client, user.email)

    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff."):
            continue
        url = _url(rule.rule, cohort, enrollment, community, membership)
        method = "GET" if rule.endpoint in GET_ROUTES else "POST"
        response = client.open(url, method=method)
        if method == "POST":
            # CSRF is checked before anything else: a bare POST changes nothing for anyone.
            assert response.status_code == 400, (url, who)
        elif who == "anonymous":
            assert response.status_code == 302, url
            assert "/staff/login?next=" in response.headers["Location"], url
        else:
            expected = 200 if who in GET_ROUTES[rule.endpoint] else 403
            assert response.status_code == expected, (url, who)


@pytest.mark.parametrize("who", ["anonymous", "finance"])
def test_posts_with_a_valid_token_still_need_the_role(client, session, who):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    membership = _pro_application(session, cohort.slug)
    make_staff(session, role="finance", email="money@example.org")
    session.commit()
    token = csrf_token(client, "/staff/login")
    if who == "finance":
        sign_in(client, "money@example.org")
        token = csrf_token(client, "/staff/")  # the logout form carries a token

    posts = [
        (f"/staff/applications/{enrollment.id}/review", {"recommendation": "accept"}),
        (f"/staff/cohorts/{cohort.slug}/decisions/preview",
         {"event": "accept", "enrollment_ids": str(enrollment.id)}),
        (f"/staff/cohorts/{cohort.slug}/decisions",
         {"event": "accept", "enrollment_ids": str(enrollment.id)}),
        (f"/staff/cohorts/{cohort.slug}/actions/close", {}),
        (f"/staff/pro-applications/{membership.id}/review", {"recommendation": "approve"}),
        (f"/staff/communities/{cohort.slug}/decisions/preview",
         {"event": "approve", "membership_ids": str(membership.id)}),
        (f"/staff/communities/{cohort.slug}/decisions",
         {"event": "approve", "membership_ids": str(membership.id)}),
    ]
    for url, data in posts:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == (302 if who == "anonymous" else 403), url
    session.expire_all()
    assert enrollment.state == "submitted"
    assert cohort.state == "open"
    assert membership.state == "applied" and membership.reviews == []
