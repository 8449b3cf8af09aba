"""Staff pages of a community: each group at any instant, the roster CSV, prices, terms."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from cohort.models import Membership, OutboxMessage, PlanPrice, TermsAgreement, TermsVersion
from cohort.services.memberships import agree_terms, current_terms, needs_agreement
from tests.console_helpers import page_token, sign_in
from tests.factories import make_staff, set_clock, utc
from tests.membership_factories import (
    make_community,
    make_member_person,
    make_membership,
    plan_of,
    price_of,
)

NOW = "2026-03-15T12:00:00Z"


@pytest.fixture
def community(app, session):
    set_clock(app, NOW)
    made = make_community(session, time_zone="America/Los_Angeles")
    session.commit()
    return made


def _staff(client, session, role):
    user = make_staff(session, role=role)
    session.commit()
    sign_in(client, user.email)
    return user


def _lounge_history(session, community):
    """Ann: Lounge from Jan 10 to Feb 10; Ben: PRO from Feb 1 on (agreed then); Cy: Lobby only.

    Only Ben has agreed to the terms."""
    ann = make_membership(session, community, "lounge", state="ended",
                          person=make_member_person(session, name="Ann Ended"),
                          started_at=utc("2026-01-10T00:00:00Z"),
                          paid_through=utc("2026-02-10T00:00:00Z"), agreed_terms=False)
    ben = make_membership(session, community, "pro", state="active",
                          person=make_member_person(session, name="=Ben Pro"),
                          started_at=utc("2026-02-01T00:00:00Z"),
                          paid_through=utc("2026-04-01T00:00:00Z"), agreed_terms=False)
    agree_terms(session, ben.person, current_terms(session, community),
                utc("2026-02-01T00:00:00Z"))
    make_membership(session, community, "lobby", interval=None,
                    person=make_member_person(session, name="Cy Lobby"),
                    started_at=utc("2026-01-01T00:00:00Z"), agreed_terms=False)
    session.commit()
    return ann, ben


def _names(html: str, *names: str) -> list[str]:
    return [n for n in names if n in html]


def test_the_lounge_page_shows_who_was_in_it_at_each_instant(client, session, community):
    _lounge_history(session, community)
    _staff(client, session, "facilitator")
    url = f"/staff/communities/{community.slug}/groups/practitioners-lounge"

    now_page = client.get(url).get_data(as_text=True)
    january = client.get(f"{url}?at=2026-01-20").get_data(as_text=True)
    both = client.get(f"{url}?at=2026-02-05T00:00:00Z").get_data(as_text=True)
    last_second = client.get(f"{url}?at=2026-02-09T23:59:59Z").get_data(as_text=True)
    ended = client.get(f"{url}?at=2026-02-10T00:00:00Z").get_data(as_text=True)

    assert _names(now_page, "Ann Ended", "=Ben Pro", "Cy Lobby") == ["=Ben Pro"]
    assert _names(january, "Ann Ended", "=Ben Pro") == ["Ann Ended"]
    assert _names(both, "Ann Ended", "=Ben Pro") == ["Ann Ended", "=Ben Pro"]
    assert _names(last_second, "Ann Ended") == ["Ann Ended"]
    assert _names(ended, "Ann Ended", "=Ben Pro") == ["=Ben Pro"]
    assert "Ended Monday, February 9, 2026, 4:00 pm PST" in both  # Feb 10 00:00 UTC


def test_the_group_page_gives_plan_since_until_and_terms_version(client, session, community):
    _lounge_history(session, community)
    _staff(client, session, "facilitator")

    page = client.get(f"/staff/communities/{community.slug}/groups/pro-lounge"
                      ).get_data(as_text=True)

    assert "PRO Lounge (monthly)" in page
    assert "Saturday, January 31, 2026, 4:00 pm PST" in page  # since, in the community's zone
    assert "Paid through Tuesday, March 31, 2026, 5:00 pm PDT" in page
    assert "Must agree" not in page  # Ben agreed to version 1


def test_the_roster_csv_is_the_same_list_and_keeps_formulas_from_running(client, session,
                                                                         community):
    _lounge_history(session, community)
    _staff(client, session, "finance")

    response = client.get(f"/staff/communities/{community.slug}/groups/practitioners-lounge"
                          "/roster.csv?at=2026-02-05T00:00:00Z")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["member", "e-mail", "plan", "interval"]
    assert [(r[0], r[2], r[5], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("Ann Ended", "Practitioner's Lounge", "2026-01-10T00:00:00Z", "2026-02-10T00:00:00Z",
         "ended", ""),
        ("'=Ben Pro", "PRO Lounge", "2026-02-01T00:00:00Z", "2026-04-01T00:00:00Z",
         "paid through", "1")]


@pytest.mark.parametrize("at", ["yesterday", "2026-13-01", "2026-03-01T12:00:00", "9" * 41])
def test_an_instant_that_is_not_one_is_refused_with_words(client, session, community, at):
    _staff(client, session, "facilitator")
    for path in ("", "/roster.csv"):
        response = client.get(f"/staff/communities/{community.slug}/groups/lobby-room{path}",
                              query_string={"at": at})
        assert response.status_code == 400
        assert "Please give a date" in response.get_data(as_text=True) or \
            "not a date" in response.get_data(as_text=True)


def test_a_new_price_retires_the_old_one_and_members_keep_theirs(client, session, community):
    member = make_membership(session, community, "lounge", state="active")
    old = price_of(session, plan_of(session, community, "lounge"), "month")
    session.commit()
    _staff(client, session, "finance")
    url = f"/staff/communities/{community.slug}/prices"
    page = client.get(url).get_data(as_text=True)
    assert "demo values" in page

    response = client.post(f"{url}/lounge/month", data={
        "lounge-month-amount": "25.00", "csrf_token": page_token(client, url)})

    assert response.status_code == 303
    session.expire_all()
    new = price_of(session, plan_of(session, community, "lounge"), "month")
    assert (new.amount_cents, new.currency) == (2_500, "USD") and new.id != old.id
    assert session.get(PlanPrice, old.id).retired_at == utc(NOW)
    assert session.get(Membership, member.id).price_id == old.id  # until they renew
    assert "$25 USD per month" in client.get(f"/communities/{community.slug}").get_data(
        as_text=True)
    yearly = price_of(session, plan_of(session, community, "lounge"), "year")
    assert yearly.retired_at is None and yearly.amount_cents == 20_000  # untouched


@pytest.mark.parametrize(("amount", "message"), [
    ("abc", "Please give an amount in digits"), ("0", "must be above zero"),
    ("1e3", "Please give an amount in digits"), ("", "Please enter the new price.")])
def test_a_bad_price_is_refused_beside_the_field(client, session, community, amount, message):
    _staff(client, session, "admin")
    url = f"/staff/communities/{community.slug}/prices"
    response = client.post(f"{url}/pro/year", data={
        "pro-year-amount": amount, "csrf_token": page_token(client, url)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(session.scalars(select(PlanPrice).where(PlanPrice.retired_at.is_not(None))
                               ).all()) == 0


def test_the_free_plan_and_unknown_intervals_have_no_price_to_set(client, session, community):
    _staff(client, session, "finance")
    url = f"/staff/communities/{community.slug}/prices"
    token = page_token(client, url)
    for path in ("lobby/month", "lounge/week", "nothing/month"):
        assert client.post(f"{url}/{path}", data={"csrf_token": token}).status_code == 404


def test_publishing_terms_asks_members_to_agree_again_on_the_group_page(client, session,
                                                                        community):
    _, ben = _lounge_history(session, community)
    _staff(client, session, "facilitator")
    url = f"/staff/communities/{community.slug}/terms"

    response = client.post(url, data={
        "title": "Member Guidelines and Terms of Confidentiality",
        "body": "Version two: what is said in a group stays in the group.", "confirm": "y",
        "csrf_token": page_token(client, url)})

    assert response.status_code == 303
    session.expire_all()
    terms = current_terms(session, community)
    assert terms.version == 2 and terms.published_at == utc(NOW)
    assert needs_agreement(session, ben.person, community)
    set_clock(client.application, "2026-03-15T12:00:01Z")
    group = client.get(f"/staff/communities/{community.slug}/groups/pro-lounge"
                       ).get_data(as_text=True)
    assert "Must agree to the current version" in group
    earlier = client.get(f"/staff/communities/{community.slug}/groups/pro-lounge"
                         "?at=2026-03-01").get_data(as_text=True)
    assert "Must agree" not in earlier  # before version 2 was published


def test_publishing_needs_the_box_ticked_and_words_within_limits(client, session, community):
    _staff(client, session, "facilitator")
    url = f"/staff/communities/{community.slug}/terms"
    token = page_token(client, url)
    unticked = client.post(url, data={"title": "T", "body": "x" * 30, "csrf_token": token})
    too_long = client.post(url, data={"title": "T", "body": "x" * 20_001, "confirm": "y",
                                      "csrf_token": token})
    assert unticked.status_code == too_long.status_code == 422
    assert "Please tick the box" in unticked.get_data(as_text=True)
    assert "between 20 and 20,000 characters" in too_long.get_data(as_text=True)
    assert session.scalars(select(TermsVersion.version)).all() == [1]


def test_each_page_is_for_its_roles(client, session, community):
    slug = community.slug
    anonymous = client.get(f"/staff/communities/{slug}")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]

    _staff(client, session, "facilitator")
    assert client.get(f"/staff/communities/{slug}").status_code == 200
    assert client.get(f"/staff/communities/{slug}/terms").status_code == 200
    refused = client.get(f"/staff/communities/{slug}/prices")
    assert refused.status_code == 403 and "This page is for finance" in refused.get_data(
        as_text=True)

    client.post("/staff/logout", data={"csrf_token": page_token(client, "/staff/")})
    _staff(client, session, "finance")
    assert client.get(f"/staff/communities/{slug}/prices").status_code == 200
    assert client.get(f"/staff/communities/{slug}/groups/lobby-room").status_code == 200
    assert client.get(f"/staff/communities/{slug}/terms").status_code == 403


def test_the_overview_lists_groups_plans_prices_and_terms(client, session, community):
    _lounge_history(session, community)
    _staff(client, session, "admin")
    page = client.get(f"/staff/communities/{community.slug}").get_data(as_text=True)
    for words in ("The Lobby room", "Practitioner's Lounge", "PRO Lounge", "$20 USD", "$500 USD",
                  "version 1", "Change prices", "Terms versions"):
        assert words in page.replace("&#39;", "'"), words
    assert client.get("/staff/communities").status_code == 200
    assert client.get("/staff/communities/nothing").status_code == 404
    assert client.get(f"/staff/communities/{community.slug}/groups/nothing").status_code == 404


def test_until_says_when_a_cancelled_membership_ends(client, session, community):
    member = make_membership(session, community, "lounge", state="cancelling",
                             started_at=utc("2026-03-01T00:00:00Z"),
                             paid_through=utc("2026-04-01T00:00:00Z"),
                             cancel_requested_at=utc("2026-03-10T00:00:00Z"))
    session.commit()
    _staff(client, session, "facilitator")
    page = client.get(f"/staff/communities/{community.slug}/groups/practitioners-lounge"
                      ).get_data(as_text=True)
    assert member.person.name in page
    assert "Ends Tuesday, March 31, 2026, 5:00 pm PDT" in page
    before = client.get(f"/staff/communities/{community.slug}/groups/practitioners-lounge"
                        "?at=2026-03-05T00:00:00Z")
    assert "Paid through" in before.get_data(as_text=True)  # not yet cancelled then


def test_members_are_e_mailed_a_link_to_agree_again_and_agreeing_is_recorded_once(
        app, client, session, community):
    _, ben = _lounge_history(session, community)
    _staff(client, session, "facilitator")
    url = f"/staff/communities/{community.slug}/terms"
    client.post(url, data={"title": "Member Guidelines and Terms of Confidentiality",
                           "body": "Version two: what is said in a group stays there.",
                           "confirm": "y", "csrf_token": page_token(client, url)})
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "terms_updated")
                            .order_by(OutboxMessage.to_address)).all()
    # Ben (PRO) and Cy (Lobby) have access now; Ann's membership ended.
    assert sorted(m.to_address for m in mails) == sorted(
        [ben.person.email, session.scalars(select(Membership).join(Membership.plan).where(
            Membership.plan.has(slug="lobby"))).one().person.email])
    link = next(m for m in mails if m.to_address == ben.person.email).body_text
    path = "/communities/" + link.split("/communities/", 1)[1].split()[0]
    client.post("/staff/logout", data={"csrf_token": page_token(client, "/staff/")})

    page = client.get(path)
    assert page.status_code == 200 and "Version two" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    unticked = client.post(path, data={"csrf_token": page_token(client, path)})
    set_clock(app, "2026-03-16T09:00:00Z")
    token = page_token(client, path)
    agreed = client.post(path, data={"agree": "y", "csrf_token": token})
    set_clock(app, "2026-03-17T09:00:00Z")
    client.post(path, data={"agree": "y", "csrf_token": token})

    assert unticked.status_code == 400 and agreed.status_code == 303
    assert "your agreement to version 2 was recorded" in client.get(path).get_data(as_text=True)
    session.expire_all()
    assert not needs_agreement(session, ben.person, community)
    version_two = current_terms(session, community)
    records = session.scalars(select(TermsAgreement).where(
        TermsAgreement.terms_version_id == version_two.id)).all()
    assert [(r.person_id, r.agreed_at) for r in records] == [
        (ben.person_id, utc("2026-03-16T09:00:00Z"))]
    set_clock(app, "2026-04-16T09:00:01Z")  # thirty days after the link was sent, and a bit
    assert client.get(path).status_code == 404
    assert client.get(path[:-4] + "AAAA").status_code == 404
