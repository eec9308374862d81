from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired

from ..db import get_session
from ..extensions import login_manager
from ..services import users
from . import bp


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


@login_manager.user_loader
def load_user(user_id: str):
    return users.get(get_session(), int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("reports.accounts")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(get_session(), form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong email or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
