"""Hostile and malformed input: never a server error, never a change without a CSRF token, field
errors beside the field, and applicants' words escaped wherever they are shown.

Property-based tests (hypothesis) post generated data — unicode, control characters, very long
strings, HTML and script, SQL-ish strings, missing fields, repeated fields — with a valid CSRF
token to every public form. Inputs that once crashed a page are also pinned by the regression
tests at the end of this file.
"""

from __future__ import annotations

import csv
import io
import operator
import os
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from cohort.mail.delivery import build_email
from cohort.models import Base, Enrollment, OutboxMessage, StaffUser
from tests.console_helpers import PASSWORD, sign_in
from tests.factories import (
    csrf_token,
    form_data,
    make_cohort,
    make_enrollment,
    make_staff,
    offline_deposit,
)

NOW = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
FUZZ = settings(max_examples=40, deadline=None, database=None, derandomize=IN_CI,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- generated input ---------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg/onload=alert(1)>",
    "javascript:alert(1)", "' OR '1'='1", "'; DROP TABLE enrollments; --",
    "Robert'); DROP TABLE people;--", "1; SELECT pg_sleep(10)", "\" OR 1=1 --", "%' --",
    "{{ 7*7 }}", "{% for x in range(9) %}x{% endfor %}", "${7*7}", "=HYPERLINK(\"x\")",
    "+1", "-1", "@SUM(1)", "../../etc/passwd", "%00", "\u202eevil", "\ufeffbom", "\u200b",
    "Ada\r\nBcc: x@example.org", "\t\t", "\x7f\x1b[31m", "👩‍👩‍👧‍👦", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ﷺ", "Zoë",
    "null", "None", "undefined", "true", "0", "-0", "1e309", "NaN", "[]", "{}", " ",
]
# Every character but lone surrogates (which no HTTP client can send), NUL included.
CHARACTERS = st.characters(exclude_categories=("Cs",))
TEXT = st.text(CHARACTERS, max_size=60)
LONG = st.builds(operator.mul, st.text(CHARACTERS, min_size=1, max_size=3),
                 st.integers(min_value=100, max_value=4000))
# Control, format and separator characters, often rare in generated text, mixed into words.
CONTROLS = st.text(st.characters(categories=("Cc", "Cf", "Zl", "Zp", "Zs")), min_size=1,
                   max_size=6)
WORDS = st.sampled_from(["Ada", "Lovelace", "Engines Ltd", "1 Harbour St", ""])
CONTROLLED = st.builds(lambda a, b, c: a + b + c, WORDS, CONTROLS, WORDS)
VALUE = st.one_of(TEXT, CONTROLLED, st.sampled_from(HOSTILE), LONG, st.just(""),
                  st.integers().map(str), st.floats().map(str))
# A repeated field (name=a&name=b) is the shape a form-encoded body can give to a "wrong type".
FIELD = st.one_of(VALUE, VALUE, VALUE, st.lists(VALUE, min_size=2, max_size=3))
MISSING = object()


def _single_or_list(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, st.lists(strategy, min_size=2, max_size=3))


HIDDEN_NUMBER = _single_or_list(st.one_of(VALUE, st.sampled_from(["²", "١٢٣", "9" * 5000])))


def mutated(valid: dict[str, str], special: dict[str, st.SearchStrategy] | None = None):
    """A valid form with up to four fields dropped or replaced, sometimes an unexpected one.

    Most fields stay valid, so that a hostile value in one field reaches the services and the
    database instead of stopping at another field's error.
    """
    special = special or {}

    def changes(names: list[str]) -> st.SearchStrategy:
        return st.fixed_dictionaries(
            {name: st.one_of(st.just(MISSING), special.get(name, FIELD)) for name in names},
            optional={"unexpected": FIELD})

    def apply(changed: dict[str, object]) -> dict[str, object]:
        data = {**valid, **changed}
        return {name: value for name, value in data.items() if value is not MISSING}

    chosen = st.lists(st.sampled_from(sorted(valid)), unique=True, max_size=4)
    return chosen.flatmap(changes).map(apply)


def registration_form() -> dict[str, str]:
    """A valid registration form (without the CSRF token)."""
    return {"billing_name": "Ada Lovelace", "organisation": "Engines Ltd",
            "address": "1 Harbour St\nSydney NSW 2000", "country": "AU", "tax_id": "",
            "policy_version": "1", "agree_policy": "y", "agree_terms": "y"}


def assert_answered(response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code,
                                        response.get_data(as_text=True)[:500])


# --- never a server error ------------------------------------------------------------------------

@FUZZ
@given(data=mutated(form_data(), {"time_zone": _single_or_list(
    st.one_of(VALUE, st.sampled_from(["America/New_York", "UTC", "Etc/GMT+5", "EST5EDT"])))}))
def test_the_application_form_never_fails(client, session, data):
    session.rollback()
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"

    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})

    assert_answered(response, data)
    assert response.status_code in (302, 409, 413, 422)


@FUZZ
@given(data=mutated(registration_form(), {"policy_version": HIDDEN_NUMBER}))
def test_the_registration_form_never_fails(client, session, data):
    session.rollback()
    enrollment = make_enrollment(session, make_cohort(session), state="accepted")
    session.commit()
    url = f"/a/{enrollment.status_token}/register"

    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})

    assert_answered(response, data)
    assert response.status_code in (302, 409, 413, 422)


@FUZZ
@given(data=mutated({"confirm": "y", "reason": "Family reasons."}),
       state=st.sampled_from(["submitted", "waitlisted", "accepted", "declined"]))
def test_the_withdrawal_form_never_fails(client, session, data, state):
    session.rollback()
    enrollment = make_enrollment(session, make_cohort(session), state=state)
    session.commit()
    url = f"/a/{enrollment.status_token}"

    assert_answered(client.get(url), url)
    token = csrf_token(client, url if state != "declined" else "/staff/login")

    response = client.post(f"{url}/withdraw", data={**data, "csrf_token": token})

    assert_answered(response, data)
    assert response.status_code in (302, 409, 413)


@FUZZ
@given(data=mutated({"confirm": "y", "quoted_cents": "10000"},
                    {"quoted_cents": HIDDEN_NUMBER}))
def test_the_cancellation_form_never_fails(client, session, data):
    session.rollback()
    enrollment = make_enrollment(session, make_cohort(session, state="closed"),
                                 state="registered")
    offline_deposit(session, enrollment, when=NOW)
    session.commit()
    url = f"/a/{enrollment.status_token}/cancel"

    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})

    assert_answered(response, data)
    assert response.status_code in (302, 409, 413, 422)


@FUZZ
@given(data=mutated({"email": "staff@example.org", "password": PASSWORD}))
def test_the_staff_sign_in_form_never_fails(app, client, session, data):
    session.rollback()
    if session.scalar(select(StaffUser.id).limit(1)) is None:
        make_staff(session, role="facilitator", email="staff@example.org")
        session.commit()
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/login")})

    response = client.post("/staff/login",
                           data={**data, "csrf_token": csrf_token(client, "/staff/login")})

    assert_answered(response, data)
    assert response.status_code in (302, 401, 403, 413, 422, 429)



def _community_once(session):
    from cohort.models import Community
    from tests.membership_factories import make_community

    session.rollback()
    community = session.scalars(select(Community).limit(1)).first()
    if community is None:
        community = make_community(session)
        session.commit()
    return community


@FUZZ
@given(data=mutated({"name": "Lea Lobby", "email": "lea@example.org", "agree_terms": "y",
                     "terms_version": "1"}, {"terms_version": HIDDEN_NUMBER}))
def test_the_lobby_join_form_never_fails(client, session, data):
    community = _community_once(session)
    url = f"/communities/{community.slug}"

    response = client.post(f"{url}/join", data={**data, "csrf_token": csrf_token(client, url)})

    assert_answered(response, data)
    assert response.status_code in (303, 409, 413, 422)


@FUZZ
@given(data=mutated({"lounge-year-amount": "200.00"}), at=VALUE)
def test_the_price_form_and_the_roster_instant_never_fail(app, client, session, data, at):
    community = _community_once(session)
    if session.scalar(select(StaffUser.id).where(StaffUser.email == "money@example.org")) is None:
        make_staff(session, role="finance", email="money@example.org")
        session.commit()
        sign_in(client, "money@example.org")
    url = f"/staff/communities/{community.slug}/prices"

    response = client.post(f"{url}/lounge/year",
                           data={**data, "csrf_token": csrf_token(client, url)})
    roster = client.get(f"/staff/communities/{community.slug}/groups/lobby-room",
                        query_string={"at": at})

    assert_answered(response, data)
    assert response.status_code in (303, 413, 422)
    assert_answered(roster, at)
    assert roster.status_code in (200, 400)


# --- no change without a CSRF token ------------------------------------------------------------

def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table, as committed."""
    session.rollback()
    rows = {table.name: sorted(map(tuple, session.execute(select(table)).all()), key=repr)
            for table in Base.metadata.sorted_tables}
    session.rollback()
    return rows


def _route_values(rule, known: dict[str, object]) -> dict[str, object]:
    values = {}
    for name in rule.arguments:
        numeric = isinstance(rule._converters[name], IntegerConverter)
        values[name] = known.get(name, 1 if numeric else "x")
    return values


def test_every_post_route_refuses_a_post_without_a_csrf_token_and_changes_nothing(
        app, client, session):
    admin = make_staff(session, role="admin")
    cohort = make_cohort(session, minimum_participants=1)
    accepted = make_enrollment(session, cohort, state="accepted")
    registered = make_enrollment(session, cohort, state="registered")
    payment = offline_deposit(session, registered, when=NOW)
    session.commit()
    sign_in(client, admin.email)  # so that only the missing token stands in the way
    # A body every form of the service would accept, but for the token.
    body = {**form_data(email="new@example.org"), **registration_form(), "confirm": "y",
            "reason": "Because.", "quoted_cents": "10000", "password": PASSWORD,
            "recommendation": "accept", "note": "Yes.", "event": "accept",
            "enrollment_ids": str(accepted.id), "message": "Welcome.", "slug": "copy-2025",
            "weeks": "52", "pay-amount": "100.00", "pay-reference": "TRF-1",
            "credit-credit_amount": "1.00", "credit-reason": "Goodwill."}
    known = {"slug": cohort.slug, "enrollment_id": accepted.id, "payment_id": payment.id,
             "purpose": "deposit", "event": "close", "membership_id": 1}
    routes = [rule for rule in app.url_map.iter_rules()
              if "POST" in rule.methods and rule.rule != "/stripe/webhook"]
    assert len(routes) >= 15, [r.rule for r in routes]
    before = snapshot(session)

    refused = {}
    for rule in routes:
        for token in (accepted.status_token, registered.status_token):
            url = rule.build(_route_values(rule, {**known, "token": token}))[1]
            for attempt in ({"data": body},
                            {"data": {**body, "csrf_token": "forged"}},
                            {"json": body},
                            {"json": body, "headers": {"X-CSRFToken": "forged"}}):
                response = client.post(url, **attempt)
                refused[(url, repr(attempt)[:20])] = response.status_code

    assert {k: v for k, v in refused.items() if v != 400} == {}
    assert snapshot(session) == before
    assert client.get("/staff/").status_code == 200  # still signed in: the refusals were CSRF's


def test_the_same_post_with_its_token_does_change_something(client, session):
    """The control for the test above: the body and the routes are right; only the token lacks."""
    enrollment = make_enrollment(session, make_cohort(session), state="submitted")
    session.commit()
    url = f"/a/{enrollment.status_token}"

    response = client.post(f"{url}/withdraw", data={"confirm": "y", "reason": "Because.",
                                                    "csrf_token": csrf_token(client, url)})

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "withdrawn"


# --- field errors beside the field ----------------------------------------------------------------

def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    return match.group(1) if match else ""


@pytest.mark.parametrize(("field", "value", "message"), [
    ("full_name", "é" * 121, "Please keep this under 120 characters."),
    ("full_name", "👩" * 121, "Please keep this under 120 characters."),
    ("organisation", "<b>" * 67, "Please keep this under 200 characters."),
    ("role_title", "t" * 121, "Please keep this under 120 characters."),
    ("prerequisite_details", "p" * 2001, "Please keep this under 2,000 characters."),
    ("hopes_to_bring", "<script>" * 376, "Please write between 20 and 3,000 characters."),
    ("email", "a" * 250 + "@x.org", "Please keep this under 254 characters."),
    ("email", "ada@@example.org", "That does not look like an e-mail address"),
    ("email", "<script>@example.org", "That does not look like an e-mail address"),
    ("email", "ada@example", "That does not look like an e-mail address"),
    ("email", "ada example.org", "That does not look like an e-mail address"),
    ("email", "' OR 1=1 --@example.org", "That does not look like an e-mail address"),
    ("country", "ZZ", "Please choose a country from the list."),
    ("country", "us", "Please choose a country from the list."),
    ("country", "United States", "Please choose a country from the list."),
    ("country", "<script>", "Please choose a country from the list."),
    ("time_zone", "America/Atlantis", "Please choose a time zone from the list."),
    ("time_zone", "../../etc/passwd", "Please choose a time zone from the list."),
    ("time_zone", "UTC+5", "Please choose a time zone from the list."),
    ("time_zone", "z" * 65, "Please choose a time zone from the list."),
])
def test_the_application_form_says_what_is_wrong_beside_the_field(
        client, session, field, value, message):
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"
    data = form_data(**({"role": "other"} if field == "role_title" else {}),
                     **({"prerequisite": "equivalent"} if field == "prerequisite_details"
                        else {}))
    data[field] = value

    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})

    assert response.status_code == 422
    assert message in error_beside(response.get_data(as_text=True), field)
    assert session.scalar(select(Enrollment.id)) is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("billing_name", "b" * 121, "Please keep this under 120 characters."),
    ("organisation", "o" * 201, "Please keep this under 200 characters."),
    ("address", "a" * 501, "Please write between 5 and 500 characters."),
    ("tax_id", "t" * 51, "Please keep this under 50 characters."),
    ("country", "XX", "Please choose a country from the list."),
    ("country", "", "Please choose a country from the list."),
    ("country", "AUS", "Please choose a country from the list."),
])
def test_the_registration_form_says_what_is_wrong_beside_the_field(
        client, session, field, value, message):
    enrollment = make_enrollment(session, make_cohort(session), state="accepted")
    session.commit()
    url = f"/a/{enrollment.status_token}/register"

    response = client.post(url, data={**registration_form(), field: value,
                                      "csrf_token": csrf_token(client, url)})

    assert response.status_code == 422
    assert message in error_beside(response.get_data(as_text=True), field)
    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "accepted"


@pytest.mark.parametrize(("value", "message"), [
    ("not-an-address", "That does not look like an e-mail address"),
    ("<script>alert(1)</script>@example.org", "That does not look like an e-mail address"),
    ("x" * 250 + "@example.org", "Please keep this under 254 characters."),
])
def test_the_sign_in_form_says_what_is_wrong_beside_the_field(client, value, message):
    response = client.post("/staff/login", data={
        "email": value, "password": PASSWORD, "csrf_token": csrf_token(client, "/staff/login")})

    assert response.status_code == 422
    assert message in error_beside(response.get_data(as_text=True), "email")
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


# --- applicants' words are escaped wherever they are shown ------------------------------------

SCRIPT = '<script>alert("x")</script>'
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE_APPLICATION = {
    "full_name": f"Ada {SCRIPT}", "organisation": f"Engines {IMG}", "role": "other",
    "role_title": "=HYPERLINK(\"http://evil.example\",\"CEO\")",
    "prerequisite": "equivalent", "prerequisite_details": f"@SUM(1+1) {SCRIPT}",
    "hopes_to_bring": f"+cmd|' /C calc'!A0 {SCRIPT} bring",
    "hopes_to_gain": f"-2+3 {IMG} gain something real",
}


def _apply_hostile(client, session):
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"
    response = client.post(url, data={**form_data(**HOSTILE_APPLICATION),
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return cohort, session.scalars(select(Enrollment)).one()


def assert_escaped(page: str) -> None:
    for raw in (SCRIPT, IMG):
        assert raw not in page
        assert str(escape(raw)) in page
    assert "<img src=x" not in page
    assert "<script>alert" not in page


def test_the_status_page_escapes_every_answer(client, session):
    _, enrollment = _apply_hostile(client, session)

    page = client.get(f"/a/{enrollment.status_token}").get_data(as_text=True)

    assert_escaped(page)
    assert str(escape(HOSTILE_APPLICATION["hopes_to_bring"])) in page


def test_the_staff_pages_escape_every_answer(client, session):
    cohort, enrollment = _apply_hostile(client, session)
    sign_in(client, make_staff(session, role="facilitator").email)
    session.commit()

    for url in (f"/staff/applications/{enrollment.id}",
                f"/staff/cohorts/{cohort.slug}/applications",
                f"/staff/cohorts/{cohort.slug}/applications?q=Engines {IMG}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.get_data(as_text=True))


def test_queued_e_mails_are_plain_text_with_the_words_as_written(app, client, session):
    _, enrollment = _apply_hostile(client, session)
    url = f"/a/{enrollment.status_token}"
    client.post(f"{url}/withdraw", data={"confirm": "y", "reason": SCRIPT,
                                         "csrf_token": csrf_token(client, url)})

    messages = session.scalars(select(OutboxMessage)).all()

    assert {m.kind for m in messages} >= {"application_received", "enrollment_withdrawn"}
    for message in messages:
        email = build_email(message, app.config["MAIL_FROM"])
        assert email.get_content_type() == "text/plain"
        assert not email.is_multipart()
        assert not [part for part in email.walk() if part.get_content_type() == "text/html"]
        body = email.get_content()
        assert HOSTILE_APPLICATION["full_name"] in body  # plain text: as written, not &lt;…
        assert "&lt;" not in body and "&#34;" not in body
        assert "<html" not in body.lower()


def test_the_development_mailbox_escapes_what_applicants_wrote(app, client, session):
    app.config["MAIL_SHOW_IN_APP"] = True
    _apply_hostile(client, session)
    message = session.scalars(select(OutboxMessage)).one()

    page = client.get(f"/dev/mail/{message.id}").get_data(as_text=True)

    assert page.count(str(escape(HOSTILE_APPLICATION["full_name"]))) >= 1
    assert SCRIPT not in page
    assert "<script>alert" not in page


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_rows(client, cohort) -> list[list[str]]:
    response = client.get(f"/staff/cohorts/{cohort.slug}/applications.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_applicants_csv_keeps_formulas_from_running(client, session):
    cohort, _ = _apply_hostile(client, session)
    # Straight into the database too, as if an older form had not stripped the leading blanks.
    make_enrollment(session, cohort, full_name="\t=1+1", organisation="\r=2+2",
                    role_title="@A1", hopes_to_bring="-1+1 " * 5, hopes_to_gain="+1+1 " * 5)
    sign_in(client, make_staff(session, role="facilitator").email)
    session.commit()

    rows = _csv_rows(client, cohort)

    assert len(rows) == 3
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], cells
    assert "'=HYPERLINK(\"http://evil.example\",\"CEO\")" in cells
    assert f"'+cmd|' /C calc'!A0 {SCRIPT} bring" in cells


# --- Regressions: inputs that once crashed a page or blocked a mail ----------------------------

def _no_crash(app) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash becomes the 500 a visitor would get


def test_a_nul_character_in_the_application_is_refused_not_a_crash(
        app, client, session):
    _no_crash(app)
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"

    response = client.post(url, data={**form_data(full_name="Ada\x00Lovelace"),
                                      "csrf_token": csrf_token(client, url)})

    assert response.status_code == 422
    assert "invisible control characters" in response.get_data(as_text=True)


def test_a_nul_character_in_a_withdrawal_reason_is_refused_not_a_crash(
        app, client, session):
    _no_crash(app)
    enrollment = make_enrollment(session, make_cohort(session), state="submitted")
    session.commit()
    url = f"/a/{enrollment.status_token}"

    response = client.post(f"{url}/withdraw", data={
        "confirm": "y", "reason": "a\x00b", "csrf_token": csrf_token(client, url)})

    assert response.status_code < 500


def test_a_nul_character_in_billing_details_is_refused_not_a_crash(
        app, client, session):
    _no_crash(app)
    enrollment = make_enrollment(session, make_cohort(session), state="accepted")
    session.commit()
    url = f"/a/{enrollment.status_token}/register"

    response = client.post(url, data={**registration_form(), "billing_name": "Ada\x00",
                                      "csrf_token": csrf_token(client, url)})

    assert response.status_code < 500


def test_an_address_that_grows_when_normalised_is_refused_not_a_crash(
        app, client, session):
    _no_crash(app)
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"

    response = client.post(url, data={**form_data(email="\ufdfa" * 21 + "@example.org"),
                                      "csrf_token": csrf_token(client, url)})

    assert response.status_code == 422
    assert "Please keep this under 254 characters." in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["²", "١٢٣٤" * 1200, "9" * 5000])
def test_the_policy_version_must_be_a_plain_number(app, client, session, value):
    _no_crash(app)
    enrollment = make_enrollment(session, make_cohort(session), state="accepted")
    session.commit()
    url = f"/a/{enrollment.status_token}/register"

    response = client.post(url, data={**registration_form(), "policy_version": value,
                                      "csrf_token": csrf_token(client, url)})

    assert response.status_code < 500


@pytest.mark.parametrize("value", ["²", "9" * 5000])
def test_the_quoted_refund_must_be_a_plain_number(app, client, session, value):
    _no_crash(app)
    enrollment = make_enrollment(session, make_cohort(session, state="closed"),
                                 state="registered")
    offline_deposit(session, enrollment, when=NOW)
    session.commit()
    url = f"/a/{enrollment.status_token}/cancel"

    response = client.post(url, data={"confirm": "y", "quoted_cents": value,
                                      "csrf_token": csrf_token(client, url)})

    assert response.status_code < 500


@pytest.mark.parametrize("zone", ["America", "Europe", "Australia"])
def test_a_time_zone_region_is_refused_beside_the_field(app, client, session, zone):
    _no_crash(app)
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"

    response = client.post(url, data={**form_data(time_zone=zone),
                                      "csrf_token": csrf_token(client, url)})

    assert response.status_code == 422


def test_a_link_or_cookie_with_a_time_zone_region_still_shows_the_cohort(app, client, session):
    _no_crash(app)
    cohort = make_cohort(session)
    session.commit()

    from_link = client.get(f"/cohorts/{cohort.slug}?tz=America")
    client.set_cookie("tz", "Europe")
    from_cookie = client.get(f"/cohorts/{cohort.slug}")

    assert (from_link.status_code, from_cookie.status_code) == (200, 200)


def test_a_file_sent_in_a_text_field_is_refused_not_a_crash(app, client, session):
    _no_crash(app)
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"
    data = {**form_data(), "csrf_token": csrf_token(client, url),
            "full_name": (io.BytesIO(b"Ada"), "name.txt")}

    response = client.post(url, data=data, content_type="multipart/form-data")

    assert response.status_code < 500


@pytest.mark.parametrize("value", [5, {"a": 1}, [1, 2], True])
def test_a_json_body_with_other_types_is_refused_not_a_crash(app, client, session, value):
    _no_crash(app)
    token = csrf_token(client, "/staff/login")

    response = client.post("/staff/login", json={"email": value, "password": value},
                           headers={"X-CSRFToken": token})

    assert response.status_code < 500


@pytest.mark.parametrize("separator", ["\r", "\x0b", "\u2028"])
def test_a_name_with_a_line_separator_still_gives_mail_that_can_be_sent(
        app, client, session, separator):
    enrollment = make_enrollment(session, make_cohort(session), state="accepted",
                                 full_name=f"Ada{separator}Bcc: victim@example.org")
    session.commit()
    url = f"/a/{enrollment.status_token}"
    response = client.post(f"{url}/withdraw", data={"confirm": "y",
                                                    "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302

    for message in session.scalars(select(OutboxMessage)).all():
        email = build_email(message, app.config["MAIL_FROM"])
        assert "\n" not in email["Subject"] and "\r" not in email["Subject"]


def test_an_over_long_withdrawal_reason_says_so(client, session):
    enrollment = make_enrollment(session, make_cohort(session), state="submitted")
    session.commit()
    url = f"/a/{enrollment.status_token}"

    response = client.post(f"{url}/withdraw", data={
        "confirm": "y", "reason": "r" * 1001, "csrf_token": csrf_token(client, url)},
        follow_redirects=True)

    session.expire_all()
    assert session.get(Enrollment, enrollment.id).state == "submitted"
    assert "1,000 characters" in response.get_data(as_text=True)


# --- request size limits ----------------------------------------------------------------------

class Tripwire(io.RawIOBase):
    """A request body that counts what is read of it (the service must read none)."""

    def __init__(self) -> None:
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def readinto(self, buffer) -> int:
        self.bytes_read += len(buffer)
        buffer[:] = b"x" * len(buffer)
        return len(buffer)


GIB = 1024 ** 3


def test_every_post_route_refuses_a_gigabyte_with_413_without_reading_it(app, client, session):
    cohort = make_cohort(session)
    enrollment = make_enrollment(session, cohort, state="accepted")
    session.commit()
    known = {"slug": cohort.slug, "enrollment_id": enrollment.id, "payment_id": 1,
             "purpose": "deposit", "event": "close", "token": enrollment.status_token,
             "membership_id": 1}
    routes = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert "/stripe/webhook" in {rule.rule for rule in routes}
    before = snapshot(session)

    answers = {}
    for rule in routes:
        body = Tripwire()
        response = client.post(rule.build(_route_values(rule, known))[1], input_stream=body,
                               environ_overrides={"CONTENT_LENGTH": str(GIB)},
                               content_type="application/x-www-form-urlencoded")
        answers[rule.rule] = (response.status_code, body.bytes_read)

    assert {rule: answer for rule, answer in answers.items() if answer != (413, 0)} == {}
    assert snapshot(session) == before


@FUZZ
@given(extra=st.integers(min_value=-64, max_value=64))
def test_the_webhook_takes_bodies_up_to_its_limit_and_refuses_one_byte_more(
        app, client, session, extra):
    from cohort.request_limits import WEBHOOK_LIMIT

    app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_size_test"
    response = client.post("/stripe/webhook", data=b"{" + b" " * (WEBHOOK_LIMIT + extra - 1),
                           content_type="application/json",
                           headers={"Stripe-Signature": "t=1,v1=forged"})

    if extra > 0:
        assert response.status_code == 413
        assert "larger than this address accepts (256 KB)" in response.get_json()["error"]
    else:
        assert response.status_code == 400  # read, then refused for its signature
        assert response.get_json() == {"error": "invalid signature"}


@FUZZ
@given(padding=st.integers(min_value=1, max_value=3 * 256 * 1024),
       chunked=st.booleans())
def test_an_oversized_application_is_a_413_in_words_and_saves_nothing(
        client, session, padding, chunked):
    from cohort.request_limits import FORM_LIMIT

    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"
    data = {**form_data(), "csrf_token": csrf_token(client, url)}
    before = session.scalars(select(Enrollment)).all()
    session.rollback()
    body = "&".join(f"{k}={v}" for k, v in data.items()).encode() + b"&pad=" + b"x" * padding
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if chunked:  # no length given: the server marks the stream as terminated by the server
        response = client.post(url, input_stream=io.BytesIO(body),
                               headers={**headers, "Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
    else:
        response = client.post(url, data=body, headers=headers)

    if len(body) > FORM_LIMIT:
        assert response.status_code == 413
        assert "Too large to accept" in response.get_data(as_text=True)
        assert session.scalars(select(Enrollment)).all() == before
    else:
        assert response.status_code == 302  # taken (or, the second time, answered the same)


# --- invisible characters and line breaks in single-line fields --------------------------------

# Joiners (U+200C, U+200D) between two letters are how some scripts are written: allowed there.
FORMAT_CHARACTER = st.characters(categories=("Cf",), exclude_characters="\u200c\u200d")
LINE_BREAK = st.sampled_from(["\r", "\n", "\r\n", "\t", "\x0b", "\x0c", "\x85", "\u2028",
                              "\u2029"])
PLAIN_WORD = st.sampled_from(["Ada", "Lovelace", "Engines", "Zoë", "محمد"])


@FUZZ
@given(field=st.sampled_from(["full_name", "organisation", "role_title", "email"]),
       bad=st.one_of(FORMAT_CHARACTER, LINE_BREAK), left=PLAIN_WORD, right=PLAIN_WORD)
def test_single_line_fields_refuse_format_characters_and_line_breaks_beside_the_field(
        client, session, field, bad, left, right):
    cohort = make_cohort(session)
    session.commit()
    url = f"/cohorts/{cohort.slug}/apply"
    value = f"{left}{bad}{right}" + ("@example.org" if field == "email" else "")
    data = {**form_data(role="other", role_title="Chair"), field: value,
            "csrf_token": csrf_token(client, url)}

    response = client.post(url, data=data)

    assert response.status_code == 422, (field, value)
    assert error_beside(response.get_data(as_text=True), field), (field, value)
    assert session.scalars(select(Enrollment)).all() == []


# --- sessions -----------------------------------------------------------------------------------

@FUZZ
@given(user_id=st.one_of(
    TEXT, st.sampled_from(["1", "1:", ":1", "1:0", "1:2", "1:1:1", "01:1", "1:01", "1 :1",
                           "١:١", "2:1", "-1:1", "1:-1", "1:1e3", "999999999999999999999:1"])))
def test_a_session_naming_a_stale_or_forged_account_version_opens_nothing(
        client, session, fresh_globals, user_id):
    """Only "<id>:<current version>" of an active account signs a session in."""
    if not session.scalars(select(StaffUser)).first():
        make_staff(session, role="admin", email="admin@example.org")
        session.commit()
    user = session.scalars(select(StaffUser)).one()
    with client.session_transaction() as browser_session:
        signed_in_before = "_id" in browser_session
    if not signed_in_before:  # a real sign-in, for Flask-Login's browser fingerprint (_id)
        sign_in(client, user.email)
    with client.session_transaction() as browser_session:
        browser_session["_user_id"] = user_id

    response = client.get("/staff/")

    signed_in = user_id == f"{user.id}:{user.session_version}"
    assert response.status_code == (200 if signed_in else 302), user_id
