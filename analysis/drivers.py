"""Key-driver analysis: Johnson's relative weights and importance–performance quadrants.

* Relative weights (Johnson 2000): the predictors are replaced by their closest orthogonal
  counterparts ``Z = X R_xx^{-1/2}``; the criterion is regressed on ``Z`` and each
  predictor's share of every ``Z`` is redistributed back. With ``R_xx = P Δ Pᵀ``,
  ``Λ = P Δ^{1/2} Pᵀ`` and ``β = Λ^{-1} r_xy``, the raw weight of predictor j is
  ``ε_j = Σ_k λ_jk² β_k²``. The raw weights sum to the model's ``R²``; the rescaled weights
  ``100·ε_j / R²`` sum to 100.
* Importance–performance analysis (Martilla & James 1977): each attribute is placed by its
  importance (stated: mean points of a constant-sum allocation; or derived: relative
  weights) and its performance (mean 0–100 score) against a split on each axis (by default
  the mean over the attributes): high importance and low performance = "concentrate here",
  high and high = "keep up the good work", low and low = "low priority", low importance and
  high performance = "possible overkill".

Missing answers are NaN and never count as zero; every result says its n.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .checks import name_list, require_frame, require_numeric_columns
from .instrument import Allocation
from .scales import block_index, check_on_scale, rescale_0_100, scale_bounds

CONCENTRATE = "concentrate here"
KEEP_UP = "keep up the good work"
LOW_PRIORITY = "low priority"
OVERKILL = "possible overkill"
QUADRANTS = (CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL)


@dataclass(frozen=True)
class RelativeWeights:
    """Johnson's relative weights of a set of predictors.

    Attributes
    ----------
    table : DataFrame
        Indexed by predictor: ``weight`` (raw relative weight ε, summing to ``r2``),
        ``percent`` (``100·ε / R²``, summing to 100), ``r`` (correlation with the target),
        ``beta`` (standardized multiple-regression coefficient) and ``rank`` (1 = largest
        weight).
    r2 : float
        R² of the regression of the target on all the predictors.
    n : int
        Respondents used (complete on the target and every predictor).
    target : str
        The criterion.
    """

    table: pd.DataFrame
    r2: float
    n: int
    target: str

    @property
    def weights(self) -> pd.Series:
        """Raw relative weights (sum to R²)."""
        return self.table["weight"]

    @property
    def percent(self) -> pd.Series:
        """Rescaled relative weights (sum to 100)."""
        return self.table["percent"]


def _predictor_list(predictors: Sequence[str], target: str) -> list[str]:
    preds = name_list(predictors, "predictors")
    if target in preds:
        raise ValueError(f"target '{target}' is also in predictors")
    return preds


def relative_weights_from_corr(corr: pd.DataFrame, target: str,
                               predictors: Sequence[str] | None = None, *,
                               n: int) -> RelativeWeights:
    """Johnson's relative weights from a correlation matrix.

    Parameters
    ----------
    corr : DataFrame
        Square correlation matrix labelled by variable on both axes.
    target : str
        The criterion variable.
    predictors : sequence of str, optional
        Default: every other variable of ``corr``.
    n : int
        Respondents behind the correlations (reported with the result).

    Returns
    -------
    RelativeWeights

    Notes
    -----
    ``R_xx = P Δ Pᵀ`` (eigendecomposition), ``Λ = P Δ^{1/2} Pᵀ``,
    ``β = Λ^{-1} r_xy = P Δ^{-1/2} Pᵀ r_xy``, ``ε_j = Σ_k λ_jk² β_k²``,
    ``R² = Σ_j ε_j = r_xyᵀ R_xx^{-1} r_xy``.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. *Multivariate Behavioral Research*, 35(1),
    1–19.
    Tonidandel, S., & LeBreton, J. M. (2011). Relative importance analysis: A useful
    supplement to regression analysis. *Journal of Business and Psychology*, 26(1), 1–9.
    """
    require_frame(corr, "corr")
    if list(corr.index) != list(corr.columns):
        raise ValueError("corr must be square with the same labels on both axes")
    if target not in corr.columns:
        raise ValueError(f"target '{target}' is not in corr")
    preds = _predictor_list(
        [c for c in corr.columns if c != target] if predictors is None else predictors, target)
    unknown = [p for p in preds if p not in corr.columns]
    if unknown:
        raise ValueError(f"predictors: not in corr: {unknown}")
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a whole number of respondents, not {n!r}")
    rxx = corr.loc[preds, preds].to_numpy(dtype="float64")
    rxy = corr.loc[preds, target].to_numpy(dtype="float64")
    if not (np.isfinite(rxx).all() and np.isfinite(rxy).all()):
        raise ValueError("corr has undefined correlations (a variable without variance?)")
    if not np.allclose(rxx, rxx.T, atol=1e-12):
        raise ValueError("corr must be symmetric")
    values, vectors = np.linalg.eigh(rxx)
    if values.min() <= 1e-10 * max(1.0, values.max()):
        raise ValueError(f"predictors {preds} are perfectly collinear; drop one of them")
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta_z = vectors @ np.diag(1.0 / np.sqrt(values)) @ vectors.T @ rxy
    eps = (lam**2) @ (beta_z**2)
    r2 = float(eps.sum())
    beta = np.linalg.solve(rxx, rxy)
    percent = 100.0 * eps / r2 if r2 > 0 else np.full(len(preds), np.nan)
    table = pd.DataFrame({"weight": eps, "percent": percent, "r": rxy, "beta": beta},
                         index=pd.Index(preds, name="predictor"))
    table["rank"] = table["weight"].rank(ascending=False, method="min").astype("int64")
    return RelativeWeights(table=table, r2=r2, n=int(n), target=target)


def relative_weights(data: pd.DataFrame, target: str,
                     predictors: Sequence[str]) -> RelativeWeights:
    """Johnson's relative weights of ``predictors`` for ``target`` (derived importance).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    target : str
        The criterion column (e.g. overall satisfaction).
    predictors : sequence of str
        The driver columns (e.g. dimension scores).

    Returns
    -------
    RelativeWeights
        Raw weights summing to R², rescaled percentages summing to 100, and ``n``.

    Notes
    -----
    Rows missing the target or any predictor are left out (listwise); Pearson correlations
    of the remaining rows go into :func:`relative_weights_from_corr`.

    References
    ----------
    Johnson, J. W. (2000). *Multivariate Behavioral Research*, 35(1), 1–19.
    """
    require_frame(data, "data")
    if not isinstance(target, str):
        raise TypeError(f"target must be a column name, not {target!r}")
    preds = _predictor_list(predictors, target)
    cols = [target, *preds]
    require_numeric_columns(data, cols, "data")
    x = data.loc[:, cols].to_numpy(dtype="float64", na_value=np.nan)
    x = x[np.isfinite(x).all(axis=1)]
    n = x.shape[0]
    if n < len(preds) + 2:
        raise ValueError(f"data: only {n} rows have the target and every predictor; "
                         f"{len(preds)} predictors need at least {len(preds) + 2}")
    sd = x.std(axis=0)
    flat = [c for c, s in zip(cols, sd, strict=True) if not s > 0]
    if flat:
        raise ValueError(f"data: column(s) {flat} do not vary in the {n} rows used")
    dev = (x - x.mean(axis=0)) / sd
    corr = pd.DataFrame(dev.T @ dev / n, index=cols, columns=cols)
    return relative_weights_from_corr(corr, target, preds, n=n)


def stated_importance(responses: pd.DataFrame, allocation: Allocation) -> pd.DataFrame:
    """Mean points of a constant-sum importance question, per construct.

    Only respondents whose points are all present and add up to the allocation's total
    count (as for the weighted SERVQUAL score); the others are left out.

    Returns
    -------
    DataFrame
        Indexed by construct: ``importance`` (mean points) and ``n``.
    """
    if not isinstance(allocation, Allocation):
        raise TypeError(f"allocation must be an Allocation, not {type(allocation).__name__}")
    require_frame(responses, "responses")
    cols = list(allocation.columns)
    require_numeric_columns(responses, cols, "responses")
    points = responses.loc[:, cols].to_numpy(dtype="float64", na_value=np.nan)
    valid = np.isfinite(points).all(axis=1) & np.isclose(
        np.nan_to_num(points).sum(axis=1), allocation.total)
    used = points[valid]
    n = used.shape[0]
    mean = used.mean(axis=0) if n else np.full(len(cols), np.nan)
    return pd.DataFrame({"importance": mean, "n": np.full(len(cols), n, dtype="int64")},
                        index=pd.Index(list(allocation.constructs), name="attribute"))


def performance_scores(responses: pd.DataFrame, blocks: Mapping[str, Sequence[str]],
                       ranges: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Mean 0–100 score of each attribute.

    Each answer is rescaled ``100·(x − lo)/(hi − lo)``; a respondent's attribute score is
    the mean over the attribute's items they answered (:func:`analysis.scales.block_index`),
    and the attribute's performance is the mean over respondents who have a score.

    Raises
    ------
    ValueError
        No ``(lo, hi)`` in ``ranges`` for a column, ``lo ≥ hi``, or an answer off its scale.

    Returns
    -------
    DataFrame
        Indexed by attribute: ``performance`` and ``n`` (respondents with a score).
    """
    require_frame(responses, "responses")
    if not isinstance(blocks, Mapping) or not blocks:
        raise ValueError("blocks must be a non-empty mapping of attribute to columns")
    rows = []
    for attribute, cols in blocks.items():
        if isinstance(cols, str) or not cols:
            raise ValueError(f"blocks['{attribute}'] must be a non-empty list of columns")
        cols = list(cols)
        require_numeric_columns(responses, cols, f"blocks['{attribute}']")
        lo, hi = scale_bounds(ranges, cols)
        x = responses.loc[:, cols].to_numpy(dtype="float64", na_value=np.nan)
        check_on_scale(x, lo, hi, cols, "responses")
        per_respondent = block_index(rescale_0_100(x, lo, hi))
        known = np.isfinite(per_respondent)
        rows.append({"attribute": attribute,
                     "performance": per_respondent[known].mean() if known.any() else np.nan,
                     "n": int(known.sum())})
    return pd.DataFrame(rows).set_index("attribute").astype({"n": "int64"})


def _as_series(values: Mapping[str, float] | pd.Series, argument: str) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{argument} must be a Series or a mapping of attribute to number, "
                        f"not a DataFrame (pick a column)")
    if isinstance(values, pd.Series):
        series = values
    elif isinstance(values, Mapping):
        series = pd.Series(dict(values), dtype="float64")
    else:
        raise TypeError(f"{argument} must be a Series or a mapping of attribute to number")
    if not series.index.is_unique:
        raise ValueError(f"{argument} names an attribute twice")
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
            series.dtype):
        raise TypeError(f"{argument} must be numeric")
    return series.astype("float64")


def importance_performance(importance: Mapping[str, float] | pd.Series,
                           performance: Mapping[str, float] | pd.Series, *,
                           importance_split: float | None = None,
                           performance_split: float | None = None) -> pd.DataFrame:
    """Importance–performance quadrants (Martilla & James 1977).

    Parameters
    ----------
    importance : Series or mapping
        Attribute → importance: stated (an allocation's mean points, see
        :func:`stated_importance`) or derived (relative weights, see
        :func:`relative_weights`).
    performance : Series or mapping
        Attribute → performance, the mean 0–100 score (see :func:`performance_scores`).
        Both must name the same attributes.
    importance_split, performance_split : float, optional
        Where each axis is split; default the mean over the attributes that have both
        values.

    Returns
    -------
    DataFrame
        Indexed by attribute, in the order of ``importance``: ``importance``,
        ``performance``, ``quadrant`` (one of :data:`QUADRANTS`; missing when either value
        is), ``importance_split`` and ``performance_split``. A value equal to its split
        counts as high.

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of
    Marketing*, 41(1), 77–79.
    """
    imp = _as_series(importance, "importance")
    perf = _as_series(performance, "performance")
    if set(imp.index) != set(perf.index):
        only_i = [a for a in imp.index if a not in perf.index]
        only_p = [a for a in perf.index if a not in imp.index]
        raise ValueError(f"importance and performance must name the same attributes "
                         f"(only in importance: {only_i}; only in performance: {only_p})")
    if imp.empty:
        raise ValueError("importance names no attribute")
    perf = perf.reindex(imp.index)
    both = imp.notna() & perf.notna()
    splits = []
    for given, values, name in ((importance_split, imp, "importance_split"),
                                (performance_split, perf, "performance_split")):
        if given is None:
            splits.append(float(values[both].mean()) if both.any() else float("nan"))
        elif isinstance(given, bool) or not isinstance(given, int | float) or not np.isfinite(
                given):
            raise ValueError(f"{name} must be a finite number, not {given!r}")
        else:
            splits.append(float(given))
    i_split, p_split = splits
    high_i = imp >= i_split
    high_p = perf >= p_split
    quadrant = pd.Series(
        np.select([high_i & ~high_p, high_i & high_p, ~high_i & ~high_p],
                  [CONCENTRATE, KEEP_UP, LOW_PRIORITY], OVERKILL),
        index=imp.index, dtype="object")
    quadrant[~both] = None
    out = pd.DataFrame({"importance": imp, "performance": perf, "quadrant": quadrant,
                        "importance_split": i_split, "performance_split": p_split},
                       index=imp.index)
    out.index.name = "attribute"
    return out
