"""Excel exports: analysis tables → workbook bytes (the file and the download share this)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.orm import Session

from analysis.report import Sheet, analysis_sheets, workbook_bytes
from analysis.servqual import SCORE_COLUMNS

from ..models import Campaign
from .campaigns import latest_campaign
from .portfolio import accounts_frame, campaign_analysis
from .responses import campaign_frame, text_answer_frame, text_answers
from .scorecards import portfolio, servqual_layout

META_TEXT = ("response_id", "account_id", "contact_id", "role", "wave", "lang")

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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV has no way to
    mark a cell as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def responses_csv(session: Session, campaign: Campaign) -> bytes:
    """The wave's responses, with the latest managers' assessment, in the wide file format
    that ``surveyapp analyze`` reads (UTF-8 with BOM, so Excel opens it correctly)."""
    frames = []
    for wave in (campaign, latest_campaign(session, audience="manager")):
        if wave is None:
            continue
        frame = campaign_frame(session, wave)
        texts = text_answer_frame(session, wave)
        if not texts.empty:
            frame = frame.join(texts, on="response_id")
        frames.append(frame)
    table = pd.concat([f.astype({c: "string" for c in META_TEXT}) for f in frames],
                      ignore_index=True).copy()  # one block per dtype, not one per column
    table["submitted_at"] = table["submitted_at"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    text_columns = [c for c in table.columns if table[c].dtype == "string"]
    table[text_columns] = table[text_columns].astype(object).map(_neutralise)
    return table.to_csv(index=False, float_format="%.10g").encode("utf-8-sig")


def accounts_csv(session: Session) -> bytes:
    """Every account in the accounts file format."""
    table = accounts_frame(session).astype(object).map(_neutralise)
    return table.to_csv(index=False, float_format="%.10g").encode("utf-8-sig")


def instrument_sources(campaign: Campaign) -> dict[str, str]:
    """The exact instrument files a wave asked, by file name."""
    return {f"{s.instrument_version.instrument_id}.toml": s.instrument_version.source
            for s in campaign.sections}
