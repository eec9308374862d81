"""Grouped means in numpy: respondent figures regrouped by segment or by buying role.

A million respondents fall into a few dozen segment values or tens of thousands of
(account, role) pairs; one ``bincount`` per figure groups them without a pandas groupby or
a copy of the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 of ``values`` in the order of their text (−1: missing) and the texts.

    A categorical column is read through its few categories, not its million cells.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        raw = np.asarray(values.cat.codes, dtype=np.int64)
        seen = np.zeros(len(values.cat.categories) + 1, dtype=bool)
        seen[raw] = True  # code −1 (missing) marks the last slot
        observed = np.flatnonzero(seen[:-1])
        names = np.asarray(values.cat.categories.astype(str), dtype=object)[observed]
        order = np.argsort(names, kind="stable")
        renumber = np.full(len(seen), -1, dtype=np.int64)
        renumber[observed[order]] = np.arange(len(observed))
        return renumber[raw], names[order]
    codes, uniques = pd.factorize(values.astype("string"), sort=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def group_means(x: np.ndarray, codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and count of the finite values of ``x`` per code 0..size-1 (code −1: left out).

    NaN where a group has no value. One correction pass (the mean of the residuals) brings
    the mean to about the accuracy of pandas' compensated group sums, so a regrouped figure
    equals the portfolio's computed by ``DataFrame.mean`` to ~1e-15.
    """
    keep = np.isfinite(x) & (codes >= 0)
    values, groups = x[keep], codes[keep]
    count = np.bincount(groups, minlength=size)
    safe = np.where(count > 0, count, 1).astype(np.float64)
    mean = np.bincount(groups, weights=values, minlength=size) / safe
    mean += np.bincount(groups, weights=values - mean[groups], minlength=size) / safe
    return np.where(count > 0, mean, np.nan), count.astype(np.int64)


def positions_of(index: pd.Index, labels: pd.Index) -> np.ndarray:
    """Positions in ``index`` (the responses' unique row labels) of ``labels``."""
    found = index.get_indexer(labels)
    if (found < 0).any():
        raise ValueError("respondent figures refer to rows that are not in the responses")
    return np.asarray(found, dtype=np.int64)
