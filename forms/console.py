"""Forms of the facilitators' console."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
)

from forms.base import CohortForm
from forms.numbers import WholeNumberField, row_id
from forms.option_lists import options
from workflows import EnrollmentMachine

# A recommendation is one of the decisions, with the same words.
DECISIONS = EnrollmentMachine.decision_labels()
RECOMMENDATION_CHOICES = list(DECISIONS.items())


class ReviewForm(CohortForm):
    """My recommendation and private note on one application."""

    recommendation = RadioField(
        "My recommendation", choices=options(RECOMMENDATION_CHOICES), validate_choice=False,
        validators=[InputRequired(message="Please choose a recommendation."),
                    AnyOf(list(DECISIONS), message="Please choose a recommendation.")])
    note = TextAreaField("Private note (only facilitators see it)", validators=[
        Length(max=4000, message="Please keep the note under 4,000 characters.")])


class DecisionForm(CohortForm):
    """A decision for one or several applications, with an optional personal message."""

    event = HiddenField(validators=[AnyOf(list(DECISIONS), message="Choose a decision.")])
    enrollment_ids = SelectMultipleField("Applications", coerce=row_id, validate_choice=False,
                                         validators=[DataRequired(
                                             message="Select at least one application.")])
    message = TextAreaField("Personal message (added to the e-mail)", validators=[
        Length(max=2000, message="Please keep the message under 2,000 characters.")])


class ConfirmForm(CohortForm):
    """A button that only needs CSRF protection."""


class ConfirmCohortForm(CohortForm):
    """Confirming a cohort after its preview: the registrants the preview showed."""

    enrollment_ids = SelectMultipleField("Registrants", coerce=int, validate_choice=False)


class CancelCohortForm(CohortForm):
    """Cancelling a cohort: stated consequences, explicit confirmation, a reason for everyone."""

    confirm = BooleanField("I understand: everyone is told and refunded in full",
                           validators=[DataRequired(message="Tick to confirm the cancellation.")])
    reason = TextAreaField("Why (sent to everyone in the cohort)", validators=[
        DataRequired(message="Please give a reason; it goes to everyone in the cohort."),
        Length(max=1000, message="Please keep the reason under 1,000 characters.")])


class CopyCohortForm(CohortForm):
    """Create the next cohort by copying this one with its dates shifted."""

    slug = StringField("Address of the new cohort (e.g. cop-2025)", validators=[
        DataRequired(message="Please give the new cohort an address."),
        Length(max=80, message="Please keep the address under 80 characters."),
        Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
               message="Use lower-case letters, digits and single hyphens (e.g. cop-2025)."),
    ])
    weeks = WholeNumberField("Shift every date by (weeks)", validators=[
        InputRequired(message="Please give a number of weeks."),
        NumberRange(min=1, max=520, message="Between 1 and 520 weeks."),
    ], default=52)
