"""Staff accounts: the services' checks, the `users` commands and the demo accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cohort.auth.passwords import verify_password
from cohort.auth.services import (
    DuplicateStaffAccount,
    StaffAccountInvalid,
    create_staff_user,
    staff_user_by_email,
)
from cohort.models import StaffUser
from tests.factories import make_staff, utc

PASSWORD = "correct horse battery"
FROZEN = "2024-01-10T12:00:00-08:00"  # the app fixture's clock


# --- services ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("email", "role", "password", "words"), [
    ("ok@example.org", "boss", PASSWORD, "role must be one of facilitator, finance, admin"),
    ("not-an-address", "finance", PASSWORD, "does not look like an e-mail address"),
    ("ok@example.org", "finance", "too short", "at least 12 characters"),
])
def test_create_staff_user_refuses_bad_details_with_a_clear_message(session, email, role,
                                                                   password, words):
    with pytest.raises(StaffAccountInvalid, match=words):
        create_staff_user(session, email, "Someone", role, password, utc(FROZEN))
    assert session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_create_staff_user_refuses_an_address_already_used_in_any_spelling(session):
    make_staff(session, role="finance", email="desk@example.org")
    with pytest.raises(DuplicateStaffAccount, match="already a staff account for DESK@"):
        create_staff_user(session, "DESK@example.org", "Desk", "finance", PASSWORD, utc(FROZEN))


# --- commands ---------------------------------------------------------------------------------

def test_users_create_makes_an_account_whose_password_verifies(app, session):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "Sheella@Example.org", "--name", "Sheella Mierson",
        "--role", "facilitator", "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert "Created facilitator account Sheella@example.org" in result.output  # domain lower-cased
    user = staff_user_by_email(session, "sheella@example.org")
    assert user is not None and user.role == "facilitator" and user.active
    assert verify_password(user.password_hash, "a long enough password")


def test_users_create_asks_for_the_password_twice_when_not_given(app, session):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "desk@example.org", "--name", "Desk", "--role", "finance"],
        input="typed twice, hidden\ntyped twice, hidden\n")
    assert result.exit_code == 0, result.output
    assert "typed twice, hidden" not in result.output
    user = staff_user_by_email(session, "desk@example.org")
    assert verify_password(user.password_hash, "typed twice, hidden")


def test_users_create_refuses_a_duplicate_with_a_clear_message(app, session):
    make_staff(session, role="finance", email="desk@example.org")
    session.commit()
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "desk@example.org", "--name", "Desk", "--role", "admin",
        "--password", "a long enough password"])
    assert result.exit_code == 1
    assert "There is already a staff account for desk@example.org" in result.output
    assert staff_user_by_email(session, "desk@example.org").role == "finance"


def test_users_create_refuses_an_unknown_role(app, session):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "boss@example.org", "--name", "Boss", "--role", "boss",
        "--password", "a long enough password"])
    assert result.exit_code == 2
    assert "'boss' is not one of 'facilitator', 'finance', 'admin'" in result.output
    assert staff_user_by_email(session, "boss@example.org") is None


def test_users_set_password_deactivate_and_list(app, session):
    user = make_staff(session, role="facilitator", email="evan@example.org")
    session.commit()
    runner = app.test_cli_runner()
    changed = runner.invoke(args=["users", "set-password", "evan@example.org",
                                  "--password", "a brand new password"])
    assert changed.exit_code == 0, changed.output
    session.refresh(user)
    assert verify_password(user.password_hash, "a brand new password")
    assert not verify_password(user.password_hash, PASSWORD)

    deactivated = runner.invoke(args=["users", "deactivate", "evan@example.org"])
    assert deactivated.exit_code == 0, deactivated.output
    session.refresh(user)
    assert user.active is False
    listing = runner.invoke(args=["users", "list"])
    assert f"evan@example.org\t{user.name}\tfacilitator\tdeactivated" in listing.output
    missing = runner.invoke(args=["users", "deactivate", "nobody@example.org"])
    assert missing.exit_code == 1
    assert "There is no staff account for nobody@example.org" in missing.output


# --- demo accounts ----------------------------------------------------------------------------

DEMO = {
    "evan.miller@example.org": ("Evan Miller", "facilitator", "demo-password-evan"),
    "sheella.mierson@example.org": ("Sheella Mierson", "facilitator", "demo-password-sheella"),
    "finance@example.org": ("Finance Desk", "finance", "demo-password-finance"),
    "admin@example.org": ("Site Admin", "admin", "demo-password-admin"),
}


def test_seed_demo_in_development_creates_the_four_staff_accounts_once(app, session):
    app.config["COHORT_ENV"] = "development"
    runner = app.test_cli_runner()
    first = runner.invoke(args=["cohort", "seed-demo"])
    second = runner.invoke(args=["cohort", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    users = session.scalars(select(StaffUser)).all()
    assert len(users) == 4
    for email, (name, role, password) in DEMO.items():
        user = staff_user_by_email(session, email)
        assert (user.name, user.role) == (name, role)
        assert verify_password(user.password_hash, password)
        assert email in first.output and password in first.output
    assert first.output.count("(created)") == 4
    assert second.output.count("(already there)") == 4


def test_seed_demo_outside_development_creates_no_staff_accounts(app, session):
    result = app.test_cli_runner().invoke(args=["cohort", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(StaffUser)) == 0
    assert "demo-password" not in result.output


@pytest.mark.parametrize("name", ["Evan\u202eMiller", "Evan\nMiller", "\ufeffEvan"])
def test_a_staff_name_with_invisible_characters_or_line_breaks_is_refused(session, name):
    with pytest.raises(StaffAccountInvalid, match="The name: please"):
        create_staff_user(session, "evan@example.org", name, "facilitator", PASSWORD, utc(FROZEN))
