"""The base of every form: only real form fields are read, and invisible characters are refused.

What is refused, and the words beside the field, are in `cohort/text_rules.py`. Every field but
a text area (and a password, which is never shown or mailed) is single-line text.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import PasswordInput, TextArea

from cohort.addresses import EMAIL_MAX_LENGTH
from cohort.text_rules import CONTROL_CHARACTERS, CONTROL_MESSAGE, invisible_character_problem


def strip_text(value: Any) -> Any:
    """A field filter: surrounding white space is not part of what someone typed."""
    return value.strip() if isinstance(value, str) else value


class CohortForm(FlaskForm):
    """A Flask-WTF form that reads `request.form` only (never files or JSON bodies)."""

    class Meta:
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            """Submitted forms are read from `request.form`; other sources are ignored."""
            if formdata is _Auto:
                return request.form if _is_submitted() else None
            return formdata

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "csrf_token" in self:
            # Pages with two forms would otherwise have two elements with id="csrf_token".
            self["csrf_token"].render_kw = {"id": False}

    def error_text(self) -> str:
        """Every field error, in one sentence-separated line (for a flash or an error page)."""
        return " ".join(error for errors in self.errors.values() for error in errors)

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then no invisible characters in any text."""
        valid = super().validate(extra_validators=extra_validators)
        for field in self:
            if not isinstance(field.data, str):
                continue
            if isinstance(field.widget, PasswordInput):
                problem = CONTROL_MESSAGE if CONTROL_CHARACTERS.search(field.data) else ""
            else:
                problem = invisible_character_problem(
                    field.data, single_line=not isinstance(field.widget, TextArea))
            if problem:
                field.errors = [*field.errors, problem]
                valid = False
        return valid


TOO_LONG_ADDRESS = f"Please keep this under {EMAIL_MAX_LENGTH} characters."


def address_validators(too_long: str = TOO_LONG_ADDRESS) -> list[Any]:
    """What every e-mail address field asks: one given, of at most EMAIL_MAX_LENGTH characters,
    shaped like an address (the service then checks it properly: `cohort.addresses`)."""
    return [DataRequired(message="Please enter your e-mail address."),
            Length(max=EMAIL_MAX_LENGTH, message=too_long),
            Email(message="That does not look like an e-mail address (name@example.org).",
                  check_deliverability=False)]
