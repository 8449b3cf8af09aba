"""Subscribing to a plan: who subscribes, the terms agreed explicitly, the card Stripe.js read."""

from __future__ import annotations

import re

from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from cohort.addresses import EMAIL_MAX_LENGTH
from forms.base import CohortForm, address_validators, strip_text

PLAIN_NUMBER = re.compile(r"[0-9]{1,9}")
# What Stripe.js hands over: a card token (tok_…) or a PaymentMethod id (pm_…); never a number.
CARD_REFERENCE = re.compile(r"(tok|pm)_[A-Za-z0-9_]{1,200}")


class SubscribeForm(CohortForm):
    """The terms and the card (a PRO subscriber is known from their link)."""

    terms_version = HiddenField()
    agree_terms = BooleanField(
        "I have read the Member Guidelines and Terms of Confidentiality above and agree to them",
        validators=[DataRequired(message="Please agree to the Member Guidelines and Terms of "
                                         "Confidentiality.")])
    card_token = HiddenField()

    def validate_terms_version(self, field: HiddenField) -> None:
        """The version of the terms the visitor read."""
        if not PLAIN_NUMBER.fullmatch(field.data or ""):
            raise ValidationError("Please reload the page and agree to the terms again.")

    def validate_card_token(self, field: HiddenField) -> None:
        """Stripe.js's reference to the card."""
        if not CARD_REFERENCE.fullmatch(field.data or ""):
            raise ValidationError("Please enter your card (the page needs JavaScript for it).")


class NewSubscriberForm(SubscribeForm):
    """Who subscribes: a name and the e-mail address receipts and the hub link go to."""

    name = StringField("Your name", filters=[strip_text], validators=[
        DataRequired(message="Please enter your name."),
        Length(max=120, message="Please keep your name under 120 characters.")])
    email = EmailField("E-mail address", filters=[strip_text], validators=address_validators(
        too_long=f"Please keep the address under {EMAIL_MAX_LENGTH} characters."))
