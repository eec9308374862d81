from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from ..db import get_session
from ..models import Account, Campaign
from ..services import exports, scorecards
from . import bp


def _campaign() -> Campaign | None:
    session = get_session()
    campaign_id = request.args.get("campaign", type=int)
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            abort(404)
        return campaign
    return scorecards.latest_campaign(session)


@bp.route("/")
def index():
    return redirect(url_for("reports.accounts"))


@bp.route("/accounts")
@login_required
def accounts():
    campaign = _campaign()
    table = scorecards.portfolio(get_session(), campaign) if campaign else None
    campaigns = get_session().scalars(select(Campaign).order_by(Campaign.id.desc())).all()
    return render_template("reports/accounts.html", table=table, campaign=campaign,
                           campaigns=campaigns)


@bp.route("/accounts/<code>")
@login_required
def scorecard(code: str):
    session = get_session()
    account = session.scalar(select(Account).where(Account.code == code))
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
