"""Staff forms for a cohort's or group's sessions; times typed in the owner's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from wtforms import DateTimeLocalField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from cohort.models import SESSION_KINDS
from forms.base import CohortForm, strip_text
from forms.numbers import WholeNumberField
from forms.option_lists import options

MAX_URL = 500


def https_url_problem(text: str) -> str:
    """Why `text` is not an https address people can open ('' when it is)."""
    if len(text) > MAX_URL:
        return f"At most {MAX_URL} characters."
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname or "." not in parts.hostname:
        return "Please give an https:// address, e.g. https://zoom.us/j/123456789."
    if any(c.isspace() for c in text) or parts.username or parts.password:
        return "Please give the address without spaces or a user name."
    return ""


class SessionForm(CohortForm):
    """Schedule one session: what, when (owner's zone), how long, where to join."""

    title = StringField("Title (optional; the kind is shown without one)", filters=[strip_text],
                        validators=[Length(max=200, message="At most 200 characters.")])
    kind = SelectField("Kind", choices=options(list(SESSION_KINDS.items())))
    starts_at = DateTimeLocalField("Starts", format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(message="Please give a date and time.")])
    duration_minutes = WholeNumberField("Length (minutes)", default=90, validators=[
        InputRequired(message="Please give the length."),
        NumberRange(min=15, max=720, message="Between 15 and 720 minutes.")])
    join_url = StringField("Joining link (https://…)", filters=[strip_text], validators=[
        DataRequired(message="Please give the link people join by."),
        Length(max=MAX_URL, message=f"At most {MAX_URL} characters.")])
    questions_close_at = DateTimeLocalField(
        "Questions in advance close (Q&A only; empty: when the session starts)",
        format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def validate_join_url(self, field: StringField) -> None:
        """An https address."""
        problem = https_url_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_questions_close_at(self, field: DateTimeLocalField) -> None:
        """Before the session starts, and only for a Q&A."""
        if field.data is None:
            return
        if self.kind.data != "qa":
            raise ValidationError("Only a Q&A takes questions in advance; leave this empty.")
        if self.starts_at.data is not None and field.data > self.starts_at.data:
            raise ValidationError("Questions must close no later than the session starts.")

    def instant(self, value: datetime | None) -> datetime | None:
        """A typed wall-clock time as an instant in the owner's zone."""
        return None if value is None else value.replace(tzinfo=ZoneInfo(self.zone))
