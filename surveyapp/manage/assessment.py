"""Views: the account manager's own assessment of an account (relationship indicators, the
twenty-five grid per key contact, Gap 1's expectations "as customers would")."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_session
from ..models import Account
from ..services import access
from ..services import assessment as assessment_service
from ..services.scorecards import find_account
from . import bp

ACCOUNT_PREFIX = "a-"  # a-<column>: the account's answer to a relationship or Gap 1 column
GRID_PREFIX = "g-"  # g-<contact id>-<column>: a contact's place in the grid


def _account(code: str) -> Account:
    account = find_account(get_session(), code)
    if account is None or not access.can_see_account(current_user, account):
        abort(404)  # another manager's account is not found, as if it did not exist
    return account


def _posted() -> tuple[dict[str, str], dict[int, dict[str, str]]]:
    answers: dict[str, str] = {}
    grid: dict[int, dict[str, str]] = {}
    for name, value in request.form.items():
        if name.startswith(ACCOUNT_PREFIX):
            answers[name.removeprefix(ACCOUNT_PREFIX)] = value
        elif name.startswith(GRID_PREFIX):
            contact, _sep, column = name.removeprefix(GRID_PREFIX).partition("-")
            if not contact.isdigit():
                abort(400)
            grid.setdefault(int(contact), {})[column] = value
    return answers, grid


@bp.route("/accounts/<code>/assessment", methods=["GET", "POST"])
@login_required
def assessment_edit(code: str):
    session = get_session()
    account = _account(code)
    folder = current_app.config["INSTRUMENTS_DIR"]
    error = None
    if request.method == "POST":
        answers, grid = _posted()
        try:
            edit = assessment_service.save(session, account, answers, grid, folder)
        except assessment_service.AssessmentError as exc:
            error = str(exc)
        else:
            flash(_("Assessment saved; the figures are being computed again.")
                  if edit.changed else _("Nothing changed."), "success")
            return redirect(url_for("manage.assessment_edit", code=account.code))
    current = assessment_service.load(session, account, folder)
    return render_template("assessment/edit.html", account=account, current=current,
                           error=error, lang=request.args.get("lang"),
                           sections=assessment_service.SECTIONS), 400 if error else 200
