"""Per-account detail tables: item gaps and respondents per buying role.

These are the tables an account scorecard shows beside the account's row in ``accounts``,
so every figure on it comes from the one analysis run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rollup import BUYER_ROLES, UNKNOWN_ROLE, normalize_roles
from ..servqual import ServqualLayout

MERGED_ROLE = "other"  # roles too small to show on their own in an anonymous wave


def account_item_gaps(answered: pd.DataFrame, layout: ServqualLayout) -> pd.DataFrame:
    """Per account and item: mean E, mean P, mean gap (respondents with both) and n.

    The account-level counterpart of :func:`analysis.servqual.item_gaps`, as one long table
    with columns ``account_id, item, dimension, e, p, gap, n`` (unweighted means: an item's
    detail is read beside the role-weighted dimension scores).
    """
    rows = answered[answered["account_id"].notna()]
    e_cols = [c for d in layout.dimensions for c in layout.e_columns[d]]
    p_cols = [c for d in layout.dimensions for c in layout.p_columns[d]]
    items = [c.rsplit(".", 1)[0] for c in e_cols]
    dims = [d for d in layout.dimensions for _ in layout.e_columns[d]]
    if rows.empty:
        return pd.DataFrame({"account_id": pd.Series([], dtype="string"),
                             "item": pd.Series([], dtype="string"),
                             "dimension": pd.Series([], dtype="string"),
                             **{c: pd.Series([], dtype="float64") for c in ("e", "p", "gap")},
                             "n": pd.Series([], dtype="int64")})
    e = rows[e_cols].to_numpy(dtype="float64", na_value=np.nan)
    p = rows[p_cols].to_numpy(dtype="float64", na_value=np.nan)
    q = p - e
    codes, accounts = pd.factorize(rows["account_id"].astype("string"), sort=True)
    k = len(accounts)  # codes run 0..k-1, so group i is accounts[i]

    def group_mean(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grouped = pd.DataFrame(x).groupby(codes, sort=True)
        return grouped.mean().to_numpy(), grouped.count().to_numpy()

    e_mean, _ = group_mean(e)
    p_mean, _ = group_mean(p)
    q_mean, q_n = group_mean(q)
    n_items = len(items)
    return pd.DataFrame({
        "account_id": pd.array(np.repeat(np.asarray(accounts, dtype=object), n_items),
                               dtype="string"),
        "item": pd.array(np.tile(np.asarray(items, dtype=object), k), dtype="string"),
        "dimension": pd.array(np.tile(np.asarray(dims, dtype=object), k), dtype="string"),
        "e": e_mean.ravel(), "p": p_mean.ravel(), "gap": q_mean.ravel(),
        "n": q_n.ravel().astype("int64"),
    })


def merge_small_roles(accounts: pd.Series, roles: pd.Series, min_answers: int,
                      weights: dict[str, float] | None = None) -> pd.Series:
    """Buying roles with their canonical names; in an account where a role has fewer than
    ``min_answers`` answers, that role reads :data:`MERGED_ROLE`, so no answer, comment or
    per-role figure can be traced to the one or two people in it (anonymous waves).
    ``min_answers = 0`` keeps every role."""
    named = normalize_roles(roles, weights).astype("string")
    if min_answers <= 0 or named.empty:
        return named
    keys = pd.DataFrame({"a": accounts.astype("string").to_numpy(), "r": named.to_numpy()})
    size = keys.groupby(["a", "r"], dropna=False, observed=True)["r"].transform("size")
    return named.where(size.to_numpy() >= min_answers, MERGED_ROLE)


def account_roles(keyed: pd.DataFrame, min_answers: int = 0,
                  weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Customers who answered, per account and buying role: ``account_id, role, n`` in the
    canonical role order (small roles merged as :func:`merge_small_roles` does)."""
    roles = merge_small_roles(keyed["account_id"], keyed["role"], min_answers, weights)
    frame = pd.DataFrame({"account_id": keyed["account_id"].astype("string").to_numpy(),
                          "role": roles.to_numpy()})
    table = frame.groupby(["account_id", "role"], observed=True).size().rename(
        "n").reset_index()
    order = {r: k for k, r in enumerate((*BUYER_ROLES, MERGED_ROLE, UNKNOWN_ROLE))}
    table["_order"] = table["role"].map(lambda r: order.get(r, len(order)))
    table = table.sort_values(["account_id", "_order", "role"]).drop(columns="_order")
    return table.astype({"account_id": "string", "role": "string", "n": "int64"}).reset_index(
        drop=True)
