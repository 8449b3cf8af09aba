"""A row id too large for any id column, in an address or a form, is 'not found', never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cohort.models import AuditRecord, Enrollment
from cohort.models.base import MAX_ROW_ID
from tests.console_helpers import page_token, sign_in
from tests.factories import make_cohort, make_enrollment, make_staff

TOO_LARGE = [str(MAX_ROW_ID + 1), "9" * 25]


def _fill(rule: str, *, slug: str, token: str, number: str) -> str:
    url = rule.replace("<slug>", slug).replace("<token>", token).replace("<purpose>", "deposit")
    while "<int:" in url:
        start = url.index("<int:")
        url = url[:start] + number + url[url.index(">", start) + 1:]
    return url


@pytest.mark.parametrize("number", TOO_LARGE)
def test_every_address_with_an_id_answers_404_for_an_impossible_id(app, client, session, number):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    admin = make_staff(session, role="admin")
    session.commit()
    sign_in(client, admin.email)

    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert len(rules) >= 8  # staff, finance, applicant and mailbox addresses
    for rule in rules:
        url = _fill(rule.rule, slug=cohort.slug, token=enrollment.status_token, number=number)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        assert response.status_code == 404, (url, response.status_code)


def test_the_largest_possible_id_still_reaches_the_view(app, client, session):
    admin = make_staff(session, role="admin")
    session.commit()
    sign_in(client, admin.email)

    assert client.get(f"/staff/applications/{MAX_ROW_ID}").status_code == 404  # no such row
    assert client.get("/staff/applications/0").status_code == 404


@pytest.mark.parametrize("ticked", ["9" * 25, str(MAX_ROW_ID + 1), "-1", "١٢"])
@pytest.mark.parametrize("endpoint", ["decisions/preview", "decisions"])
def test_a_decision_for_an_impossible_id_is_refused_with_words(client, session, ticked, endpoint):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort)
    facilitator = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, facilitator.email)
    queue = f"/staff/cohorts/{cohort.slug}/applications"
    token = page_token(client, queue)

    response = client.post(f"/staff/cohorts/{cohort.slug}/{endpoint}", data={
        "csrf_token": token, "event": "accept", "enrollment_ids": [str(enrollment.id), ticked]},
        headers={"Referer": "http://localhost" + queue})

    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 302:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    else:
        page = response.get_data(as_text=True)
    assert "Select at least one application." in page  # a crafted id is no selection
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "submitted"
    assert session.scalar(select(func.count()).select_from(AuditRecord)) == 0
