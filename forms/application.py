"""The application form."""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    ValidationError,
)

from cohort.addresses import address_key
from cohort.countries import is_country
from cohort.schedule import is_zone
from forms.base import CohortForm, address_validators, strip_text
from forms.choices import (
    ORGANISATION_SIZES,
    PREREQUISITES,
    ROLES,
    SECTORS,
    SOCIOCRACY_STAGES,
)
from forms.option_lists import PrerenderedSelect, country_options, options, zone_options


def _required(what: str) -> DataRequired:
    return DataRequired(message=f"Please enter {what}.")


def _chosen(what: str) -> InputRequired:
    return InputRequired(message=f"Please choose {what}.")


def _one_of(choices: list[tuple[str, str]], what: str) -> AnyOf:
    return AnyOf([value for value, _ in choices], message=f"Please choose {what} from the list.")


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Please keep this under {limit:,} characters.")


def _between(low: int, high: int) -> Length:
    return Length(min=low, max=high,
                  message=f"Please write between {low:,} and {high:,} characters.")


HOPES_LENGTH = (20, 3000)  # characters, for each of the two "hopes" answers


def _length_hint(low: int, high: int) -> str:
    return f"A few sentences: between {low:,} and {high:,} characters."


class ApplicationForm(CohortForm):
    """Everything the facilitators ask of an applicant."""

    full_name = StringField("Full name", filters=[strip_text],
                            validators=[_required("your name"), _at_most(120)])
    email = EmailField("E-mail address", filters=[strip_text], validators=address_validators())
    organisation = StringField("Organisation", filters=[strip_text], validators=[
        _required("your organisation's name"), _at_most(200)])
    role = RadioField("Your role", choices=options(ROLES), validate_choice=False,
                      validators=[_chosen("your role"), _one_of(ROLES, "your role")])
    role_title = StringField("Your title", filters=[strip_text], validators=[_at_most(120)],
                             description="Needed if you chose “Other”.")
    organisation_size = SelectField(
        "Size of your organisation", choices=options([("", "Choose…"), *ORGANISATION_SIZES]),
        validate_choice=False,
        validators=[_chosen("the size of your organisation"),
                    _one_of(ORGANISATION_SIZES, "the size of your organisation")])
    sector = RadioField("Your organisation is", choices=options(SECTORS), validate_choice=False,
                        validators=[_chosen("for profit or not for profit"),
                                    _one_of(SECTORS, "for profit or not for profit")])
    sociocracy_stage = RadioField(
        "How far along is your organisation with the practice this program is about?",
        choices=options(SOCIOCRACY_STAGES), validate_choice=False,
        validators=[_chosen("how far along you are"),
                    _one_of(SOCIOCRACY_STAGES, "how far along you are")])
    prerequisite = RadioField(
        "Prerequisite training", choices=options(PREREQUISITES), validate_choice=False,
        validators=[_chosen("your prerequisite training"),
                    _one_of(PREREQUISITES, "your prerequisite training")])
    prerequisite_details = TextAreaField(
        "Details of your training", filters=[strip_text], validators=[_at_most(2000)],
        description="Which course, with whom and when. Needed for equivalent training.")
    hopes_to_bring = TextAreaField(
        "What do you hope to bring to the group?", filters=[strip_text],
        validators=[_required("what you hope to bring"), _between(*HOPES_LENGTH)],
        description=_length_hint(*HOPES_LENGTH))
    hopes_to_gain = TextAreaField(
        "What do you hope to gain from it?", filters=[strip_text],
        validators=[_required("what you hope to gain"), _between(*HOPES_LENGTH)],
        description=_length_hint(*HOPES_LENGTH))
    country = SelectField("Country", validate_choice=False, validators=[_chosen("your country")],
                          widget=PrerenderedSelect())
    time_zone = SelectField("Your time zone", validate_choice=False, widget=PrerenderedSelect(),
                            validators=[_chosen("your time zone")],
                            description="We show meeting times and deadlines in this zone.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_options()
        self.time_zone.choices = zone_options()

    def validate_email(self, field: EmailField) -> None:
        """The address as we store it (normalised) must fit too."""
        if len(address_key(field.data or "")) > 254:
            raise ValidationError("Please keep this under 254 characters.")

    def validate_role_title(self, field: StringField) -> None:
        """A title is needed when the role is 'other'."""
        if self.role.data == "other" and not (field.data or "").strip():
            raise ValidationError("Please give your title, since you chose “Other”.")

    def validate_prerequisite_details(self, field: TextAreaField) -> None:
        """Equivalent training needs describing."""
        if self.prerequisite.data == "equivalent" and len((field.data or "").strip()) < 10:
            raise ValidationError(
                "Please describe your equivalent training (at least 10 characters).")

    def validate_country(self, field: SelectField) -> None:
        """Only ISO 3166 countries."""
        if not is_country(field.data or ""):
            raise ValidationError("Please choose a country from the list.")

    def validate_time_zone(self, field: SelectField) -> None:
        """Only IANA zones."""
        if not is_zone(field.data or ""):
            raise ValidationError("Please choose a time zone from the list.")
