"""The Customer Hub's door: the same answer for any address, a link that works once for 24 hours."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cohort.models import AuditRecord, HubLink, OutboxMessage
from cohort.services.hub import LINKS_PER_HOUR, token_hash
from tests.factories import set_clock, utc
from tests.hub_helpers import ask_for_link, button, hub_mail, link_path, open_hub, open_link
from tests.membership_factories import make_community, make_member_person, make_membership

NOW = "2026-01-15T12:00:00Z"


def _member(session, email="ada@example.org"):
    community = make_community(session)
    person = make_member_person(session, email=email, name="Ada Member")
    make_membership(session, community, "lounge", person=person)
    session.commit()
    return person


def test_known_and_unknown_addresses_get_the_same_page_and_only_a_member_gets_mail(
        app, client, session):
    set_clock(app, NOW)
    _member(session, "ada@example.org")
    make_member_person(session, email="applicant@example.org")  # a person without membership
    session.commit()

    answers = {email: ask_for_link(client, email) for email in
               ("ada@example.org", "nobody@example.org", "applicant@example.org")}

    assert {r.status_code for r in answers.values()} == {200}
    bodies = {r.get_data(as_text=True).replace(email, "ADDRESS")
              for email, r in answers.items()}
    assert len(bodies) == 1
    assert {r.headers.get("Set-Cookie") is None for r in answers.values()} == {True}
    assert len(hub_mail(session, "ada@example.org")) == 1
    assert session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_address.in_(["nobody@example.org", "applicant@example.org"]))).all() == []
    assert len(session.scalars(select(HubLink)).all()) == 1
    # Each request leaves the same trace (and costs the same write), whoever asked.
    requests = session.scalars(select(AuditRecord).where(
        AuditRecord.subject_type == "hub_link").order_by(AuditRecord.id)).all()
    assert [r.to_state for r in requests] == ["sent", "not_sent", "not_sent"]


def test_the_link_goes_to_the_address_on_file_and_only_its_hash_is_stored(app, client, session):
    set_clock(app, NOW)
    _member(session, "ada@example.org")
    ask_for_link(client, "  ADA@Example.org ")
    message = hub_mail(session, "ada@example.org")[0]
    token = link_path(message).rsplit("/", 1)[1]
    link = session.scalars(select(HubLink)).one()
    assert len(token) >= 43
    assert link.token_hash == token_hash(token) and token not in link.token_hash
    assert link.expires_at == utc(NOW) + timedelta(hours=24)
    assert "Customer Hub" in message.subject
    assert message.body_text.rstrip().endswith("one: http://cohort.test/hub")  # ask again


def test_the_link_opens_the_hub_once_and_then_refuses_with_an_offer_of_a_new_one(
        app, client, session, fresh_globals):
    set_clock(app, NOW)
    _member(session)
    ask_for_link(client, "ada@example.org")
    path = link_path(hub_mail(session, "ada@example.org")[0])

    shown = client.get(path)
    assert shown.status_code == 200 and "Open my memberships" in shown.get_data(as_text=True)
    assert session.scalars(select(HubLink)).one().used_at is None  # looking is not using

    opened = open_link(client, path)
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/hub/memberships")
    assert "Practitioner&#39;s Lounge" in client.get("/hub/memberships").get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(HubLink)).one().used_at == utc(NOW)

    stranger = app.test_client()
    again = open_link(stranger, path)
    assert again.status_code == 410
    page = again.get_data(as_text=True)
    assert "used already" in page and "E-mail me a new link" in page
    assert stranger.get(path).status_code == 410
    assert stranger.get("/hub/memberships").status_code == 401


def test_the_link_expires_24_hours_after_it_was_sent_to_the_second(app, client, session,
                                                                  fresh_globals):
    set_clock(app, NOW)
    _member(session)
    ask_for_link(client, "ada@example.org")
    ask_for_link(client, "ada@example.org")
    first, second = (link_path(m) for m in hub_mail(session, "ada@example.org"))

    set_clock(app, "2026-01-16T11:59:59Z")
    assert client.get(first).status_code == 200
    assert open_link(client, first).status_code == 303

    set_clock(app, "2026-01-16T12:00:00Z")
    refused = client.get(second)
    assert refused.status_code == 410 and "expired" in refused.get_data(as_text=True)
    assert open_link(app.test_client(), second).status_code == 410
    session.expire_all()
    assert [link.used_at for link in session.scalars(select(HubLink).order_by(HubLink.id))] == [
        utc("2026-01-16T11:59:59Z"), None]


def test_a_made_up_or_overlong_link_is_a_404_with_words(app, client, session):
    set_clock(app, NOW)
    for path in ("/hub/not-a-token-we-sent", "/hub/" + "x" * 300):
        response = client.get(path)
        assert response.status_code == 404
        assert "not valid" in response.get_data(as_text=True)


def test_the_hub_session_ends_after_two_hours(app, client, session):
    set_clock(app, NOW)
    _member(session)
    open_hub(client, session, "ada@example.org")
    set_clock(app, "2026-01-15T13:59:59Z")
    assert client.get("/hub/memberships").status_code == 200
    set_clock(app, "2026-01-15T14:00:00Z")
    ended = client.get("/hub/memberships")
    assert ended.status_code == 401 and "session has ended" in ended.get_data(as_text=True)


def test_leaving_the_hub_ends_its_session(app, client, session):
    set_clock(app, NOW)
    _member(session)
    open_hub(client, session, "ada@example.org")
    assert button(client, "/hub/sign-out").status_code == 303
    assert client.get("/hub/memberships").status_code == 401


def test_requests_beyond_the_hourly_limit_send_nothing_and_look_the_same(app, client, session):
    set_clock(app, NOW)
    _member(session)
    pages = {ask_for_link(client, "ada@example.org").get_data(as_text=True)
             for _ in range(LINKS_PER_HOUR + 2)}
    assert len(pages) == 1
    assert len(hub_mail(session, "ada@example.org")) == LINKS_PER_HOUR
    set_clock(app, "2026-01-15T13:00:01Z")
    ask_for_link(client, "ada@example.org")
    assert len(hub_mail(session, "ada@example.org")) == LINKS_PER_HOUR + 1


def test_bad_input_and_missing_form_tokens_are_refused_with_words(app, client, session):
    set_clock(app, NOW)
    _member(session)
    for email in ("", "not-an-address", "a@" + "b" * 300 + ".org", "ada@example.org\u200b"):
        response = ask_for_link(client, email)
        assert response.status_code == 422, email
        assert 'class="error"' in response.get_data(as_text=True)
    assert client.post("/hub", data={"email": "ada@example.org"}).status_code == 400
    ask_for_link(client, "ada@example.org")
    path = link_path(hub_mail(session, "ada@example.org")[0])
    assert client.post(path).status_code == 400  # no form token: the link stays unused
    session.expire_all()
    assert session.scalars(select(HubLink)).one().used_at is None


def test_a_community_page_points_its_members_to_the_hub(app, client, session):
    community = make_community(session)
    session.commit()
    page = client.get(f"/communities/{community.slug}").get_data(as_text=True)
    assert 'href="/hub">Customer Hub</a>' in page
