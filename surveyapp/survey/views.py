"""Survey pages: thin views (validate, one service call, redirect or render).

A link ``/s/<token>`` shows one page of the questionnaire at a time (``?page=n``, default:
where the contact left off). Each POST saves the page's valid answers on the server before
anything else, so Back, Next, a closed tab or another device lose nothing; the last page's
POST submits the whole draft once.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.datastructures import MultiDict

from ..db import get_session
from ..extensions import csrf
from ..models import Invitation
from ..services import drafts, invitations, surveys
from ..services.instruments import questionnaire_of
from . import bp
from .forms import OPEN_TEXT_MAX, PageForm, field_name
from .layout import Survey, survey_for
from .supplier import logo_file, supplier_context
from .widgets import rating_fieldset

BACK, NEXT = "back", "next"
# Request size limits and the no-store / no-referrer headers these pages need are the
# app's own (surveyapp/security.py): a page of answers is a few KB.


bp.context_processor(supplier_context)
bp.add_app_template_global(rating_fieldset, "rating_fieldset")


def _language(contact_lang: str | None) -> str:
    languages: tuple[str, ...] = tuple(current_app.config["LANGUAGES"])
    for candidate in (request.args.get("lang"), contact_lang):
        if candidate is not None and candidate in languages:
            return candidate
    return languages[0]


def _survey(invitation: Invitation) -> Survey:
    campaign = invitation.campaign
    key = surveys.questionnaire_key(get_session(), campaign)
    return survey_for(key, g.lang, lambda: questionnaire_of(campaign))


def _page_number(raw: str | None, default: int, survey: Survey) -> int:
    try:
        number = int(raw) if raw is not None else default
    except ValueError:
        number = default
    return min(max(number, 0), len(survey.pages) - 1)


def _display(answers: dict[str, object]) -> dict[str, str]:
    return {field_name(col): str(value) for col, value in answers.items()}


def _page_url(token: str, page: int, check: bool = False) -> str:
    """A page of the survey; ``check`` shows what it still misses."""
    if check:
        return url_for("survey.take", token=token, page=page, lang=g.lang, check=1)
    return url_for("survey.take", token=token, page=page, lang=g.lang)


def _render(invitation: Invitation, token: str, survey: Survey, page: int,
            values: dict[str, str], form: PageForm | None = None, notice: str | None = None,
            status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "survey/take.html", survey=survey, page=survey.pages[page], number=page,
        invitation=invitation, campaign=invitation.campaign, token=token, values=values,
        errors=form.field_errors() if form else {},
        question_errors=getattr(form, "form_errors_by_question", {}) if form else {},
        notice=notice, open_text_max=OPEN_TEXT_MAX), status


def _merged_formdata(saved: dict[str, object], posted: MultiDict, names: list[str],
                     cleared: set[str]) -> MultiDict:
    """The page as saved, overlaid with what this POST gives: an answer left empty here
    (a page loaded before another device saved) keeps the saved one, unless the contact
    emptied it on purpose."""
    data: MultiDict[str, str] = MultiDict()
    saved_values = _display(saved)
    for name in names:
        value = posted.get(name, "")
        if value == "" and name not in cleared:
            value = saved_values.get(name, "")
        if value != "":
            data[name] = value
    if "csrf_token" in posted:
        data["csrf_token"] = posted["csrf_token"]
    return data


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # each page checks its own CSRF token, so a stale one re-shows the answers
def take(token: str):  # type: ignore[no-untyped-def]
    session = get_session()
    invitation = invitations.find(session, token)
    if invitation is None:
        abort(404)
    g.lang = _language(invitation.contact.lang)
    reason = surveys.unavailable(
        invitation, surveys.today_in(current_app.config["SURVEY_TIMEZONE"]))
    if reason is not None:
        return render_template("survey/unavailable.html", reason=reason,
                               campaign=invitation.campaign), 403
    if invitation.responded_at is not None:
        return render_template("survey/already.html"), 409 if request.method == "POST" \
            else 200
    survey = _survey(invitation)
    draft = drafts.load(session, invitation.id)
    if request.method == "GET":
        page = _page_number(request.args.get("page"), draft.page, survey)
        drafts.mark_opened(session, invitation)
        form = None
        if request.args.get("check"):  # sent back here by a submit: show what is missing
            form = survey.pages[page].form_class(
                formdata=MultiDict(_display(draft.answers)), meta={"csrf": False})
            form.validate()
        return _render(invitation, token, survey, page, _display(draft.answers), form)
    return _post(invitation, token, survey, draft)


def _post(invitation: Invitation, token: str, survey: Survey,
          draft: drafts.SavedDraft):  # type: ignore[no-untyped-def]
    session = get_session()
    page = _page_number(request.form.get("page"), draft.page, survey)
    names = survey.pages[page].field_names
    if request.files:  # a file where an answer belongs: nothing is stored
        return _render(invitation, token, survey, page, _display(draft.answers),
                       notice="wrong_kind", status=400)
    cleared = set(request.form.get("cleared", "").split()) & set(names)
    formdata = _merged_formdata(draft.answers, request.form, names, cleared)
    form = survey.pages[page].form_class(formdata=formdata)
    valid = form.validate()
    shown = {k: v[:OPEN_TEXT_MAX] for k, v in formdata.items() if k != "csrf_token"}
    if form.stale_token:  # the session was lost: show the answers again, store nothing
        return _render(invitation, token, survey, page, shown, form, notice="stale",
                       status=400)
    going_back = request.form.get("action") == BACK
    target = page - 1 if going_back else page + 1 if valid else page
    try:
        # only what this POST carries: a field filled from the draft read above must not
        # write that older answer back over what another device saved since
        sent = {column: value for column, value in form.answers().items()
                if request.form.get(field_name(column), "") != ""}
        saved = drafts.save(session, invitation, sent,
                    cleared={n.replace("-", ".") for n in cleared},
                    page=min(max(target, 0), len(survey.pages) - 1), loaded=draft)
    except (drafts.DraftConflict, drafts.StorageBusy):
        return _render(invitation, token, survey, page, shown, form, notice="busy",
                       status=503)
    if going_back:
        return redirect(_page_url(token, max(page - 1, 0)), code=303)
    if not valid:
        return _render(invitation, token, survey, page, shown, form, status=400)
    if page + 1 < len(survey.pages):
        return redirect(_page_url(token, page + 1), code=303)
    return _submit(invitation, token, survey, saved)


def _submit(invitation: Invitation, token: str, survey: Survey,
            draft: drafts.SavedDraft):  # type: ignore[no-untyped-def]
    session = get_session()
    saved = MultiDict(_display(draft.answers))
    answers: dict[str, object] = {}
    for number, page in enumerate(survey.pages):  # every page, as saved, must be complete
        form = page.form_class(formdata=saved, meta={"csrf": False})
        if not form.validate():
            return redirect(_page_url(token, number, check=True), code=303)
        answers.update(form.answers())
    try:
        surveys.submit(session, invitation, answers, g.lang, survey.questionnaire)
    except invitations.AlreadyAnswered:
        return render_template("survey/already.html"), 409
    except drafts.StorageBusy:  # the draft holds every answer: the contact tries again
        last = len(survey.pages) - 1
        return _render(invitation, token, survey, last, _display(
            drafts.load(session, invitation.id).answers), notice="busy", status=503)
    return redirect(url_for("survey.thanks", token=token, lang=g.lang), code=303)


@bp.route("/s/<token>/thanks")
def thanks(token: str):  # type: ignore[no-untyped-def]
    invitation = invitations.find(get_session(), token)
    if invitation is None or invitation.responded_at is None:
        abort(404)
    g.lang = _language(invitation.contact.lang)
    return render_template("survey/thanks.html", token=token)


@bp.route("/survey-logo")
def logo():  # type: ignore[no-untyped-def]
    path = logo_file(current_app.config.get("SUPPLIER_LOGO"), current_app.instance_path)
    if path is None:
        abort(404)
    return send_file(path, max_age=3600)
