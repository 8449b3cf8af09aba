"""Finance desk forms: the document filter (GET), offline payments and manual credit notes."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from cohort.models import DOCUMENT_KIND_LABELS
from forms.base import CohortForm
from forms.numbers import parse_cents
from forms.option_lists import PrerenderedSelect, country_options, options


class DocumentFilterForm(CohortForm):
    """Which documents to list (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    cohort = SelectField("Cohort", validate_choice=False)
    community = SelectField("Community", validate_choice=False)
    kind = SelectField("Type", validate_choice=False, choices=options([
        ("", "All types"), *((kind, f"{title}s") for kind, title in DOCUMENT_KIND_LABELS.items())]))
    status = SelectField("Status", validate_choice=False, choices=options([
        ("", "Any status"), ("paid", "Paid"), ("outstanding", "Outstanding"),
        ("overdue", "Overdue"), ("issued", "Issued (credit notes)")]))
    issued_from = DateField("Issued from", validators=[Optional()])
    issued_to = DateField("Issued to (inclusive)", validators=[Optional()])
    country = SelectField("Buyer's country", validate_choice=False, widget=PrerenderedSelect())

    def __init__(self, *args: Any, cohorts: list[tuple[str, str]],
                 communities: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # cohorts, communities: (slug, name people read)
        self.cohort.choices = options([("", "All cohorts"), *cohorts])
        self.community.choices = options([("", "All communities"), *(communities or [])])
        self.country.choices = country_options("All countries")


def _amount(form: CohortForm, field: StringField) -> None:
    try:
        if parse_cents(field.data or "") <= 0:
            raise ValueError("Please give an amount above zero.")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class OfflinePaymentForm(CohortForm):
    """A bank transfer received."""

    amount = StringField("Amount received", validators=[
        DataRequired(message="Please give the amount."), Length(max=20), _amount])
    reference = StringField("Bank reference", validators=[
        DataRequired(message="Please give the bank's reference."),
        Length(max=200, message="Please keep the reference under 200 characters.")])


class CreditNoteForm(CohortForm):
    """A correction: a credit note with a reason."""

    credit_amount = StringField("Amount to credit", validators=[
        DataRequired(message="Please give the amount."), Length(max=20), _amount])
    reason = StringField("Reason (printed on the credit note)", validators=[
        DataRequired(message="Please give a reason."),
        Length(max=200, message="Please keep the reason under 200 characters.")])
