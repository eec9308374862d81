"""Answers on their scales and as 0–100 index scores: the one home of the rescale and the
ACSI-style index.

* index score of an answer ``x`` on ``[lo, hi]``: ``100·(x − lo)/(hi − lo)``; a reverse-worded
  item ``100·(hi − x)/(hi − lo)`` (:func:`rescale_0_100`);
* index of a block of items for one respondent: the weighted mean of its item index scores
  over the items it answered, ``Σ_answered ŵ_i x'_i / Σ_answered ŵ_i`` (:func:`block_index`);
  equal weights give the plain mean over the answered items;
* ACSI weights ``ŵ`` (Fornell et al. 1996): the unstandardized outer weights expressed per
  point of the 0–100 indicator and rescaled to sum to 1 per block (:func:`acsi_weights`).

With ACSI weights, :func:`block_index` is the ACSI-style satisfaction index of a respondent;
a construct's index is its mean over the respondents who have one. ``docs/METHODS.md``
sections 1.5 and 4.3 give the definitions and the choices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .instrument import Instrument


def rescale_0_100(x: ArrayLike, lo: ArrayLike, hi: ArrayLike,
                  reverse: ArrayLike = False) -> np.ndarray:
    """``100·(x − lo)/(hi − lo)``, or ``100·(hi − x)/(hi − lo)`` where ``reverse``.

    Broadcasts like numpy: ``x`` may be respondents × items with ``lo``, ``hi`` and
    ``reverse`` one per item. NaN stays NaN (a blank is never 0). Values are not checked
    against the scale here: see :func:`check_on_scale`.

    Raises
    ------
    ValueError
        A bound that is not finite, or ``hi ≤ lo`` (arguments lo, hi).
    """
    lo_a = np.asarray(lo, dtype="float64")
    hi_a = np.asarray(hi, dtype="float64")
    if not (np.isfinite(lo_a).all() and np.isfinite(hi_a).all() and (hi_a > lo_a).all()):
        raise ValueError("a scale needs finite bounds with lo < hi (arguments lo, hi)")
    values = np.asarray(x, dtype="float64")
    forward = 100.0 * (values - lo_a) / (hi_a - lo_a)
    flip = np.asarray(reverse, dtype=bool)
    if not flip.any():
        return forward
    return np.where(flip, 100.0 * (hi_a - values) / (hi_a - lo_a), forward)


def block_index(rescaled: ArrayLike, weights: ArrayLike | None = None) -> np.ndarray:
    """Per respondent, the weighted mean of its 0–100 item indices over the items answered.

    ``index_r = Σ_{i answered by r} w_i x'_ri / Σ_{i answered by r} w_i``: the weights are
    renormalised over the items each respondent answered, so a skipped item is left out,
    never counted as 0, and a respondent who answered every item gets ``Σ w_i x'_ri`` when
    the weights sum to 1. NaN when the respondent answered none of the items, or when the
    weights of those it answered do not add up to a positive number.

    Parameters
    ----------
    rescaled : array, respondents × items
        Item index scores (:func:`rescale_0_100`), NaN where not answered.
    weights : array, one per item, optional
        Default equal weights (the plain mean over the answered items); ACSI weights
        (:func:`acsi_weights`) give the ACSI-style index.

    Raises
    ------
    ValueError
        ``rescaled`` is not two-dimensional, ``weights`` has another length than the
        items, or a weight is not finite (argument named).
    """
    x = np.asarray(rescaled, dtype="float64")
    if x.ndim != 2:
        raise ValueError(f"rescaled must be respondents × items, not {x.ndim}-dimensional "
                         f"(argument rescaled)")
    w = np.ones(x.shape[1]) if weights is None else np.asarray(weights, dtype="float64")
    if w.shape != (x.shape[1],):
        raise ValueError(f"weights has {w.size} values for {x.shape[1]} items "
                         f"(argument weights)")
    if not np.isfinite(w).all():
        raise ValueError("weights must be finite numbers (argument weights)")
    present = np.isfinite(x)
    weight_sum = present @ w
    total = np.where(present, x, 0.0) @ w
    ok = present.any(axis=1) & (weight_sum > 0)
    out = np.full(x.shape[0], np.nan)
    np.divide(total, weight_sum, out=out, where=ok)
    return out


def acsi_weights(unstandardized: ArrayLike, lo: ArrayLike, hi: ArrayLike,
                 block_of: ArrayLike) -> np.ndarray:
    """ACSI index weights ``ŵ_i = u_i (hi_i − lo_i) / Σ_{j in i's block} u_j (hi_j − lo_j)``.

    ``u_i`` is indicator i's weight per raw scale unit (the unstandardized outer weight:
    ``w_i / sd_i`` after standardization, ``w_i`` itself after centring only); times
    ``(hi − lo)/100`` it is the weight per point of the 0–100 indicator, and the weights of
    each block are rescaled to sum to 1 (Fornell et al. 1996). ``block_of`` gives each
    indicator's block (any labels). NaN for a block whose weights sum to 0.
    """
    u = np.asarray(unstandardized, dtype="float64")
    span = np.asarray(hi, dtype="float64") - np.asarray(lo, dtype="float64")
    per_point = u * span / 100.0  # weight per point of the 0–100 rescaled indicator
    _, block = np.unique(np.asarray(block_of), return_inverse=True)
    sums = np.bincount(block.ravel(), weights=per_point)[block.ravel()]
    out = np.full(per_point.shape, np.nan)
    np.divide(per_point, sums, out=out, where=sums != 0)
    return out


def scale_bounds(ranges: Mapping[str, Sequence[float]], columns: Sequence[str],
                 argument: str = "ranges") -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` arrays, one per column, from a mapping column → ``(lo, hi)``.

    Raises
    ------
    TypeError
        ``ranges`` is not a mapping.
    ValueError
        A column without a pair, a pair that is not two numbers, or not finite ``lo < hi``
        (each message names the column and ``argument``).
    """
    if not isinstance(ranges, Mapping):
        raise TypeError(f"{argument} must be a mapping of column to (lo, hi)")
    lo = np.empty(len(columns))
    hi = np.empty(len(columns))
    for i, col in enumerate(columns):
        if col not in ranges:
            raise ValueError(f"{argument} has no (lo, hi) for column '{col}'")
        pair = ranges[col]
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"{argument}['{col}'] must be a (lo, hi) pair, not {pair!r}")
        try:
            lo[i], hi[i] = float(pair[0]), float(pair[1])
        except (TypeError, ValueError):
            raise ValueError(f"{argument}['{col}'] = {pair!r}: need two numbers") from None
        if not (np.isfinite(lo[i]) and np.isfinite(hi[i]) and hi[i] > lo[i]):
            raise ValueError(f"{argument}['{col}'] = {tuple(pair)!r}: need finite lo < hi")
    return lo, hi


def instrument_ranges(instrument: Instrument, columns: Sequence[str],
                      argument: str = "columns") -> dict[str, tuple[int, int]]:
    """Column → ``(lo, hi)`` of its scale in ``instrument``, for each of ``columns``.

    Raises
    ------
    ValueError
        A column that is not an answer column of the instrument (naming ``argument``).
    """
    ranges: dict[str, tuple[int, int]] = {}
    for col in columns:
        try:
            ranges[col] = instrument.column_range(col)
        except KeyError:
            raise ValueError(f"instrument '{instrument.id}' has no answer column '{col}' "
                             f"(argument {argument})") from None
    return ranges


def instrument_bounds(instrument: Instrument, columns: Sequence[str],
                      argument: str = "columns") -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` arrays, one per answer column, from the scales of ``instrument``."""
    return scale_bounds(instrument_ranges(instrument, columns, argument), columns, argument)


def check_on_scale(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, columns: Sequence[str],
                   argument: str) -> None:
    """``ValueError`` naming the first column (and its value) with an answer off its scale.

    ``x`` is respondents × columns; NaN (not answered) is never off the scale.
    """
    outside = np.isfinite(x) & ((x < lo) | (x > hi))
    if outside.any():
        col = int(np.flatnonzero(outside.any(axis=0))[0])
        value = x[:, col][outside[:, col]][0]
        raise ValueError(f"column '{columns[col]}' holds {value:g}, outside the scale "
                         f"{np.asarray(lo)[col]:g}–{np.asarray(hi)[col]:g} "
                         f"(argument {argument})")
