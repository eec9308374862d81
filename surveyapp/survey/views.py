"""Survey pages: thin views (validate, one service call, redirect or render)."""

from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, request, url_for

from ..db import get_session
from ..extensions import csrf
from ..services import invitations, surveys
from ..services.instruments import questionnaire_of
from . import bp
from .forms import build_form, estimated_minutes


def _language(contact_lang: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        return chosen
    return contact_lang if contact_lang in languages else languages[0]


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token, so a stale one re-shows the answers
def take(token: str):
    session = get_session()
    invitation = invitations.find(session, token)
    if invitation is None:
        abort(404)
    g.lang = _language(invitation.contact.lang)
    if invitation.responded_at is not None:
        return render_template("survey/already.html"), 409 if request.method == "POST" else 200
    form_class, sections = build_form(questionnaire_of(invitation.campaign), g.lang)
    form = form_class()
    if form.validate_on_submit():
        try:
            surveys.submit(session, invitation, form.answers(), g.lang)
        except invitations.AlreadyAnswered:
            return render_template("survey/already.html"), 409
        return redirect(url_for("survey.thanks", token=token, lang=g.lang))
    status = 400 if request.method == "POST" else 200
    return render_template("survey/take.html", form=form, sections=sections,
                           invitation=invitation, token=token,
                           minutes=estimated_minutes(sections)), status


@bp.route("/s/<token>/thanks")
def thanks(token: str):
    invitation = invitations.find(get_session(), token)
    if invitation is None or invitation.responded_at is None:
        abort(404)
    g.lang = _language(invitation.contact.lang)
    return render_template("survey/thanks.html", token=token)
