"""Account scorecards and the portfolio table: database rows → analysis frames → summaries."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis import ServqualLayout, account_rollup, item_gaps, respondent_scores
from analysis.instrument import Text
from analysis.servqual import SCORE_COLUMNS

from ..models import Account, Campaign, Contact, Invitation
from .instruments import questionnaire_of
from .portfolio import PortfolioAnalysis, campaign_analysis, configured_role_weights
from .responses import campaign_frame, text_answers

SERVQUAL_ID = "servqual"


def servqual_layout(campaign: Campaign) -> ServqualLayout | None:
    instrument = questionnaire_of(campaign).get(SERVQUAL_ID)
    return ServqualLayout.of(instrument) if instrument is not None else None


def _measures(layout: ServqualLayout) -> list[str]:
    return [f"{d}.{part}" for d in layout.dimensions for part in ("e", "p", "gap")] + list(
        SCORE_COLUMNS)


def _role_weights() -> dict[str, float]:
    return configured_role_weights()


def invitation_counts(session: Session, campaign: Campaign) -> pd.DataFrame:
    """Per account code: contacts invited and responses received."""
    rows = session.execute(
        select(Account.code, func.count(Invitation.id), func.count(Invitation.responded_at))
        .join(Contact, Contact.account_id == Account.id)
        .join(Invitation, Invitation.contact_id == Contact.id)
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Account.code)).all()
    return pd.DataFrame(rows, columns=["account_id", "invited", "responded"]).set_index(
        "account_id")


def portfolio(session: Session, campaign: Campaign) -> pd.DataFrame:
    """One row per account: who it is, response counts and its role-weighted SERVQUAL scores."""
    accounts = pd.DataFrame(
        session.execute(select(Account.code, Account.name, Account.industry,
                               Account.customer_type, Account.owner)
                        .order_by(Account.code)).all(),
        columns=["account_id", "name", "industry", "customer_type", "owner"],
    ).set_index("account_id")
    table = accounts.join(invitation_counts(session, campaign))
    table[["invited", "responded"]] = table[["invited", "responded"]].fillna(0).astype("int64")
    layout = servqual_layout(campaign)
    if layout is None:
        return table
    frame = campaign_frame(session, campaign)
    scores = pd.concat([frame[["account_id", "role"]], respondent_scores(frame, layout)], axis=1)
    scores = scores[scores["account_id"].notna()]
    rolled = account_rollup(scores, _measures(layout), weights=_role_weights())
    return table.join(rolled)


def find_account(session: Session, code: str) -> Account | None:
    return session.scalar(select(Account).where(Account.code == code))


OVERVIEW_COLUMNS = ("stage", "stage_zh", "stage_en", "abc", "nps", "nps.n", "loyalty_index",
                    "satisfaction", "contribution")


def accounts_overview(session: Session, campaign: Campaign) -> pd.DataFrame:
    """The portfolio table with each account's stage, ABC class, NPS and loyalty beside it."""
    table = portfolio(session, campaign)
    measures = campaign_analysis(session, campaign).accounts
    keep = [c for c in OVERVIEW_COLUMNS if c in measures.columns]
    table = table.join(measures[keep]) if keep else table
    return _none_for_missing(table)


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and the like are values
        return False


def _none_for_missing(table: pd.DataFrame) -> pd.DataFrame:
    """Missing values (NaN, NA) as None, which templates test and print safely."""
    return table.astype(object).where(table.notna(), None)


@dataclass
class Scorecard:
    account: Account
    campaign: Campaign | None
    layout: ServqualLayout | None
    respondents: pd.DataFrame  # one row per contact: role, invited, answered
    dimensions: pd.DataFrame  # per dimension: E, P, gap role-weighted + unweighted + n
    overall: pd.DataFrame  # unweighted / weighted SERVQUAL and SERVPERF
    items: pd.DataFrame  # per item: E, P, gap, n
    roles: list[str]  # buying roles that answered
    comments: pd.DataFrame
    names: dict[str, Text]  # dimension and item id → its name or text in each language
    profile: dict | None = None  # every account-level measure of the whole analysis
    criteria: pd.DataFrame | None = None  # stage criteria: the current and the next stage
    analysis: PortfolioAnalysis | None = None


def account_scorecard(session: Session, account: Account,
                      campaign: Campaign | None) -> Scorecard:
    card = _servqual_card(session, account, campaign)
    if campaign is not None:
        analysis = campaign_analysis(session, campaign)
        accounts = analysis.accounts
        if account.code in accounts.index:
            row = accounts.loc[account.code]
            card.profile = {k: (None if _is_missing(v) else v) for k, v in row.items()}
            evidence = analysis.evidence(account.code)
            stage = card.profile.get("stage")
            current = evidence[evidence["stage"] == stage]
            card.criteria = pd.concat([current.assign(part="current"),
                                       evidence[evidence["next"]].assign(part="next")])
        card.analysis = analysis
    return card


def _servqual_card(session: Session, account: Account, campaign: Campaign | None) -> Scorecard:
    contacts = session.execute(
        select(Contact.name, Contact.role, Contact.lang, Invitation.id,
               Invitation.responded_at)
        .outerjoin(Invitation, (Invitation.contact_id == Contact.id)
                   & (Invitation.campaign_id == (campaign.id if campaign else -1)))
        .where(Contact.account_id == account.id).order_by(Contact.id)).all()
    respondents = pd.DataFrame(
        [(name, role, lang, inv is not None, answered is not None)
         for name, role, lang, inv, answered in contacts],
        columns=["name", "role", "lang", "invited", "answered"])
    empty = pd.DataFrame()
    layout = servqual_layout(campaign) if campaign else None
    if campaign is None or layout is None:
        return Scorecard(account, campaign, layout, respondents, empty, empty, empty, [], empty,
                         {})
    instrument = questionnaire_of(campaign).get(SERVQUAL_ID)
    names = {c.id: c.name for c in instrument.constructs} if instrument else {}
    names.update({i.id: i.text for i in instrument.items} if instrument else {})
    frame = campaign_frame(session, campaign, account_ids=[account.id])
    scores = pd.concat([frame[["account_id", "role"]], respondent_scores(frame, layout)], axis=1)
    comments = text_answers(session, campaign, account.id)
    if frame.empty:
        return Scorecard(account, campaign, layout, respondents, empty, empty, empty, [],
                         comments, names)
    rolled = account_rollup(scores, _measures(layout), weights=_role_weights()).iloc[0]
    dims = []
    for d in layout.dimensions:
        row = {"dimension": d}
        for part in ("e", "p", "gap"):
            m = f"{d}.{part}"
            row[part] = rolled[m]
            row[f"{part}_mean"] = rolled[f"{m}.mean"]
            row[f"{part}_n"] = rolled[f"{m}.n"]
        dims.append(row)
    overall = pd.DataFrame([{"score": m, "value": rolled[m], "mean": rolled[f"{m}.mean"],
                             "n": rolled[f"{m}.n"]} for m in SCORE_COLUMNS])
    return Scorecard(account, campaign, layout, respondents, pd.DataFrame(dims), overall,
                     item_gaps(frame, layout), str(rolled["roles"]).split(","), comments, names)
