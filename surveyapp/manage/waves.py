"""Views: survey waves — list, create, a wave's page (progress, sending), links and QR codes.

Sending and reminding queue a background job (the worker sends); the page only says so.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..db import get_session
from ..labels import CUSTOMER_TYPES, ROLES
from ..models import Campaign, Invitation
from ..services import access, audit, links, outreach, progress, waves
from ..services.instruments import available_instruments
from ..services.invitations import recover_token
from . import bp

STATE_LABELS = {
    waves.NOT_SENT: _l("not sent"),
    waves.SCHEDULED: _l("scheduled"),
    waves.OPEN: _l("open"),
    waves.CLOSED: _l("closed"),
}


SELECTION_LABELS = {
    "accounts": _l("Accounts"),
    "contacts": _l("Contacts"),
    "customer_type": _l("Customer type"),
    "owner": _l("Account owner"),
    "role": _l("Buying role"),
}


def _selection_text(selection: dict[str, object]) -> list[tuple[str, str]]:
    """The wave's filters as (label, value) in the page's language."""
    shown = []
    for key, value in selection.items():
        if key == "customer_type":
            text = str(CUSTOMER_TYPES.get(str(value), value))
        elif key == "role":
            text = str(ROLES.get(str(value), value))
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        shown.append((str(SELECTION_LABELS.get(key, key)), text))
    return shown


class WaveForm(FlaskForm):
    name = StringField(_l("Wave name"), validators=[InputRequired(), Length(max=waves.NAME_MAX)])
    section1 = SelectField(_l("Section 1"), validators=[InputRequired()])
    section2 = SelectField(_l("Section 2"), validators=[Optional()])
    section3 = SelectField(_l("Section 3"), validators=[Optional()])
    section4 = SelectField(_l("Section 4"), validators=[Optional()])
    accounts = StringField(_l("Accounts (codes, separated by commas)"),
                           validators=[Optional(), Length(max=10000)])
    customer_type = SelectField(_l("Customer type"), validators=[Optional()])
    owner = SelectField(_l("Account owner"), validators=[Optional()])
    role = SelectField(_l("Buying role"), validators=[Optional()])
    opens = DateField(_l("Opens on"), validators=[Optional()])
    closes = DateField(_l("Closes on"), validators=[Optional()])
    anonymous = BooleanField(_l("Anonymous: no page, export or workbook ties an answer to a "
                                "person"))

    def sections(self) -> list[str]:
        return [f.data for f in (self.section1, self.section2, self.section3, self.section4)
                if f.data]


class SendForm(FlaskForm):
    pass


class ScheduleForm(FlaskForm):
    pass


class RemindForm(FlaskForm):
    round = IntegerField(validators=[InputRequired(), NumberRange(min=1)])


def _base_url() -> str:
    return current_app.config.get("PUBLIC_URL") or request.url_root


def _wave(wave_id: int) -> Campaign:
    campaign = waves.find_wave(get_session(), wave_id)
    if campaign is None:
        abort(404)
    return campaign


def _visible() -> frozenset[str] | None:
    """The accounts the user sees (None = all): a manager's wave pages and downloads show
    only their own accounts' contacts."""
    return access.visible_codes(get_session(), current_user)


def _wave_to_act_on(wave_id: int) -> Campaign:
    """A wave the user may send, remind or reissue: every account in it is theirs (404
    otherwise, as for a wave they cannot see)."""
    campaign = _wave(wave_id)
    if not access.wave_within_reach(get_session(), current_user, campaign.id):
        abort(404)
    return campaign


def _fill_choices(form: WaveForm, lang: str) -> None:
    session = get_session()
    instruments = [(i.id, f"{i.title.get(lang)} ({i.id})")
                   for i in available_instruments(current_app.config["INSTRUMENTS_DIR"])]
    form.section1.choices = instruments
    for field in (form.section2, form.section3, form.section4):
        field.choices = [("", _("— none —"))] + instruments
    form.customer_type.choices = [("", _("Any"))] + [
        (k, str(v)) for k, v in CUSTOMER_TYPES.items()]
    form.owner.choices = [("", _("Any"))] + [(o, o) for o in waves.account_owners(session)]
    form.role.choices = [("", _("Any"))] + [(k, str(v)) for k, v in ROLES.items()
                                            if k != "unknown"]


@bp.route("/waves")
@login_required
def waves_list():
    session = get_session()
    found = waves.customer_waves(session)
    ids = [c.id for c in found]
    today = waves.wave_today()
    reached = waves.reached_waves(session, ids)
    return render_template("manage/waves/list.html", waves=found,
                           counts=progress.submitted_counts(session, ids),
                           states={c.id: waves.wave_state(c, today, c.id in reached)
                                   for c in found}, state_labels=STATE_LABELS)


@bp.route("/waves/new", methods=["GET", "POST"])
@login_required
def wave_new():
    from flask_babel import get_locale

    form = WaveForm()
    _fill_choices(form, str(get_locale()))
    if not form.is_submitted():
        form.section1.data = "servqual"
        form.section2.data = "satisfaction"
        form.section3.data = "loyalty"
    error = None
    if form.validate_on_submit():
        selection = waves.Selection(
            accounts=tuple(c.strip() for c in (form.accounts.data or "").split(",")
                           if c.strip()),
            customer_type=form.customer_type.data or None, owner=form.owner.data or None,
            role=form.role.data or None)
        request_ = waves.WaveRequest(form.name.data, form.sections(), selection,
                                     form.opens.data, form.closes.data, form.anonymous.data)
        try:
            campaign, invited = waves.create_wave(
                get_session(), request_, current_app.config["SECRET_KEY"],
                current_app.config["INSTRUMENTS_DIR"], visible=_visible())
        except waves.WaveError as exc:
            error = str(exc)
        else:
            flash(_("Wave created: %(n)d invitations.", n=invited), "ok")
            return redirect(url_for("manage.wave_page", wave_id=campaign.id))
    status = 400 if form.is_submitted() else 200
    return render_template("manage/waves/new.html", form=form, error=error), status


@bp.route("/waves/<int:wave_id>")
@login_required
def wave_page(wave_id: int):
    session = get_session()
    campaign = _wave(wave_id)
    today = waves.wave_today()
    reached = campaign.id in waves.reached_waves(session, [campaign.id])
    messages = waves.message_tallies(session, campaign)
    visible = _visible()
    account = request.args.get("account") or None
    if account is not None and visible is not None and account not in visible:
        account = None  # another manager's account: nobody of it is shown
    people = (progress.contact_statuses(session, campaign, account)
              if account and not campaign.anonymous else None)
    return render_template(
        "manage/waves/wave.html", wave=campaign, figures=progress.wave_progress(
            session, campaign, visible), state=waves.wave_state(campaign, today, reached),
        state_labels=STATE_LABELS, selection=_selection_text(waves.selection_of(campaign)),
        messages=messages, accepts=waves.accepts_answers(campaign, today),
        next_round=campaign.reminder_round + 1, send_form=SendForm(),
        schedule_form=ScheduleForm(), opening=outreach.opening_time(
            campaign, current_app.config["SURVEY_TIMEZONE"]),
        remind_form=RemindForm(), mail=outreach.Sender.from_app(_base_url()).mail,
        unprintable=links.unprintable_count(session, campaign,
                                            current_app.config["SECRET_KEY"]),
        chosen_account=account, people=people)


@bp.route("/waves/<int:wave_id>/reissue", methods=["POST"])
@login_required
def wave_reissue(wave_id: int):
    campaign = _wave_to_act_on(wave_id)
    if not SendForm().validate_on_submit():
        abort(400)
    count = links.reissue_unprintable(get_session(), campaign,
                                      current_app.config["SECRET_KEY"])
    flash(_("%(n)d contacts have a new link; their old links no longer work.", n=count), "ok")
    return redirect(url_for("manage.wave_page", wave_id=campaign.id))


@bp.route("/waves/<int:wave_id>/send", methods=["POST"])
@login_required
def wave_send(wave_id: int):
    campaign = _wave_to_act_on(wave_id)
    if not SendForm().validate_on_submit():
        abort(400)
    outreach.send_invitations_job(campaign.id, _base_url())
    audit.record_now(get_session(), "wave.sent", f"campaign {campaign.id}")
    flash(_("The invitations are being sent in the background; reload this page to see "
            "how many went out."), "ok")
    return redirect(url_for("manage.wave_page", wave_id=campaign.id))


@bp.route("/waves/<int:wave_id>/schedule", methods=["POST"])
@login_required
def wave_schedule(wave_id: int):
    """Send the invitations on the wave's opening day, by the worker."""
    campaign = _wave_to_act_on(wave_id)
    if not ScheduleForm().validate_on_submit():
        abort(400)
    try:
        when = outreach.schedule_invitations(campaign, _base_url(),
                                             current_app.config["SURVEY_TIMEZONE"])
    except waves.WaveError:
        flash(_("This wave has no opening day still to come: send the invitations now."),
              "error")
    else:
        audit.record_now(get_session(), "wave.scheduled", f"campaign {campaign.id}")
        flash(_("The invitations will go out on %(day)s at %(hour)s.",
                day=when.date().isoformat(), hour=when.strftime("%H:%M")), "ok")
    return redirect(url_for("manage.wave_page", wave_id=campaign.id))


@bp.route("/waves/<int:wave_id>/remind", methods=["POST"])
@login_required
def wave_remind(wave_id: int):
    campaign = _wave_to_act_on(wave_id)
    form = RemindForm()
    if not form.validate_on_submit():
        abort(400)
    rnd = form.round.data
    if rnd not in (max(campaign.reminder_round, 1), campaign.reminder_round + 1):
        flash(_("Reminder round %(n)d cannot be sent now; reload the page.", n=rnd), "error")
    else:
        outreach.send_reminders_job(campaign.id, _base_url(), rnd)
        audit.record_now(get_session(), "wave.reminded", f"campaign {campaign.id}",
                         {"round": rnd})
        flash(_("Reminder round %(n)d is being sent in the background to those who have not "
                "answered.", n=rnd), "ok")
    return redirect(url_for("manage.wave_page", wave_id=campaign.id))


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={filename}",
        "Cache-Control": "no-store"})  # personal links: keep them out of caches


@bp.route("/waves/<int:wave_id>/links.<kind>")
@login_required
def wave_links(wave_id: int, kind: str):
    campaign = _wave(wave_id)
    rows = links.link_rows(get_session(), campaign, current_app.config["SECRET_KEY"],
                           _base_url(), visible=_visible())
    stamp = f"wave{campaign.id}-links-{datetime.now():%Y%m%d}"
    if kind == "csv":
        return _download(links.links_csv(rows), "text/csv", f"{stamp}.csv")
    if kind == "xlsx":
        return _download(links.links_xlsx(rows), "application/vnd.openxmlformats-"
                         "officedocument.spreadsheetml.sheet", f"{stamp}.xlsx")
    abort(404)


@bp.route("/waves/<int:wave_id>/sheet")
@login_required
def wave_sheet(wave_id: int):
    """Printable A4 pages, one per account, each contact with their code and QR code."""
    campaign = _wave(wave_id)
    code = request.args.get("account") or None
    rows = links.link_rows(get_session(), campaign, current_app.config["SECRET_KEY"],
                           _base_url(), account_code=code, visible=_visible())
    if code is not None and not rows:
        abort(404)
    by_account: dict[str, list[links.LinkRow]] = {}
    for row in rows:
        by_account.setdefault(row.account_code, []).append(row)
    qr = {row.invitation_id: links.qr_data_uri(row.link) for row in rows if row.link}
    response = Response(render_template("manage/waves/sheet.html", wave=campaign,
                                        by_account=by_account, qr=qr))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/waves/<int:wave_id>/qr/<int:invitation_id>.<kind>")
@login_required
def wave_qr(wave_id: int, invitation_id: int, kind: str):
    campaign = _wave(wave_id)
    invitation = get_session().get(Invitation, invitation_id)
    if invitation is None or invitation.campaign_id != campaign.id or kind not in (
            "png", "svg") or not invitation.contact.active or invitation.contact.erased_at \
            or not access.can_see_account(current_user, invitation.contact.account):
        abort(404)
    token = recover_token(invitation, current_app.config["SECRET_KEY"])
    if token is None:
        abort(404)
    link = links.survey_link(_base_url(), token)
    name = f"wave{campaign.id}-invitation{invitation.id}.{kind}"
    if kind == "png":
        data, mimetype = links.qr_png(link), "image/png"
    else:
        data, mimetype = links.qr_svg(link), "image/svg+xml"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"inline; filename={name}"
    response.headers["Cache-Control"] = "no-store"
    return response
