"""Excel exports: analysis tables → workbook bytes (the file and the download share this)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.orm import Session

from analysis.report import Sheet, analysis_sheets, workbook_bytes
from analysis.servqual import SCORE_COLUMNS

from ..models import Campaign
from .portfolio import campaign_analysis
from .responses import text_answers
from .scorecards import portfolio, servqual_layout

PORTFOLIO_COLUMNS = {
    "name": "Account", "industry": "Industry", "customer_type": "Customer type",
    "owner": "Owner", "invited": "Invited", "responded": "Responded", "roles": "Roles answered",
}


def _export_table(session: Session, campaign: Campaign) -> pd.DataFrame:
    """Who the account is, who answered, its five dimension gaps and the overall scores."""
    table = portfolio(session, campaign)
    layout = servqual_layout(campaign)
    columns = list(PORTFOLIO_COLUMNS)
    if layout is not None:
        columns += [f"{d}.gap" for d in layout.dimensions]
        columns += [c for m in SCORE_COLUMNS for c in (m, f"{m}.mean", f"{m}.n")]
    return table[[c for c in columns if c in table.columns]].reset_index()


def portfolio_workbook(session: Session, campaign: Campaign) -> bytes:
    analysis = campaign_analysis(session, campaign)
    table = _export_table(session, campaign)
    measures = analysis.accounts
    position = list(table.columns).index("owner") + 1  # who the account is, then where it is
    for column, title in (("stage_en", "Stage"), ("abc", "ABC"), ("nps", "NPS")):
        if column in measures.columns:
            table.insert(position, title, table["account_id"].map(measures[column]).to_numpy())
            position += 1
    note = (f"Campaign: {campaign.name}. Exported {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
            "Scores are role-weighted (buying centre); '.mean' is the unweighted mean over "
            "respondents and '.n' the number of respondents behind it. Gap = P − E on 1–7.")
    sheet = Sheet("Accounts", table.rename(columns=PORTFOLIO_COLUMNS),
                  title="Service gaps by account (SERVQUAL)", note=note)
    comments = text_answers(session, campaign)
    sheets = [sheet, *analysis_sheets(analysis.result.tables)]
    if not comments.empty:
        sheets.append(Sheet("Comments", comments, title="What respondents wrote",
                            note="Free text exactly as typed (always stored as text)."))
    return workbook_bytes(sheets)


def export_filename(campaign: Campaign) -> str:
    return f"servqual-portfolio-campaign{campaign.id}-{datetime.now(UTC):%Y%m%d}.xlsx"
