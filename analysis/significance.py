"""Significance of SERVQUAL gaps: grouped Wilcoxon signed-rank, one-sample t and Holm.

Definition (``docs/METHODS.md`` section 2.5): per dimension, the Wilcoxon signed-rank
test of the respondent gaps ``G_rd`` against 0 with scipy's defaults, and the paired t test
(the one-sample t of ``G_rd = P − E`` against 0); both Holm-adjusted across the dimensions.

The grouped functions compute every group's test in one vectorised pass (ranks within
groups from one sort, exact null distributions built once and looked up), so a portfolio
of thousands of accounts is tested in about the time of one sort. Their results are those
of ``scipy.stats.wilcoxon(x)`` and ``scipy.stats.ttest_1samp(x, 0)`` called group by group
on the group's non-missing values; the few places where they deliberately differ (missing
values, groups with no non-zero difference, constant groups) are documented per function
and in ``docs/METHODS.md``.

References
----------
Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin*
1(6), 80–83.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian
Journal of Statistics* 6(2), 65–70.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, overload

import numpy as np
import pandas as pd
from scipy import special

from .checks import name_list, require_frame

WILCOXON_COLUMNS = ("statistic", "pvalue", "n", "n_zero", "method")
T_COLUMNS = ("statistic", "pvalue", "df", "mean", "n")
GAP_COLUMNS = ("dimension", "n", "mean", "n_zero", "w_stat", "p_wilcoxon", "w_method",
               "t", "p_t", "p_holm", "p_t_holm")

# scipy.stats.wilcoxon(method="auto") in scipy 1.17: an exact test when the sample has no
# zeros and no tied |d| and at most _EXACT_MAX observations; otherwise, for at most
# _PERMUTATION_MAX observations, a permutation test that enumerates all 2**n sign flips
# (exact, deterministic); otherwise the normal approximation with the tie correction.
_EXACT_MAX = 50
_PERMUTATION_MAX = 13


# --------------------------------------------------------------------------- input


def _as_values(values: Any, name: str = "values") -> np.ndarray:
    """A 1-D float64 array of the numbers in ``values`` (NaN for missing)."""
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"argument {name} must be one-dimensional, got a DataFrame")
    series = values if isinstance(values, pd.Series) else None
    if series is None:
        array = np.asarray(values)
        if array.ndim != 1:
            raise ValueError(f"argument {name} must be one-dimensional, "
                             f"got shape {array.shape}")
        series = pd.Series(array)
        if series.dtype == object:
            series = series.infer_objects()
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
            series.dtype):
        raise ValueError(f"argument {name} must be numeric, got dtype {series.dtype}")
    out = series.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(out).any():
        raise ValueError(f"argument {name} contains infinite values")
    return out


def _as_groups(groups: Any, values: Any, size: int) -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..G-1 (sorted labels) and the labels; a missing label is a group."""
    if isinstance(groups, pd.DataFrame):
        raise ValueError("argument groups must be one-dimensional, got a DataFrame")
    if isinstance(groups, pd.Series | pd.Index | pd.Categorical):
        labels_in: Any = groups
    else:
        labels_in = np.asarray(groups)
        if labels_in.ndim != 1:
            raise ValueError(f"argument groups must be one-dimensional, "
                             f"got shape {labels_in.shape}")
    if len(labels_in) != size:
        raise ValueError(f"argument groups has length {len(labels_in)}, "
                         f"values has length {size}")
    if (isinstance(groups, pd.Series) and isinstance(values, pd.Series)
            and not groups.index.equals(values.index)):
        raise ValueError("argument groups is a Series whose index differs from the index "
                         "of values")
    try:
        codes, uniques = pd.factorize(labels_in, sort=True, use_na_sentinel=False)
    except TypeError as exc:
        raise ValueError(f"argument groups has labels that cannot be sorted: {exc}") from exc
    index = pd.Index(uniques)
    if isinstance(groups, pd.Series | pd.Index):
        index.name = groups.name
    return np.asarray(codes, dtype=np.int64), index


def _single_group(size: int) -> tuple[np.ndarray, pd.Index]:
    return np.zeros(size, dtype=np.int64), pd.Index(["all"])


# ------------------------------------------------------------------------ wilcoxon


@lru_cache(maxsize=1)
def _signed_rank_cumulative_counts() -> np.ndarray:
    """``C[n, k]`` = number of the 2**n sign patterns of ranks 1..n with ``R+ ≤ k``.

    Built once by the recursion ``c_n(k) = c_{n−1}(k) + c_{n−1}(k − n)`` (each rank is
    either positive or not) for n ≤ 50; the counts are exact integers (< 2**50).
    """
    kmax = _EXACT_MAX * (_EXACT_MAX + 1) // 2
    counts = np.zeros((_EXACT_MAX + 1, kmax + 1), dtype=np.int64)
    counts[0, 0] = 1
    for n in range(1, _EXACT_MAX + 1):
        counts[n] = counts[n - 1]
        counts[n, n:] += counts[n - 1, :-n]
    cumulative = np.cumsum(counts, axis=1)
    cumulative.setflags(write=False)
    return cumulative


def _exact_pvalues(n: np.ndarray, r_plus: np.ndarray) -> np.ndarray:
    """Two-sided exact p: ``min(1, 2·min(P(R+ ≤ r), P(R+ ≥ r)))`` under H0, no ties."""
    cumulative = _signed_rank_cumulative_counts()
    k = np.rint(r_plus).astype(np.int64)  # integral without ties
    total = np.ldexp(1.0, n)  # 2**n, exact
    below = cumulative[n, k].astype(np.float64)  # #{R+ ≤ k}
    under = np.where(k > 0, cumulative[n, np.maximum(k - 1, 0)], 0).astype(np.float64)
    # counts < 2**53 and division by a power of two are exact: identical to scipy's sums
    cdf = below / total
    sf = (total - under) / total
    return np.clip(2.0 * np.minimum(cdf, sf), 0.0, 1.0)


def _permutation_pvalues(doubled_ranks: np.ndarray, r_plus: np.ndarray) -> np.ndarray:
    """Two-sided p of the sign-flip permutation distribution of ``R+`` (all 2**n flips).

    ``doubled_ranks`` is (groups × 13) integer ``2·rank`` of each non-zero difference,
    padded with 0 (a zero difference: flipping it leaves ``R+`` unchanged, so it only
    doubles every count, exactly as scipy's enumeration of the zeros' signs does).
    """
    groups, width = doubled_ranks.shape
    smax = 2 * width * (width + 1) // 2
    counts = np.zeros((groups, smax + 1), dtype=np.int64)
    counts[:, 0] = 1
    columns = np.arange(smax + 1)
    for j in range(width):
        source = columns[None, :] - doubled_ranks[:, j:j + 1]
        shifted = np.take_along_axis(counts, np.maximum(source, 0), axis=1)
        counts = counts + np.where(source >= 0, shifted, 0)
    cumulative = np.cumsum(counts, axis=1)
    total = float(2 ** width)
    observed = np.rint(2.0 * r_plus).astype(np.int64)
    rows = np.arange(groups)
    below = cumulative[rows, observed].astype(np.float64)
    under = np.where(observed > 0, cumulative[rows, np.maximum(observed - 1, 0)],
                     0).astype(np.float64)
    return np.clip(2.0 * np.minimum(below / total, (total - under) / total), 0.0, 1.0)


def _group_order(code: np.ndarray, magnitude: np.ndarray, n_groups: int) -> np.ndarray:
    """The order that sorts by group, then by magnitude (``np.lexsort((magnitude, code))``).

    With fewer than 65,536 groups: a sort by magnitude, then a stable sort of the 16-bit
    group codes (numpy sorts those by radix, in linear time), several times faster than
    lexsort on a million values.
    """
    if n_groups > np.iinfo(np.uint16).max:
        return np.lexsort((magnitude, code))
    by_magnitude = np.argsort(magnitude)
    by_group = np.argsort(code[by_magnitude].astype(np.uint16), kind="stable")
    return by_magnitude[by_group]


_MAX_CELLS = 4_000_000  # groups × distinct |d| values counted in one histogram


def _tie_blocks(code: np.ndarray, d: np.ndarray,
                n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The blocks of equal ``|d|`` within each group, in (group, ``|d|``) order: each
    block's group, size and number of positive ``d``.

    Respondent gaps take few distinct values (means of a few whole-number item gaps), so
    the blocks are counted in a (group, value) histogram: the distinct values are hashed
    and only they are sorted, not the million values. With too many distinct values for
    that, the values are sorted by (group, ``|d|``) (:func:`_group_order`).
    """
    magnitude = np.abs(d)
    positive = d > 0
    value_code, values = pd.factorize(magnitude)
    width = len(values)
    if width and n_groups * width <= _MAX_CELLS:
        rank_of = np.empty(width, dtype=np.int64)
        rank_of[np.argsort(values)] = np.arange(width)
        cell = code * width + rank_of[value_code]
        counts = np.bincount(cell, minlength=n_groups * width)
        positives = np.bincount(cell[positive], minlength=n_groups * width)
        blocks = np.flatnonzero(counts)
        return blocks // width, counts[blocks], positives[blocks]
    order = _group_order(code, magnitude, n_groups)
    magnitude, code, positive = magnitude[order], code[order], positive[order]
    total = magnitude.size
    new_block = np.ones(total, dtype=bool)
    new_block[1:] = (code[1:] != code[:-1]) | (magnitude[1:] != magnitude[:-1])
    starts = np.flatnonzero(new_block)
    sizes = np.diff(np.append(starts, total))
    return code[starts], sizes, np.add.reduceat(positive.astype(np.int64), starts) \
        if total else np.zeros(0, dtype=np.int64)


def _wilcoxon_codes(x: np.ndarray, codes: np.ndarray, n_groups: int) -> pd.DataFrame:
    """The grouped signed-rank test on NaN-free ``x`` with group codes 0..n_groups-1."""
    size = np.bincount(codes, minlength=n_groups)  # non-missing, zeros included
    nonzero = x != 0
    d = x[nonzero]
    code = codes[nonzero]
    n = np.bincount(code, minlength=n_groups)
    n_zero = size - n

    # blocks of equal |d| within a group are ties
    block_group, sizes, block_positive = _tie_blocks(code, d, n_groups)
    first = np.concatenate(([0], np.cumsum(n)[:-1]))  # first sorted position of each group
    starts = np.cumsum(sizes) - sizes  # each block's first sorted position
    # average rank of a tie block: its first ordinal rank (1-based) + (t − 1) / 2
    block_rank = (starts - first[block_group] + 1).astype(np.float64) + (sizes - 1) / 2.0
    # ranks are halves and counts whole: these sums are exact, in any order
    r_plus = np.bincount(block_group, weights=block_positive * block_rank,
                         minlength=n_groups)
    r_minus = np.bincount(block_group, weights=(sizes - block_positive) * block_rank,
                          minlength=n_groups)
    t = sizes.astype(np.float64)
    tie_term = np.bincount(block_group, weights=t ** 3 - t, minlength=n_groups)
    has_ties = np.bincount(block_group, weights=sizes > 1, minlength=n_groups) > 0

    tested = n > 0
    normal = tested & ((size > _EXACT_MAX) | ((has_ties | (n_zero > 0))
                                             & (size > _PERMUTATION_MAX)))
    exact = tested & ~normal & ~has_ties & (n_zero == 0)
    permutation = tested & ~normal & ~exact

    pvalue = np.full(n_groups, np.nan)
    if exact.any():
        pvalue[exact] = _exact_pvalues(n[exact], r_plus[exact])
    if permutation.any():
        rows = np.flatnonzero(permutation)
        row_of = np.full(n_groups, -1, dtype=np.int64)
        row_of[rows] = np.arange(rows.size)
        taken = row_of[block_group] >= 0  # the blocks of these small groups, element-wise
        repeat = sizes[taken]
        element_block = np.repeat(np.arange(repeat.size), repeat)
        within = np.arange(element_block.size) - (np.cumsum(repeat) - repeat)[element_block]
        group = block_group[taken][element_block]
        position = (starts[taken] - first[block_group[taken]])[element_block] + within
        doubled = np.zeros((rows.size, _PERMUTATION_MAX), dtype=np.int64)
        doubled[row_of[group], position] = np.rint(2.0 * block_rank[taken][element_block])
        pvalue[permutation] = _permutation_pvalues(doubled, r_plus[permutation])
    if normal.any():
        count = n[normal].astype(np.float64)
        mean = count * (count + 1.0) * 0.25
        var24 = count * (count + 1.0) * (2.0 * count + 1.0)
        se = np.sqrt((var24 - tie_term[normal] / 2) / 24)
        z = (r_plus[normal] - mean) / se
        pvalue[normal] = 2 * special.ndtr(-np.abs(z))

    statistic = np.where(tested, np.minimum(r_plus, r_minus), np.nan)
    method = np.full(n_groups, None, dtype=object)
    method[exact] = "exact"
    method[permutation] = "permutation"
    method[normal] = "normal"
    return pd.DataFrame({"statistic": statistic, "pvalue": pvalue, "n": n,
                         "n_zero": n_zero, "method": pd.Series(method, dtype=object)})


def wilcoxon_by_group(values: np.ndarray | pd.Series | Sequence[float],
                      groups: Any) -> pd.DataFrame:
    r"""Wilcoxon signed-rank test of ``values`` against 0, separately in every group.

    Each group's result is that of ``scipy.stats.wilcoxon(x)`` with scipy's defaults
    (``zero_method="wilcox"``, ``correction=False``, ``alternative="two-sided"``,
    ``method="auto"``) on the group's non-missing values ``x``, computed for all groups
    at once.

    With the ``n`` non-zero differences ranked by ``|d|`` (ties get their average rank)::

        R+ = Σ rank(|d_i|) over d_i > 0,    R− = Σ rank(|d_i|) over d_i < 0,
        statistic W = min(R+, R−)

    Zeros are dropped before ranking (Wilcoxon 1945). The p-value is two-sided, chosen as
    scipy 1.17's ``method="auto"`` does, with ``N`` = the group's non-missing values
    (zeros included):

    * ``N ≤ 50``, no zeros, no tied ``|d|`` — ``"exact"``: the null distribution of ``R+``
      (each of the 2**n sign patterns equally likely), ``p = min(1, 2·min(P(R+ ≤ r),
      P(R+ ≥ r)))``;
    * ``N ≤ 13`` with zeros or ties — ``"permutation"``: the same formula over all 2**N sign
      flips of the observed average ranks (exact, deterministic: what scipy's
      ``PermutationMethod`` enumerates);
    * otherwise — ``"normal"``: ``z = (R+ − n(n+1)/4) / σ`` with
      ``σ² = [n(n+1)(2n+1) − Σ(t³ − t)/2] / 24`` (``t`` = sizes of the tie groups), no
      continuity correction, ``p = 2·Φ(−|z|)``.

    Parameters
    ----------
    values : array-like of float or Series
        The differences to test (here the respondent gaps ``G_rd``). Missing values (NaN)
        are dropped, per the product's rule that a missing answer is no answer — scipy's
        own default (``nan_policy="propagate"``) would make the whole group NaN.
    groups : array-like or Series
        Group label of each value, same length (matched by position; when both are Series
        their indexes must be equal). A missing label forms a group of its own.

    Returns
    -------
    DataFrame
        Indexed by the sorted group labels, one row per group (also groups without
        values), with ``statistic`` (W), ``pvalue``, ``n`` (the non-zero, non-missing
        differences ranked), ``n_zero`` (zero differences dropped) and ``method``
        (``"exact"``, ``"permutation"``, ``"normal"``; None when not tested). A group
        with no non-zero difference is not tested: statistic and p-value are NaN (scipy
        returns W = 0 with p = 1 or NaN and a RuntimeWarning, or raises, depending on N).

    Raises
    ------
    ValueError
        If ``values`` is not numeric and one-dimensional or holds ±inf, or ``groups``
        does not match it.

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin*
    1(6), 80–83.
    """
    x = _as_values(values)
    codes, labels = _as_groups(groups, values, x.size)
    present = ~np.isnan(x)
    result = _wilcoxon_codes(x[present], codes[present], len(labels))
    result.index = labels
    return result


# ------------------------------------------------------------------------- t test


def _t_codes(x: np.ndarray, codes: np.ndarray, n_groups: int) -> pd.DataFrame:
    """The grouped one-sample t test on NaN-free ``x``."""
    n = np.bincount(codes, minlength=n_groups)
    has = n > 0
    safe_n = np.where(has, n, 1).astype(np.float64)
    mean = np.bincount(codes, weights=x, minlength=n_groups) / safe_n
    # one refinement step: the mean to about the accuracy of a pairwise sum
    mean += np.bincount(codes, weights=x - mean[codes], minlength=n_groups) / safe_n
    low = np.full(n_groups, np.inf)
    high = np.full(n_groups, -np.inf)
    np.minimum.at(low, codes, x)
    np.maximum.at(high, codes, x)
    constant = has & (low == high)
    mean[constant] = low[constant]  # the exact value: no spurious variance
    residual = x - mean[codes]
    squares = np.bincount(codes, weights=residual * residual, minlength=n_groups)
    squares[constant] = 0.0

    valid = n >= 2
    df = np.where(valid, n - 1, 0).astype(np.float64)
    statistic = np.full(n_groups, np.nan)
    pvalue = np.full(n_groups, np.nan)
    if valid.any():
        v = squares[valid] / df[valid]
        se = np.sqrt(v / n[valid])
        m = mean[valid]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = m / se  # constant group: ±inf (p = 0), or NaN when it is 0
        statistic[valid] = t
        pvalue[valid] = 2 * special.stdtr(df[valid], -np.abs(t))
    return pd.DataFrame({"statistic": statistic, "pvalue": pvalue,
                         "df": np.where(valid, df, np.nan),
                         "mean": np.where(has, mean, np.nan), "n": n})


def paired_t_by_group(values: np.ndarray | pd.Series | Sequence[float],
                      groups: Any) -> pd.DataFrame:
    r"""One-sample t test of ``values`` against 0 in every group (the paired t of P vs E).

    For a group's ``n`` non-missing values with mean ``x̄`` and sample standard deviation
    ``s`` (divisor ``n − 1``)::

        t = x̄ / (s / √n),   df = n − 1,   p = 2·P(T_df ≥ |t|)

    which is ``scipy.stats.ttest_1samp(x, 0)`` on the group's non-missing values (and the
    paired t of P against E, since ``values`` are the differences P − E).

    Parameters
    ----------
    values : array-like of float or Series
        The differences to test; NaN is dropped.
    groups : array-like or Series
        Group label of each value (as in :func:`wilcoxon_by_group`).

    Returns
    -------
    DataFrame
        Indexed by the sorted group labels, with ``statistic`` (t), ``pvalue``, ``df``,
        ``mean`` and ``n`` (non-missing values). With ``n < 2`` the test is undefined:
        statistic, p-value and df are NaN. A constant group has ``s = 0``: ``t = ±inf`` and
        ``p = 0``, or NaN if the constant is 0 (scipy gives the same, or, when rounding
        in its mean leaves a spurious variance, a huge finite t and a RuntimeWarning).

    Raises
    ------
    ValueError
        If ``values`` is not numeric and one-dimensional or holds ±inf, or ``groups``
        does not match it.

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika* 6(1), 1–25.
    """
    x = _as_values(values)
    codes, labels = _as_groups(groups, values, x.size)
    present = ~np.isnan(x)
    result = _t_codes(x[present], codes[present], len(labels))
    result.index = labels
    return result


# --------------------------------------------------------------------------- Holm


def _holm_rows(p: np.ndarray) -> np.ndarray:
    """Holm adjustment along the last axis of a 2-D array; NaN is outside the family."""
    missing = np.isnan(p)
    m = (~missing).sum(axis=1, keepdims=True)
    order = np.argsort(np.where(missing, np.inf, p), axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1)
    multiplier = m - np.arange(p.shape[1])[None, :]  # m, m−1, …, 1, then ≤ 0 for the NaNs
    adjusted = np.fmax.accumulate(ranked * multiplier, axis=1)
    adjusted = np.minimum(adjusted, 1.0)
    adjusted[np.take_along_axis(missing, order, axis=1)] = np.nan
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, axis=1)
    return out


def _as_pvalues(pvalues: Any, name: str) -> np.ndarray:
    p = _as_values(pvalues, name)
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"argument {name} must hold probabilities in [0, 1] or NaN")
    return p


@overload
def holm(pvalues: pd.Series) -> pd.Series: ...


@overload
def holm(pvalues: np.ndarray | Sequence[float]) -> np.ndarray: ...


def holm(pvalues: pd.Series | np.ndarray | Sequence[float]) -> pd.Series | np.ndarray:
    r"""Holm–Bonferroni adjusted p-values of one family of tests.

    With the ``m`` non-missing p-values sorted ``p_(1) ≤ … ≤ p_(m)``::

        p̃_(i) = min(1, max_{j ≤ i} (m − j + 1)·p_(j))

    Rejecting where ``p̃ ≤ α`` controls the family-wise error rate at ``α`` (Holm 1979).
    Same values as ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``.

    Parameters
    ----------
    pvalues : array-like of float or Series
        The family's p-values in [0, 1]. NaN (a test that could not be done) is left out of
        the family — it does not count in ``m`` — and stays NaN.

    Returns
    -------
    ndarray or Series
        The adjusted p-values in the input order (a Series keeps its index and name).

    Raises
    ------
    ValueError
        If ``pvalues`` is not numeric and one-dimensional or holds values outside [0, 1].

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics* 6(2), 65–70.
    """
    p = _as_pvalues(pvalues, "pvalues")
    adjusted = _holm_rows(p[None, :])[0] if p.size else p.copy()
    if isinstance(pvalues, pd.Series):
        return pd.Series(adjusted, index=pvalues.index, name=pvalues.name)
    return adjusted


def holm_by_group(pvalues: pd.DataFrame) -> pd.DataFrame:
    """Holm adjustment within every row: one family per group, one column per test.

    Parameters
    ----------
    pvalues : DataFrame
        Rows = groups, columns = the family's tests (e.g. the five SERVQUAL dimensions).
        NaN is left out of its row's family and stays NaN (see :func:`holm`).

    Returns
    -------
    DataFrame
        Same index and columns, the adjusted p-values.

    Raises
    ------
    TypeError
        If ``pvalues`` is not a DataFrame.
    ValueError
        If a column is not numeric or a value is outside [0, 1].

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics* 6(2), 65–70.
    """
    require_frame(pvalues, "pvalues")
    columns = [_as_pvalues(pvalues[c], "pvalues") for c in pvalues.columns]
    if not columns or not len(pvalues):
        return pvalues.astype("float64")
    adjusted = _holm_rows(np.column_stack(columns))
    return pd.DataFrame(adjusted, index=pvalues.index, columns=pvalues.columns)


# ------------------------------------------------------------------ gap significance


def gap_significance(scores: pd.DataFrame, dimensions: Sequence[str],
                     by: str | None = None) -> pd.DataFrame:
    r"""Test every dimension's gap against 0, overall or per group, Holm-adjusted.

    For each dimension ``d`` the respondent gaps ``G_rd`` (column ``<d>.gap`` of
    :func:`analysis.servqual.respondent_scores`) are tested with the Wilcoxon signed-rank
    test (:func:`wilcoxon_by_group`, scipy's defaults) and the paired t test
    (:func:`paired_t_by_group`); within each group the p-values of the dimensions form one
    Holm family (:func:`holm`), separately for the Wilcoxon and the t p-values.

    Parameters
    ----------
    scores : DataFrame
        One row per respondent with the ``<dimension>.gap`` columns (and ``by``).
    dimensions : sequence of str
        The dimensions to test, e.g. ``ServqualLayout.dimensions``.
    by : str, optional
        Column of ``scores`` to group by (e.g. ``account_id``); a missing label forms a
        group of its own. None tests all respondents together.

    Returns
    -------
    DataFrame
        Long format, one row per (group, dimension), groups sorted, dimensions in the given
        order: ``by`` (when given), ``dimension``, ``n`` (respondents with a gap),
        ``mean`` (mean gap), ``n_zero`` (zero gaps, left out of the Wilcoxon ranking, whose
        n is ``n − n_zero``), ``w_stat`` (W = min(R+, R−)), ``p_wilcoxon``, ``w_method``,
        ``t``, ``p_t``, ``p_holm`` (Holm-adjusted ``p_wilcoxon``) and ``p_t_holm``.

    Raises
    ------
    TypeError
        If ``scores`` is not a DataFrame.
    ValueError
        If ``dimensions`` is empty or repeats a name, a gap column or ``by`` is missing,
        or a gap column is not numeric.

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin*
    1(6), 80–83.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics* 6(2), 65–70.
    """
    require_frame(scores, "scores")
    dims = name_list(dimensions, "dimensions", "dimension names")
    missing = [f"{d}.gap" for d in dims if f"{d}.gap" not in scores.columns]
    if missing:
        raise ValueError(f"scores lack the gap columns {missing} (argument dimensions)")
    if by is not None and by not in scores.columns:
        raise ValueError(f"scores have no column '{by}' (argument by)")

    if by is None:
        codes, labels = _single_group(len(scores))
    else:
        codes, labels = _as_groups(scores[by], None, len(scores))
    n_groups = len(labels)
    parts: list[pd.DataFrame] = []
    for dim in dims:
        try:
            x = _as_values(scores[f"{dim}.gap"], "scores")
        except ValueError as exc:
            raise ValueError(f"column '{dim}.gap' of scores: {exc}") from exc
        present = ~np.isnan(x)
        w = _wilcoxon_codes(x[present], codes[present], n_groups)
        t = _t_codes(x[present], codes[present], n_groups)
        parts.append(pd.DataFrame({
            "dimension": dim, "n": t["n"].to_numpy(), "mean": t["mean"].to_numpy(),
            "n_zero": w["n_zero"].to_numpy(), "w_stat": w["statistic"].to_numpy(),
            "p_wilcoxon": w["pvalue"].to_numpy(),
            "w_method": pd.Series(w["method"].to_numpy(), dtype=object),
            "t": t["statistic"].to_numpy(), "p_t": t["pvalue"].to_numpy()}))
    p_w = _holm_rows(np.column_stack([p["p_wilcoxon"].to_numpy() for p in parts]))
    p_t = _holm_rows(np.column_stack([p["p_t"].to_numpy() for p in parts]))
    for j, part in enumerate(parts):
        part["p_holm"] = p_w[:, j]
        part["p_t_holm"] = p_t[:, j]
        if by is not None:
            part.insert(0, by, labels)
        part["_group"] = np.arange(n_groups)
        part["_dim"] = j
    out = pd.concat(parts, ignore_index=True).sort_values(["_group", "_dim"], kind="stable")
    columns = ([by] if by is not None else []) + list(GAP_COLUMNS)
    return out[columns].reset_index(drop=True)
