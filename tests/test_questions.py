"""Questions in advance: members of the group send them before the deadline; facilitators
read them in order, mark them answered, or hide one."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from cohort.models import SessionQuestion
from cohort.services.group_sessions import SessionPlan, schedule_session
from tests.console_helpers import page_token, sign_in
from tests.factories import make_staff, set_clock, utc
from tests.membership_factories import make_community, make_membership

ZOOM = "https://zoom.us/j/123456789"


def _lounge(community):
    return next(g for g in community.groups if g.slug == "practitioners-lounge")


def _member_browser(client, person_id: int) -> None:
    with client.session_transaction() as kept:
        kept["hub"] = {"person": person_id, "until": "2030-01-01T00:00:00+00:00"}


def _qa(app, session):
    set_clock(app, "2026-03-01T12:00:00Z")
    community = make_community(session)
    member = make_membership(session, community, "lounge", started_at=utc("2026-01-01T00:00:00Z"))
    qa = schedule_session(session, SessionPlan(
        "qa", "Ask the facilitators", utc("2026-03-04T17:00:00Z"), 60, ZOOM,
        questions_close_at=utc("2026-03-03T17:00:00Z")), group=_lounge(community))
    session.commit()
    return community, member, qa


def _ask(client, qa_id: int, text: str):
    url = f"/members/sessions/{qa_id}/questions"
    return client.post(url, data={"csrf_token": page_token(client, url), "body": text})


def test_a_member_sends_a_question_and_sees_it_waiting(app, client, session):
    _, member, qa = _qa(app, session)
    _member_browser(client, member.person_id)
    assert _ask(client, qa.id, "How do we start a circle?").status_code == 303
    page = client.get(f"/members/sessions/{qa.id}/questions").get_data(as_text=True)
    assert "How do we start a circle?" in page
    assert "Waiting for the session" in page


def test_a_question_after_the_deadline_is_refused_with_the_deadline_in_words(
        app, client, session):
    _, member, qa = _qa(app, session)
    _member_browser(client, member.person_id)
    url = f"/members/sessions/{qa.id}/questions"
    token = page_token(client, url)
    set_clock(app, "2026-03-03T17:00:00Z")  # the deadline's own second: closed
    response = client.post(url, data={"csrf_token": token, "body": "Too late?"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ("Questions for this session closed on Tuesday, March 3, 2026, 6:00 pm CET. "
            "You can still ask during the session.") in page
    assert session.scalar(select(func.count()).select_from(SessionQuestion)) == 0


def test_an_overlong_or_empty_question_is_refused_beside_the_field(app, client, session):
    _, member, qa = _qa(app, session)
    _member_browser(client, member.person_id)
    assert "Please keep it under 1,000 characters." in _ask(client, qa.id, "x" * 1001).get_data(
        as_text=True)
    assert "Please write your question." in _ask(client, qa.id, "   ").get_data(as_text=True)


def test_someone_outside_the_group_cannot_see_or_ask(app, client, session):
    community, _, qa = _qa(app, session)
    lobby_only = make_membership(session, community, "lobby",
                                 started_at=utc("2026-01-01T00:00:00Z"))
    session.commit()
    _member_browser(client, lobby_only.person_id)
    assert client.get(f"/members/sessions/{qa.id}/questions").status_code == 404


def test_facilitators_see_questions_in_order_mark_answered_and_hide(app, client, session):
    community, member, qa = _qa(app, session)
    other = make_membership(session, community, "pro", started_at=utc("2026-01-01T00:00:00Z"))
    session.commit()
    _member_browser(client, member.person_id)
    _ask(client, qa.id, "First question")
    set_clock(app, "2026-03-01T12:05:00Z")
    _member_browser(client, other.person_id)
    _ask(client, qa.id, "Second question")
    facilitator = make_staff(session, role="facilitator")
    session.commit()
    client.get("/")  # a fresh browser for the facilitator
    sign_in(client, facilitator.email)
    url = f"/staff/sessions/{qa.id}/questions"
    page = client.get(url).get_data(as_text=True)
    assert page.index("First question") < page.index("Second question")
    first, second = session.scalars(select(SessionQuestion).order_by(SessionQuestion.id)).all()
    token = page_token(client, url)
    assert client.post(f"/staff/questions/{first.id}/answer",
                       data={"csrf_token": token}).status_code == 303
    assert client.post(f"/staff/questions/{second.id}/hide",
                       data={"csrf_token": token}).status_code == 303
    assert client.post(f"/staff/questions/{second.id}/answer",
                       data={"csrf_token": token}).status_code == 409
    session.expire_all()
    assert (first.state, second.state) == ("answered", "hidden")
    _member_browser(client, member.person_id)
    own = client.get(f"/members/sessions/{qa.id}/questions").get_data(as_text=True)
    assert re.search(r"First question.*Answered", own, re.S)
