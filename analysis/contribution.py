"""Contribution of accounts (贡献度的测量): contribution, share of wallet, growth, ABC class.

Definitions (``docs/METHODS.md`` section 7):

* ``contribution = revenue·margin − cost_to_serve``;
* ``share_of_wallet = revenue / wallet``;
* ``growth = revenue / revenue_prev − 1``;
* ABC (the deck's 20/80 rule as a Pareto class): sort by contribution, descending; A = the
  accounts up to and including the one where the cumulative share of the total *positive*
  contribution reaches 80 %, B up to (and including the one reaching) 95 %, C the rest with
  positive contribution, D = zero or negative contribution (loss-making).

A blank value is missing (NaN) and never zero: a blank or zero ``wallet`` gives a NaN share of
wallet, a blank or zero ``revenue_prev`` a NaN growth, a blank revenue, margin or cost to serve
a NaN contribution and no ABC class. All computations are vectorised over accounts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .checks import account_ids, numeric_column, require_frame

__all__ = [  # numeric_column lives in analysis.checks; it stays importable from here
    "ABC_CLASSES", "VALUE_QUADRANTS", "abc_classes", "abc_summary", "account_contribution",
    "numeric_column", "percentile_score", "safe_ratio", "value_quadrant",
]

ABC_CLASSES = ("A", "B", "C", "D")
VALUE_QUADRANTS = ("champion", "affluent", "advocate", "miser")
_EPS = 1e-12  # cumulative shares are compared with this tolerance for rounding


def _require(x: np.ndarray, ok: np.ndarray, column: str, argument: str, ids: pd.Index,
             rule: str) -> None:
    bad = ~np.isnan(x) & ~ok
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise ValueError(f"column '{column}' of account '{ids[pos]}' is {x[pos]:g}; {rule} "
                         f"({int(bad.sum())} account(s); argument {argument})")


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where either is missing or the denominator is 0."""
    ok = np.isfinite(numerator) & np.isfinite(denominator) & (denominator != 0)
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=ok)
    return out


def abc_classes(contribution: pd.Series | np.ndarray, a: float = 0.80, b: float = 0.95,
                ids: pd.Index | Sequence[object] | None = None) -> pd.Series:
    """Pareto class of each account from its contribution (``docs/METHODS.md`` 7.2).

    Accounts with positive contribution are sorted by contribution, descending (ties by
    ``ids`` ascending, else by position). With ``S`` the total positive contribution and
    ``before_i`` the cumulative share of the accounts ranked above account i:
    A if ``before_i < a``, B if ``a ≤ before_i < b``, C otherwise. So the account whose own
    contribution carries the cumulative share to (or past) 80 % is still A, and likewise for
    95 % and B. Zero or negative contribution is D; NaN contribution has no class (NA).

    Parameters
    ----------
    contribution : Series or array
        One value per account.
    a, b : float
        Cumulative-share cut-offs, ``0 < a < b ≤ 1`` (default 0.80 and 0.95).

    Returns
    -------
    Series
        ``"A"``…``"D"`` or NA (string dtype), same index as a Series input.
    """
    for name, value in (("a", a), ("b", b)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a number (argument {name})")
    if not 0 < a < b <= 1:
        raise ValueError(f"the ABC cut-offs must satisfy 0 < a < b ≤ 1, got a={a}, b={b} "
                         f"(arguments a, b)")
    c = np.asarray(contribution, dtype="float64")
    if c.ndim != 1:
        raise ValueError("contribution must be one-dimensional (argument contribution)")
    if ids is not None and len(ids) != c.size:
        raise ValueError(f"ids has {len(ids)} values for {c.size} contributions (argument ids)")
    index = contribution.index if isinstance(contribution, pd.Series) else None
    classes = _abc(c, a, b, ids)
    return pd.Series(classes, index=index, dtype="string", name="abc").replace("", pd.NA)


def _abc(c: np.ndarray, a: float, b: float, ids: pd.Index | Sequence[object] | None
         ) -> np.ndarray:
    out = np.full(c.shape, "", dtype=object)
    known = np.isfinite(c)
    out[known & (c <= 0)] = "D"
    pos = np.flatnonzero(known & (c > 0))
    if pos.size:
        tie = (np.asarray(ids, dtype=object).astype(str)[pos] if ids is not None
               else pos)
        order = pos[np.lexsort((tie, -c[pos]))]
        sorted_c = c[order]
        share = sorted_c / sorted_c.sum()
        before = np.concatenate(([0.0], np.cumsum(share)[:-1]))
        out[order] = np.where(before < a - _EPS, "A", np.where(before < b - _EPS, "B", "C"))
    return out


def percentile_score(values: np.ndarray) -> np.ndarray:
    """0–100 percentile rank: ``100·(r − 1)/(n − 1)`` with ``r`` the mid-rank among the n known.

    Equivalently 100 × the share of the *other* accounts with a lower value, ties counting
    half: the top account scores 100, the bottom 0, and the score does not depend on the
    units. NaN values get NaN; with fewer than two known values every score is NaN.
    """
    x = np.asarray(values, dtype="float64")
    known = np.isfinite(x)
    n = int(known.sum())
    out = np.full(x.shape, np.nan)
    if n >= 2:
        ranks = pd.Series(x[known]).rank(method="average").to_numpy()
        out[known] = 100.0 * (ranks - 1.0) / (n - 1)
    return out


def account_contribution(
    accounts: pd.DataFrame,
    account: str = "account_id",
    revenue: str = "revenue",
    margin: str = "margin",
    cost_to_serve: str = "cost_to_serve",
    wallet: str | None = "wallet",
    revenue_prev: str | None = "revenue_prev",
    referral: str | None = "referral_value",
    a: float = 0.80,
    b: float = 0.95,
) -> pd.DataFrame:
    """Contribution, share of wallet, growth, ABC class, contribution score, value quadrant.

    ``contribution = revenue·margin − cost_to_serve``; ``share_of_wallet = revenue / wallet``;
    ``growth = revenue / revenue_prev − 1`` (``docs/METHODS.md`` 7.1). ABC by
    :func:`abc_classes`.
    ``contribution_score`` is the 0–100 percentile rank of contribution in this portfolio
    (:func:`percentile_score`), so a score means the same whatever the currency and size of
    the business. ``value_quadrant`` (Kumar, Petersen & Leone 2007) by :func:`value_quadrant`
    with contribution as the CLV proxy, where referral values exist.

    Parameters
    ----------
    accounts : DataFrame
        One row per account (the accounts file). Text cells are parsed as numbers.
    account, revenue, margin, cost_to_serve : str
        Required columns. ``margin`` is the gross margin as a share in [−1, 1] (0.25 for 25 %).
    wallet, revenue_prev, referral : str or None
        Optional columns; pass None when the accounts carry no such data (the output column
        is then NaN). A named column that is absent is an error.
    a, b : float
        ABC cut-offs on the cumulative share of positive contribution.

    Returns
    -------
    DataFrame
        Indexed by account: ``revenue, margin, cost_to_serve, contribution, share_of_wallet,
        growth, referral_value, contribution_share, cumulative_share, abc,
        contribution_score, value_quadrant``. ``contribution_share`` is the account's share
        of the total positive contribution and ``cumulative_share`` the running total in ABC
        order (both NaN for accounts with zero, negative or unknown contribution).
        ``attrs["n"]`` holds the number of accounts with a known contribution.

    Raises
    ------
    ValueError
        Missing column, duplicate or blank account id, text in a numeric column, negative
        revenue, cost to serve, wallet, previous revenue or referral value, or a margin
        outside [−1, 1].
    """
    require_frame(accounts, "accounts")
    ids = account_ids(accounts, account)
    rev = numeric_column(accounts, revenue, "revenue", ids)
    mar = numeric_column(accounts, margin, "margin", ids)
    cts = numeric_column(accounts, cost_to_serve, "cost_to_serve", ids)
    _require(rev, rev >= 0, revenue, "revenue", ids, "revenue cannot be negative")
    _require(mar, (mar >= -1) & (mar <= 1), margin, "margin", ids,
             "margin is a share in [-1, 1] (0.25 for 25 %)")
    _require(cts, cts >= 0, cost_to_serve, "cost_to_serve", ids,
             "cost to serve cannot be negative")
    nan = np.full(len(accounts), np.nan)
    wal = numeric_column(accounts, wallet, "wallet", ids) if wallet is not None else nan
    _require(wal, wal >= 0, wallet or "", "wallet", ids, "the wallet cannot be negative")
    prev = (numeric_column(accounts, revenue_prev, "revenue_prev", ids)
            if revenue_prev is not None else nan)
    _require(prev, prev >= 0, revenue_prev or "", "revenue_prev", ids,
             "previous revenue cannot be negative")
    ref = numeric_column(accounts, referral, "referral", ids) if referral is not None else nan
    _require(ref, ref >= 0, referral or "", "referral", ids,
             "referral value cannot be negative")

    contrib = rev * mar - cts
    abc = abc_classes(contrib, a, b, ids)
    positive = np.isfinite(contrib) & (contrib > 0)
    total = contrib[positive].sum()
    share = np.where(positive, contrib / total if total > 0 else np.nan, np.nan)
    cumulative = np.full(len(contrib), np.nan)
    pos = np.flatnonzero(positive)
    if pos.size:
        order = pos[np.lexsort((np.asarray(ids.astype(str))[pos], -contrib[pos]))]
        cumulative[order] = np.cumsum(share[order])

    out = pd.DataFrame({
        "revenue": rev,
        "margin": mar,
        "cost_to_serve": cts,
        "contribution": contrib,
        "share_of_wallet": safe_ratio(rev, wal),
        "growth": safe_ratio(rev, prev) - 1.0,
        "referral_value": ref,
        "contribution_share": share,
        "cumulative_share": cumulative,
        "abc": abc.to_numpy(),
        "contribution_score": percentile_score(contrib),
    }, index=ids)
    out["abc"] = out["abc"].astype("string")
    out["value_quadrant"] = value_quadrant(out, clv="contribution", referral="referral_value")
    out.attrs["n"] = int(np.isfinite(contrib).sum())
    return out


def value_quadrant(frame: pd.DataFrame, clv: str = "contribution",
                   referral: str = "referral_value", clv_threshold: float | None = None,
                   referral_threshold: float | None = None) -> pd.Series:
    """Customer lifetime value × referral value quadrant (Kumar, Petersen & Leone 2007).

    ==========  ===========  ================
    quadrant    CLV          referral value
    ==========  ===========  ================
    champion    high         high
    affluent    high         low
    advocate    low          high
    miser       low          low
    ==========  ===========  ================

    High means strictly above the threshold. By default each threshold is the median over
    the accounts that have both values (Kumar et al. split customers into high and low on
    each value; the portfolio median is our choice of split). "Strictly above" keeps an
    account at the median low, and with many zero referral values (the usual case) makes
    any referral value at all count as high. Accounts lacking either value get NA.

    Parameters
    ----------
    frame : DataFrame
        One row per account. ``clv`` defaults to the period's contribution, our proxy for
        lifetime value when no CLV column exists.
    clv_threshold, referral_threshold : float, optional
        Fixed thresholds instead of the medians.

    Returns
    -------
    Series
        ``champion`` / ``affluent`` / ``advocate`` / ``miser`` or NA (string dtype).
    """
    require_frame(frame, "frame")
    x = numeric_column(frame, clv, "clv", frame_name="frame")
    r = numeric_column(frame, referral, "referral", frame_name="frame")
    both = np.isfinite(x) & np.isfinite(r)
    if not both.any():
        return pd.Series(pd.NA, index=frame.index, dtype="string", name="value_quadrant")
    for name, value in (("clv_threshold", clv_threshold),
                        ("referral_threshold", referral_threshold)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not np.isfinite(value)):
            raise ValueError(f"{name} must be a finite number or None (argument {name})")
    t_x = float(np.median(x[both])) if clv_threshold is None else float(clv_threshold)
    t_r = float(np.median(r[both])) if referral_threshold is None else float(referral_threshold)
    high_x = x > t_x
    high_r = r > t_r
    label = np.select([high_x & high_r, high_x & ~high_r, ~high_x & high_r],
                      ["champion", "affluent", "advocate"], default="miser")
    return pd.Series(np.where(both, label, ""), index=frame.index, dtype="string",
                     name="value_quadrant").replace("", pd.NA)


def abc_summary(result: pd.DataFrame) -> pd.DataFrame:
    """Per ABC class: accounts, revenue, contribution and share of the positive contribution.

    ``result`` is the output of :func:`account_contribution`. Returns one row per class A–D, with
    ``n`` = accounts in the class (a class with no account shows n = 0 and sums of 0).
    """
    require_frame(result, "result")
    for col in ("abc", "revenue", "contribution"):
        if col not in result.columns:
            raise ValueError(f"column '{col}' is not in result (argument result; "
                             f"use account_contribution first)")
    grouped = result.groupby("abc", observed=True, sort=True)
    summary = pd.DataFrame({
        "n": grouped.size(),
        "revenue": grouped["revenue"].sum(min_count=1),
        "contribution": grouped["contribution"].sum(min_count=1),
    }).reindex(list(ABC_CLASSES))
    summary["n"] = summary["n"].fillna(0).astype("int64")
    empty = summary["n"] == 0
    summary.loc[empty, ["revenue", "contribution"]] = 0.0
    positive = result["contribution"].where(result["contribution"] > 0).sum()
    summary["contribution_share"] = (summary["contribution"].clip(lower=0) / positive
                                     if positive > 0 else np.nan)
    summary.index.name = "abc"
    return summary
