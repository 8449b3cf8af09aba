"""Applying for PRO: the seed's criteria, limits, no enumeration."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cohort.models import AuditRecord, Membership, OutboxMessage, Person, TermsAgreement
from tests.factories import csrf_token
from tests.membership_factories import make_community, make_member_person, make_membership

ANSWERS = {
    "full_name": "Paula Pro", "time_zone": "Europe/Berlin", "s3_training": "yes",
    "training_details": "S3 Practitioner training with Bernhard and James, Berlin 2023.",
    "exception_reason": "",
    "s3_experience": "Two years of using consent decision-making and role selection.",
    "helping_others": "working",
    "helping_details": "I coach three teams in a hospital to adopt S3 patterns.",
    "giving": "Cases from the hospital and a workshop format for driver mapping.",
    "agree_terms": "y",
}


def _url(community) -> str:
    return f"/communities/{community.slug}/pro/apply"


def _post(client, community, **overrides):
    data = {**ANSWERS, "email": "paula@example.org", **overrides}
    data = {k: v for k, v in data.items() if v is not None}
    data["csrf_token"] = csrf_token(client, _url(community))
    return client.post(_url(community), data=data)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    return match.group(1) if match else ""


def test_the_form_asks_the_seeds_criteria(client, session):
    community = make_community(session)
    session.commit()
    page = client.get(_url(community)).get_data(as_text=True)
    assert "Have you participated in formal training around Sociocracy 3.0?" in page
    assert "Why is it valuable that you join without formal training?" in page
    assert "Your experience using S3 patterns" in page
    assert "I intend to start working with others" in page
    assert "What will you give to the community, as well as receive from it?" in page
    assert "Member Guidelines and Terms of Confidentiality (version 1)" in page


def test_a_valid_application_is_a_pro_membership_in_review_with_its_answers(client, session):
    community = make_community(session)
    session.commit()

    response = _post(client, community, email="  Paula@Example.ORG ")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/communities/{community.slug}/pro/applied")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your application is in" in page and "Paula@example.org" in page
    membership = session.scalars(select(Membership)).one()
    assert (membership.state, membership.plan.slug) == ("applied", "pro")
    assert membership.time_zone == "Europe/Berlin"
    assert membership.application["s3_training"] == "yes"
    assert membership.application["giving"].startswith("Cases from the hospital")
    assert membership.application["terms_version"] == 1
    assert membership.account.community_id == community.id
    assert membership.person.email_normalized == "paula@example.org"
    audit = session.scalars(select(AuditRecord)).one()
    assert (audit.subject_type, audit.event, audit.from_state, audit.to_state) == (
        "membership", "apply", "pending", "applied")
    assert _count(session, TermsAgreement) == 1
    mail = session.scalars(select(OutboxMessage)).one()
    assert mail.kind == "pro_application_received"
    assert mail.to_address == "Paula@example.org"
    assert "PRO Lounge" in mail.subject


def test_without_formal_training_the_applicant_says_why_an_exception_is_valuable(
        client, session):
    community = make_community(session)
    session.commit()
    refused = _post(client, community, s3_training="no", training_details="")
    assert refused.status_code == 422
    assert _error_beside(refused.get_data(as_text=True), "exception_reason").startswith(
        "Please tell us why it is valuable that you join without formal training")
    accepted = _post(client, community, s3_training="no", training_details="",
                     exception_reason="I have taught S3 patterns from the guide for years.")
    assert accepted.status_code == 302
    assert session.scalars(select(Membership)).one().application["s3_training"] == "no"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("full_name", "", "Please enter your name."),
    ("full_name", "x" * 121, "Please keep this under 120 characters."),
    ("email", "not-an-address", "That does not look like an e-mail address"),
    ("time_zone", "Mars/Olympus", "Please choose a time zone from the list."),
    ("s3_training", "maybe", "Please choose whether you have had formal S3 training from"),
    ("s3_training", None, "Please choose whether you have had formal S3 training."),
    ("training_details", "", "Please name your training"),
    ("s3_experience", "Some.", "Please write between 20 and 3,000 characters."),
    ("s3_experience", "y" * 3001, "Please write between 20 and 3,000 characters."),
    ("helping_others", None, "Please choose whether you work with others or intend to."),
    ("helping_details", "", "Please tell us how you help others learn about and apply S3."),
    ("giving", "", "Please tell us what you will give to the community."),
    ("agree_terms", None, "Please agree to the Member Guidelines and Terms of Confidentiality"),
])
def test_a_wrong_answer_is_refused_with_a_message_beside_its_field(client, session, field,
                                                                   value, message):
    community = make_community(session)
    session.commit()
    response = _post(client, community, **{field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert _error_beside(page, field).startswith(message)
    assert "Nothing has been saved yet" in page
    assert _count(session, Membership) == 0 and _count(session, Person) == 0


def test_a_known_address_gets_the_same_answer_and_its_stored_person_is_never_rewritten(
        client, session):
    community = make_community(session)
    owner = make_member_person(session, email="owner@example.org", name="Olga Owner")
    session.commit()
    stranger = _post(client, community, email="OWNER@example.org", full_name="Mallory")
    unknown = _post(client, community, email="someone-new@example.org", full_name="Nadia New")

    assert stranger.status_code == unknown.status_code == 302
    assert stranger.headers["Location"] == unknown.headers["Location"]
    session.expire_all()
    assert session.get(Person, owner.id).name == "Olga Owner"
    assert session.get(Person, owner.id).email == "owner@example.org"
    mine = session.scalars(select(Membership).where(Membership.person_id == owner.id)).one()
    assert mine.application["full_name"] == "Mallory", "the answers keep what was typed"
    # The confirmation goes to the stored address; a stranger's agreement is not the owner's.
    assert session.scalars(select(OutboxMessage.to_address).where(
        OutboxMessage.kind == "pro_application_received")).all() == [
        "owner@example.org", "someone-new@example.org"]
    newcomer = session.scalars(select(Person.id).where(
        Person.email_normalized == "someone-new@example.org")).one()
    assert session.scalars(select(TermsAgreement.person_id)).all() == [newcomer]


def test_applying_again_stores_nothing_and_tells_the_owner_at_most_hourly(client, session):
    community = make_community(session)
    session.commit()
    first = _post(client, community)
    again = _post(client, community, full_name="Someone Else")
    third = _post(client, community)
    assert first.headers["Location"] == again.headers["Location"] == third.headers["Location"]
    assert _count(session, Membership) == 1
    kinds = session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds == ["pro_application_received", "pro_application_repeated"]
    repeat = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "pro_application_repeated")).one()
    assert "nothing was changed" in repeat.body_text
    assert "Application received" in repeat.body_text


def test_an_active_pro_member_cannot_apply_twice_but_a_declined_applicant_can_reapply(
        client, session):
    community = make_community(session)
    member = make_membership(session, community, "pro", state="active")
    declined = make_membership(session, community, "pro", state="declined", interval=None)
    session.commit()
    _post(client, community, email=member.person.email)
    _post(client, community, email=declined.person.email)
    session.expire_all()
    assert _count(session, Membership) == 3
    fresh = session.scalars(select(Membership).where(Membership.state == "applied")).one()
    assert fresh.person_id == declined.person_id


def test_an_unknown_community_is_a_404_with_words(client, session):
    response = client.get("/communities/nowhere/pro/apply")
    assert response.status_code == 404
    assert "There is no community at this address." in response.get_data(as_text=True)


def test_an_expired_form_comes_back_filled_in_and_saves_nothing(client, session):
    community = make_community(session)
    session.commit()
    data = {**ANSWERS, "email": "late@example.org", "csrf_token": "expired"}
    response = client.post(_url(community), data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form had expired" in page and "late@example.org" in page
    assert _count(session, Membership) == 0
