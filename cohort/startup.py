"""Settings at start-up; on the command line a missing setting is one line, never a traceback.

`flask --app app --help` (and `… users --help`) must work on a fresh checkout with nothing set, so
while the `flask` command only lists or describes commands, an incomplete environment builds an
app from development defaults whose own commands each refuse to run, saying what to set. A command
that needs the app (`run`, `db upgrade`, `users list`…) stops with that one line, and so does one
of the app's commands run on a database that was never migrated. Outside the command line (a WSGI
server, tests) an incomplete environment raises `ConfigError` as before.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from cohort.config import ConfigError, load_config

NO_TABLES = ("the database has no tables yet: run `make flask ARGS=\"db upgrade\"` "
             "(`make run` does), or `flask --app app db upgrade` with your settings")


def _missing_table(error: OperationalError | ProgrammingError) -> bool:
    """True when the database answered that a table does not exist (SQLite or PostgreSQL)."""
    return ("no such table" in str(error.orig)
            or getattr(error.orig, "sqlstate", None) == "42P01")


def _explaining(callback: Callable[..., Any]) -> Callable[..., Any]:
    """`callback`, with "no such table" turned into one line saying to migrate."""
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except (OperationalError, ProgrammingError) as error:
            if not _missing_table(error):
                raise
            raise click.ClickException(NO_TABLES) from None

    return run


def _refusal(problem: str) -> Callable[..., None]:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise click.ClickException(problem)

    return refuse


def _adapted(command: click.Command, problem: str | None) -> click.Command:
    """A copy of `command` (the original stays intact) that refuses with `problem`, if any."""
    clone = copy.copy(command)
    if isinstance(command, click.Group):
        clone.commands = {name: _adapted(sub, problem) for name, sub in command.commands.items()}
        if problem is not None:
            clone.callback = None
            clone.invoke_without_command = False
    elif problem is not None:
        clone.callback = _refusal(problem)
    elif command.callback is not None:
        clone.callback = _explaining(command.callback)
    return clone


class CommandLine(AppGroup):
    """The app's commands as `flask` runs them: errors a newcomer meets are one line."""

    def __init__(self, name: str | None, problem: str | None) -> None:
        super().__init__(name)
        self.problem = problem

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the command, refusing with the configuration problem or explaining migrations."""
        command = super().get_command(ctx, cmd_name)
        return None if command is None else _adapted(command, self.problem)


def _listing_commands(ctx: click.Context) -> bool:
    """True while `flask` looks a command up or prints help, before running one."""
    return isinstance(ctx.command, click.Group)


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Load the settings into `app.config` (see README); `overrides` are for tests."""
    ctx = click.get_current_context(silent=True)
    problem = None
    try:
        config = load_config(app.instance_path)
    except ConfigError as error:
        if ctx is None:
            raise
        if not _listing_commands(ctx):
            raise click.ClickException(str(error)) from None
        problem = str(error)
        config = load_config(app.instance_path, {"COHORT_ENV": "development"})
    if ctx is not None:
        app.cli = CommandLine(app.cli.name, problem)
    app.config.from_mapping(config)
    if overrides:
        app.config.from_mapping(overrides)
