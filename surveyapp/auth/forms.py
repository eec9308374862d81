"""Forms of the login, password and user pages."""

from __future__ import annotations

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

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "manager": _l("Account manager"),
    "leadership": _l("Leadership (read only)"),
}


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(value, str(label)) for value, label in ROLE_LABELS.items()]


def _new_password(label: str) -> PasswordField:
    return PasswordField(label, validators=[
        InputRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                                message=_l("Between %(min)d and %(max)d characters."))])


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(),
                                                         Length(max=MAX_PASSWORD_LENGTH)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    new = _new_password(_l("New password"))
    confirm = PasswordField(_l("New password again"), validators=[
        InputRequired(), EqualTo("new", message=_l("The two new passwords differ."))])


class UserNewForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=lambda: _role_choices(), default="manager")
    password = _new_password(_l("Password"))


class UserEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=lambda: _role_choices())
    active = BooleanField(_l("Can log in"))


class PasswordResetForm(FlaskForm):
    password = _new_password(_l("New password"))
