"""The base of every form: only real form fields are read, and control characters are refused."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted

# Invisible characters no one types on purpose: NUL and other C0 controls (tab, newline and
# carriage return are allowed), DEL, and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
CONTROL_MESSAGE = "Please remove the invisible control characters from this field."


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

    def error_text(self) -> str:
        """Every field error, in one sentence-separated line (for a flash or an error page)."""
        return " ".join(error for errors in self.errors.values() for error in errors)

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then no control characters in any text."""
        valid = super().validate(extra_validators=extra_validators)
        for field in self:
            if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
                field.errors = [*field.errors, CONTROL_MESSAGE]
                valid = False
        return valid
