"""Excel exports: analysis tables → workbook bytes (the file and the download share this)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy.orm import Session

from analysis.pipeline.account_detail import merge_small_roles
from analysis.report import Sheet, analysis_sheets, workbook_bytes
from analysis.servqual import SCORE_COLUMNS

from ..models import Campaign
from . import visible
from .campaigns import latest_campaign
from .figures import WaveFigures
from .responses import campaign_frame, text_answer_frame, text_answers
from .scoring import COVERAGE_TABLE
from .wave_inputs import ANONYMOUS_MIN_ROLE_ANSWERS, accounts_frame

META_TEXT = ("response_id", "account_id", "contact_id", "role", "wave", "lang")

PORTFOLIO_COLUMNS = {
    "name": "Account", "industry": "Industry", "customer_type": "Customer type",
    "owner": "Owner", "stage_en": "Stage", "abc": "ABC", "nps": "NPS (role-weighted)",
    "nps.unweighted": "NPS", "nps.n": "NPS n", "invited": "Invited", "responded": "Responded",
    "roles": "Roles answered",
}


class NoFigures(Exception):
    """The wave has no successful scoring run yet."""


def _export_table(figures: WaveFigures) -> pd.DataFrame:
    """Who the account is, who answered, its five dimension gaps and the overall scores —
    the run's accounts table, as the accounts list shows it."""
    accounts = figures.table("accounts")
    coverage = figures.table(COVERAGE_TABLE)
    table = accounts.merge(coverage, on="account_id", how="left") if not coverage.empty \
        else accounts.assign(invited=0, responded=0)
    table[["invited", "responded"]] = table[["invited", "responded"]].fillna(0).astype("int64")
    dims = list((figures.summary.get("servqual") or {}).get("dimensions") or {})
    rename = {f"servqual.{d}.gap": f"{d}.gap" for d in dims}
    rename.update({f"servqual.{m}{ext}": f"{m}{ext}" for m in SCORE_COLUMNS
                   for ext in ("", ".mean", ".n")})
    columns = ["account_id", *PORTFOLIO_COLUMNS, *rename]
    return table[[c for c in columns if c in table.columns]].rename(columns=rename)


def portfolio_workbook(session: Session, figures: WaveFigures) -> bytes:
    """The workbook of the wave's stored run (nothing is recomputed)."""
    if not figures.available or figures.run is None:
        raise NoFigures(f"wave {figures.campaign.id} has no figures yet")
    campaign, run = figures.campaign, figures.run
    table = _export_table(figures)
    note = (f"Campaign: {campaign.name}. Figures as of {run.created_at:%Y-%m-%d %H:%M} UTC "
            f"({run.response_count} responses). Scores are role-weighted (buying centre); "
            "'.mean' is the unweighted mean over respondents and '.n' the number of "
            "respondents behind it. Gap = P − E on 1–7. NPS = % promoters − % detractors "
            "over the account's answers; NPS (role-weighted) weighs each buying role.")
    sheet = Sheet("Accounts", table.rename(columns=PORTFOLIO_COLUMNS),
                  title="Service gaps by account (SERVQUAL)", note=note)
    tables = {k: v for k, v in figures.tables().items() if k != COVERAGE_TABLE}
    sheets = [sheet, *analysis_sheets(tables)]
    comments = visible.rows_for(figures, text_answers(session, campaign))
    if campaign.anonymous and not comments.empty:
        comments = comments.assign(role=merge_small_roles(
            comments["account_id"].astype("string"), comments["role"].astype("string"),
            ANONYMOUS_MIN_ROLE_ANSWERS), submitted_at=pd.to_datetime(
                comments["submitted_at"]).dt.date).sample(frac=1.0, random_state=0)
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
        if wave.anonymous:  # nothing that ties an answer to a person
            frame["contact_id"] = pd.Series(pd.NA, index=frame.index, dtype="string")
            frame["role"] = merge_small_roles(frame["account_id"].astype("string"),
                                              frame["role"].astype("string"),
                                              ANONYMOUS_MIN_ROLE_ANSWERS).to_numpy()
            frame["submitted_at"] = frame["submitted_at"].dt.floor("D")
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
