"""The accounts list and the account scorecard, read from the wave's stored scoring run.

Every figure comes from the run's tables (:mod:`.figures`); this module only selects,
sorts and pages rows for the pages. Who the contacts are and what they wrote are read from
the database for the one account shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import StageModel, load_stage_model
from analysis.instrument import Text
from analysis.pipeline.account_detail import MERGED_ROLE
from analysis.rollup import normalize_roles
from analysis.servqual import SCORE_COLUMNS

from ..models import Account, Campaign, Contact, Invitation, User
from .exports import FORMULA_STARTS
from .figures import (
    MIN_ANSWERS,
    Freshness,
    WaveFigures,
    wave_figures,
    withhold_thin,
    withhold_thin_row,
)
from .instruments import questionnaire_of
from .responses import text_answers
from .scoring import COVERAGE_TABLE

SERVQUAL_ID = "servqual"
PER_PAGE = 50
# the columns of the accounts list, as the run's accounts table names them
LIST_COLUMNS = ("account_id", "name", "industry", "customer_type", "owner", "stage",
                "stage_zh", "stage_en", "abc", "nps", "nps.unweighted", "nps.n",
                "servqual.unweighted", "servqual.weighted", "servqual.servperf", "responses",
                "contribution", "roles")
# "needs attention": a gap at or below this (P − E on the 1–7 scale; the pages colour it red)
LARGE_NEGATIVE_GAP = -1.0
FLAGS = ("detractors", "gap", "economic_silent", "stage_fell")
EXPORT_COLUMNS = ("account_id", "name", "industry", "customer_type", "owner", "stage", "abc",
                  "nps.unweighted", "nps", "nps.n", "servqual.unweighted", "servqual.weighted",
                  "servqual.unweighted.n",
                  "servqual.servperf", "contribution", "invited", "responded", "previous_stage",
                  *(f"flag.{f}" for f in FLAGS))
SORTS = {"account": "account_id", "name": "name", "stage": "stage_order", "abc": "abc",
         "nps": "nps.unweighted", "nps_weighted": "nps", "gap": "servqual.unweighted",
         "weighted": "servqual.weighted",
         "servperf": "servqual.servperf", "contribution": "contribution",
         "answered": "responded", "owner": "owner", "type": "customer_type"}


def find_account(session: Session, code: str) -> Account | None:
    return session.scalar(select(Account).where(Account.code == code))


def owner_names(session: Session) -> dict[str, str]:
    """Each user's email (lower case, as imports store an owner) → their name, for pages
    that show an account's owner; users without a name are left out (shown by email)."""
    return {email.lower(): name for email, name in session.execute(
        select(User.email, User.name).where(User.name.is_not(None), User.name != ""))
        if name}


@lru_cache(maxsize=8)
def _stage_model(path: str, mtime: float) -> StageModel:
    return load_stage_model(path)


def stage_model(path: Path | None) -> StageModel | None:
    """The stage thresholds, for their names in each language (cached per file version)."""
    if path is None or not path.exists():
        return None
    return _stage_model(str(path), path.stat().st_mtime)


# --------------------------------------------------------------------------- accounts list


@dataclass(frozen=True)
class AccountsQuery:
    """What the accounts list shows: filters, sort and page (all server-side)."""

    stage: str | None = None
    abc: str | None = None
    customer_type: str | None = None
    owner: str | None = None
    nps_below: float | None = None  # NPS (promoters − detractors) under this
    gap_below: float | None = None  # unweighted SERVQUAL gap under this
    contribution_below: float | None = None  # contribution (currency) under this
    attention: bool = False  # only accounts with a "needs attention" flag
    search: str | None = None  # in the code or the name
    sort: str = "account"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def active_filters(self) -> int:
        """How many filters narrow the list (the page opens its filter panel when any do)."""
        return sum(v is not None and v is not False for v in (
            self.stage, self.abc, self.customer_type, self.owner, self.nps_below,
            self.gap_below, self.contribution_below, self.attention or None, self.search))


@dataclass
class AccountsPage:
    rows: list[dict[str, Any]]  # one page of accounts; missing values are None
    total: int  # accounts matching the filters
    page: int
    pages: int
    options: dict[str, list[str]] = field(default_factory=dict)  # filter choices


def _list_frame(figures: WaveFigures, previous: WaveFigures | None = None) -> pd.DataFrame:
    """The run's accounts with their coverage and "needs attention" flags, in a shape ready
    to filter and sort; ``previous`` is the wave before (for a stage that fell)."""
    accounts = figures.table("accounts")
    if accounts.empty:
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    kept = [c for c in accounts.columns if c in LIST_COLUMNS or c.endswith(".n")]
    table = accounts[kept].copy()
    coverage = figures.table(COVERAGE_TABLE)
    if not coverage.empty:
        table = table.merge(coverage, on="account_id", how="left")
    for column in ("invited", "responded"):
        if column not in table.columns:
            table[column] = 0
        table[column] = table[column].fillna(0).astype("int64")
    model = figures.inputs.get("stage_order") or []
    order = {s: k for k, s in enumerate(model)}
    if "stage" in table.columns:
        table["stage_order"] = table["stage"].map(order).astype("float64")
    _flag(table, previous, order)  # a flag says "more detractors" in words, whatever n
    # the figures themselves: an NPS or a gap of 2–4 people is neither shown nor sorted by
    table = withhold_thin(table)
    table.index = pd.Index(table["account_id"].to_numpy(), name=None)  # the code, for links
    return table


def _flag(table: pd.DataFrame, previous: WaveFigures | None, order: dict[str, int]) -> None:
    """Why an account needs its manager now: more detractors than promoters, a large
    negative gap, an invited economic buyer who did not answer, a stage lower than in the
    wave before (uncoupling counts as the lowest)."""
    def column(name: str) -> pd.Series:
        return table[name] if name in table.columns else pd.Series(pd.NA, index=table.index)

    table["flag.detractors"] = (pd.to_numeric(column("nps.unweighted"), errors="coerce")
                                < 0).fillna(False)
    table["flag.gap"] = (pd.to_numeric(column("servqual.unweighted"), errors="coerce")
                         <= LARGE_NEGATIVE_GAP).fillna(False)
    answered_roles = column("roles").fillna("").astype(str).str.split(",")
    table["flag.economic_silent"] = (table["invited"] > 0) & ~answered_roles.map(
        lambda roles: "economic" in roles).astype(bool)
    table["previous_stage"] = None
    table["flag.stage_fell"] = False
    if previous is not None and previous.available and "stage" in table.columns:
        before = previous.table("accounts")
        if not before.empty and "stage" in before.columns:
            # the ladder's rank, uncoupling below every stage
            rank = {s: (-1 if s == "uncoupling" else k) for s, k in order.items()}
            earlier = dict(zip(before["account_id"], before["stage"], strict=True))
            table["previous_stage"] = table["account_id"].map(earlier)
            was = table["previous_stage"].map(rank).astype("float64")
            now = table["stage"].map(rank).astype("float64")
            table["flag.stage_fell"] = (now < was).fillna(False)
    table["attention"] = table[[f"flag.{f}" for f in FLAGS]].any(axis=1)


def accounts_page(figures: WaveFigures, query: AccountsQuery,
                  previous: WaveFigures | None = None) -> AccountsPage:
    chosen, options = filtered_accounts(figures, query, previous)
    total = len(chosen)
    pages = max(1, math.ceil(total / query.per_page))
    page = min(max(query.page, 1), pages)
    rows = chosen.iloc[(page - 1) * query.per_page: page * query.per_page]
    return AccountsPage(records(rows), total, page, pages, options)


def filtered_accounts(figures: WaveFigures, query: AccountsQuery,
                      previous: WaveFigures | None = None
                      ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The accounts matching ``query``, sorted, with the filter choices."""
    key = "accounts list" if previous is None or previous.key is None else \
        f"accounts list since {previous.key}"
    table: pd.DataFrame = figures.derived(key, lambda: _list_frame(figures, previous))
    options = figures.derived("accounts list choices", lambda: {
        c: sorted(str(v) for v in table[c].dropna().unique())
        for c in ("stage", "abc", "customer_type", "owner") if c in table.columns})
    mask = pd.Series(True, index=table.index)
    for column in ("stage", "abc", "customer_type", "owner"):
        value = getattr(query, column)
        if value and column in table.columns:
            mask &= table[column] == value
    if query.nps_below is not None and "nps.unweighted" in table.columns:
        mask &= table["nps.unweighted"] < query.nps_below
    if query.gap_below is not None and "servqual.unweighted" in table.columns:
        mask &= table["servqual.unweighted"] < query.gap_below
    if query.contribution_below is not None and "contribution" in table.columns:
        mask &= table["contribution"] < query.contribution_below
    if query.attention:
        mask &= table["attention"]
    if query.search:
        needle = query.search.casefold()
        mask &= (table["account_id"].str.casefold().str.contains(needle, regex=False)
                 | table["name"].fillna("").str.casefold().str.contains(needle, regex=False))
    chosen = table[mask.fillna(False).to_numpy(dtype=bool)]
    column = SORTS.get(query.sort, "account_id")
    if column in chosen.columns:
        chosen = chosen.sort_values([column, "account_id"],
                                    ascending=[not query.descending, True],
                                    na_position="last", kind="stable")
    return chosen, options


def export_rows(figures: WaveFigures, query: AccountsQuery,
                previous: WaveFigures | None = None) -> pd.DataFrame:
    """The filtered list, every page, in the columns of the CSV export."""
    chosen, _options = filtered_accounts(figures, query, previous)
    return chosen[[c for c in EXPORT_COLUMNS if c in chosen.columns]].reset_index(drop=True)


def list_csv(rows: pd.DataFrame) -> bytes:
    """The exported list as CSV (UTF-8 with BOM, so Excel reads it); a name a spreadsheet
    would run as a formula gets a leading apostrophe."""
    table = rows.astype(object).map(
        lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v)
    return table.to_csv(index=False, float_format="%.10g").encode("utf-8-sig")


def previous_wave(session: Session, campaign: Campaign) -> WaveFigures | None:
    """The figures of the customer wave before ``campaign`` (None for the first)."""
    earlier = session.scalar(select(Campaign).where(
        Campaign.audience == "customer", Campaign.id < campaign.id)
        .order_by(Campaign.id.desc()).limit(1))
    return None if earlier is None else wave_figures(session, earlier)


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts, missing values (NaN, NA) as None, which templates test and print
    safely."""
    return [{str(k): (None if _is_missing(v) else v) for k, v in row.items()}
            for row in table.to_dict(orient="records")]


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]  # any cell value
    except (TypeError, ValueError):  # lists and the like are values
        return False


# --------------------------------------------------------------------------- scorecard


@dataclass
class Scorecard:
    account: Account
    campaign: Campaign | None
    respondents: pd.DataFrame  # one row per contact: role, invited, answered
    dimensions: pd.DataFrame  # per dimension: E, P, gap role-weighted + unweighted + n
    overall: pd.DataFrame  # unweighted / weighted SERVQUAL and SERVPERF
    items: pd.DataFrame  # per item: E, P, gap, n
    roles: pd.DataFrame  # buying roles that answered, with n (small roles merged if anonymous)
    comments: pd.DataFrame
    names: dict[str, Text]  # dimension and item id → its name or text in each language
    profile: dict | None = None  # every account-level measure of the run
    criteria: pd.DataFrame | None = None  # stage criteria: the current and the next stage
    stage_model: StageModel | None = None
    freshness: Freshness | None = None
    anonymous: bool = False
    quadrant_cutoffs: dict[str, float] = field(default_factory=dict)

    def records(self, name: str) -> list[dict[str, Any]]:
        """One of the card's tables as rows for the template (missing values as None);
        plain dicts render many times faster than pandas rows."""
        table = getattr(self, name)
        if table is None or table.empty:
            return []
        if name == "items":
            table = table.reset_index()
        return records(table)

    @property
    def roles_answered(self) -> list[str]:
        return [] if self.roles.empty else [str(r) for r in self.roles["role"]]


def _account_rows(figures: WaveFigures, name: str, code: str) -> pd.DataFrame:
    """One account's rows of a run table. The table is sorted by account once per process
    and each account's rows are a slice of it (splitting it into a frame per account up
    front, 30,000 frames at 10,000 accounts, made the first scorecard after a run 6 s)."""
    def build() -> tuple[pd.DataFrame, dict[str, tuple[int, int]]]:
        table = figures.table(name)
        if table.empty or "account_id" not in table.columns:
            return table, {}
        codes, uniques = pd.factorize(table["account_id"])  # −1: no account
        order = np.argsort(codes, kind="stable")  # an account's rows keep their order
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        stops = np.cumsum(counts)
        skip = int((codes < 0).sum())  # rows without an account sort first
        table = table.take(order[skip:]).reset_index(drop=True)
        return table, {str(u): (int(b - n), int(b))
                       for u, n, b in zip(uniques, counts, stops, strict=True)}
    table, spans = figures.derived(f"account rows:{name}", build)
    if code not in spans:
        return pd.DataFrame()
    start, stop = spans[code]
    return table.iloc[start:stop].reset_index(drop=True)


def _account_row(figures: WaveFigures, code: str) -> dict[str, Any] | None:
    def build() -> dict[str, int]:
        accounts = figures.table("accounts")
        if accounts.empty:
            return {}
        return {str(c): k for k, c in enumerate(accounts["account_id"])}
    positions = figures.derived("account positions", build)
    if code not in positions:
        return None
    row = figures.table("accounts").iloc[positions[code]]
    return withhold_thin_row({k: (None if _is_missing(v) else v) for k, v in row.items()})


def account_scorecard(session: Session, account: Account, campaign: Campaign | None,
                      stages_file: Path | None = None) -> Scorecard:
    respondents = _respondents(session, account, campaign)
    empty = pd.DataFrame()
    card = Scorecard(account, campaign, respondents, empty, empty, empty, empty, empty, {},
                     stage_model=stage_model(stages_file),
                     anonymous=bool(campaign and campaign.anonymous))
    if campaign is None:
        return card
    figures = wave_figures(session, campaign)
    card.freshness = figures.freshness()
    instrument = questionnaire_of(campaign).get(SERVQUAL_ID)
    if instrument is not None:
        card.names = {c.id: c.name for c in instrument.constructs}
        card.names.update({i.id: i.text for i in instrument.items})
    card.quadrant_cutoffs = figures.summary.get("quadrant_cutoffs") or {}
    profile = _account_row(figures, account.code)
    if profile is None:
        return card
    card.profile = profile
    card.roles = _account_rows(figures, "account_roles", account.code)
    dims = list((figures.summary.get("servqual") or {}).get("dimensions") or {})
    if dims and profile.get("responses"):
        card.dimensions = pd.DataFrame([
            {"dimension": d, **{f"{part}{suffix}": profile.get(f"servqual.{d}.{part}{ext}")
                                for part in ("e", "p", "gap")
                                for suffix, ext in (("", ""), ("_mean", ".mean"),
                                                    ("_n", ".n"))}}
            for d in dims])
        card.overall = pd.DataFrame([
            {"score": m, "value": profile.get(f"servqual.{m}"),
             "mean": profile.get(f"servqual.{m}.mean"), "n": profile.get(f"servqual.{m}.n")}
            for m in SCORE_COLUMNS])
        items = _account_rows(figures, "servqual_account_items", account.code)
        if not items.empty:  # an item's E, P and gap of fewer than 5 people: not shown
            items = items.copy()
            thin = ~(pd.to_numeric(items["n"], errors="coerce") >= MIN_ANSWERS).fillna(False)
            items.loc[thin.to_numpy(dtype=bool),
                      [c for c in ("e", "p", "gap") if c in items.columns]] = float("nan")
        card.items = items.set_index("item") if not items.empty else items
    evidence = _account_rows(figures, "stage_evidence", account.code)
    if not evidence.empty:
        current = evidence[evidence["stage"] == profile.get("stage")]
        card.criteria = pd.concat([current.assign(part="current"),
                                   evidence[evidence["next"]].assign(part="next")])
    card.comments = _comments(session, campaign, account, card.roles, card.anonymous)
    return card


def _respondents(session: Session, account: Account, campaign: Campaign | None) -> pd.DataFrame:
    contacts = session.execute(
        select(Contact.name, Contact.role, Contact.lang, Invitation.id,
               Invitation.responded_at, Contact.erased_at)
        .outerjoin(Invitation, (Invitation.contact_id == Contact.id)
                   & (Invitation.campaign_id == (campaign.id if campaign else -1)))
        .where(Contact.account_id == account.id).order_by(Contact.id)).all()
    return pd.DataFrame(
        [(name, role, lang, inv is not None, answered is not None, erased is not None)
         for name, role, lang, inv, answered, erased in contacts],
        columns=["name", "role", "lang", "invited", "answered", "erased"])


def _comments(session: Session, campaign: Campaign, account: Account, roles: pd.DataFrame,
              anonymous: bool) -> pd.DataFrame:
    """What the account's respondents wrote; in an anonymous wave a role with fewer than
    three answers in the account reads as "other roles" and only the date is shown."""
    comments = text_answers(session, campaign, account.id)
    if not anonymous or comments.empty:
        return comments
    shown = set(roles["role"]) - {MERGED_ROLE} if not roles.empty else set()
    named = normalize_roles(comments["role"].astype("string"))
    comments["role"] = named.where(named.isin(shown), MERGED_ROLE)
    comments["submitted_at"] = pd.to_datetime(comments["submitted_at"]).dt.date
    return comments.sample(frac=1.0, random_state=0)  # order says nothing about who
