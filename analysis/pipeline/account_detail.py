"""Per-account detail: item gaps, and the small-role merge of anonymous waves.

These are the tables an account scorecard shows beside the account's row in ``accounts``,
so every figure on it comes from the one analysis run.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..columns import stored_values
from ..rollup import normalize_roles
from ..servqual import ServqualLayout

MERGED_ROLE = "other"  # roles too small to show on their own in an anonymous wave


def account_item_gaps(answered: pd.DataFrame, layout: ServqualLayout,
                      rows: pd.Index | None = None) -> pd.DataFrame:
    """Per account and item: mean E, mean P, mean gap (respondents with both) and n.

    The account-level counterpart of :func:`analysis.servqual.item_gaps`, as one long table
    with columns ``account_id, item, dimension, e, p, gap, n, e.n, p.n`` (``n`` answered
    both, ``e.n`` and ``p.n`` each; unweighted means: an item's
    detail is read beside the role-weighted dimension scores). ``rows`` (labels of
    ``answered``) limits it to those respondents; the frame itself is never copied.
    """
    e_cols = [c for d in layout.dimensions for c in layout.e_columns[d]]
    p_cols = [c for d in layout.dimensions for c in layout.p_columns[d]]
    items = [c.rsplit(".", 1)[0] for c in e_cols]
    dims = [d for d in layout.dimensions for _ in layout.e_columns[d]]
    taken = slice(None) if rows is None else answered.index.get_indexer(rows)
    codes, accounts = _sorted_codes(answered["account_id"].iloc[taken])
    if not len(accounts):
        return pd.DataFrame({"account_id": pd.Series([], dtype="string"),
                             "item": pd.Series([], dtype="string"),
                             "dimension": pd.Series([], dtype="string"),
                             **{c: pd.Series([], dtype="float64") for c in ("e", "p", "gap")},
                             **{c: pd.Series([], dtype="int64") for c in ("n", "e.n", "p.n")}})
    k = len(accounts)
    keep = codes >= 0
    codes = codes[keep]

    def column(name: str) -> np.ndarray:
        return stored_values(answered, name)[taken][keep]  # its stored width, one copy

    def group_mean(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # answers are small whole numbers: their sums are exact, so a plain bincount gives
        # the means pandas' compensated group sums give. A missing answer adds 0 to its
        # group (the same sums as leaving it out, without copies of the codes and values)
        has = ~np.isnan(x)
        n = np.bincount(codes, weights=has, minlength=k).astype(np.int64)
        total = np.bincount(codes, weights=np.where(has, x, 0), minlength=k)
        mean = np.full(k, np.nan)
        np.divide(total, n, out=mean, where=n > 0)
        return mean, n

    n_items = len(items)
    e_mean, p_mean, q_mean = (np.empty((k, n_items)) for _ in range(3))
    e_n, p_n, q_n = (np.empty((k, n_items), dtype=np.int64) for _ in range(3))
    for j, (e_col, p_col) in enumerate(zip(e_cols, p_cols, strict=True)):
        e, p = column(e_col), column(p_col)
        e_mean[:, j], e_n[:, j] = group_mean(e)
        p_mean[:, j], p_n[:, j] = group_mean(p)
        q_mean[:, j], q_n[:, j] = group_mean(np.subtract(p, e, dtype="float64"))
    return pd.DataFrame({
        "account_id": pd.array(np.repeat(np.asarray(accounts, dtype=object), n_items),
                               dtype="string"),
        "item": pd.array(np.tile(np.asarray(items, dtype=object), k), dtype="string"),
        "dimension": pd.array(np.tile(np.asarray(dims, dtype=object), k), dtype="string"),
        "e": e_mean.ravel(), "p": p_mean.ravel(), "gap": q_mean.ravel(),
        "n": q_n.ravel().astype("int64"),
        # the answers of E and of P apart, so groups of accounts can be summed from here
        "e.n": e_n.ravel(), "p.n": p_n.ravel(),
    })


def _sorted_codes(accounts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 of the accounts in the order of their names as text (−1: none), and
    the names; a categorical column is read through its few categories."""
    if isinstance(accounts.dtype, pd.CategoricalDtype):
        raw = np.asarray(accounts.cat.codes, dtype=np.int64)
        seen = np.zeros(len(accounts.cat.categories) + 1, dtype=bool)
        seen[raw] = True  # −1 (none) marks the last slot
        observed = np.flatnonzero(seen[:-1])
        names = np.asarray(accounts.cat.categories.astype(str), dtype=object)[observed]
        order = np.argsort(names, kind="stable")
        renumber = np.full(len(seen), -1, dtype=np.int64)
        renumber[observed[order]] = np.arange(len(observed))
        return renumber[raw], names[order]
    codes, uniques = pd.factorize(accounts.astype("string"), sort=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def merge_small_roles(accounts: pd.Series, roles: pd.Series, min_answers: int,
                      weights: Mapping[str, float] | None = None) -> pd.Series:
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
