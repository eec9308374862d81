"""Views for administrators: users (create, role, deactivate, reset a password) and the
audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..db import get_session
from ..models import User
from ..services import audit, users
from . import bp
from .forms import ROLE_LABELS, PasswordResetForm, UserEditForm, UserNewForm

ACTION_LABELS = {
    "login": _l("Logged in"), "login.failed": _l("Login failed"), "logout": _l("Logged out"),
    "password.changed": _l("Changed own password"), "user.created": _l("User created"),
    "user.changed": _l("User changed"), "user.password_reset": _l("Password set for user"),
    "import": _l("Import"), "contact.edited": _l("Contact edited"),
    "contact.deactivated": _l("Contact deactivated"),
    "contact.reactivated": _l("Contact reactivated"), "contact.erased": _l("Contact erased"),
    "wave.created": _l("Wave created"), "wave.sent": _l("Wave sent"),
    "wave.reminded": _l("Reminders sent"), "export": _l("Export downloaded"),
    "assessment.edited": _l("Assessment edited"),
}


def _user(user_id: int) -> User:
    user = users.get(get_session(), user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
def users_list():
    return render_template("users/list.html", users=users.list_users(get_session()),
                           roles=ROLE_LABELS, has_password=users.has_password)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserNewForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.create_user(get_session(), form.email.data or "",
                                     form.password.data or "", form.name.data or None,
                                     form.role.data or "manager")
        except users.EmailTaken:
            form.email.errors = [*form.email.errors,
                                 _("A user with this email already exists.")]
            status = 400
        except users.UserError:
            form.email.errors = [*form.email.errors, _("Not an email address.")]
            status = 400
        else:
            flash(_("Created %(email)s.", email=user.email), "success")
            return redirect(url_for("auth.users_list"))
    elif request.method == "POST":
        status = 400
    return render_template("users/new.html", form=form), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = _user(user_id)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            changes = users.update_user(get_session(), user, role=form.role.data,
                                        active=bool(form.active.data),
                                        name=form.name.data or "")
        except users.UserError:
            flash(_("This is the last active administrator: make another user "
                    "administrator first."), "error")
            status = 409
        else:
            if changes:
                flash(_("Saved %(email)s.", email=user.email), "success")
            if user.id == current_user.id and ("role" in changes or "active" in changes):
                return redirect(url_for("reports.accounts"))
            return redirect(url_for("auth.users_list"))
    elif request.method == "POST":
        status = 400
    return render_template("users/edit.html", form=form, user=user,
                           reset_form=PasswordResetForm(formdata=None),
                           has_password=users.has_password(user)), status


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_password(user_id: int):
    user = _user(user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return render_template("users/edit.html", form=UserEditForm(obj=user), user=user,
                               reset_form=form, has_password=users.has_password(user)), 400
    users.reset_password(get_session(), user, form.password.data or "")
    flash(_("The password of %(email)s is set; they are logged out everywhere.",
            email=user.email), "success")
    return redirect(url_for("auth.users_list"))


@bp.route("/audit")
def audit_log():
    action = (request.args.get("action") or "").strip()[:40] or None
    actor = (request.args.get("actor") or "").strip()[:254] or None
    page = request.args.get("page", 1, type=int) or 1
    listing = audit.recent(get_session(), action, actor, min(max(page, 1), 10**6))
    return render_template("users/audit.html", listing=listing, action=action or "",
                           actor=actor or "", actions=audit.known_actions(get_session()),
                           detail=audit.detail, labels=ACTION_LABELS)
