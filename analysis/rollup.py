"""Account roll-up: an account's score is the voice of its buying centre.

For a measure m, the account score is ``Σ_roles w_role · mean_role(m) / Σ w`` over the roles
that have m (DESIGN.md). The unweighted mean over respondents, n and the roles that answered
are always returned beside it, so a reader can see how much the weighting moved the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

BUYER_ROLES = ("economic", "technical", "user", "financial", "coach", "influencer")

DEFAULT_ROLE_WEIGHTS: Mapping[str, float] = {
    "economic": 0.30,
    "technical": 0.25,
    "user": 0.15,
    "financial": 0.10,
    "coach": 0.10,
    "influencer": 0.10,
}
UNKNOWN_ROLE = "unknown"
UNKNOWN_ROLE_WEIGHT = 0.10


def normalize_roles(roles: pd.Series, weights: Mapping[str, float] | None = None) -> pd.Series:
    """Lower-case role names; anything not in ``weights`` (or blank) becomes ``unknown``."""
    weights = DEFAULT_ROLE_WEIGHTS if weights is None else weights
    clean = roles.astype("string").str.strip().str.lower()
    return clean.where(clean.isin(list(weights)), UNKNOWN_ROLE).fillna(UNKNOWN_ROLE)


def account_rollup(
    scores: pd.DataFrame,
    measures: Sequence[str],
    account: str = "account_id",
    role: str = "role",
    weights: Mapping[str, float] | None = None,
    unknown_weight: float = UNKNOWN_ROLE_WEIGHT,
) -> pd.DataFrame:
    """Roll respondent scores up to accounts with buying-centre role weights.

    Parameters
    ----------
    scores : DataFrame
        One row per respondent with the ``account`` and ``role`` columns and the measures.
    measures : sequence of str
        Respondent-level columns to roll up (NaN = the respondent has no value).
    weights : mapping, optional
        Role → weight; default economic 0.30, technical 0.25, user 0.15, financial,
        coach and influencer 0.10 each. Roles not listed weigh ``unknown_weight``.

    Returns
    -------
    DataFrame
        Indexed by account. For each measure ``m``: ``m`` (role-weighted), ``m.mean``
        (unweighted mean over respondents) and ``m.n``; then ``n`` (respondents) and
        ``roles`` (the roles that answered, comma-separated in the canonical order).
    """
    weights = dict(DEFAULT_ROLE_WEIGHTS if weights is None else weights)
    for name, weight in weights.items():
        if not np.isfinite(weight) or weight < 0:
            raise ValueError(f"role weight for '{name}' must be a non-negative number "
                             f"(argument weights)")
    for col in (account, role, *measures):
        if col not in scores.columns:
            raise ValueError(f"column '{col}' is not in scores")
    frame = scores[[account, *measures]].copy()
    frame["_role"] = normalize_roles(scores[role], weights)
    role_weight = {**weights, UNKNOWN_ROLE: unknown_weight}

    grouped = frame.groupby([account, "_role"], sort=False, observed=True)
    role_means = grouped[list(measures)].mean()
    w = role_means.index.get_level_values("_role").map(role_weight).to_numpy(dtype="float64")
    present = role_means.notna()
    weighted_sum = role_means.mul(w, axis=0).where(present).groupby(level=0, sort=True).sum(
        min_count=1)
    weight_sum = present.mul(w, axis=0).groupby(level=0, sort=True).sum()
    weighted = weighted_sum / weight_sum.where(weight_sum > 0)

    by_account = frame.groupby(account, sort=True, observed=True)
    means = by_account[list(measures)].mean()
    counts = by_account[list(measures)].count()

    out = {}
    for m in measures:
        out[m] = weighted[m]
        out[f"{m}.mean"] = means[m]
        out[f"{m}.n"] = counts[m].astype("int64")
    result = pd.DataFrame(out)
    result["n"] = by_account.size().astype("int64")
    order = {r: k for k, r in enumerate((*BUYER_ROLES, *weights, UNKNOWN_ROLE))}
    roles_by_account = frame.groupby(account, sort=True, observed=True)["_role"].unique()
    result["roles"] = roles_by_account.map(
        lambda rs: ",".join(sorted(rs, key=lambda r: order.get(r, len(order)))))
    result.index.name = account
    return result
