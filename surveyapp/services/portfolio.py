"""The whole analysis of a survey wave, from the database: responses, the managers' latest
assessment and the accounts' figures, through :func:`analysis.analyze`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import (
    AnalysisOptions,
    AnalysisResult,
    Questionnaire,
    StageModel,
    analyze,
    load_stage_model,
)
from analysis.frames import ACCOUNT_NUMERIC_COLUMNS
from analysis.rollup import role_weights

from ..models import Account, Campaign
from .campaigns import latest_campaign
from .instruments import questionnaire_of
from .responses import campaign_frame

ACCOUNT_FIELDS = ("name", "industry", "customer_type", "owner", "period",
                  *ACCOUNT_NUMERIC_COLUMNS)


def accounts_frame(session: Session) -> pd.DataFrame:
    """Every account in the accounts file format (``account_id`` = the account's code)."""
    columns = [Account.code, *(getattr(Account, f) for f in ACCOUNT_FIELDS)]
    rows = session.execute(select(*columns).order_by(Account.code)).all()
    frame = pd.DataFrame(rows, columns=["account_id", *ACCOUNT_FIELDS])
    for name in ACCOUNT_NUMERIC_COLUMNS:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in ("account_id", "name", "industry", "customer_type", "owner", "period"):
        frame[name] = frame[name].astype("string")
    return frame


def configured_role_weights() -> dict[str, float]:
    """The ROLE_WEIGHTS setting merged over the defaults (a partial setting keeps the rest)."""
    return role_weights(current_app.config.get("ROLE_WEIGHTS"))


def stage_model_path() -> Path:
    configured = current_app.config.get("STAGES_FILE")
    return Path(configured) if configured else Path(
        current_app.config["INSTRUMENTS_DIR"]) / "stages.toml"


@dataclass
class PortfolioAnalysis:
    result: AnalysisResult
    stage_model: StageModel | None

    @property
    def accounts(self) -> pd.DataFrame:
        """One row per account (indexed by its code) with every account-level measure."""
        table = self.result.tables.get("accounts")
        return pd.DataFrame() if table is None else table.set_index("account_id")

    def evidence(self, account_code: str) -> pd.DataFrame:
        table = self.result.tables.get("stage_evidence")
        if table is None:
            return pd.DataFrame()
        return table[table["account_id"] == account_code]


def campaign_analysis(session: Session, campaign: Campaign) -> PortfolioAnalysis:
    """Analyse a customer wave together with the latest managers' assessment (once per
    request: a page that needs it twice reuses the first run)."""
    cache = g.setdefault("campaign_analyses", {})
    if campaign.id not in cache:
        cache[campaign.id] = _analyse(session, campaign)
    return cache[campaign.id]


def _analyse(session: Session, campaign: Campaign) -> PortfolioAnalysis:
    frames = [campaign_frame(session, campaign)]
    instruments = list(questionnaire_of(campaign).instruments)
    assessment = latest_campaign(session, audience="manager")
    if assessment is not None:
        frames.append(campaign_frame(session, assessment))
        instruments += questionnaire_of(assessment).instruments
    responses = pd.concat([f.astype({c: "string" for c in ("account_id", "contact_id",
                                                              "role", "wave", "lang")})
                           for f in frames], ignore_index=True)
    path = stage_model_path()
    # the default file may be absent (no stages); a configured one must exist
    configured = bool(current_app.config.get("STAGES_FILE"))
    model = load_stage_model(path) if configured or path.exists() else None
    options = AnalysisOptions(role_weights=configured_role_weights(), stage_model=model)
    result = analyze(Questionnaire(tuple(instruments)), responses, accounts_frame(session),
                     options)
    return PortfolioAnalysis(result, model)
