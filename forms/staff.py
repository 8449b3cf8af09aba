"""Staff sign-in form."""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from cohort.auth.services import PASSWORD_MAX_LENGTH
from forms.base import CohortForm, address_validators, strip_text


class LoginForm(CohortForm):
    """E-mail address and password of a staff account."""

    # A text field (not type=email) so that password managers may fill it as the username.
    email = StringField("E-mail address", filters=[strip_text], render_kw={
        "inputmode": "email", "spellcheck": "false", "autocapitalize": "none"},
        validators=address_validators())
    password = PasswordField("Password", validators=[
        DataRequired(message="Please enter your password."),
        Length(max=PASSWORD_MAX_LENGTH,
               message=f"Please keep this under {PASSWORD_MAX_LENGTH} characters."),
    ])
