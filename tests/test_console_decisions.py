"""Facilitators review and decide: previews first, capacity enforced, e-mails queued."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from cohort.models import Enrollment, OutboxMessage
from cohort.models.review import Review
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_enrollment, make_staff


def _outbox(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage))


def _decide(client, cohort, ids, event, message=""):
    queue = f"/staff/cohorts/{cohort.slug}/applications"
    token = page_token(client, queue)
    data = {"csrf_token": token, "event": event, "enrollment_ids": [str(i) for i in ids],
            "message": message}
    preview = client.post(f"/staff/cohorts/{cohort.slug}/decisions/preview", data=data)
    return preview, (lambda: client.post(f"/staff/cohorts/{cohort.slug}/decisions", data=data))


def test_a_facilitator_accepts_nine_and_the_tenth_is_refused_then_waitlisted(client, session):
    cohort = make_cohort(session)
    applicants = [make_enrollment(session, cohort, full_name=f"Leader {n}",
                                  time_zone="Australia/Sydney") for n in range(10)]
    make_staff(session, role="facilitator", email="evan@example.org", name="Evan Miller")
    session.commit()
    sign_in(client, "evan@example.org")

    preview, confirm = _decide(client, cohort, [a.id for a in applicants[:9]], "accept",
                               message="We are delighted.")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert page.count("Subject:</strong> You are accepted") == 9
    assert "We are delighted." in page
    # Each preview names its applicant, address and state; confirming sends exactly these.
    assert f'<h2>Leader 0 &lt;{applicants[0].person.email}&gt; — <span class="state">' \
           f'Application received</span></h2>' in page
    assert re.findall(r'name="enrollment_ids" value="(\d+)"', page) == [
        str(a.id) for a in applicants[:9]]
    assert _outbox(session) == 0, "a preview sends nothing"

    done = confirm()
    assert done.status_code == 302
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Enrollment)
                          .where(Enrollment.state == "accepted")) == 9
    mails = session.scalars(select(OutboxMessage)).all()
    assert len(mails) == 9
    assert all("Tuesday, January 30, 2024, midnight PST (end of the day)" in m.body_text
               for m in mails)
    assert all("Wednesday, January 31, 2024, 7:00 pm AEDT" in m.body_text for m in mails)
    assert all("/a/" in m.body_text and "We are delighted." in m.body_text for m in mails)

    tenth = applicants[9]
    preview, confirm = _decide(client, cohort, [tenth.id], "accept")
    page = preview.get_data(as_text=True)
    assert "The cohort is full: 9 of 9 seats are held (nobody waitlisted)" in page
    assert "and send" not in page, "no confirm button when a decision cannot be taken"
    refused = confirm()
    assert refused.status_code == 409
    assert "9 of 9 seats are held" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Enrollment, tenth.id).state == "submitted"

    _, confirm = _decide(client, cohort, [tenth.id], "waitlist")
    assert confirm().status_code == 302
    session.expire_all()
    assert session.get(Enrollment, tenth.id).state == "waitlisted"
    queue = client.get(f"/staff/cohorts/{cohort.slug}/applications").get_data(as_text=True)
    assert "9 / 9" in queue
    assert "Waitlist:</strong> 1" in queue


def test_a_batch_that_cannot_all_be_taken_changes_nothing(client, session):
    cohort = make_cohort(session, capacity=2, minimum_participants=1)
    batch = [make_enrollment(session, cohort) for _ in range(3)]
    make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    sign_in(client, "f@example.org")

    preview, confirm = _decide(client, cohort, [e.id for e in batch], "accept")
    assert "2 of 2 seats are held" in preview.get_data(as_text=True)
    response = confirm()

    assert response.status_code == 409
    assert "Nothing was changed." in response.get_data(as_text=True)
    session.expire_all()
    assert [session.get(Enrollment, e.id).state for e in batch] == ["submitted"] * 3
    assert _outbox(session) == 0


def test_only_the_decisions_the_machine_allows_are_offered(client, session):
    cohort = make_cohort(session)
    accepted = make_enrollment(session, cohort, state="accepted")
    waitlisted = make_enrollment(session, cohort, state="waitlisted")
    make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    sign_in(client, "f@example.org")

    accepted_page = client.get(f"/staff/applications/{accepted.id}").get_data(as_text=True)
    waitlisted_page = client.get(f"/staff/applications/{waitlisted.id}").get_data(as_text=True)

    assert 'name="event" value="decline"' not in accepted_page
    assert "No decision can be taken on an application that is accepted" in accepted_page
    buttons = re.findall(r'name="event" value="(\w+)"', waitlisted_page)
    assert buttons == ["accept", "decline"]
    _, confirm = _decide(client, cohort, [accepted.id], "decline")
    response = confirm()
    assert response.status_code == 409
    assert "cannot decline an application that is accepted" in response.get_data(as_text=True)


def test_one_review_per_facilitator_editable_and_visible_in_the_queue(client, session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, full_name="Grace Hopper")
    other = make_enrollment(session, cohort, full_name="Alan Turing")
    make_staff(session, role="facilitator", email="evan@example.org", name="Evan Miller")
    make_staff(session, role="facilitator", email="sheella@example.org", name="Sheella Mierson")
    session.commit()
    sign_in(client, "evan@example.org")
    url = f"/staff/applications/{enrollment.id}"

    for recommendation, note in (("waitlist", "Maybe"), ("accept", "Strong fit")):
        token = page_token(client, url)
        response = client.post(f"{url}/review", data={"csrf_token": token, "note": note,
                                                      "recommendation": recommendation})
        assert response.status_code == 302

    review = session.scalars(select(Review)).one()
    assert (review.recommendation, review.note) == ("accept", "Strong fit")
    assert "Evan Miller</strong>: accept" in client.get(url).get_data(as_text=True)
    queue = f"/staff/cohorts/{cohort.slug}/applications"
    mine = client.get(f"{queue}?mine=unreviewed").get_data(as_text=True)
    assert "Alan Turing" in mine and "Grace Hopper" not in mine
    assert "Evan Miller: accept" in client.get(queue).get_data(as_text=True)
    assert other.state == "submitted"


def test_the_queue_filters_searches_and_sorts(client, session):
    cohort = make_cohort(session)
    make_enrollment(session, cohort, full_name="Zoe Zed", organisation="Acme Cooperative")
    make_enrollment(session, cohort, full_name="Amy Ant", organisation="Beta Foundation",
                    state="waitlisted")
    make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    sign_in(client, "f@example.org")
    queue = f"/staff/cohorts/{cohort.slug}/applications"

    by_state = client.get(f"{queue}?state=waitlisted").get_data(as_text=True)
    by_org = client.get(f"{queue}?q=cooperat").get_data(as_text=True)
    by_name = client.get(f"{queue}?sort=name").get_data(as_text=True)
    odd = client.get(f"{queue}?q=%25_%5C&sort=bogus&state=nonsense")

    assert "Amy Ant" in by_state and "Zoe Zed" not in by_state
    assert "Zoe Zed" in by_org and "Amy Ant" not in by_org
    assert by_name.index("Amy Ant") < by_name.index("Zoe Zed")
    assert odd.status_code == 200
    assert "No applications match." in odd.get_data(as_text=True)


def test_the_applicants_csv_has_every_answer_and_defuses_formulas(client, session):
    cohort = make_cohort(session)
    make_enrollment(session, cohort, full_name="=HYPERLINK(\"http://x\")",
                    organisation="Acme", country="AU")
    make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    sign_in(client, "f@example.org")

    response = client.get(f"/staff/cohorts/{cohort.slug}/applications.csv")

    text = response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("id,state,submitted (cohort time),name,e-mail")
    assert "'=HYPERLINK" in text
    assert "Australia" in text and "Acme" in text


def test_the_review_queue_issues_the_same_queries_for_few_and_many(app, client, session):
    from sqlalchemy import event

    from cohort.extensions import db

    cohort = make_cohort(session)
    reviewer = make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    sign_in(client, "f@example.org")
    counts = []
    for total in (3, 30):
        while session.scalar(select(func.count()).select_from(Enrollment)) < total:
            enrollment = make_enrollment(session, cohort)
            session.add(Review(enrollment_id=enrollment.id, reviewer_id=reviewer.id,
                               recommendation="accept", note="", created_at=cohort.created_at,
                               updated_at=cohort.created_at))
        session.commit()
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _seen=statements):
            _seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/staff/cohorts/{cohort.slug}/applications").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_previewing_with_nothing_ticked_goes_back_to_the_queue_and_says_why(client, session):
    cohort = make_cohort(session)
    make_enrollment(session, cohort)
    make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    sign_in(client, "f@example.org")
    queue = f"/staff/cohorts/{cohort.slug}/applications"

    response = client.post(f"/staff/cohorts/{cohort.slug}/decisions/preview",
                           data={"csrf_token": page_token(client, queue), "event": "accept"},
                           headers={"Referer": f"http://localhost{queue}?state=submitted"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{queue}?state=submitted")
    assert "Select at least one application." in client.get(queue).get_data(as_text=True)
    assert _outbox(session) == 0


def test_every_sort_keeps_each_applications_reviews_on_its_own_row(client, session):
    cohort = make_cohort(session)
    early = make_enrollment(session, cohort, full_name="Zoe Zed")
    late = make_enrollment(session, cohort, full_name="Amy Ant")
    unreviewed = make_enrollment(session, cohort, full_name="Max Mid")
    late.submitted_at = early.submitted_at + timedelta(days=2)
    unreviewed.submitted_at = early.submitted_at + timedelta(days=1)
    evan = make_staff(session, role="facilitator", email="evan@example.org", name="Evan Miller")
    rita = make_staff(session, role="facilitator", email="rita@example.org", name="Rita Roe")
    session.flush()
    for enrollment, reviewer, recommendation, minute in (
            (early, rita, "decline", 2), (early, evan, "accept", 1), (late, evan, "waitlist", 3)):
        when = early.submitted_at + timedelta(days=3, minutes=minute)
        session.add(Review(enrollment_id=enrollment.id, reviewer_id=reviewer.id,
                           recommendation=recommendation, note="", created_at=when,
                           updated_at=when))
    session.commit()
    sign_in(client, "evan@example.org")
    queue = f"/staff/cohorts/{cohort.slug}/applications"

    def rows(sort: str) -> list[tuple[str, list[str]]]:
        page = client.get(f"{queue}?sort={sort}").get_data(as_text=True)
        body = page[page.index("<tbody>"):page.index("</tbody>")]
        return [(re.search(r'aria-label="Select ([^"]+)"', row).group(1),
                 re.findall(r'class="review review-\w+">([^<]+)</span>', row))
                for row in body.split("<tr>")[1:]]

    # Each row carries its own reviews, oldest first, whatever the order of the rows.
    zoe = ("Zoe Zed", ["Evan Miller: accept", "Rita Roe: decline"])
    max_ = ("Max Mid", [])
    amy = ("Amy Ant", ["Evan Miller: waitlist"])
    assert rows("oldest") == [zoe, max_, amy]
    assert rows("newest") == [amy, max_, zoe]
    assert rows("name") == [amy, max_, zoe]


def test_the_queue_names_each_role_as_the_form_offers_it_and_an_other_role_by_its_title(
        client, session):
    cohort = make_cohort(session)
    roles = {"ceo": "CEO", "executive_director": "Executive director",
             "board_member": "Board member", "general_manager": "General manager"}
    for n, role in enumerate(roles):
        make_enrollment(session, cohort, email=f"role{n}@example.org", role=role,
                        organisation=f"Org {role}")
    make_enrollment(session, cohort, email="other@example.org", role="other",
                    role_title="Chief Listener", organisation="Org other")
    make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    sign_in(client, "f@example.org")

    page = client.get(f"/staff/cohorts/{cohort.slug}/applications").get_data(as_text=True)

    for role, name in roles.items():
        assert f"Org {role}<br><small>{name}</small>" in page
    assert "Org other<br><small>Chief Listener</small>" in page
