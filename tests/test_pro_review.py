"""PRO applications in the facilitators' queue: a review each, previews, bulk decisions, links."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cohort.clock import now
from cohort.models import Membership, OutboxMessage
from cohort.models.review import Review
from cohort.services.pro_applications import ProApplicationData, submit_pro_application
from cohort.services.subscriptions import NotOffered, approved_membership
from tests.console_helpers import page_token, sign_in
from tests.factories import make_staff
from tests.membership_factories import make_community


def _apply(session, community, name: str, email: str) -> Membership:
    data = ProApplicationData(
        full_name=name, email=email, time_zone="Australia/Sydney", s3_training="in_progress",
        training_details="S3 facilitator course, spring 2026.", exception_reason="",
        s3_experience="Consent decisions and driver mapping in my team for a year.",
        helping_others="intending", helping_details="I will run S3 workshops for NGOs.",
        giving="Write-ups of every workshop I run, shared with the group.")
    membership = submit_pro_application(session, community, data, now())
    assert membership.membership is not None
    return membership.membership


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _decide(client, community, ids, event, message=""):
    queue = f"/staff/communities/{community.slug}/queue"
    data = {"csrf_token": page_token(client, queue), "event": event,
            "membership_ids": [str(i) for i in ids], "message": message}
    preview = client.post(f"/staff/communities/{community.slug}/decisions/preview", data=data)
    return preview, (lambda: client.post(f"/staff/communities/{community.slug}/decisions",
                                         data=data))


def _review(client, membership, recommendation, note=""):
    url = f"/staff/pro-applications/{membership.id}"
    return client.post(f"{url}/review", data={"csrf_token": page_token(client, url),
                                              "recommendation": recommendation, "note": note})


def test_each_facilitator_reviews_a_pro_application_once_and_the_queue_shows_both(
        app, session, fresh_globals):
    community = make_community(session)
    paula = _apply(session, community, "Paula Pro", "paula@example.org")
    other = _apply(session, community, "Omar Other", "omar@example.org")
    make_staff(session, role="facilitator", email="evan@example.org", name="Evan Miller")
    make_staff(session, role="facilitator", email="sheella@example.org", name="Sheella Mierson")
    session.commit()
    evan, sheella = app.test_client(), app.test_client()
    sign_in(evan, "evan@example.org")
    sign_in(sheella, "sheella@example.org")

    assert _review(evan, paula, "approve", "Strong practice.").status_code == 302
    assert _review(sheella, paula, "decline").status_code == 302
    assert _review(sheella, paula, "approve", "Changed my mind.").status_code == 302
    refused = _review(evan, paula, "accept")  # a cohort's decision is not a PRO one
    assert refused.status_code == 302

    session.expire_all()
    reviews = session.scalars(select(Review).where(Review.membership_id == paula.id)
                              .order_by(Review.id)).all()
    assert [(r.reviewer.name, r.recommendation, r.note) for r in reviews] == [
        ("Evan Miller", "approve", "Strong practice."),
        ("Sheella Mierson", "approve", "Changed my mind.")]
    assert all(r.enrollment_id is None for r in reviews)

    staff_page = evan.get(f"/staff/communities/{community.slug}").get_data(as_text=True)
    assert f'href="/staff/communities/{community.slug}/queue"' in staff_page
    queue = evan.get(f"/staff/communities/{community.slug}/queue").get_data(as_text=True)
    assert "Evan Miller: approve" in queue and "Sheella Mierson: approve" in queue
    assert "Application received:</strong> 2" in queue
    mine = evan.get(f"/staff/communities/{community.slug}/queue?mine=unreviewed"
                    ).get_data(as_text=True)
    assert "Omar Other" in mine and "Paula Pro" not in mine
    page = evan.get(f"/staff/pro-applications/{paula.id}").get_data(as_text=True)
    assert "S3 facilitator course, spring 2026." in page
    assert "I intend to start working with others" in page
    assert "Update my review" in page
    assert other.id != paula.id


def test_approving_previews_the_email_then_sends_signed_subscribe_links(client, session):
    community = make_community(session)
    paula = _apply(session, community, "Paula Pro", "paula@example.org")
    make_staff(session, role="facilitator", email="evan@example.org", name="Evan Miller")
    session.commit()
    sign_in(client, "evan@example.org")
    sent_before = _count(session, OutboxMessage)

    preview, confirm = _decide(client, community, [paula.id], "approve",
                               message="Welcome aboard.")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Subject:</strong> Welcome to PRO Lounge: your application is accepted" in page
    assert '<h2>Paula Pro &lt;paula@example.org&gt; — <span class="state">' in page
    assert re.findall(r'name="membership_ids" value="(\d+)"', page) == [str(paula.id)]
    assert "Welcome aboard." in page and "$50.00 USD a month" in page \
        and "$500.00 USD a year" in page
    assert _count(session, OutboxMessage) == sent_before, "a preview sends nothing"

    assert confirm().status_code == 302
    session.expire_all()
    assert session.get(Membership, paula.id).state == "approved"
    mail = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "pro_application_approved")).one()
    assert mail.to_address == "paula@example.org" and "Welcome aboard." in mail.body_text
    links = re.findall(r"http://cohort\.test/communities/[^\s]+", mail.body_text)
    assert [parse_qs(urlsplit(link).query)["interval"] for link in links] == [["month"],
                                                                              ["year"]]
    for link in links:
        assert urlsplit(link).path == f"/communities/{community.slug}/subscribe/pro"
        token = parse_qs(urlsplit(link).query)["token"][0]
        assert approved_membership(session, paula.plan, token, now()).id == paula.id
        with pytest.raises(NotOffered):
            approved_membership(session, paula.plan, token[:-3] + "xyz", now())
    assert "decision: approve" in client.get(f"/staff/pro-applications/{paula.id}"
                                             ).get_data(as_text=True)


def test_bulk_decline_decides_several_and_a_batch_with_one_refusal_changes_nothing(
        client, session):
    community = make_community(session)
    applicants = [_apply(session, community, f"Applicant {n}", f"a{n}@example.org")
                  for n in range(3)]
    make_staff(session, role="facilitator", email="evan@example.org")
    session.commit()
    sign_in(client, "evan@example.org")

    _, confirm = _decide(client, community, [applicants[0].id], "approve")
    assert confirm().status_code == 302

    preview, confirm = _decide(client, community, [a.id for a in applicants], "decline")
    page = preview.get_data(as_text=True)
    assert "You cannot decline a membership that is approved." in page
    assert "and send" not in page
    assert confirm().status_code == 409
    session.expire_all()
    assert [session.get(Membership, a.id).state for a in applicants] == [
        "approved", "applied", "applied"]

    preview, confirm = _decide(client, community, [a.id for a in applicants[1:]], "decline",
                               message="Please apply again next year.")
    assert preview.get_data(as_text=True).count("Subject:</strong> Your application for") == 2
    assert confirm().status_code == 302
    session.expire_all()
    assert [session.get(Membership, a.id).state for a in applicants[1:]] == [
        "declined", "declined"]
    declines = session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "pro_application_declined")).all()
    assert sorted(m.to_address for m in declines) == ["a1@example.org", "a2@example.org"]
    assert all("Please apply again next year." in m.body_text for m in declines)
    assert all(session.get(Membership, a.id).ended_at is not None for a in applicants[1:])


def test_decisions_refuse_applications_of_another_community(client, session):
    community, elsewhere = make_community(session), make_community(session)
    stranger = _apply(session, elsewhere, "Stella Stranger", "stella@example.org")
    make_staff(session, role="facilitator", email="evan@example.org")
    session.commit()
    sign_in(client, "evan@example.org")
    preview, _ = _decide(client, community, [stranger.id], "approve")
    assert preview.status_code == 409
    assert "are not in this community" in preview.get_data(as_text=True)


def test_a_review_belongs_to_exactly_one_application(session):
    community = make_community(session)
    paula = _apply(session, community, "Paula Pro", "paula@example.org")
    evan = make_staff(session, role="facilitator")
    session.commit()
    session.add(Review(reviewer_id=evan.id, recommendation="approve", note="",
                       created_at=now(), updated_at=now()))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    session.add(Review(membership_id=paula.id, reviewer_id=evan.id, recommendation="approve",
                       note="", created_at=now(), updated_at=now()))
    session.add(Review(membership_id=paula.id, reviewer_id=evan.id, recommendation="decline",
                       note="", created_at=now(), updated_at=now()))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
