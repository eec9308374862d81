"""Account roll-up: an account's score is the voice of its buying centre.

For a measure m, the account score is ``Σ_roles w_role · mean_role(m) / Σ w`` over the roles
that have m (``docs/METHODS.md`` section 6). The unweighted mean over respondents, n and the
roles that answered are always returned beside it, so a reader can see how much the
weighting moved the figure. :func:`normalize_roles` is the one place role names are read.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from .vocabulary import BUYER_ROLES, UNKNOWN_ROLE

DEFAULT_ROLE_WEIGHTS: Mapping[str, float] = {
    "economic": 0.30,
    "technical": 0.25,
    "user": 0.15,
    "financial": 0.10,
    "coach": 0.10,
    "influencer": 0.10,
}
UNKNOWN_ROLE_WEIGHT = 0.10

ROLE_ALIASES: Mapping[str, str] = MappingProxyType({
    # the deck's Chinese names (客户内部的六种买家) and their short forms without 买家
    "经济买家": "economic", "经济": "economic",
    "技术买家": "technical", "技术": "technical",
    "使用买家": "user", "使用": "user",
    "财务买家": "financial", "财务": "financial",
    "教练买家": "coach", "教练": "coach",
    "影响力买家": "influencer", "影响力": "influencer", "影响者": "influencer",
})
"""Other names of the buying roles → the role id. Besides these, a role is recognised in
any case, with surrounding spaces and with an optional suffix " buyer" or "买家"
("Economic Buyer", " economic buyer ", "经济 买家" → ``economic``)."""

_BUYER_SUFFIXES = (" buyer", "买家")


def _role_key(value: str) -> str:
    """NFKC-normalised (full-width letters and spaces → ASCII), case-folded, stripped, inner
    runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


def _role_lookup(weights: Mapping[str, float]) -> dict[str, str]:
    """Cleaned name or alias → the ``weights`` key it stands for."""
    keys = {_role_key(str(k)): str(k) for k in weights}
    lookup = dict(keys)
    for alias, role in ROLE_ALIASES.items():
        if role in keys:
            lookup.setdefault(_role_key(alias), keys[role])
    return lookup


def _canonical(value: str, lookup: Mapping[str, str]) -> str | None:
    key = _role_key(value)
    if key in lookup:
        return lookup[key]
    for suffix in _BUYER_SUFFIXES:
        if key.endswith(suffix) and key[:-len(suffix)].strip():
            return lookup.get(key[:-len(suffix)].rstrip())
    return None


def role_weights(overrides: Mapping[str, float] | None) -> dict[str, float]:
    """The default weights with ``overrides`` replacing some of them.

    Keys may be any name of a buying role (``"Economic buyer"``, ``"经济买家"``) or
    ``"unknown"``; weights must be non-negative numbers. A name that fits no role is an
    error, not a silently ignored setting.
    """
    weights = dict(DEFAULT_ROLE_WEIGHTS)
    if not overrides:
        return weights
    lookup = _role_lookup({**DEFAULT_ROLE_WEIGHTS, UNKNOWN_ROLE: UNKNOWN_ROLE_WEIGHT})
    for name, value in overrides.items():
        role = _canonical(str(name), lookup)
        if role is None:
            raise ValueError(f"role weight for '{name}': not a buying role (one of "
                             f"{', '.join(BUYER_ROLES)}, or unknown)")
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                np.isfinite(value) and value >= 0):
            raise ValueError(f"role weight for '{name}' must be a non-negative number")
        weights[role] = float(value)
    return weights


def normalize_roles(roles: pd.Series, weights: Mapping[str, float] | None = None) -> pd.Series:
    """The role id of each value; blank, or a role not in ``weights``, becomes ``unknown``.

    A value names a role of ``weights`` (default :data:`DEFAULT_ROLE_WEIGHTS`) by its id or
    one of :data:`ROLE_ALIASES`, in any case, with surrounding spaces and an optional
    " buyer" suffix: "economic", "Economic Buyer", "经济买家" and "经济" are all
    ``economic``. A role that has an alias but is not in ``weights`` is unknown too.
    """
    weights = DEFAULT_ROLE_WEIGHTS if weights is None else weights
    lookup = _role_lookup(weights)
    text = roles.astype("string")
    mapping = {v: _canonical(v, lookup) for v in text.dropna().unique()}
    mapped = text.map(mapping).astype("string")
    return mapped.fillna(UNKNOWN_ROLE)


def unknown_roles(roles: pd.Series, weights: Mapping[str, float] | None = None) -> list[str]:
    """The distinct non-blank role values that :func:`normalize_roles` cannot place.

    Such respondents weigh as the ``unknown`` role in :func:`account_rollup`; listing the
    values lets a caller warn about a misspelt or unexpected role. Values are stripped of
    surrounding spaces and listed once each, in order of first appearance; the value
    "unknown" itself is not listed.

    Parameters
    ----------
    roles : Series
        Role values, e.g. the ``role`` column of the responses or the contacts.
    weights : mapping, optional
        Role → weight, as given to :func:`account_rollup` (default the six buying roles).
    """
    weights = DEFAULT_ROLE_WEIGHTS if weights is None else weights
    lookup = _role_lookup(weights)
    found: dict[str, None] = {}
    for value in roles.astype("string").dropna().unique():
        clean = value.strip()
        if clean and _role_key(clean) != UNKNOWN_ROLE and _canonical(clean, lookup) is None:
            found.setdefault(clean, None)
    return list(found)


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
    # an explicit weight for "unknown" in ``weights`` wins over ``unknown_weight``
    role_weight = {UNKNOWN_ROLE: unknown_weight, **weights}

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
