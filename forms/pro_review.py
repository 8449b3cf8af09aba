"""Forms of the facilitators' PRO review: my review of an application, a decision for several."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from forms.base import CohortForm
from forms.numbers import row_id
from forms.option_lists import options
from workflows import MembershipMachine

# A recommendation is one of the decisions, with the same words.
PRO_DECISIONS = {event: MembershipMachine.event_labels()[event]
                 for event in MembershipMachine.decisions}


class ProReviewForm(CohortForm):
    """My recommendation and private note on one PRO application."""

    recommendation = RadioField(
        "My recommendation", choices=options(PRO_DECISIONS.items()), validate_choice=False,
        validators=[InputRequired(message="Please choose a recommendation."),
                    AnyOf(list(PRO_DECISIONS), message="Please choose a recommendation.")])
    note = TextAreaField("Private note (only facilitators see it)", validators=[
        Length(max=4000, message="Please keep the note under 4,000 characters.")])


class ProDecisionForm(CohortForm):
    """A decision for one or several PRO applications, with an optional personal message."""

    event = HiddenField(validators=[AnyOf(list(PRO_DECISIONS), message="Choose a decision.")])
    membership_ids = SelectMultipleField("Applications", coerce=row_id, validate_choice=False,
                                         validators=[DataRequired(
                                             message="Select at least one application.")])
    message = TextAreaField("Personal message (added to the e-mail)", validators=[
        Length(max=2000, message="Please keep the message under 2,000 characters.")])
