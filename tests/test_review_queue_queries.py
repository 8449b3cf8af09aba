"""The review queue costs a fixed number of SQL statements, whether it lists 10 or 1,000 rows.

1,000 is past the 500 keys SQLAlchemy's `selectinload` puts in one IN list, so eager loading
that grows with the number of rows shows up here as extra statements.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from flask import g
from sqlalchemy import event, func, insert, select

from cohort.extensions import db
from cohort.models import ApplicationAnswers, BillingAccount, Enrollment, Person, Program
from cohort.models.review import Review
from cohort.services.applications import new_status_token
from tests.console_helpers import sign_in
from tests.factories import application_data, make_cohort, make_program, make_staff

SUBMITTED = datetime(2024, 1, 5, tzinfo=UTC)


def _add_applications(session, cohort_id: int, reviewer_id: int, how_many: int) -> None:
    """`how_many` submitted applications, each reviewed by `reviewer_id`, by Core executemany."""
    answers = application_data().__dict__
    tag = uuid.uuid4().hex[:8]
    people = [{"email": f"leader-{tag}-{n}@example.org",
               "email_normalized": f"leader-{tag}-{n}@example.org",
               "name": f"Leader {tag} {n}", "created_at": SUBMITTED} for n in range(how_many)]
    conn = session.connection()
    person_ids = conn.execute(
        insert(Person.__table__).returning(Person.__table__.c.id, sort_by_parameter_order=True),
        people).scalars().all()
    account_ids = conn.execute(  # each enrollment bills to its own account
        insert(BillingAccount.__table__).returning(BillingAccount.__table__.c.id,
                                                   sort_by_parameter_order=True),
        [{"owner": "enrollment", "person_id": person_id, "currency": "USD",
          "created_at": SUBMITTED} for person_id in person_ids]).scalars().all()
    enrollment_ids = conn.execute(
        insert(Enrollment.__table__).returning(Enrollment.__table__.c.id,
                                               sort_by_parameter_order=True),
        [{"cohort_id": cohort_id, "person_id": person_id, "account_id": account_id,
          "state": "submitted", "status_token": new_status_token(),
          "time_zone": answers["time_zone"], "country": answers["country"],
          "submitted_at": SUBMITTED, "state_changed_at": SUBMITTED}
         for person_id, account_id in zip(person_ids, account_ids, strict=True)]
    ).scalars().all()
    fields = {k: v for k, v in answers.items() if k != "email"}
    conn.execute(insert(ApplicationAnswers.__table__),
                 [{**fields, "full_name": person["name"], "enrollment_id": enrollment_id,
                   "form_version": 1} for person, enrollment_id in zip(people, enrollment_ids,
                                                                       strict=True)])
    conn.execute(insert(Review.__table__),
                 [{"enrollment_id": enrollment_id, "reviewer_id": reviewer_id,
                   "recommendation": ("accept", "waitlist", "decline")[n % 3], "note": "",
                   "created_at": SUBMITTED, "updated_at": SUBMITTED}
                  for n, enrollment_id in enumerate(enrollment_ids)])
    session.commit()


def _summary(statement: str) -> str:
    """One line per statement: its start, and how many values an IN list carries."""
    flat = " ".join(statement.split())
    markers = flat.count("?") + flat.count("%(") + flat.count("%s")
    return f"  {flat[:90]}… ({markers} parameters)"


def _statements_of_one_load(session, client, url: str) -> tuple[list[str], str]:
    """Every statement one GET of `url` sends, starting, like any request, from a new session.

    The tests' app context outlives requests, so its session and Flask-Login's cached user
    (kept in `g`) are dropped first: both loads then start as a real request does.
    """
    session.remove()
    g.pop("_login_user", None)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return statements, response.get_data(as_text=True)


def test_the_review_queue_issues_the_same_queries_for_10_and_1000_applications(
        app, client, session):
    cohort = make_cohort(session)
    reviewer = make_staff(session, role="facilitator", email="reviewer@example.org",
                          name="Rita Reviewer")
    session.commit()
    cohort_id, reviewer_id = cohort.id, reviewer.id
    url = f"/staff/cohorts/{cohort.slug}/applications"
    sign_in(client, "reviewer@example.org")

    _add_applications(session, cohort_id, reviewer_id, 10)
    few, few_page = _statements_of_one_load(session, client, url)
    _add_applications(session, cohort_id, reviewer_id, 990)
    assert session.scalar(select(func.count()).select_from(Enrollment)) == 1_000
    many, many_page = _statements_of_one_load(session, client, url)
    last, last_page = _statements_of_one_load(session, client, f"{url}?page=10")

    assert len(re.findall(r'name="enrollment_ids" value="\d+"', few_page)) == 10
    # The queue shows 100 applications a page, each with its review and reviewer.
    assert len(re.findall(r'name="enrollment_ids" value="\d+"', many_page)) == 100
    assert many_page.count("Rita Reviewer: ") == 100
    assert "1000 applications · page 1 of 10" in many_page
    assert "page 10 of 10" in last_page and last_page.count("Rita Reviewer: ") == 100
    assert f'rel="next" href="{url}?page=2"' in many_page
    assert f'rel="prev" href="{url}?page=9"' in last_page and 'rel="next"' not in last_page
    assert len(last) == len(many)
    assert len(many) == len(few), (
        f"{len(few)} statements for 10 applications but {len(many)} for 1,000:\n"
        + "\n".join(map(_summary, few)) + "\n  versus\n" + "\n".join(map(_summary, many)))



def _queries(statements: list[str]) -> list[str]:
    """The statements that ask the database something (SQLite's explicit BEGIN left out)."""
    return [s for s in statements if s.strip().upper() != "BEGIN"]


def test_the_queue_reads_its_total_from_the_summary_unless_searching(app, client, session):
    cohort = make_cohort(session)
    reviewer = make_staff(session, role="facilitator", email="reviewer@example.org",
                          name="Rita Reviewer")
    session.commit()
    sign_in(client, "reviewer@example.org")
    _add_applications(session, cohort.id, reviewer.id, 150)
    url = f"/staff/cohorts/{cohort.slug}/applications"

    # The signed-in user, the cohort, its counts per state (one grouped read of the kept counts,
    # which costs less than reading them with the cohort as a column per state), and one page
    # with its reviews (joined to the page's rows in the same statement): 4 queries.
    plain, page = _statements_of_one_load(session, client, url)
    assert len(_queries(plain)) == 4, "\n".join(map(_summary, plain))
    assert not any(s.startswith("SELECT count(*)") for s in plain)
    assert "150 applications · page 1 of 2" in page
    by_state, page = _statements_of_one_load(session, client, f"{url}?state=submitted")
    assert len(_queries(by_state)) == 4, "\n".join(map(_summary, by_state))
    assert "150 applications · page 1 of 2" in page
    _, page = _statements_of_one_load(session, client, f"{url}?state=accepted")
    assert "No applications match." in page
    # A search (or "not reviewed by me") cannot be counted from the summary: one count more.
    searched, page = _statements_of_one_load(session, client, f"{url}?q=leader")
    assert len(_queries(searched)) == 5, "\n".join(map(_summary, searched))
    assert "150 applications · page 1 of 2" in page
    mine, page = _statements_of_one_load(session, client, f"{url}?mine=unreviewed")
    assert sum(s.startswith("SELECT count(*)") for s in mine) == 1, "\n".join(map(_summary, mine))
    assert "No applications match." in page  # the reviewer reviewed them all


def test_the_dashboard_counts_the_cohorts_states_once(app, client, session):
    cohort = make_cohort(session)
    reviewer = make_staff(session, role="facilitator", email="reviewer@example.org",
                          name="Rita Reviewer")
    session.commit()
    sign_in(client, "reviewer@example.org")
    _add_applications(session, cohort.id, reviewer.id, 20)
    statements, page = _statements_of_one_load(session, client,
                                               f"/staff/cohorts/{cohort.slug}")
    # One statement reads the counts per state kept by the database (the folded counts and the
    # changes since, grouped by state); none counts the cohort's applications one by one.
    counts = [s for s in statements if "enrollment_state_counts" in s]
    assert len(counts) == 1, "\n".join(map(_summary, statements))
    assert "enrollment_state_changes" in counts[0] and "GROUP BY" in counts[0]
    assert not any("count(*)" in s for s in statements)
    assert "Applications:</strong> 20" in page


def test_the_queue_page_builds_no_object_per_application(app, client, session):
    cohort = make_cohort(session)
    reviewer = make_staff(session, role="facilitator", email="reviewer@example.org",
                          name="Rita Reviewer")
    session.commit()
    sign_in(client, "reviewer@example.org")
    _add_applications(session, cohort.id, reviewer.id, 30)
    loaded: list[str] = []

    def note(target, context) -> None:
        loaded.append(type(target).__name__)

    for model in (Enrollment, Person, ApplicationAnswers, Review):
        event.listen(model, "load", note)
    try:
        _, page = _statements_of_one_load(session, client,
                                          f"/staff/cohorts/{cohort.slug}/applications")
    finally:
        for model in (Enrollment, Person, ApplicationAnswers, Review):
            event.remove(model, "load", note)
    # The rows are read as plain values, each application with its reviewer's verdict.
    assert len(re.findall(r'name="enrollment_ids" value="\d+"', page)) == 30
    assert page.count("Rita Reviewer: ") == 30
    assert loaded == []


def test_the_list_of_cohorts_counts_every_cohorts_states_in_one_statement(app, client, session):
    program = make_program(session)
    first = make_cohort(session, program=program)
    reviewer = make_staff(session, role="facilitator", email="reviewer@example.org",
                          name="Rita Reviewer")
    session.commit()
    program_id, reviewer_id, slugs = program.id, reviewer.id, [first.slug]
    sign_in(client, "reviewer@example.org")
    _add_applications(session, first.id, reviewer_id, 3)
    session.commit()
    with_one, _ = _statements_of_one_load(session, client, "/staff/")
    for n in (1, 2, 3):
        cohort = make_cohort(session, program=session.get(Program, program_id))
        session.commit()
        slugs.append(cohort.slug)
        _add_applications(session, cohort.id, reviewer_id, n)
    session.commit()
    with_four, page = _statements_of_one_load(session, client, "/staff/")

    assert len(with_four) == len(with_one), "\n".join(map(_summary, with_four))
    assert sum("enrollment_state_counts" in s for s in with_four) == 1
    assert not any("count(*)" in s for s in with_four)
    # Each cohort's row shows its own count of applications (and nobody waitlisted).
    for slug, applications in zip(slugs, (3, 1, 2, 3), strict=True):
        row = page[page.index(f"/staff/cohorts/{slug}\""):]
        row = row[:row.index("</tr>")]
        assert f"<td>{applications}</td>\n      <td>0</td>" in row, row
