"""Staff sign-in, throttling, sign-out and `role_required`."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Blueprint, g
from sqlalchemy import func, select

from cohort.auth.passwords import needs_rehash, verify_password
from cohort.auth.roles import role_required
from cohort.auth.services import deactivate_staff_user
from cohort.auth.throttle import wait_in_words
from cohort.models import LoginAttempt
from cohort.views.staff_auth import safe_next
from tests.factories import csrf_token, make_staff, set_clock, utc

PASSWORD = "correct horse battery"
FROZEN = "2024-01-10T12:00:00-08:00"  # the app fixture's clock


@pytest.fixture(autouse=True)
def fresh_globals_per_request(app):
    """Start every request with an empty `g`, as a real server does.

    The `app` fixture keeps one application context open and Flask reuses it for the test client's
    requests, so `g` (Flask-Login's cached user, Flask-WTF's CSRF token) would otherwise carry over
    from one request, or one browser, to the next.
    """
    @app.before_request
    def _forget_previous_request() -> None:
        for name in list(g):
            g.pop(name)


def sign_in(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    token = csrf_token(client, "/staff/login")
    url = "/staff/login" + (f"?next={quote(next_url, safe='')}" if next_url is not None else "")
    return client.post(url, data={"csrf_token": token, "email": email, "password": password})


def problem(response) -> str:
    match = re.search(r'id="sign-in-problem">([^<]+)<', response.get_data(as_text=True))
    assert match, "no sign-in problem shown beside the form"
    return match.group(1)


def signed_in_id(client) -> str | None:
    """The account id the browser's session names ("7" of "7:1"), if any."""
    with client.session_transaction() as browser_session:
        return (browser_session.get("_user_id") or "").partition(":")[0] or None


def attempts(session) -> int:
    return session.scalar(select(func.count()).select_from(LoginAttempt))


# --- signing in -------------------------------------------------------------------------------

def test_sign_in_page_has_labelled_fields_and_a_csrf_token(client):
    page = client.get("/staff/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<label for="email">E-mail address</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert 'name="csrf_token"' in html


def test_right_password_signs_in_and_goes_to_the_staff_home(client, session):
    user = make_staff(session, role="facilitator", email="Evan.Miller@Example.org")
    session.commit()
    response = sign_in(client, " evan.miller@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert signed_in_id(client) == str(user.id)
    session.refresh(user)
    assert user.last_login_at == utc(FROZEN)


def test_sign_in_returns_to_the_page_asked_for_on_this_site(client, session):
    user = make_staff(session, role="finance")
    session.commit()
    response = sign_in(client, user.email, next_url="/staff/cohorts/cop-2024?tab=review")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/cohorts/cop-2024?tab=review"


@pytest.mark.parametrize("target", [
    "//evil.example/staff/", "https://evil.example/", "http:evil.example", "/\\evil.example",
    "\\\\evil.example", "/staff\\..\\x", "/\t/evil.example", "javascript:alert(1)", "staff/",
])
def test_open_redirect_attempts_fall_back_to_the_staff_home(client, session, target):
    user = make_staff(session, role="facilitator")
    session.commit()
    response = sign_in(client, user.email, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"


def test_safe_next_keeps_only_same_site_paths():
    assert safe_next("/staff/cohorts/1") == "/staff/cohorts/1"
    assert safe_next(None) == "/staff/"
    assert safe_next("") == "/staff/"
    assert safe_next("//evil.example") == "/staff/"
    assert safe_next("/\\evil.example") == "/staff/"
    assert safe_next("https://evil.example/staff/") == "/staff/"


def test_wrong_password_and_unknown_address_get_the_same_answer_beside_the_form(client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    wrong = sign_in(client, user.email, "not the password at all")
    unknown = sign_in(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert problem(wrong) == problem(unknown)
    assert "do not match" in problem(wrong)
    for response in (wrong, unknown):
        html = response.get_data(as_text=True)
        assert 'role="alert"' in html and 'name="password"' in html
    assert signed_in_id(client) is None
    assert attempts(session) == 2


def test_empty_fields_are_explained_beside_each_field(client):
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login", data={"csrf_token": token, "email": "",
                                                 "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="error" id="email-error">Please enter your e-mail address.</p>' in html
    assert '<p class="error" id="password-error">Please enter your password.</p>' in html


def test_sign_in_without_csrf_token_is_refused(client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert signed_in_id(client) is None


def test_deactivated_account_cannot_sign_in_even_with_the_right_password(client, session):
    user = make_staff(session, role="facilitator", active=False)
    session.commit()
    response = sign_in(client, user.email)
    assert response.status_code == 403
    assert "deactivated" in problem(response)
    assert signed_in_id(client) is None


def test_deactivating_an_account_ends_its_open_session(client, session):
    user = make_staff(session, role="admin")
    session.commit()
    sign_in(client, user.email)
    deactivate_staff_user(session, user.email)
    session.commit()
    page = client.get("/")
    assert "Signed in as" not in page.get_data(as_text=True)


def test_signed_in_header_shows_name_role_and_a_sign_out_button(client, session):
    user = make_staff(session, role="finance")
    session.commit()
    sign_in(client, user.email)
    html = client.get("/").get_data(as_text=True)
    assert f"Signed in as <strong>{user.name}</strong> (Finance)" in html
    assert 'action="/staff/logout"' in html


def test_passwords_are_stored_as_argon2id_hashes(session):
    user = make_staff(session, role="facilitator")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)
    assert not verify_password(user.password_hash, "correct horse batterY")


def test_sign_in_rehashes_a_password_hashed_with_old_parameters(client, session):
    user = make_staff(session, role="facilitator")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    session.commit()
    old_hash = user.password_hash
    assert needs_rehash(old_hash)
    assert sign_in(client, user.email).status_code == 302
    session.refresh(user)
    assert user.password_hash != old_hash
    assert not needs_rehash(user.password_hash)
    assert verify_password(user.password_hash, PASSWORD)


# --- throttling -------------------------------------------------------------------------------

def test_after_five_failures_each_attempt_waits_twice_as_long_as_the_last(app, client,
                                                                           session):
    user = make_staff(session, role="facilitator")
    session.commit()
    for _ in range(5):
        assert sign_in(client, user.email, "a wrong guess here").status_code == 401
    blocked = sign_in(client, user.email)
    assert blocked.status_code == 429
    assert "try again in 1 minute." in problem(blocked)
    assert signed_in_id(client) is None
    assert attempts(session) == 5  # refused before the password was looked at

    set_clock(app, "2024-01-10T12:01:00-08:00")
    assert sign_in(client, user.email, "a sixth guess").status_code == 401
    assert "try again in 2 minutes." in problem(sign_in(client, user.email))
    set_clock(app, "2024-01-10T12:03:00-08:00")
    assert sign_in(client, user.email, "a seventh guess").status_code == 401
    assert "try again in 4 minutes." in problem(sign_in(client, user.email))

    set_clock(app, "2024-01-10T12:07:00-08:00")
    assert sign_in(client, user.email).status_code == 302
    assert signed_in_id(client) == str(user.id)


def test_a_stranger_guessing_elsewhere_cannot_keep_the_owner_out(app, session):
    """Facilitators' addresses are public: failures from another network slow only that one."""
    user = make_staff(session, role="facilitator")
    session.commit()
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    for _ in range(5):
        assert sign_in(stranger, user.email, "a wrong guess here").status_code == 401
    assert sign_in(stranger, user.email, "yet another guess").status_code == 429
    assert sign_in(stranger, user.email).status_code == 429  # even the right password waits

    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert sign_in(owner, user.email).status_code == 302
    for _ in range(4):  # the owner's own typos are counted on their own pair
        assert sign_in(owner, user.email, "my typo here").status_code == 401
    assert sign_in(owner, user.email).status_code == 302


def test_the_delay_never_exceeds_the_window(app, client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    minute, waits, failures = 0, [], 0
    while failures < 12:  # a patient guesser: waits exactly as told, then guesses again
        set_clock(app, f"2024-01-10T{12 + minute // 60:02d}:{minute % 60:02d}:00-08:00")
        response = sign_in(client, user.email, "a wrong guess here")
        if response.status_code == 429:
            waits.append(int(re.search(r"try again in (\d+) minute", problem(response))[1]))
            minute += waits[-1]
        else:
            assert response.status_code == 401
            failures += 1
    assert waits[:4] == [1, 2, 4, 8]
    assert max(waits) == 15


def test_unknown_addresses_are_throttled_like_known_ones(client):
    for _ in range(5):
        sign_in(client, "guess@example.org", "a wrong guess here")
    assert sign_in(client, "guess@example.org", "another guess").status_code == 429


def test_a_successful_sign_in_clears_the_accounts_earlier_failures(client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    for _ in range(4):
        sign_in(client, user.email, "a wrong guess here")
    assert sign_in(client, user.email).status_code == 302
    for _ in range(4):
        assert sign_in(client, user.email, "a wrong guess here").status_code == 401
    assert sign_in(client, user.email).status_code == 302


def test_one_address_is_blocked_across_accounts_after_twenty_failures(app, session):
    user = make_staff(session, role="finance")
    session.commit()
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    for number in range(20):
        response = sign_in(attacker, f"someone{number % 10}@example.org", "a wrong guess here")
        assert response.status_code == 401
    blocked = sign_in(attacker, user.email)
    assert blocked.status_code == 429
    assert "from your network" in problem(blocked)
    assert "try again in 15 minutes" in problem(blocked)

    colleague = app.test_client()
    colleague.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert sign_in(colleague, user.email).status_code == 302


def test_waits_are_said_in_words():
    assert wait_in_words(timedelta(seconds=10)) == "1 minute"
    assert wait_in_words(timedelta(minutes=14, seconds=1)) == "15 minutes"
    assert wait_in_words(timedelta(minutes=65)) == "1 hour and 5 minutes"


# --- signing out ------------------------------------------------------------------------------

def test_sign_out_by_get_is_not_allowed(client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, user.email)
    assert client.get("/staff/logout").status_code == 405
    assert signed_in_id(client) == str(user.id)


def test_sign_out_without_csrf_token_is_refused(client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, user.email)
    assert client.post("/staff/logout").status_code == 400
    assert signed_in_id(client) == str(user.id)


def test_sign_out_with_csrf_token_signs_out(client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, user.email)
    token = csrf_token(client, "/")  # the header's sign-out form
    response = client.post("/staff/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    assert signed_in_id(client) is None
    assert "Signed in as" not in client.get("/").get_data(as_text=True)


def _copy_session(app, client):
    """A second browser holding a copy of `client`'s session cookie (a stolen or shared one)."""
    copy = app.test_client()
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    copy.set_cookie(cookie.key, cookie.value)
    return copy


def _opens_the_console(browser) -> bool:
    return browser.get("/staff/").status_code == 200


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, user.email)
    copied = _copy_session(app, client)
    assert _opens_the_console(copied)

    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/")})

    assert not _opens_the_console(copied)
    assert not _opens_the_console(client)


def test_signing_out_ends_the_sessions_of_that_account_in_every_browser(app, client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    other_browser = app.test_client()
    sign_in(other_browser, user.email)
    sign_in(client, user.email)

    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/")})

    assert not _opens_the_console(other_browser)
    sign_in(other_browser, user.email)  # signing in again works at once
    assert _opens_the_console(other_browser)


@pytest.mark.parametrize("command", [
    ["users", "set-password", "{email}", "--password", "a brand new password"],
    ["users", "deactivate", "{email}"],
])
def test_a_copied_session_cookie_stops_working_after_the_account_changes(
        app, client, session, command):
    user = make_staff(session, role="facilitator")
    session.commit()
    sign_in(client, user.email)
    copied = _copy_session(app, client)
    assert _opens_the_console(copied)

    result = app.test_cli_runner().invoke(args=[part.format(email=user.email)
                                                for part in command])

    assert result.exit_code == 0, result.output
    assert not _opens_the_console(copied)
    assert not _opens_the_console(client)


def test_signing_in_starts_a_new_session_with_a_new_csrf_token(app, client, session):
    user = make_staff(session, role="facilitator")
    session.commit()
    token_before = csrf_token(client, "/staff/login")
    with client.session_transaction() as before:
        raw_before = before["csrf_token"]
    anonymous = _copy_session(app, client)

    sign_in(client, user.email)

    token_after = csrf_token(client, "/")
    with client.session_transaction() as after:
        assert after["csrf_token"] != raw_before
    assert token_after != token_before
    # The token from before sign-in no longer signs anything in the new session.
    refused = client.post("/staff/logout", data={"csrf_token": token_before})
    assert refused.status_code == 400
    # The session cookie from before sign-in did not become a signed-in one.
    assert not _opens_the_console(anonymous)


def test_csrf_tokens_expire_after_the_configured_time(app, client, session):
    import time

    assert app.config["WTF_CSRF_TIME_LIMIT"] == 24 * 3600  # long forms survive a day
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    user = make_staff(session, role="facilitator")
    session.commit()
    token = csrf_token(client, "/staff/login")
    time.sleep(2.1)

    response = client.post("/staff/login", data={"csrf_token": token, "email": user.email,
                                                 "password": PASSWORD})

    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert signed_in_id(client) is None


# --- roles ------------------------------------------------------------------------------------

guarded = Blueprint("guard_test", __name__, url_prefix="/guard-test")


@guarded.get("/facilitation")
@role_required("facilitator")
def facilitation_page() -> str:
    return "facilitation page"


@guarded.get("/money")
@role_required("finance")
def money_page() -> str:
    return "money page"


@pytest.fixture
def guarded_client(app, client):
    app.register_blueprint(guarded)
    return client


def test_anonymous_visitor_is_sent_to_sign_in_with_next(guarded_client, session):
    response = guarded_client.get("/guard-test/facilitation?page=2")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/staff/login"
    assert parse_qs(location.query)["next"] == ["/guard-test/facilitation?page=2"]

    user = make_staff(session, role="facilitator")
    session.commit()
    back = sign_in(guarded_client, user.email, next_url="/guard-test/facilitation?page=2")
    assert back.headers["Location"] == "/guard-test/facilitation?page=2"
    assert guarded_client.get(back.headers["Location"]).status_code == 200


def test_staff_without_the_role_get_403_with_words(guarded_client, session):
    user = make_staff(session, role="finance")
    session.commit()
    sign_in(guarded_client, user.email)
    response = guarded_client.get("/guard-test/facilitation")
    assert response.status_code == 403
    assert "This page is for facilitators" in response.get_data(as_text=True)


def test_staff_with_the_role_get_the_page(guarded_client, session):
    user = make_staff(session, role="finance")
    session.commit()
    sign_in(guarded_client, user.email)
    response = guarded_client.get("/guard-test/money")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "money page"


def test_admin_passes_every_role_check(guarded_client, session):
    user = make_staff(session, role="admin")
    session.commit()
    sign_in(guarded_client, user.email)
    assert guarded_client.get("/guard-test/facilitation").status_code == 200
    assert guarded_client.get("/guard-test/money").status_code == 200


def test_role_required_refuses_unknown_roles_when_decorating():
    with pytest.raises(ValueError, match="role_required"):
        role_required("boss")
