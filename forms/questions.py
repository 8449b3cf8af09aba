"""The members' area forms: a question in advance, the facilitators' buttons, reminders."""

from __future__ import annotations

from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from cohort.models import MAX_QUESTION
from forms.base import CohortForm, strip_text
from forms.option_lists import options


class QuestionForm(CohortForm):
    """One question for a Q&A session."""

    body = TextAreaField("Your question", filters=[strip_text], validators=[
        DataRequired(message="Please write your question."),
        Length(max=MAX_QUESTION, message=f"Please keep it under {MAX_QUESTION:,} characters.")])


class QuestionActionForm(CohortForm):
    """Answer, hide or show a question (the button is the request)."""


class RemindersForm(CohortForm):
    """Turn the day-before session reminders on or off."""

    reminders = SelectField("Session reminders by e-mail the day before",
                            choices=options([("on", "On"), ("off", "Off")]))
