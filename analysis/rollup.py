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
    codes, names = role_codes(roles, weights)
    # a million rows hold a handful of roles: take from the few names, build no strings
    named = pd.array(names, dtype="string").take(codes)
    return pd.Series(named, index=roles.index, name=roles.name)


def role_codes(roles: pd.Series,
               weights: Mapping[str, float] | None = None) -> tuple[np.ndarray, list[str]]:
    """:func:`normalize_roles` as integer codes into a short list of role ids.

    Each distinct value is cleaned once (a categorical column's categories, else the
    distinct values), so a million rows cost one pass over their codes.
    """
    weights = DEFAULT_ROLE_WEIGHTS if weights is None else weights
    lookup = _role_lookup(weights)
    if isinstance(roles.dtype, pd.CategoricalDtype):
        raw_codes = np.asarray(roles.cat.codes, dtype=np.int64)
        uniques = pd.Index(roles.cat.categories).astype("string")
    else:
        raw_codes, uniques = pd.factorize(roles.astype("string"))
        raw_codes = np.asarray(raw_codes, dtype=np.int64)
    names: list[str] = []
    position: dict[str, int] = {}
    target = np.empty(len(uniques) + 1, dtype=np.int64)  # the last slot: a missing value
    for k, value in enumerate([*uniques, None]):
        role = UNKNOWN_ROLE if value is None or value is pd.NA else (
            _canonical(str(value), lookup) or UNKNOWN_ROLE)
        target[k] = position.setdefault(role, len(position))
        if target[k] == len(names):
            names.append(role)
    return target[raw_codes], names  # code −1 (missing) takes the last slot


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
    # an explicit weight for "unknown" in ``weights`` wins over ``unknown_weight``
    role_weight = {UNKNOWN_ROLE: unknown_weight, **weights}
    # accounts numbered as a sorted groupby numbers them (same labels, same order); the
    # sums below are bincounts over account × role codes: no per-group Python work
    acc, labels = _account_codes(scores[account])
    keep = acc >= 0
    acc_codes = acc[keep]
    r_codes, names = role_codes(scores[role], weights)
    r_codes = r_codes[keep]
    n_acc, n_roles = len(labels), len(names)
    pair = acc_codes * n_roles + r_codes
    w = np.array([role_weight[r] for r in names], dtype="float64")

    out: dict[str, np.ndarray] = {}
    for m in measures:
        x = scores[m].to_numpy(dtype="float64", na_value=np.nan)[keep]
        has = ~np.isnan(x)
        role_mean, role_n = _group_means(x[has], pair[has], n_acc * n_roles)
        role_mean = role_mean.reshape(n_acc, n_roles)
        present = role_n.reshape(n_acc, n_roles) > 0
        weighted_sum = np.where(present, role_mean * w, 0.0).sum(axis=1)
        weight_sum = (present * w).sum(axis=1)
        weighted = np.full(n_acc, np.nan)
        np.divide(weighted_sum, weight_sum, out=weighted, where=weight_sum > 0)
        mean, count = _group_means(x[has], acc_codes[has], n_acc)
        out[m] = weighted
        out[f"{m}.mean"] = mean
        out[f"{m}.n"] = count
    result = pd.DataFrame(out, index=labels)
    result["n"] = np.bincount(acc_codes, minlength=n_acc).astype("int64")
    order = {r: k for k, r in enumerate((*BUYER_ROLES, *weights, UNKNOWN_ROLE))}
    ranked = sorted(range(n_roles), key=lambda k: order.get(names[k], len(order)))
    answered = np.bincount(pair, minlength=n_acc * n_roles).reshape(n_acc, n_roles) > 0
    # the roles of an account as a bit pattern; each distinct pattern is spelled once
    bits = answered[:, ranked].astype(np.int64) @ (1 << np.arange(n_roles, dtype=np.int64))
    patterns, which = np.unique(bits, return_inverse=True)
    spelled = [",".join(names[ranked[j]] for j in range(n_roles) if p >> j & 1)
               for p in patterns.tolist()]
    result["roles"] = pd.array(spelled, dtype="str").take(which.ravel())
    result.index.name = account
    return result


def _account_codes(keys: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes 0..G-1 of the accounts (−1: none) and their labels, numbered and labelled as
    ``groupby(keys, sort=True, observed=True)`` numbers its groups."""
    if isinstance(keys.dtype, pd.CategoricalDtype):
        raw = np.asarray(keys.cat.codes, dtype=np.int64)
        seen = np.zeros(len(keys.cat.categories) + 1, dtype=bool)
        seen[raw] = True  # code −1 marks the last slot, left out below
        observed = np.flatnonzero(seen[:-1])
        renumber = np.full(len(seen), -1, dtype=np.int64)
        renumber[observed] = np.arange(len(observed))
        labels = pd.CategoricalIndex(pd.Categorical.from_codes(observed, dtype=keys.dtype),
                                     name=keys.name)
        return renumber[raw], labels
    codes, uniques = pd.factorize(keys, sort=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques, name=keys.name)


def _group_means(x: np.ndarray, codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and count of ``x`` per code 0..size-1 (NaN where a code has no value).

    One correction pass (the mean of the residuals) brings the mean to about the accuracy
    of pandas' compensated group sums."""
    count = np.bincount(codes, minlength=size)
    has = count > 0
    safe = np.where(has, count, 1).astype(np.float64)
    mean = np.bincount(codes, weights=x, minlength=size) / safe
    mean += np.bincount(codes, weights=x - mean[codes], minlength=size) / safe
    return np.where(has, mean, np.nan), count.astype("int64")
