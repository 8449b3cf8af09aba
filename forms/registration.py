"""The registration form: billing details, then the policy and terms agreed explicitly."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from cohort.countries import country_name, is_country
from forms.base import CohortForm, strip_text
from forms.option_lists import PrerenderedSelect, country_options

PLAIN_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: "²" and huge numbers are refused


def rebate_sentence(rule: Mapping[str, Any] | None) -> str:
    """'A billing address in Canada, Australia or New Zealand qualifies for the 25% rebate.'"""
    countries = [country_name(code) for code in (rule or {}).get("countries", ())]
    basis_points = int((rule or {}).get("basis_points", 0))
    if not countries or basis_points <= 0:
        return ""
    where = countries[0] if len(countries) == 1 else (
        f"{', '.join(countries[:-1])} or {countries[-1]}")
    whole, rest = divmod(basis_points, 100)
    percent = f"{whole}%" if not rest else f"{basis_points / 100:g}%"
    return f"A billing address in {where} qualifies for the {percent} rebate."


class RegistrationForm(CohortForm):
    """Who is billed, and the agreements."""

    billing_name = StringField("Name on the invoice", filters=[strip_text], validators=[
        DataRequired(message="Please enter the name to put on the invoice."),
        Length(max=120, message="Please keep this under 120 characters.")])
    organisation = StringField("Organisation (optional)", filters=[strip_text], validators=[
        Length(max=200, message="Please keep this under 200 characters.")])
    address = TextAreaField("Billing address", filters=[strip_text], validators=[
        DataRequired(message="Please enter the billing address."),
        Length(min=5, max=500, message="Please write between 5 and 500 characters.")])
    country = SelectField("Country", validate_choice=False, widget=PrerenderedSelect())
    tax_id = StringField("Tax or VAT number (optional)", filters=[strip_text], validators=[
        Length(max=50, message="Please keep this under 50 characters.")])
    policy_version = HiddenField()
    agree_policy = BooleanField("I have read the cancellation policy above and agree to it",
                                validators=[DataRequired(
                                    message="Please agree to the cancellation policy.")])
    agree_terms = BooleanField("I agree to the terms: my place is held once the deposit is "
                               "paid; the remainder is invoiced once the cohort is confirmed",
                               validators=[DataRequired(message="Please agree to the terms.")])

    def __init__(self, *args: Any, rebate_rule: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_options()
        self.country.description = rebate_sentence(rebate_rule)

    def validate_country(self, field: SelectField) -> None:
        """Only ISO 3166 countries."""
        if not is_country(field.data or ""):
            raise ValidationError("Please choose a country from the list.")

    def validate_policy_version(self, field: HiddenField) -> None:
        """The version of the policy the applicant read."""
        if not PLAIN_NUMBER.fullmatch(field.data or ""):
            raise ValidationError("Please reload the page and agree to the policy again.")


class CancelRegistrationForm(CohortForm):
    """Cancel after registering: the quoted refund is confirmed explicitly."""

    quoted_cents = HiddenField()
    confirm = BooleanField("Yes, cancel my registration",
                           validators=[DataRequired(message="Please tick to confirm.")])

    def validate_quoted_cents(self, field: HiddenField) -> None:
        """The refund amount the page showed."""
        if not PLAIN_NUMBER.fullmatch(field.data or ""):
            raise ValidationError("Please reload the page and confirm again.")
