"""The per-account table: roll-ups, contribution, quadrants, the grid and stages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import loyalty as loyalty_mod
from ..contribution import account_contribution
from ..grid import account_grid
from ..instrument import Questionnaire
from ..rollup import BUYER_ROLES, UNKNOWN_ROLE, normalize_roles
from ..stages import (
    count_roles,
    latest_assessment,
    place_accounts,
    stage_distribution,
    stage_indicators,
)
from .account_detail import merge_small_roles
from .common import GRID_ITEMS, AnalysisOptions, as_count, num, rows_answering
from .detect import find_assessment, find_gap1, find_grid, find_servqual

if TYPE_CHECKING:
    from .context import RunContext
    from .roles import BuyingGroups

# Jones & Sasser cut-offs on the role-weighted 0–100 satisfaction and loyalty indices
# (docs/METHODS.md section 5.4); reported in the summary so pages can show them
QUADRANT_CUTOFFS = {"satisfaction": 80.0, "loyalty": 70.0, "apostle": 90.0}


def customer_rows(questionnaire: Questionnaire, responses: pd.DataFrame,
                  options: AnalysisOptions) -> pd.DataFrame:
    """Customers' rows that answered something for an account: not blank rows, not the
    managers' own assessment rows (Gap 1, relationship indicators, the grid). Only their
    ``account_id`` and ``role`` (what the counts read): the answers are not copied."""
    staff = [i for i in (find_gap1(questionnaire, find_servqual(questionnaire)),
                         find_assessment(questionnaire, options.stage_model),
                         find_grid(questionnaire)) if i is not None]
    customer_columns = [c for inst in questionnaire.instruments if inst not in staff
                        for c in inst.numeric_columns]
    rows = responses["account_id"].notna().to_numpy() & _answering_any(responses,
                                                                        customer_columns)
    return responses.loc[rows, [c for c in ("account_id", "role") if c in responses.columns]]


def _answering_any(responses: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Rows with an answer in any of ``columns`` (what :func:`rows_answering` gives); after
    the first column only the rows still without one are looked at, so a million
    customers who all answered the first item cost one column, not all of them."""
    answered = np.zeros(len(responses), dtype=bool)
    open_rows = np.arange(len(responses))
    for column in (c for c in columns if c in responses.columns):
        if not len(open_rows):
            break
        values = responses[column]
        present = values.iloc[open_rows].notna().to_numpy() if len(open_rows) < len(
            responses) else values.notna().to_numpy()
        answered[open_rows[present]] = True
        open_rows = open_rows[~present]
    return answered


def _responses_and_roles(groups: BuyingGroups) -> pd.DataFrame:
    """Per answering account: its customers' responses and the buying roles that answered,
    comma-separated in the canonical order (an unknown role is not listed; an account of
    unknown roles only has none)."""
    names = pd.Index(groups.account_names.astype(str), name="account_id")
    responses = np.bincount(groups.account_of, weights=groups.n, minlength=len(names))
    known = groups.roles != UNKNOWN_ROLE
    order = {r: k for k, r in enumerate(BUYER_ROLES)}
    role_names = sorted(set(groups.roles[known].tolist()),
                        key=lambda r: (order.get(r, len(order)), r))
    bit = {r: 1 << k for k, r in enumerate(role_names)}
    pattern = np.zeros(len(names), dtype=np.int64)
    np.bitwise_or.at(pattern, groups.account_of[known],
                     np.array([bit[r] for r in groups.roles[known].tolist()], dtype=np.int64))
    # each distinct set of roles is spelled once
    patterns, which = np.unique(pattern, return_inverse=True)
    spelled = pd.array([",".join(r for r in role_names if p & bit[r]) if p else None
                        for p in patterns.tolist()], dtype="string")
    return pd.DataFrame({"responses": responses.astype(np.int64),
                         "roles": spelled.take(which.ravel())}, index=names)


def account_summary(questionnaire: Questionnaire, responses: pd.DataFrame,
                    accounts: pd.DataFrame | None, per_account: list[pd.DataFrame],
                    sat_by_account: pd.DataFrame | None,
                    loyalty_by_account: pd.DataFrame | None,
                    options: AnalysisOptions, customers: pd.DataFrame | None = None,
                    groups: BuyingGroups | None = None,
                    ) -> tuple[pd.DataFrame, list[dict], dict]:
    """The account table, the summary's account listing and the stage tables.

    ``customers`` (:func:`customer_rows`) and ``groups`` (their buying-role groups), when
    the caller has them, spare reading the rows again for the counts and role lists.
    """
    ids = set()
    if "account_id" in responses.columns:
        ids |= {str(a) for a in responses["account_id"].dropna().unique()}
    base = pd.DataFrame(index=pd.Index(sorted(ids), name="account_id"))
    if accounts is not None:
        base = accounts.set_index("account_id")
        base.index = base.index.astype(str)
        base.index.name = "account_id"
    table = base.copy()
    extra: dict[str, pd.DataFrame] = {}
    keyed = responses.iloc[0:0]
    if "account_id" in responses.columns and groups is not None and customers is not None:
        keyed = customers
        table = table.join(_responses_and_roles(groups))
    elif "account_id" in responses.columns:
        keyed = customer_rows(questionnaire, responses, options)
        # customers' responses only: the managers' own assessment rows are not counted
        counts = keyed.groupby("account_id", observed=True).size().rename("responses")
        table = table.join(counts)
        if "role" in keyed.columns:
            pairs = pd.DataFrame({"account_id": keyed["account_id"].astype("string"),
                                  "role": merge_small_roles(
                                      keyed["account_id"], keyed["role"],
                                      options.min_role_answers, options.role_weights)})
            pairs = pairs[pairs["role"] != UNKNOWN_ROLE]
            pairs = pairs.dropna().drop_duplicates()
            order = {r: k for k, r in enumerate(BUYER_ROLES)}
            pairs["order"] = pairs["role"].map(lambda r: order.get(r, len(order)))
            pairs = pairs.sort_values(["account_id", "order", "role"])
            role_lists = pairs.groupby("account_id", sort=False)["role"].agg(",".join)
            table = table.join(role_lists.rename("roles"))
    for part in per_account:
        table = table.join(part)
    if sat_by_account is not None and loyalty_by_account is not None:
        both = pd.DataFrame({"satisfaction": sat_by_account["satisfaction"],
                             "loyalty_index": loyalty_by_account["loyalty_index"]})
        table = table.join(loyalty_mod.jones_sasser(
            both, sat_threshold=QUADRANT_CUTOFFS["satisfaction"],
            loy_threshold=QUADRANT_CUTOFFS["loyalty"],
            apostle_threshold=QUADRANT_CUTOFFS["apostle"]))
    if accounts is not None and {"revenue", "margin", "cost_to_serve"} <= set(accounts.columns):
        contrib = account_contribution(
            accounts.assign(account_id=accounts["account_id"].astype(str)),
            wallet="wallet" if "wallet" in accounts.columns else None,
            revenue_prev="revenue_prev" if "revenue_prev" in accounts.columns else None,
            referral="referral_value" if "referral_value" in accounts.columns else None)
        new = [c for c in contrib.columns if c not in table.columns]
        table = table.join(contrib[new])
    grid = find_grid(questionnaire)
    if grid is not None and "account_id" in responses.columns:
        rows = rows_answering(responses, GRID_ITEMS) & responses["account_id"].notna()
        keys = ["account_id", "contact_id"] if "contact_id" in responses.columns else [
            "account_id"]
        latest = latest_assessment(responses.loc[rows, [*keys, *GRID_ITEMS,
                                                        *(["submitted_at"] if "submitted_at"
                                                          in responses.columns else [])]],
                                   keys=keys,
                                   order_by="submitted_at" if "submitted_at" in
                                   responses.columns else None)
        if len(latest):
            cells = account_grid(latest.reset_index())
            table = table.join(cells[["modal_cell", "top_cell", "contacts"]].add_prefix(
                "grid."))
    model = options.stage_model
    if model is not None and accounts is not None:
        extras: list[pd.DataFrame | pd.Series] = []
        assessment_inst = find_assessment(questionnaire, model)
        if assessment_inst is not None and "account_id" in responses.columns:
            cols = [i.id for i in assessment_inst.items if i.id in model.indicators]
            rows = rows_answering(responses, cols) & responses["account_id"].notna()
            if rows.any():
                sub = responses.loc[rows, ["account_id", *cols, *(
                    ["submitted_at"] if "submitted_at" in responses.columns else [])]]
                sub = sub.assign(account_id=sub["account_id"].astype(str))
                extras.append(latest_assessment(
                    sub, order_by="submitted_at" if "submitted_at" in sub.columns else None))
        if loyalty_by_account is not None:
            loy = loyalty_by_account[["loyalty_index"]].copy()
            loy.index = loy.index.astype(str)
            extras.append(loy)
        if "role" in keyed.columns and len(keyed):
            pairs = keyed[["account_id", "role"]].drop_duplicates()  # roles that answered
            pairs = pairs.assign(account_id=pairs["account_id"].astype(str),
                                 role=normalize_roles(pairs["role"], options.role_weights))
            covered = count_roles(pairs).rename("roles_covered")
            # an account in the file whose customers never answered covers no role
            extras.append(covered.reindex(accounts["account_id"].astype(str), fill_value=0))
        indicators = stage_indicators(
            accounts.assign(account_id=accounts["account_id"].astype(str)), model,
            extra=extras)
        placement = place_accounts(indicators, model)
        keep = [c for c in placement.placement.columns
                if c in ("stage", "stage_zh", "stage_en", "ladder_stage", "next_stage",
                         "next_unmet", "uncoupling_triggers", "unknown")]
        table = table.join(placement.placement[keep])
        table = table.join(indicators.add_prefix("indicator."))
        extra["stage_evidence"] = placement.evidence
        extra["stage_distribution"] = stage_distribution(placement).reset_index()
    listing = []
    for account_id, row in zip(table.index, table.to_dict(orient="records"), strict=True):
        entry: dict[str, Any] = {"account_id": str(account_id)}
        for key, column in (("name", "name"), ("customer_type", "customer_type"),
                            ("stage", "stage"), ("next_stage", "next_stage"),
                            ("next_unmet", "next_unmet"), ("abc", "abc"),
                            ("quadrant", "quadrant"), ("value_quadrant", "value_quadrant"),
                            ("grid_cell", "grid.modal_cell")):
            value = row.get(column)
            entry[key] = None if value is None or pd.isna(value) else str(value)
        for key, column in (("contribution", "contribution"),
                            ("share_of_wallet", "share_of_wallet"), ("growth", "growth"),
                            ("nps", "nps"), ("loyalty_index", "loyalty_index"),
                            ("satisfaction", "satisfaction"),
                            ("servqual", "servqual.unweighted"),
                            ("contribution_score", "contribution_score"),
                            ("servqual_weighted", "servqual.weighted")):
            entry[key] = num(row[column]) if column in table.columns else None
        entry["responses"] = as_count(row["responses"]) if "responses" in table.columns else 0
        roles: Any = row["roles"] if "roles" in table.columns else None
        entry["roles"] = [] if roles is None or pd.isna(roles) or not roles else \
            str(roles).split(",")
        listing.append(entry)
    return table, listing, extra


def run(ctx: RunContext) -> None:
    """Table ``accounts`` (one row per account: the model steps' roll-ups, contribution,
    quadrant, grid and stage), ``summary["accounts"]``, the stage tables and counts."""
    table, listing, extra = account_summary(
        ctx.questionnaire, ctx.responses, ctx.accounts, ctx.per_account,
        ctx.satisfaction_by_account, ctx.loyalty_by_account, ctx.options, ctx.customers,
        ctx.groups)
    ctx.summary["accounts"] = listing
    if "quadrant" in table.columns:
        ctx.summary["quadrant_cutoffs"] = dict(QUADRANT_CUTOFFS)
    ctx.tables["accounts"] = table.reset_index()
    ctx.tables.update(extra)
    if "stage_distribution" in extra:
        ctx.summary["stages"] = {str(r["stage"]): as_count(r["n"]) for _, r in
                                 extra["stage_distribution"].iterrows()}
