"""Views: follow-up tasks — the open ones (overdue first), an account's tasks, opening one
by hand, closing one with a note, and the language alert emails are written in."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..db import get_session
from ..models import Account, FollowUpTask
from ..services import access, alerts, tasks
from ..services.scorecards import find_account
from ..services.surveys import today_in
from . import bp

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
LIST_LIMIT = 100  # tasks on one page: the soonest due (or the latest closed) first


class TaskForm(FlaskForm):
    title = StringField(_l("What is to be done"),
                        validators=[InputRequired(), Length(max=tasks.TITLE_MAX)])
    due_on = DateField(_l("Due on (empty: in the usual number of days)"),
                       validators=[Optional()])


class CloseForm(FlaskForm):
    note = TextAreaField(_l("What was done"),
                         validators=[InputRequired(), Length(max=tasks.NOTE_MAX)])


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Alert emails in"), validate_choice=True)


@bp.app_context_processor
def _open_task_count() -> dict[str, object]:
    """The menu's open-task count and an account's open tasks, read only when a page
    asks for them."""
    def open_task_count() -> int:
        if not current_user.is_authenticated:
            return 0
        return tasks.open_counts(get_session(), current_user, _today())[0]

    def open_tasks_of(account: Account) -> list:
        """The account's open tasks, for a page that shows them (the scorecard)."""
        if not current_user.is_authenticated:
            return []
        return tasks.open_for(get_session(), current_user, [account.id])

    questionnaires: dict = {}  # per page: each wave's questionnaire read once

    def task_title(task: FollowUpTask) -> str:
        """An alert's task is named in the reader's language; one opened by hand as typed."""
        if task.alert is None:
            return task.title
        lang = str(get_locale() or current_app.config["LANGUAGES"][0])
        return alerts.alert_title(get_session(), task.alert, lang, questionnaires)

    return {"open_task_count": open_task_count, "open_tasks_of": open_tasks_of,
            "task_today": _today, "task_title": task_title}


def _today() -> date:
    return today_in(current_app.config["SURVEY_TIMEZONE"])


def _account(code: str) -> Account:
    account = find_account(get_session(), code)
    if account is None or not access.can_see_account(current_user, account):
        abort(404)  # another manager's account is not found, as if it did not exist
    return account


def _language_form() -> LanguageForm:
    form = LanguageForm()
    form.lang.choices = [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]]
    if request.method == "GET":
        form.lang.data = alerts.user_language(get_session(), current_user.id,
                                              tuple(current_app.config["LANGUAGES"]))
    return form


@bp.route("/tasks")
@login_required
def tasks_list():
    session = get_session()
    show_closed = request.args.get("show") == "closed"
    listed = (tasks.closed_for(session, current_user, limit=LIST_LIMIT) if show_closed
              else tasks.open_for(session, current_user, limit=LIST_LIMIT))
    open_total, overdue_total = tasks.open_counts(session, current_user, _today())
    return render_template("tasks/list.html", tasks=listed, show_closed=show_closed,
                           open_total=open_total, overdue_total=overdue_total,
                           today=_today(), language_form=_language_form(),
                           close_form=CloseForm(formdata=None))


@bp.route("/accounts/<code>/tasks", methods=["GET", "POST"])
@login_required
def account_tasks(code: str):
    session = get_session()
    account = _account(code)
    form = TaskForm()
    status = 200
    if form.validate_on_submit():
        try:
            tasks.create(session, account, form.title.data or "", form.due_on.data,
                         _today(), current_user,
                         int(current_app.config.get("TASK_DUE_DAYS", tasks.DEFAULT_DUE_DAYS)))
        except tasks.TaskError as exc:
            form.title.errors = [*form.title.errors, str(exc)]
            status = 400
        else:
            flash(_("Task opened."), "success")
            return redirect(url_for("manage.account_tasks", code=account.code))
    elif request.method == "POST":
        status = 400
    return render_template(
        "tasks/account.html", account=account, form=form, today=_today(),
        open_tasks=tasks.open_for(session, current_user, [account.id]),
        closed_tasks=tasks.closed_for(session, current_user, [account.id], limit=20),
        close_form=CloseForm(formdata=None)), status


@bp.post("/tasks/<int:task_id>/close")
@login_required
def task_close(task_id: int):
    session = get_session()
    task = tasks.find(session, current_user, task_id)
    if task is None:
        abort(404)
    form = CloseForm()
    back = request.form.get("next") or ""
    if not back.startswith("/") or back.startswith("//"):  # only this site's pages
        back = url_for("manage.tasks_list")
    if not form.validate_on_submit():
        flash(_("Say in a note what was done to close the task."), "error")
        return redirect(back)
    try:
        tasks.close(session, task, form.note.data or "", current_user)
    except tasks.TaskError:
        flash(_("This task is already closed."), "error")
    else:
        flash(_("Task closed."), "success")
    return redirect(back)


@bp.post("/tasks/language")
@login_required
def tasks_language():
    form = _language_form()
    if not form.validate_on_submit():
        abort(400)
    alerts.set_user_language(get_session(), current_user.id, form.lang.data or "")
    flash(_("Alert emails will be in %(language)s.",
            language=LANGUAGE_NAMES.get(form.lang.data or "", form.lang.data)), "success")
    return redirect(url_for("manage.tasks_list"))
