"""Forms of the Customer Hub: ask for a link; the member's buttons (CSRF only, or an interval)."""

from __future__ import annotations

from wtforms import RadioField, StringField
from wtforms.validators import DataRequired

from forms.base import CohortForm, address_validators, strip_text
from forms.option_lists import options


class HubLinkForm(CohortForm):
    """The e-mail address a member pays with."""

    email = StringField("Your payment e-mail address", filters=[strip_text], render_kw={
        "inputmode": "email", "spellcheck": "false", "autocapitalize": "none",
        "autocomplete": "email"},
        description="The address your membership invoices and receipts go to.",
        validators=address_validators())


class HubButtonForm(CohortForm):
    """A button of the hub (open the link, cancel, undo, keep a plan, sign out): CSRF only."""


class SwitchIntervalForm(CohortForm):
    """Renew monthly or yearly from the end of the paid period."""

    interval = RadioField("Renew", choices=options([("month", "Monthly"), ("year", "Yearly")]),
                          validators=[DataRequired(message="Choose monthly or yearly.")])
