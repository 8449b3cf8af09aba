"""Joining the free Lobby: one answer for every address, a signed link, terms agreed on confirm."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cohort.models import (
    BillingAccount,
    Membership,
    OutboxMessage,
    Person,
    TermsAgreement,
    TermsVersion,
)
from cohort.services.community_admin import publish_terms
from cohort.services.memberships import (
    LinkNotValid,
    agree_terms,
    confirm_lobby,
    current_terms,
    join_lobby,
    membership_account,
    needs_agreement,
)
from tests.factories import csrf_token, set_clock, utc
from tests.membership_factories import make_community, make_member_person, make_membership

NOW = "2026-02-01T10:00:00Z"


@pytest.fixture
def community(app, session):
    set_clock(app, NOW)
    made = make_community(session)
    session.commit()
    return made


def _join(client, community, **fields):
    page = f"/communities/{community.slug}"
    terms = re.search(r'name="terms_version" type="hidden" value="(\d+)"',
                      client.get(page).get_data(as_text=True))
    data = {"name": "Lea Lobby", "email": "lea@example.org", "agree_terms": "y",
            "terms_version": terms.group(1) if terms else "",
            "csrf_token": csrf_token(client, page), **fields}
    return client.post(f"{page}/join", data=data)


def _mails(session, kind=None):
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return list(session.scalars(stmt))


def _link(message) -> str:
    match = re.search(r"http://\S+/confirm/(\S+)", message.body_text)
    assert match, message.body_text
    return match.group(0).split("localhost", 1)[-1] if "localhost" in match.group(0) \
        else "/" + match.group(0).split("/", 3)[3]


def test_joining_makes_a_pending_lobby_membership_and_mails_a_confirmation_link(
        client, session, community):
    response = _join(client, community)

    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "lea@example.org" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    membership = session.scalars(select(Membership)).one()
    assert (membership.state, membership.plan.slug) == ("pending", "lobby")
    assert membership.started_at is None
    [mail] = _mails(session)
    assert (mail.kind, mail.to_address) == ("lobby_confirm", "lea@example.org")
    assert "/confirm/" in mail.body_text
    # No agreement before the address is proven to be the joiner's.
    assert session.scalar(select(func.count(TermsAgreement.id))) == 0


def test_a_known_and_an_unknown_address_get_the_same_answer_and_one_e_mail_each(
        client, session, community):
    known = make_member_person(session, email="known@example.org", name="Stored Name")
    session.commit()

    unknown_answer = _join(client, community, email="nobody@example.org")
    unknown_page = client.get(unknown_answer.headers["Location"]).get_data(as_text=True)
    known_answer = _join(client, community, email="KNOWN@example.org", name="Someone Else")
    known_page = client.get(known_answer.headers["Location"]).get_data(as_text=True)

    assert unknown_answer.status_code == known_answer.status_code == 303
    assert "nobody@example.org" in unknown_page and "KNOWN@example.org" in known_page
    assert unknown_page.replace("nobody@example.org", "X") == \
        known_page.replace("KNOWN@example.org", "X")
    mails = _mails(session)
    assert [m.kind for m in mails] == ["lobby_confirm", "lobby_confirm"]
    assert mails[1].to_address == "known@example.org"  # the stored address, never the typed one
    session.refresh(known)
    assert (known.name, known.email) == ("Stored Name", "known@example.org")  # never rewritten


def test_an_address_already_in_the_lobby_is_told_by_e_mail_and_the_page_is_the_same(
        client, session, community):
    member = make_member_person(session, email="member@example.org")
    make_membership(session, community, "lobby", person=member, interval=None)
    session.commit()

    answer = _join(client, community, email="member@example.org")

    assert answer.status_code == 303
    assert [m.kind for m in _mails(session)] == ["lobby_already_member"]
    assert session.scalar(select(func.count(Membership.id))) == 1  # nothing new


def test_confirming_records_the_terms_agreement_and_activates_once(app, client, session,
                                                                   community):
    _join(client, community)
    link = _link(_mails(session)[0])
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    set_clock(app, "2026-02-01T11:00:00Z")

    token = csrf_token(client, link)
    confirmed = client.post(link, data={"csrf_token": token})
    again = client.post(link, data={"csrf_token": token})  # a second press changes nothing

    assert confirmed.status_code == again.status_code == 303
    assert "Welcome to" in client.get(link).get_data(as_text=True)
    session.expire_all()
    membership = session.scalars(select(Membership)).one()
    assert membership.state == "active"
    assert membership.started_at == utc("2026-02-01T11:00:00Z")
    agreement = session.scalars(select(TermsAgreement)).one()
    assert agreement.person_id == membership.person_id
    assert agreement.terms_version.version == 1
    assert agreement.agreed_at == utc("2026-02-01T11:00:00Z")
    assert not needs_agreement(session, membership.person, community)


def test_a_link_that_was_altered_or_has_expired_is_refused_with_words(app, client, session,
                                                                      community):
    _join(client, community)
    link = _link(_mails(session)[0])

    altered = client.get(link[:-3] + "abc")
    set_clock(app, "2026-02-08T10:00:01Z")  # seven days and a second later
    expired = client.get(link)

    assert altered.status_code == 404 and "not valid" in altered.get_data(as_text=True)
    assert expired.status_code == 404 and "expired" in expired.get_data(as_text=True)


def test_the_form_refuses_missing_terms_and_bad_addresses_beside_the_field(client, session,
                                                                          community):
    no_terms = _join(client, community, agree_terms="")
    bad_address = _join(client, community, email="not an address")
    too_long = _join(client, community, name="x" * 121)

    assert no_terms.status_code == bad_address.status_code == too_long.status_code == 422
    assert "Please agree to the terms to join." in no_terms.get_data(as_text=True)
    assert "does not look like an e-mail address" in bad_address.get_data(as_text=True)
    assert "under 120 characters" in too_long.get_data(as_text=True)
    assert _mails(session) == []


def test_terms_published_while_reading_ask_to_tick_again(client, session, community):
    page = f"/communities/{community.slug}"
    token = csrf_token(client, page)
    old = current_terms(session, community)
    publish_terms(session, community, title="Member Guidelines v2", body="New words " * 5,
                  actor="staff:test", now=utc(NOW))
    session.commit()

    answer = client.post(f"{page}/join", data={
        "name": "Lea", "email": "lea@example.org", "agree_terms": "y",
        "terms_version": str(old.id), "csrf_token": token})

    assert answer.status_code == 409
    assert "The terms were updated" in answer.get_data(as_text=True)
    assert _mails(session) == []


def test_a_new_terms_version_asks_every_member_to_agree_again(session, community):
    person = make_member_person(session)
    agree_terms(session, person, current_terms(session, community), utc(NOW))
    assert not needs_agreement(session, person, community)

    publish_terms(session, community, title="Member Guidelines and Terms of Confidentiality",
                  body="Version two of the words.", actor="staff:test",
                  now=utc(NOW) + timedelta(days=1))

    assert needs_agreement(session, person, community)
    agree_terms(session, person, current_terms(session, community), utc(NOW))
    assert not needs_agreement(session, person, community)


def test_agreeing_twice_keeps_the_first_record(session, community):
    person = make_member_person(session)
    terms = current_terms(session, community)
    first = agree_terms(session, person, terms, utc(NOW))
    second = agree_terms(session, person, terms, utc(NOW) + timedelta(hours=1))
    assert first.id == second.id and second.agreed_at == utc(NOW)


def test_one_billing_account_per_person_per_community(session, community):
    person = make_member_person(session)
    first = membership_account(session, community, person)
    second = membership_account(session, community, person)
    assert first.id == second.id
    assert session.scalar(select(func.count(BillingAccount.id))) == 1
    assert (first.owner, first.currency) == ("membership", "USD")


def test_a_link_for_another_community_is_not_valid(app, session, community):
    other = make_community(session)
    join_lobby(session, community, "Lea", "lea@example.org", current_terms(session, community).id,
               utc(NOW))
    link = _mails(session)[0]
    token = re.search(r"/confirm/(\S+)", link.body_text).group(1)
    with pytest.raises(LinkNotValid):
        confirm_lobby(session, other, token, utc(NOW))
    assert session.scalar(select(func.count(Person.id))) == 1
    assert session.scalar(select(func.count(TermsVersion.id))) == 2


def test_ten_simultaneous_joins_with_one_address_make_one_person_account_and_membership(
        app, session, community):
    from tests.test_concurrency import _all_at_once, _count

    community_id, terms_id = community.id, current_terms(session, community).id
    session.commit()

    def join(i: int) -> str:
        from cohort.extensions import db
        from cohort.models import Community

        address = join_lobby(db.session, db.session.get(Community, community_id),
                             f"Racer {i}", "Race@Example.org", terms_id, utc(NOW))
        db.session.commit()
        return address

    results = _all_at_once(app, 10, join)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert _count(session, Person) == 1
    assert _count(session, BillingAccount) == 1
    assert _count(session, Membership) == 1
    assert _count(session, OutboxMessage) == 1


def test_the_community_pages_name_the_communitys_own_address_to_write_to(client, community):
    for path in ("", "/terms"):
        html = client.get(f"/communities/{community.slug}{path}").get_data(as_text=True)
        footer = html[html.index('<footer class="site">'):]
        assert '<a href="mailto:community@example.org">community@example.org</a>' in footer
