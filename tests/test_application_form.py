"""The application form at /cohorts/<slug>/apply: limits, errors, deadline, duplicates, CSRF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from cohort.models import ApplicationAnswers, AuditRecord, Enrollment, OutboxMessage, Person
from tests.factories import csrf_token, form_data, make_cohort, set_clock


def _apply_url(cohort) -> str:
    return f"/cohorts/{cohort.slug}/apply"


def _post(client, cohort, **overrides):
    data = form_data(**overrides)
    data["csrf_token"] = csrf_token(client, _apply_url(cohort))
    return client.post(_apply_url(cohort), data=data)


def _rows(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    return match.group(1) if match else ""


def test_a_valid_application_is_saved_confirmed_and_mailed(client, session):
    cohort = make_cohort(session)
    session.commit()

    response = _post(client, cohort, email="  Ada@Example.ORG ", country="AU",
                     time_zone="Australia/Sydney")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cohorts/{cohort.slug}/applied")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your application is in" in page
    assert "Ada@example.org" in page  # the domain is kept lower-cased
    enrollment = session.scalars(select(Enrollment)).one()
    assert enrollment.state == "submitted"
    assert enrollment.person.email_normalized == "ada@example.org"
    assert (enrollment.country, enrollment.time_zone) == ("AU", "Australia/Sydney")
    assert len(enrollment.status_token) >= 43
    assert enrollment.answers.hopes_to_gain.startswith("Peers")
    audit = session.scalars(select(AuditRecord)).one()
    assert (audit.event, audit.from_state, audit.to_state) == ("submit", None, "submitted")
    mail = session.scalars(select(OutboxMessage)).one()
    assert f"/a/{enrollment.status_token}" in mail.body_text


@pytest.mark.parametrize(("field", "value", "message"), [
    ("full_name", "", "Please enter your name."),
    ("full_name", "x" * 121, "Please keep this under 120 characters."),
    ("email", "not-an-address", "That does not look like an e-mail address"),
    ("email", "a" * 250 + "@x.org", "Please keep this under 254 characters."),
    ("organisation", "o" * 201, "Please keep this under 200 characters."),
    ("role", "", "Please choose your role."),
    ("role", "emperor", "Please choose your role from the list."),
    ("role_title", "", "Please give your title, since you chose “Other”."),
    ("organisation_size", "", "Please choose the size of your organisation."),
    ("sector", "charity", "Please choose for profit or not for profit from the list."),
    ("sociocracy_stage", "", "Please choose how far along you are."),
    ("prerequisite", "", "Please choose your prerequisite training."),
    ("prerequisite_details", "short", "Please describe your equivalent training"),
    ("hopes_to_bring", "too short", "Please write between 20 and 3,000 characters."),
    ("hopes_to_gain", "g" * 3001, "Please write between 20 and 3,000 characters."),
    ("country", "XX", "Please choose a country from the list."),
    ("country", "", "Please choose your country."),
    ("time_zone", "Mars/Olympus_Mons", "Please choose a time zone from the list."),
])
def test_each_bad_field_gets_a_human_error_beside_it_and_nothing_is_saved(
        client, session, field, value, message):
    cohort = make_cohort(session)
    session.commit()
    overrides = {field: value}
    if field == "role_title":
        overrides["role"] = "other"
    if field == "prerequisite_details":
        overrides["prerequisite"] = "equivalent"

    response = _post(client, cohort, **overrides)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in _error_beside(page, field)
    assert f'aria-describedby="{field}-error' in page or f'{field}-error"' in page
    assert _rows(session, Enrollment) == 0
    assert _rows(session, OutboxMessage) == 0


def test_what_was_typed_is_kept_when_the_form_comes_back_with_errors(client, session):
    cohort = make_cohort(session)
    session.commit()

    page = _post(client, cohort, organisation="Kept Organisation", country="").get_data(
        as_text=True)

    assert 'value="Kept Organisation"' in page
    assert "Peers who wrestle with the same questions." in page


def test_a_second_application_from_the_same_address_changes_nothing(client, session):
    cohort = make_cohort(session)
    session.commit()
    assert _post(client, cohort, email="dup@example.org").status_code == 302

    response = _post(client, cohort, email="DUP@example.org ", full_name="Someone Else")

    assert response.status_code == 302
    assert _rows(session, Enrollment) == 1
    assert session.scalars(select(Person)).one().name == "Ada Lovelace"
    notice = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert (notice.kind, notice.to_address) == ("application_repeated", "dup@example.org")


def _confirmation(client, response, address: str) -> tuple[int, str, str]:
    """What the applicant sees after posting: status, redirect, page (their address blanked)."""
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return response.status_code, response.headers["Location"], page.replace(address, "ADDRESS")


def test_the_answer_is_the_same_whether_or_not_the_address_has_applied(
        app, client, session, fresh_globals):
    cohort = make_cohort(session)
    session.commit()
    _post(client, cohort, email="known@example.org")

    known = _post(client, cohort, email="known@example.org", full_name="Prober")
    seen_for_known = _confirmation(client, known, "known@example.org")
    stranger = app.test_client()
    unknown = _post(stranger, cohort, email="unknown@example.org", full_name="Prober")
    assert unknown.status_code == 302, unknown.get_data(as_text=True)
    seen_for_unknown = _confirmation(stranger, unknown, "unknown@example.org")

    assert seen_for_known == seen_for_unknown
    assert seen_for_known[0] == 302
    assert "submitted" not in seen_for_known[2].lower().replace("submitted applications", "")


def test_the_owner_is_told_of_repeated_applications_at_most_hourly(app, client, session):
    cohort = make_cohort(session)
    session.commit()
    _post(client, cohort, email="again@example.org")
    for _ in range(3):
        _post(client, cohort, email="again@example.org")
    set_clock(app, "2024-01-10T21:00:01Z")
    _post(client, cohort, email="again@example.org")

    kinds = session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds == ["application_received", "application_repeated", "application_repeated"]
    notice = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    token = session.scalars(select(Enrollment)).one().status_token
    assert f"/a/{token}" in notice.body_text
    assert "nothing was changed" in notice.body_text


def test_a_full_width_spelling_of_a_known_address_cannot_rewrite_that_person(
        client, session):
    """The outside tester's takeover: same address in full-width letters, another name."""
    first, second = make_cohort(session), make_cohort(session)
    session.commit()
    assert _post(client, first, email="victim@example.org",
                 full_name="Victoria Owner").status_code == 302

    response = _post(client, second, email="ｖｉｃｔｉｍ@ｅｘａｍｐｌｅ.ｏｒｇ",
                     full_name="Mallory Intruder")

    assert response.status_code == 302
    person = session.scalars(select(Person)).one()
    assert (person.name, person.email) == ("Victoria Owner", "victim@example.org")
    taken = session.scalars(select(Enrollment).where(Enrollment.cohort_id == second.id)).one()
    assert taken.person_id == person.id
    assert taken.answers.full_name == "Mallory Intruder"  # the answers keep what was typed
    confirmation = session.scalars(
        select(OutboxMessage).where(OutboxMessage.enrollment_id == taken.id)).one()
    assert confirmation.to_address == "victim@example.org"
    assert confirmation.to_address.isascii()
    assert "Dear Victoria Owner" in confirmation.body_text


def test_the_staff_page_names_the_stored_person_and_shows_a_different_typed_name(
        client, session):
    from tests.console_helpers import sign_in
    from tests.factories import make_staff

    first, second = make_cohort(session), make_cohort(session)
    make_staff(session, role="facilitator", email="f@example.org")
    session.commit()
    _post(client, first, email="victim@example.org", full_name="Victoria Owner")
    _post(client, second, email="VICTIM@example.org", full_name="Mallory Intruder")
    taken = session.scalars(select(Enrollment).where(Enrollment.cohort_id == second.id)).one()

    sign_in(client, "f@example.org")
    page = client.get(f"/staff/applications/{taken.id}").get_data(as_text=True)

    assert "<h1>Victoria Owner</h1>" in page
    assert "Name given on this application: <strong>Mallory Intruder</strong>" in page
    assert "victim@example.org" in page


@pytest.mark.parametrize(("typed", "stored", "key"), [
    ("ＡＤＡ@Example.ORG", "ADA@example.org", "ada@example.org"),
    (" ada@exämple.org ", "ada@xn--exmple-cua.org", "ada@xn--exmple-cua.org"),
    ("Straße@example.org", "Straße@example.org", "strasse@example.org"),
])
def test_a_new_address_is_kept_in_the_spelling_any_relay_accepts(client, session, typed,
                                                                  stored, key):
    cohort = make_cohort(session)
    session.commit()

    assert _post(client, cohort, email=typed).status_code == 302

    person = session.scalars(select(Person)).one()
    assert (person.email, person.email_normalized) == (stored, key)
    assert session.scalars(select(OutboxMessage.to_address)).one() == stored


def test_the_same_person_may_apply_to_another_cohort(client, session):
    first, second = make_cohort(session), make_cohort(session)
    session.commit()

    assert _post(client, first, email="both@example.org").status_code == 302
    assert _post(client, second, email="both@example.org").status_code == 302

    assert _rows(session, Person) == 1
    assert _rows(session, Enrollment) == 2


def test_after_the_deadline_the_form_is_closed_and_says_when(app, client, session):
    cohort = make_cohort(session)
    session.commit()
    token = csrf_token(client, _apply_url(cohort))
    set_clock(app, "2024-01-24T08:00:00Z")  # midnight Pacific at the end of January 23

    page = client.get(_apply_url(cohort))
    late_post = client.post(_apply_url(cohort), data={**form_data(), "csrf_token": token})

    for response in (page, late_post):
        assert response.status_code == 403
        text = response.get_data(as_text=True)
        assert "closed on Tuesday, January 23, 2024, midnight PST (end of the day)" in text
        assert "<form" not in text
    assert _rows(session, Enrollment) == 0


def test_one_second_before_the_deadline_the_form_is_open(app, client, session):
    cohort = make_cohort(session)
    session.commit()
    set_clock(app, "2024-01-24T07:59:59Z")

    assert _post(client, cohort).status_code == 302


def test_a_post_without_a_csrf_token_is_refused_and_saves_nothing(client, session):
    cohort = make_cohort(session)
    session.commit()

    response = client.post(_apply_url(cohort), data=form_data())

    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert _rows(session, Enrollment) == 0


def test_a_draft_or_unknown_cohort_has_no_form(client, session):
    draft = make_cohort(session, state="draft")
    session.commit()

    assert client.get(_apply_url(draft)).status_code == 404
    assert client.get("/cohorts/no-such-cohort/apply").status_code == 404


def test_answers_are_stored_exactly_as_given(client, session):
    cohort = make_cohort(session)
    session.commit()
    _post(client, cohort, role="other", role_title="Chair of the circle",
          prerequisite="equivalent", prerequisite_details="Sociocracy For All, 2022, 30 hours")

    answers = session.scalars(select(ApplicationAnswers)).one()
    assert (answers.role, answers.role_title) == ("other", "Chair of the circle")
    assert answers.prerequisite_details == "Sociocracy For All, 2022, 30 hours"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("full_name", "Ada\u202eecalevoL", "invisible formatting characters"),
    ("full_name", "Ada\u200bLovelace", "invisible formatting characters"),
    ("full_name", "\ufeffAda Lovelace", "invisible formatting characters"),
    ("full_name", "Ada \u2066Lovelace\u2069", "invisible formatting characters"),
    ("full_name", "Ada\r\nBcc: all@example.org", "Please keep this on one line"),
    ("full_name", "Ada\tLovelace", "Please keep this on one line"),
    ("full_name", "Ada\x85Lovelace", "invisible control characters"),
    ("organisation", "Engines\u200eLtd", "invisible formatting characters"),
    ("role_title", "Chair\nof the circle", "Please keep this on one line"),
    ("hopes_to_bring", "Plenty of\u202e experience to share, honestly.", "invisible formatting"),
])
def test_invisible_characters_and_line_breaks_are_refused_beside_the_field(
        client, session, field, value, message):
    cohort = make_cohort(session)
    session.commit()

    response = _post(client, cohort, **{field: value, "role": "other", "role_title": "Chair",
                                        **({field: value} if field == "role_title" else {})})

    assert response.status_code == 422
    assert message in _error_beside(response.get_data(as_text=True), field)
    assert _rows(session, Enrollment) == 0


@pytest.mark.parametrize("name", [
    "Zoë Ñúñez", "محمد\u200cرضا احمدی", "Anjali \u0915\u094d\u200d\u0937", "Ada 👩\u200d💻",
])
def test_names_in_any_script_with_their_joiners_are_accepted(client, session, name):
    cohort = make_cohort(session)
    session.commit()

    assert _post(client, cohort, full_name=name).status_code == 302
    assert session.scalars(select(Person.name)).one() == name


def test_multi_line_answers_keep_their_line_breaks(client, session):
    cohort = make_cohort(session)
    session.commit()
    text = "First, my experience.\r\nSecond, my questions.\tAnd a tab."

    assert _post(client, cohort, hopes_to_bring=text).status_code == 302
    assert session.scalars(select(ApplicationAnswers.hopes_to_bring)).one() == text


def test_an_application_whose_form_expired_comes_back_filled_in_with_a_fresh_token(
        app, client, session, fresh_globals):
    import time

    cohort = make_cohort(session)
    session.commit()
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    stale = csrf_token(client, _apply_url(cohort))
    time.sleep(2.1)

    refused = client.post(_apply_url(cohort), data={
        **form_data(organisation="Kept Through Expiry"), "csrf_token": stale})

    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "This form had expired" in page and "nothing was saved" in page
    assert 'value="Kept Through Expiry"' in page
    assert _rows(session, Enrollment) == 0
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    assert fresh != stale
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    again = client.post(_apply_url(cohort), data={**form_data(), "csrf_token": fresh})
    assert again.status_code == 302
