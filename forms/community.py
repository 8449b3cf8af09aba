"""Forms of a community's public page and of its staff pages (prices, terms)."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from cohort.addresses import address_key
from forms.base import CohortForm, address_validators, strip_text
from forms.numbers import WHOLE_ID, parse_cents


class JoinLobbyForm(CohortForm):
    """Name, address and the terms, ticked: what joining the free Lobby asks."""

    name = StringField("Your name", filters=[strip_text], validators=[
        DataRequired(message="Please enter your name."),
        Length(max=120, message="Please keep this under 120 characters.")])
    email = EmailField("E-mail address", filters=[strip_text], validators=address_validators())
    terms_version = HiddenField()
    agree_terms = BooleanField("I have read the Member Guidelines and Terms of Confidentiality "
                               "and agree to them", validators=[DataRequired(
                                   message="Please agree to the terms to join.")])

    def validate_email(self, field: EmailField) -> None:
        """The address as we store it (normalised) must fit too."""
        if len(address_key(field.data or "")) > 254:
            raise ValidationError("Please keep this under 254 characters.")

    def validate_terms_version(self, field: HiddenField) -> None:
        """The version shown on the page: an id, digits only (or empty when there are none)."""
        text = (field.data or "").strip()
        if text and not WHOLE_ID.fullmatch(text):
            raise ValidationError("Please reload the page and tick the box again.")

    def terms_version_id(self) -> int | None:
        """The terms version the visitor ticked, if the page showed one."""
        text = (self.terms_version.data or "").strip()
        return int(text) if text else None


class ConfirmJoinForm(CohortForm):
    """The button behind an e-mailed confirmation link (a link scanner does not press it)."""


class AgreeTermsForm(CohortForm):
    """Agreeing, explicitly, to a new version of the terms."""

    agree = BooleanField("I have read this version and agree to it", validators=[
        DataRequired(message="Please tick the box to agree.")])


class PlanPriceForm(CohortForm):
    """A plan's new price for one interval."""

    amount = StringField("New price", filters=[strip_text], validators=[
        DataRequired(message="Please enter the new price.")],
        description="In the community's currency, e.g. 20.00.")

    def validate_amount(self, field: StringField) -> None:
        """Digits, at most two decimals, above zero."""
        try:
            cents = parse_cents(field.data or "")
        except ValueError as problem:
            raise ValidationError(str(problem)) from None
        if cents <= 0:
            raise ValidationError("A price must be above zero; the free plan has no price.")

    def cents(self) -> int:
        """The price in cents (after validation)."""
        return parse_cents(self.amount.data or "")


class TermsForm(CohortForm):
    """A new version of the community's terms."""

    title = StringField("Title", filters=[strip_text], validators=[
        DataRequired(message="Please give the terms a title."),
        Length(max=200, message="Please keep this under 200 characters.")])
    body = TextAreaField("Text", filters=[strip_text], validators=[
        DataRequired(message="Please write the terms."),
        Length(min=20, max=20_000, message="Please write between 20 and 20,000 characters.")])
    confirm = BooleanField("Members must agree to this version before their next group access",
                           validators=[DataRequired(
                               message="Please tick the box to publish the new version.")])
