"""Forms of the login, password and user pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from ..services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

# RFC 5321 caps a forward path at 256 octets, the address in it at 254 characters
MAX_EMAIL_LENGTH = 254

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "manager": _l("Account manager"),
    "leadership": _l("Leadership (read only)"),
}


class EmailAddressField(EmailField):
    """An email field that refuses more than ``MAX_EMAIL_LENGTH`` characters with a message
    and never renders more than that back into the page: a 200 KB paste costs the reply
    254 characters, not 200 KB."""

    def __init__(self, label: str | None = None, required: bool = True, **kwargs: Any
                 ) -> None:
        kwargs.setdefault("validators", [
            InputRequired() if required else Optional(),
            Length(max=MAX_EMAIL_LENGTH, message=_l("At most %(max)d characters."))])
        super().__init__(label, **kwargs)

    def _value(self) -> str:
        return str(super()._value())[:MAX_EMAIL_LENGTH]


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(value, str(label)) for value, label in ROLE_LABELS.items()]


def _new_password(label: str) -> PasswordField:
    return PasswordField(label, validators=[
        InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                                message=_l("Between %(min)d and %(max)d characters."))])


class LoginForm(FlaskForm):
    email = EmailAddressField(_l("Email"))
    password = PasswordField(_l("Password"), validators=[InputRequired(),
                                                         Length(max=MAX_PASSWORD_LENGTH)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    new = _new_password(_l("New password"))
    confirm = PasswordField(_l("New password again"), validators=[
        InputRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class UserNewForm(FlaskForm):
    email = EmailAddressField(_l("Email"))
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=lambda: _role_choices(), default="manager")
    password = _new_password(_l("Password"))


class UserEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=lambda: _role_choices())
    active = BooleanField(_l("Can log in"))


class PasswordResetForm(FlaskForm):
    password = _new_password(_l("New password"))
