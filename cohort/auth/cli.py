"""Commands: `flask --app app users create | list | set-password | deactivate`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from cohort.auth.roles import ROLES
from cohort.auth.services import (
    create_staff_user,
    deactivate_staff_user,
    set_password,
    staff_user_by_email,
    staff_users,
)
from cohort.clock import now
from cohort.extensions import db
from cohort.services import ServiceError

group = AppGroup("users", help="Staff accounts (facilitators, finance, administrators).")


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return click.prompt("Password (at least 12 characters)", hide_input=True,
                        confirmation_prompt="Repeat the password")


def _refused(error: ServiceError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(error.message)


@group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as shown to colleagues.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the account may do.")
@click.option("--password", default=None,
              help="Leave out to be asked for it (hidden, twice); avoids shell history.")
def create_command(email: str, name: str, role: str, password: str | None) -> None:
    """Create a staff account."""
    try:
        user = create_staff_user(db.session, email, name, role, _password(password), now())
    except ServiceError as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(f"Created {user.role} account {user.email} ({user.name}).")


@group.command("list")
def list_command() -> None:
    """List the staff accounts."""
    users = staff_users(db.session)
    if not users:
        click.echo("No staff accounts yet. Create one with: flask --app app users create …")
    for user in users:
        state = "active" if user.active else "deactivated"
        last = f"last sign-in {user.last_login_at:%Y-%m-%d %H:%M} UTC" if user.last_login_at \
            else "never signed in"
        click.echo(f"{user.email}\t{user.name}\t{user.role}\t{state}\t{last}")


@group.command("set-password")
@click.argument("email")
@click.option("--password", default=None,
              help="Leave out to be asked for it (hidden, twice); avoids shell history.")
def set_password_command(email: str, password: str | None) -> None:
    """Give a staff account a new password."""
    if staff_user_by_email(db.session, email) is None:
        raise click.ClickException(f"There is no staff account for {email.strip()}.")
    try:
        user = set_password(db.session, email, _password(password))
    except ServiceError as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(f"New password set for {user.email}.")


@group.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Stop a staff account from signing in (its sessions end at their next request)."""
    try:
        user = deactivate_staff_user(db.session, email)
    except ServiceError as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(f"Deactivated {user.email}; it can no longer sign in.")


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(group)
