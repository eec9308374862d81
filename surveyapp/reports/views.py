from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..db import get_session
from ..ids import query_id
from ..models import Campaign
from ..services import (
    access,
    alerts,
    audit,
    campaigns,
    exports,
    scorecards,
    scoring,
    tasks,
    visible,
)
from ..services.figures import MIN_ANSWERS, wave_figures
from . import bp, dashboard, evidence, segments
from .accounts_csv import accounts_csv as accounts_csv_file

DASHBOARD_LIST = 10  # open alerts and overdue tasks listed on the dashboard


def _campaign() -> Campaign | None:
    session = get_session()
    campaign_id = query_id("campaign")  # 404 for an id no row can have
    if campaign_id is None:
        campaign_id = query_id("campaign", request.form)
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.audience != "customer":  # reports read customer waves
            abort(404)
        return campaign
    return campaigns.reported_campaign(session)


def _stages_file() -> Path | None:
    configured = current_app.config.get("STAGES_FILE")
    return Path(configured) if configured else Path(
        current_app.config["INSTRUMENTS_DIR"]) / "stages.toml"


def get_locale_code() -> str:
    return str(get_locale() or current_app.config["LANGUAGES"][0])


NUMBER_FILTERS = ("nps_below", "gap_below", "contribution_below")
NUMBER_FILTER_LABELS = {"nps_below": _l("NPS below"), "gap_below": _l("Service gap below"),
                        "contribution_below": _l("Contribution below")}


def _number(text: str | None) -> float | None:
    """A number filter's value; None when empty or not a finite number."""
    try:
        value = float((text or "").strip().replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _unreadable_numbers() -> list[str]:
    """The number filters given a value that is not a number (the page says so)."""
    return [key for key in NUMBER_FILTERS
            if (request.args.get(key) or "").strip() and _number(request.args.get(key)) is None]


def _query() -> scorecards.AccountsQuery:
    args = request.args
    sort = args.get("sort", "account")
    return scorecards.AccountsQuery(
        stage=args.get("stage") or None, abc=args.get("abc") or None,
        customer_type=args.get("type") or None, owner=args.get("owner") or None,
        nps_below=_number(args.get("nps_below")),
        gap_below=_number(args.get("gap_below")),
        contribution_below=_number(args.get("contribution_below")),
        attention=args.get("attention") == "1",
        search=(args.get("q") or "").strip() or None,
        sort=sort if sort in scorecards.SORTS else "account",
        descending=args.get("dir") == "desc", page=max(args.get("page", 1, type=int), 1))


@bp.route("/")
@login_required
def index():
    """The portfolio dashboard: the landing page."""
    session = get_session()
    campaign = _campaign()
    if campaign is None:
        return render_template("reports/dashboard.html", board=None, campaign=None,
                               campaigns=[])
    if scoring.request_first_run(session, campaign):
        session.expire_all()
    codes = access.visible_codes(session, current_user)
    figures = visible.restrict(wave_figures(session, campaign), codes)
    args = request.args
    query = dashboard.DashboardQuery(
        customer_type=args.get("type") or None, industry=args.get("industry") or None,
        owner=args.get("owner") or None,
        own=current_user.email if current_user.role == access.MANAGER else None)
    waves = campaigns.customer_campaigns(session)
    trend = [visible.restrict(f, codes) for f in dashboard.trend_figures(session, waves)]
    board = dashboard.build(campaign, figures, lambda: dashboard.portfolio(session, codes), query,
                            scorecards.stage_model(_stages_file()), get_locale_code(),
                            trend)
    today = datetime.now(UTC).date()
    shown = board.chosen_codes  # the filters' accounts; None = every account the user sees
    return render_template(
        "reports/dashboard.html", board=board, campaign=campaign, campaigns=waves,
        segment_kinds=segments.SEGMENT_NAMES,
        freshness=board.freshness, open_alerts=dashboard.describe_alerts(
            session, alerts.open_for(session, current_user, limit=DASHBOARD_LIST,
                                     account_codes=shown), get_locale_code()),
        open_alert_count=alerts.count_open(session, current_user, shown),
        overdue=tasks.overdue(session, current_user, today, limit=DASHBOARD_LIST,
                              account_codes=shown),
        task_counts=tasks.open_counts(session, current_user, today, shown))


@bp.route("/accounts")
@login_required
def accounts():
    session = get_session()
    campaign = _campaign()
    if campaign is not None and scoring.request_first_run(session, campaign):
        session.expire_all()  # in immediate mode (tests) the run now exists
    # a manager's list holds only their accounts
    figures = visible.restrict(wave_figures(session, campaign), access.visible_codes(
        session, current_user)) if campaign else None
    query = _query()
    previous = scorecards.previous_wave(session, campaign) if campaign else None
    listing = scorecards.accounts_page(figures, query, previous) if figures else None
    return render_template("reports/accounts.html", listing=listing, campaign=campaign,
                           query=query, freshness=figures.freshness() if figures else None,
                           unreadable=[str(NUMBER_FILTER_LABELS[k]) for k in _unreadable_numbers()],
                           min_answers=MIN_ANSWERS,
                           owner_names=scorecards.owner_names(session),
                           stage_model=scorecards.stage_model(_stages_file()),
                           campaigns=campaigns.customer_campaigns(session))


@bp.route("/accounts.csv")
@login_required
def accounts_csv():
    """The filtered accounts list, every page, as CSV (UTF-8 with BOM, for Excel)."""
    session = get_session()
    campaign = _campaign()
    if campaign is None:
        abort(404)
    figures = visible.restrict(wave_figures(session, campaign),
                               access.visible_codes(session, current_user))
    if not figures.available:
        abort(404)
    if _unreadable_numbers():  # an export must hold what the reader asked for, or nothing
        abort(400, description="a number filter is not a number: "
              + ", ".join(f"{k}={request.args.get(k)!r}" for k in _unreadable_numbers()))
    rows = scorecards.export_rows(figures, _query(), scorecards.previous_wave(session,
                                                                              campaign))
    audit.record_now(session, "export", f"campaign {campaign.id}", {"file": "accounts.csv"})
    data = accounts_csv_file(rows, scorecards.stage_model(_stages_file()), get_locale_code())
    return Response(data, mimetype="text/csv",
                    headers={"Content-Disposition":
                             f"attachment; filename=accounts-campaign{campaign.id}.csv"})


@bp.route("/accounts/<code>")
@login_required
def scorecard(code: str):
    session = get_session()
    account = scorecards.find_account(session, code)
    if account is None or not access.can_see_account(current_user, account):
        abort(404)  # another manager's account is not found, as if it did not exist
    campaign = _campaign()
    if campaign is not None and scoring.request_first_run(session, campaign):
        session.expire_all()
    card = scorecards.account_scorecard(session, account, campaign, _stages_file())
    waves = dashboard.trend_figures(session, campaigns.customer_campaigns(session))
    extras = evidence.scorecard_extras(session, card, get_locale_code(),
                                       current_app.config["INSTRUMENTS_DIR"], waves)
    return render_template("reports/scorecard.html", card=card, extras=extras,
                           min_answers=MIN_ANSWERS,
                           owner_names=scorecards.owner_names(session))


@bp.post("/recompute")
@login_required
def recompute():
    """A manager asks for the figures to be computed again (in the background)."""
    campaign = _campaign()
    if campaign is None:
        abort(404)
    scoring.request_recompute(get_session(), [campaign.id], delay=0)
    flash(_("The figures are being computed again; this page shows them when they are "
            "ready."))
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):  # only this site's pages
        target = url_for("reports.accounts", campaign=campaign.id)
    return redirect(target)


@bp.route("/export.xlsx")
@login_required
def export():
    campaign = _campaign()
    if campaign is None:
        abort(404)
    session = get_session()
    figures = visible.restrict(wave_figures(session, campaign),
                               access.visible_codes(session, current_user))
    if not figures.available:
        abort(404)
    from flask_babel import get_locale  # the manager's interface language

    lang = "zh" if str(get_locale() or "").startswith("zh") else "en"
    filters = exports.ExportFilters(request.args.get("customer_type") or None,
                                    request.args.get("owner") or None,
                                    request.args.get("industry") or None)
    # a manager's workbook carries their own accounts' figures beside the wave's, as the
    # dashboard does
    data = exports.portfolio_workbook(
        session, figures, lang, filters,
        satisfied_target=float(current_app.config["SATISFIED_TARGET"]),
        own=current_user.email if current_user.role == access.MANAGER else None)
    audit.record_now(session, "export", f"campaign {campaign.id}", {"file": "portfolio.xlsx"})
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet",
                    headers={"Content-Disposition":
                             f"attachment; filename={exports.export_filename(campaign)}"})
