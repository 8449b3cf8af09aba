"""Staff forms for recordings: a session's recording link, and how long participants see them."""

from __future__ import annotations

from wtforms import DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.base import CohortForm, strip_text
from forms.group_sessions import MAX_URL, https_url_problem


class RecordingForm(CohortForm):
    """Where the video lives; the service stores no video."""

    url = StringField("Link to the recording (https://…)", filters=[strip_text], validators=[
        DataRequired(message="Please give the link to the recording."),
        Length(max=MAX_URL, message=f"At most {MAX_URL} characters.")])
    passcode = StringField("Passcode (optional)", filters=[strip_text], validators=[
        Length(max=100, message="At most 100 characters.")])
    notes = TextAreaField("Notes for members (optional)", filters=[strip_text], validators=[
        Length(max=2000, message="At most 2,000 characters.")])

    def validate_url(self, field: StringField) -> None:
        """An https address."""
        problem = https_url_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class RecordingsUntilForm(CohortForm):
    """The last moment a cohort's participants see its recordings (empty: no end)."""

    recordings_until = DateTimeLocalField("Participants see recordings until (cohort's zone)",
                                          format="%Y-%m-%dT%H:%M", validators=[Optional()])
