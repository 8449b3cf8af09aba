"""Forms on the applicant's status page."""

from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forms.base import CohortForm


class WithdrawForm(CohortForm):
    """Withdraw an application, confirmed by a tick."""

    confirm = BooleanField("Yes, withdraw my application",
                           validators=[DataRequired(message="Please tick to confirm.")])
    reason = TextAreaField("Anything you would like the facilitators to know? (optional)",
                           validators=[Optional(), Length(max=1000,
                                       message="Please keep this under 1,000 characters.")])


class CalendarLinkForm(CohortForm):
    """Make or replace the private calendar link (no fields: the button is the request)."""
