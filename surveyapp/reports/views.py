from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import login_required

from ..db import get_session
from ..models import Campaign
from ..services import campaigns, exports, scorecards
from . import bp


def _campaign() -> Campaign | None:
    session = get_session()
    campaign_id = request.args.get("campaign", type=int)
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or campaign.audience != "customer":  # reports read customer waves
            abort(404)
        return campaign
    return campaigns.latest_campaign(session)


@bp.route("/")
def index():
    return redirect(url_for("reports.accounts"))


@bp.route("/accounts")
@login_required
def accounts():
    campaign = _campaign()
    table = scorecards.accounts_overview(get_session(), campaign) if campaign else None
    return render_template("reports/accounts.html", table=table, campaign=campaign,
                           campaigns=campaigns.customer_campaigns(get_session()))


@bp.route("/accounts/<code>")
@login_required
def scorecard(code: str):
    session = get_session()
    account = scorecards.find_account(session, code)
    if account is None:
        abort(404)
    card = scorecards.account_scorecard(session, account, _campaign())
    return render_template("reports/scorecard.html", card=card)


@bp.route("/export.xlsx")
@login_required
def export():
    campaign = _campaign()
    if campaign is None:
        abort(404)
    data = exports.portfolio_workbook(get_session(), campaign)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet",
                    headers={"Content-Disposition":
                             f"attachment; filename={exports.export_filename(campaign)}"})
