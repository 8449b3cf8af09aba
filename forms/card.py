"""The card page's forms: the JSON steps carry the CSRF token in a header; cancelling is a form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class CancelPastDueForm(FlaskForm):
    """End a past-due membership now instead of paying (an explicit confirmation)."""

    confirm = BooleanField(
        "Yes, end my membership now; nothing more will be charged.",
        validators=[DataRequired("Tick the box to confirm that the membership ends now.")])


class RetryForm(FlaskForm):
    """Staff: charge the overdue renewal again (the button carries only the CSRF token)."""
