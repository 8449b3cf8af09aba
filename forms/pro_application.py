"""The PRO application: the seed's criteria for selection, each with its limits and message."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    ValidationError,
)

from cohort.addresses import address_key
from cohort.schedule import is_zone
from forms.base import CohortForm, address_validators, strip_text
from forms.choices import HELPING_OTHERS, S3_TRAINING
from forms.option_lists import PrerenderedSelect, options, zone_options

ANSWER_LENGTH = (20, 3000)  # characters, for each written answer
DETAILS_LENGTH = 2000


def _between(what: str) -> list[Any]:
    low, high = ANSWER_LENGTH
    return [DataRequired(message=f"Please tell us {what}."),
            Length(min=low, max=high,
                   message=f"Please write between {low:,} and {high:,} characters.")]


def _hint() -> str:
    low, high = ANSWER_LENGTH
    return f"A few sentences: between {low:,} and {high:,} characters."


def _choice(choices: list[tuple[str, str]], what: str) -> list[Any]:
    return [InputRequired(message=f"Please choose {what}."),
            AnyOf([value for value, _ in choices],
                  message=f"Please choose {what} from the list.")]


class ProApplicationForm(CohortForm):
    """Everything the facilitators ask of someone applying for the PRO plan."""

    full_name = StringField("Full name", filters=[strip_text], validators=[
        DataRequired(message="Please enter your name."),
        Length(max=120, message="Please keep this under 120 characters.")])
    email = EmailField("E-mail address", filters=[strip_text], validators=address_validators())
    time_zone = SelectField("Your time zone", validate_choice=False, widget=PrerenderedSelect(),
                            validators=[InputRequired(message="Please choose your time zone.")],
                            description="We show session times and dates in this zone.")
    s3_training = RadioField(
        "Have you participated in formal training around Sociocracy 3.0?",
        choices=options(S3_TRAINING), validate_choice=False,
        validators=_choice(S3_TRAINING, "whether you have had formal S3 training"))
    training_details = TextAreaField(
        "Your training", filters=[strip_text],
        validators=[Length(max=DETAILS_LENGTH,
                           message=f"Please keep this under {DETAILS_LENGTH:,} characters.")],
        description="Which course or workshop, with whom and when. Needed if you have had or "
                    "are taking training.")
    exception_reason = TextAreaField(
        "Why is it valuable that you join without formal training?", filters=[strip_text],
        validators=[Length(max=ANSWER_LENGTH[1], message="Please keep this under "
                           f"{ANSWER_LENGTH[1]:,} characters.")],
        description="Needed only if you have had no formal training: there are exceptions to "
                    f"every rule. {_hint()}")
    s3_experience = TextAreaField(
        "Your experience using S3 patterns", filters=[strip_text],
        validators=_between("about your experience using S3 patterns"),
        description=f"Which patterns, where, and what you learnt. {_hint()}")
    helping_others = RadioField(
        "Helping others learn about and apply S3", choices=options(HELPING_OTHERS),
        validate_choice=False,
        validators=_choice(HELPING_OTHERS, "whether you work with others or intend to"))
    helping_details = TextAreaField(
        "How you help others (or intend to)", filters=[strip_text],
        validators=_between("how you help others learn about and apply S3"),
        description=f"Who you work with, and how you help them. {_hint()}")
    giving = TextAreaField(
        "What will you give to the community, as well as receive from it?", filters=[strip_text],
        validators=_between("what you will give to the community"),
        description=f"The PRO plan is for people committed to giving as well as receiving. "
                    f"{_hint()}")
    agree_terms = BooleanField(
        "I agree to the Member Guidelines and Terms of Confidentiality",
        validators=[DataRequired(message="Please agree to the Member Guidelines and Terms of "
                                         "Confidentiality to apply.")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = zone_options()

    def validate_email(self, field: EmailField) -> None:
        """The address as we store it (normalised) must fit too."""
        if len(address_key(field.data or "")) > 254:
            raise ValidationError("Please keep this under 254 characters.")

    def validate_time_zone(self, field: SelectField) -> None:
        """Only IANA zones."""
        if not is_zone(field.data or ""):
            raise ValidationError("Please choose a time zone from the list.")

    def validate_training_details(self, field: TextAreaField) -> None:
        """Training taken or under way needs naming."""
        if self.s3_training.data in {"yes", "in_progress"} and len(field.data or "") < 10:
            raise ValidationError(
                "Please name your training: which course, with whom and when (at least 10 "
                "characters).")

    def validate_exception_reason(self, field: TextAreaField) -> None:
        """Without formal training, say why joining is valuable (the seed's exception)."""
        if self.s3_training.data == "no" and len(field.data or "") < ANSWER_LENGTH[0]:
            raise ValidationError(
                "Please tell us why it is valuable that you join without formal training "
                f"(at least {ANSWER_LENGTH[0]} characters).")
