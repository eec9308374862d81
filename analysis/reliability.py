"""Internal consistency of multi-item constructs: Cronbach's alpha and item analysis.

Definitions (``docs/METHODS.md`` section 3):

* raw alpha (Cronbach 1951): ``α = k/(k−1) · (1 − Σ_i var_i / var_total)`` with sample
  variances (ddof = 1), ``var_total`` the variance of the sum of the k items;
* standardized alpha: ``α_std = k·r̄ / (1 + (k−1)·r̄)``, ``r̄`` the mean off-diagonal
  Pearson correlation between the items;
* Feldt (1965) confidence interval of the raw alpha, with ``n`` the rows actually used:
  ``1 − (1 − α)·F_{1−γ/2}(n−1, (n−1)(k−1))`` to ``1 − (1 − α)·F_{γ/2}(n−1, (n−1)(k−1))``
  for a ``1 − γ`` interval (as pingouin's ``cronbach_alpha``);
* corrected item-total correlation: Pearson correlation of an item with the sum of the
  *other* items;
* alpha if item deleted: the raw alpha of the remaining ``k − 1`` items.

Every statistic is a function of the items' covariance (and correlation) matrix, so all of
them are computed from that matrix, without a loop over respondents.

Missing answers are NaN and never count as zero. The missing-data policy is an explicit
argument: ``"listwise"`` (the default: a respondent counts only with every item of the
construct answered) or ``"pairwise"`` (each covariance from the respondents who answered
both items; ``n`` is then the smallest number of respondents behind any of them, so that
the confidence interval is never narrower than the data support).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .checks import name_list, require_frame, require_numeric_columns
from .columns import answered_rows, as_float64

MISSING_POLICIES = ("listwise", "pairwise")


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of one set of items.

    Attributes
    ----------
    alpha : float
        Raw (covariance) alpha.
    alpha_std : float
        Standardized (correlation) alpha.
    ci : tuple of float
        Feldt confidence interval ``(lo, hi)`` of the raw alpha.
    n : int
        Respondents used (listwise: rows with every item answered; pairwise: the smallest
        pairwise count).
    k : int
        Number of items.
    missing : str
        The missing-data policy used.
    confidence : float
        Coverage of ``ci``.
    """

    alpha: float
    alpha_std: float
    ci: tuple[float, float]
    n: int
    k: int
    missing: str = "listwise"
    confidence: float = 0.95

    def as_dict(self) -> dict[str, float | int | str]:
        """The result as a flat dict (``ci`` split into ``ci_lo`` and ``ci_hi``)."""
        return {"alpha": self.alpha, "alpha_std": self.alpha_std, "ci_lo": self.ci[0],
                "ci_hi": self.ci[1], "n": self.n, "k": self.k, "missing": self.missing,
                "confidence": self.confidence}


@dataclass(frozen=True)
class _Moments:
    cov: np.ndarray  # k × k sample covariances (ddof = 1)
    corr: np.ndarray  # k × k Pearson correlations
    pair_n: np.ndarray  # k × k respondents behind each entry
    mean: np.ndarray
    n: int


def _columns(frame: pd.DataFrame, columns: Sequence[str] | None, argument: str) -> list[str]:
    require_frame(frame, "frame")
    cols = ([str(c) for c in frame.columns] if columns is None
            else name_list(columns, argument, allow_empty=True))
    require_numeric_columns(frame, cols, argument)
    if len(cols) < 2:
        raise ValueError(f"{argument}: alpha needs at least two items, got {len(cols)}")
    return cols


def _check_missing(missing: str) -> None:
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {MISSING_POLICIES}, not {missing!r}")


def _check_confidence(confidence: float) -> None:
    if not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number between 0 and 1, not {confidence!r}")


def _matrix(frame: pd.DataFrame, cols: Sequence[str]) -> np.ndarray:
    return frame.loc[:, list(cols)].to_numpy(dtype="float64", na_value=np.nan)


# within shared_moments(): moments computed once per (frame, columns, policy), so alpha and
# the item statistics of one block read a million rows once, not twice
_SHARED_MOMENTS: ContextVar[dict | None] = ContextVar("shared_moments", default=None)


@contextmanager
def shared_moments() -> Iterator[None]:
    """Reuse each block's moments while the frames passed in are alive and unchanged."""
    token = _SHARED_MOMENTS.set({})
    try:
        yield
    finally:
        _SHARED_MOMENTS.reset(token)


def _moments(frame: pd.DataFrame, cols: Sequence[str], missing: str) -> _Moments:
    shared = _SHARED_MOMENTS.get()
    key = (id(frame), tuple(cols), missing)
    if shared is not None and key in shared:
        return shared[key][1]
    result = _compute_moments(frame, cols, missing)
    if shared is not None:
        shared[key] = (frame, result)  # the frame is kept: its id cannot be reused
    return result


def _compute_moments(frame: pd.DataFrame, cols: Sequence[str], missing: str) -> _Moments:
    k = len(cols)
    if missing == "listwise":
        # only the complete rows are widened to float64, straight from the frame's columns
        # (not every row first, then the complete ones picked out, then their deviations)
        x = as_float64(frame, cols, answered_rows(frame, cols))
        n = x.shape[0]
        pair_n = np.full((k, k), n)
        if n < 2:
            nan = np.full((k, k), np.nan)
            return _Moments(nan, nan, pair_n, np.full(k, np.nan) if n == 0 else x.mean(axis=0),
                            n)
        mean = x.mean(axis=0)
        dev = x
        dev -= mean  # in place: x is not used again
        cov = dev.T @ dev / (n - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            sd = np.sqrt(np.diag(cov))
            corr = cov / np.outer(sd, sd)
        corr[~np.isfinite(corr)] = np.nan
        return _Moments(cov, corr, pair_n, mean, n)
    # pairwise: each entry from the respondents who answered both items (pandas' own
    # pairwise-complete cov and corr); n = the smallest pairwise count
    x = _matrix(frame, cols)
    present = np.isfinite(x)
    sub = pd.DataFrame(x, columns=range(k))
    cov = sub.cov(min_periods=2, ddof=1).to_numpy(dtype="float64")
    corr = sub.corr(min_periods=2).to_numpy(dtype="float64")
    m = present.astype("float64")
    pair_n = (m.T @ m).astype("int64")
    mean = sub.mean(axis=0).to_numpy(dtype="float64")
    return _Moments(cov, corr, pair_n, mean, int(pair_n.min()))


def _raw_alpha(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def standardized_alpha_from_corr(corr: np.ndarray) -> float:
    """Standardized alpha ``k·r̄ / (1 + (k−1)·r̄)`` of a k × k correlation matrix.

    ``r̄`` is the mean of the off-diagonal correlations. NaN when any of them is undefined
    (an item without variance) or when ``k < 2``.
    """
    corr = np.asarray(corr, dtype="float64")
    if corr.ndim != 2 or corr.shape[0] != corr.shape[1]:
        raise ValueError(f"corr must be a square matrix, got shape {corr.shape}")
    k = corr.shape[0]
    if k < 2:
        return float("nan")
    off = corr[~np.eye(k, dtype=bool)]
    if not np.isfinite(off).all():
        return float("nan")
    r_bar = off.mean()
    denom = 1.0 + (k - 1) * r_bar
    if denom == 0:
        return float("nan")
    return float(k * r_bar / denom)


def feldt_ci(alpha: float, n: int, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) confidence interval of Cronbach's alpha.

    ``lo = 1 − (1 − α)·F.isf(γ/2, n−1, (n−1)(k−1))`` and
    ``hi = 1 − (1 − α)·F.isf(1 − γ/2, n−1, (n−1)(k−1))`` with ``γ = 1 − confidence``,
    as in pingouin's ``cronbach_alpha`` (which rounds to 3 decimals; this does not).

    References
    ----------
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. *Psychometrika*, 30(3), 357–370.
    """
    _check_confidence(confidence)
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return (float("nan"), float("nan"))
    gamma = 1.0 - confidence
    df1 = n - 1
    df2 = df1 * (k - 1)
    lo = 1.0 - (1.0 - alpha) * stats.f.isf(gamma / 2, df1, df2)
    hi = 1.0 - (1.0 - alpha) * stats.f.isf(1.0 - gamma / 2, df1, df2)
    return (float(lo), float(hi))


def cronbach_alpha(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                   missing: str = "listwise", confidence: float = 0.95) -> AlphaResult:
    """Raw and standardized Cronbach's alpha with the Feldt confidence interval.

    Parameters
    ----------
    frame : DataFrame
        One row per respondent.
    columns : sequence of str, optional
        The construct's item columns (at least two); default every column of ``frame``.
    missing : {"listwise", "pairwise"}
        ``"listwise"``: only respondents who answered every item. ``"pairwise"``: each
        covariance over the respondents who answered both items, ``n`` the smallest such
        count.
    confidence : float
        Coverage of the Feldt interval (default 0.95).

    Returns
    -------
    AlphaResult
        ``alpha`` (raw), ``alpha_std`` (standardized), ``ci``, ``n``, ``k``. Values are NaN
        when fewer than two respondents are usable or the items have no variance.

    Notes
    -----
    ``α = k/(k−1)·(1 − Σ var_i / var_total)`` (sample variances) and
    ``α_std = k·r̄/(1 + (k−1)·r̄)``. The interval is Feldt's, for the raw alpha.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.
    Feldt, L. S. (1965). *Psychometrika*, 30(3), 357–370.
    """
    cols = _columns(frame, columns, "columns")
    _check_missing(missing)
    _check_confidence(confidence)
    mom = _moments(frame, cols, missing)
    k = len(cols)
    alpha = _raw_alpha(mom.cov)
    return AlphaResult(alpha=alpha, alpha_std=standardized_alpha_from_corr(mom.corr),
                       ci=feldt_ci(alpha, mom.n, k, confidence), n=mom.n, k=k,
                       missing=missing, confidence=float(confidence))


def item_statistics(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                    missing: str = "listwise") -> pd.DataFrame:
    """Per item: corrected item-total correlation and alpha if the item is deleted.

    Parameters
    ----------
    frame, columns, missing
        As in :func:`cronbach_alpha`.

    Returns
    -------
    DataFrame
        Indexed by item, columns ``mean``, ``sd`` (ddof = 1), ``item_total_r``,
        ``alpha_if_deleted`` (raw), ``alpha_std_if_deleted`` and ``n`` (respondents
        behind the item's statistics: listwise the rows used, pairwise the smallest
        pairwise count involving the item).

    Notes
    -----
    With ``C`` the items' covariance matrix, ``s_i = Σ_j C_ij`` and ``T = Σ_ij C_ij``:
    the rest score of item i has variance ``V_i = T − 2 s_i + C_ii`` and covariance
    ``s_i − C_ii`` with the item, so the corrected item-total correlation is
    ``(s_i − C_ii) / sqrt(C_ii · V_i)`` and alpha if deleted is
    ``(k−1)/(k−2) · (1 − (tr C − C_ii) / V_i)``. With two items, alpha if deleted is NaN
    (one item left).
    """
    cols = _columns(frame, columns, "columns")
    _check_missing(missing)
    mom = _moments(frame, cols, missing)
    c = mom.cov
    k = len(cols)
    diag = np.diag(c)
    row = c.sum(axis=1)
    total = c.sum()
    rest_var = total - 2 * row + diag
    with np.errstate(divide="ignore", invalid="ignore"):
        item_total = (row - diag) / np.sqrt(diag * rest_var)
        if k > 2:
            alpha_del = (k - 1) / (k - 2) * (1.0 - (np.trace(c) - diag) / rest_var)
        else:
            alpha_del = np.full(k, np.nan)
    item_total = np.where(np.isfinite(item_total), item_total, np.nan)
    alpha_del = np.where(np.isfinite(alpha_del) & (rest_var > 0), alpha_del, np.nan)
    keep = ~np.eye(k, dtype=bool)
    alpha_std_del = np.array([
        standardized_alpha_from_corr(mom.corr[np.ix_(keep[i], keep[i])]) if k > 2 else np.nan
        for i in range(k)])
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(diag)
    item_n = mom.pair_n.min(axis=1) if missing == "pairwise" else np.full(k, mom.n)
    return pd.DataFrame({
        "mean": mom.mean, "sd": sd, "item_total_r": item_total,
        "alpha_if_deleted": alpha_del, "alpha_std_if_deleted": alpha_std_del,
        "n": item_n.astype("int64"),
    }, index=pd.Index(cols, name="item"))


def reliability_table(frame: pd.DataFrame, blocks: Mapping[str, Sequence[str]], *,
                      missing: str = "listwise", confidence: float = 0.95) -> pd.DataFrame:
    """Cronbach's alpha for several constructs, one row each.

    Parameters
    ----------
    frame : DataFrame
        One row per respondent.
    blocks : mapping of str to sequence of str
        Construct id → its item columns (each at least two).
    missing, confidence
        As in :func:`cronbach_alpha`.

    Returns
    -------
    DataFrame
        Indexed by construct, columns ``alpha`` (raw), ``alpha_std`` (standardized),
        ``ci_lo``, ``ci_hi`` (Feldt, raw alpha), ``n`` and ``k``.
    """
    if not isinstance(blocks, Mapping) or not blocks:
        raise ValueError("blocks must be a non-empty mapping of construct id to columns")
    rows = []
    for construct, cols in blocks.items():
        if isinstance(cols, str):
            raise TypeError(f"blocks['{construct}'] must be a sequence of column names, "
                            f"not a string")
        res = cronbach_alpha(frame, _columns(frame, cols, f"blocks['{construct}']"),
                             missing=missing, confidence=confidence)
        rows.append({"construct": construct, "alpha": res.alpha, "alpha_std": res.alpha_std,
                     "ci_lo": res.ci[0], "ci_hi": res.ci[1], "n": res.n, "k": res.k})
    table = pd.DataFrame(rows).set_index("construct")
    return table.astype({"n": "int64", "k": "int64"})
