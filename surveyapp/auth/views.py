"""Views: log in (rate-limited, see :mod:`surveyapp.ratelimit`), log out, change one's
own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..db import get_session
from ..extensions import login_manager
from ..ratelimit import (
    limiter,
    login_email_key,
    login_failed,
    per_account_limit,
    per_address_limit,
)
from ..services import users
from . import bp
from .forms import LoginForm, PasswordChangeForm


@login_manager.user_loader
def load_user(login: str):
    return users.load_session_user(get_session(), login)


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("reports.accounts")


def _fresh_session() -> None:
    """Start the session anew (a new CSRF token, nothing from before the login), keeping
    only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True  # ends after SESSION_IDLE_HOURS without a request


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(per_address_limit, methods=["POST"], deduct_when=login_failed)
@limiter.limit(per_account_limit, key_func=login_email_key, methods=["POST"],
               deduct_when=login_failed)
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        db = get_session()
        email = (form.email.data or "").strip()
        user = users.authenticate(db, email, form.password.data or "")
        if user is not None:
            _fresh_session()
            login_user(user)
            users.record_login(db, email, user, request.remote_addr)
            return redirect(_safe_next(request.args.get("next")))
        g.login_failed = True  # counted by the rate limits
        users.record_login(db, email, None, request.remote_addr, "wrong email or password")
        flash(_("Wrong email or password."), "error")
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends every session of the user (this browser's and any other's)."""
    users.logout(get_session(), current_user._get_current_object())
    logout_user()
    _fresh_session()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            users.change_password(get_session(), user, form.current.data or "",
                                  form.new.data or "")
        except users.WrongPassword:
            form.current.errors = [*form.current.errors, _("The current password is wrong.")]
            status = 400
        except users.UserError:
            form.new.errors = [*form.new.errors,
                               _("The new password must differ from the current one.")]
            status = 400
        else:
            # the change ended every session, this one too: carry on in a new one
            _fresh_session()
            login_user(user)
            flash(_("Your password is changed. Other browsers where you were logged in "
                    "are logged out."), "success")
            return redirect(url_for("auth.password"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/password.html", form=form), status
