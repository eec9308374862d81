"""SERVQUAL service gaps (Parasuraman, Zeithaml & Berry 1988; 1991) and SERVPERF.

Definitions (DESIGN.md, "Definitions every part must agree on"):

* item gap of respondent r on item i: ``q = P − E``, only where both are answered;
* dimension gap ``G_rd``: mean of ``q`` over the dimension's items r answered;
* dimension E (P): per respondent the mean over the E (P) items answered;
* unweighted SERVQUAL of r: mean of its ``G_rd``;
* weighted SERVQUAL of r: ``Σ_d (importance_rd / 100) · G_rd``, only when the importance
  points sum to the allocation total and all ``G_rd`` are present;
* SERVPERF of r (Cronin & Taylor 1992): mean of its dimension P scores;
* a group's score: the mean over its respondents, with n = respondents who have it.

Missing answers are NaN and never count as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .instrument import Allocation, Instrument

SCORE_COLUMNS = ("unweighted", "weighted", "servperf")


@dataclass(frozen=True)
class ServqualLayout:
    """Where an instrument keeps its E and P answers and its importance allocation."""

    dimensions: tuple[str, ...]
    e_columns: dict[str, list[str]]
    p_columns: dict[str, list[str]]
    allocation: Allocation | None

    @classmethod
    def of(cls, instrument: Instrument, expectation: str = "e", perception: str = "p",
           allocation: str | None = None) -> ServqualLayout:
        """Read the layout from an instrument with two facets (by default ``e`` and ``p``)."""
        for facet, name in ((expectation, "expectation"), (perception, "perception")):
            if facet not in instrument.facets:
                raise ValueError(f"instrument '{instrument.id}' has no facet '{facet}' "
                                 f"(argument {name})")
        dims: list[str] = []
        e_cols: dict[str, list[str]] = {}
        p_cols: dict[str, list[str]] = {}
        for c in instrument.constructs:
            pairs = [i for i in instrument.items_of(c.id)
                     if expectation in i.facets and perception in i.facets]
            if pairs:
                dims.append(c.id)
                e_cols[c.id] = [f"{i.id}.{expectation}" for i in pairs]
                p_cols[c.id] = [f"{i.id}.{perception}" for i in pairs]
        if not dims:
            raise ValueError(f"instrument '{instrument.id}' has no item asked for both "
                             f"'{expectation}' and '{perception}'")
        chosen: Allocation | None = None
        if allocation is not None:
            matches = [a for a in instrument.allocations if a.id == allocation]
            if not matches:
                raise ValueError(f"instrument '{instrument.id}' has no allocation "
                                 f"'{allocation}' (argument allocation)")
            chosen = matches[0]
        else:
            over_dims = [a for a in instrument.allocations if set(a.constructs) == set(dims)]
            chosen = over_dims[0] if over_dims else None
        return cls(tuple(dims), e_cols, p_cols, chosen)


def _row_mean(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    # pandas' skipna mean gives NaN for an all-missing row without a RuntimeWarning
    return frame.loc[:, list(columns)].mean(axis=1, skipna=True)


def respondent_scores(responses: pd.DataFrame, layout: ServqualLayout) -> pd.DataFrame:
    """Per-respondent dimension E, P and gap, and the three overall scores.

    Parameters
    ----------
    responses : DataFrame
        Wide answers: one row per respondent, columns ``<item>.<facet>``.
    layout : ServqualLayout
        Which columns hold E and P for each dimension (``ServqualLayout.of(instrument)``).

    Returns
    -------
    DataFrame
        Same index as ``responses``; columns ``<dim>.e``, ``<dim>.p``, ``<dim>.gap`` for each
        dimension, then ``unweighted``, ``weighted`` and ``servperf``.
    """
    missing = [c for d in layout.dimensions for c in layout.e_columns[d] + layout.p_columns[d]
               if c not in responses.columns]
    if missing:
        raise ValueError(f"responses lack the SERVQUAL columns {missing[:5]} "
                         f"(argument responses)")
    out: dict[str, pd.Series] = {}
    gaps: dict[str, pd.Series] = {}
    p_scores: dict[str, pd.Series] = {}
    for dim in layout.dimensions:
        e = responses[layout.e_columns[dim]].to_numpy(dtype="float64")
        p = responses[layout.p_columns[dim]].to_numpy(dtype="float64")
        q = pd.DataFrame(p - e, index=responses.index)  # NaN unless both answered
        out[f"{dim}.e"] = _row_mean(responses, layout.e_columns[dim])
        out[f"{dim}.p"] = p_scores[dim] = _row_mean(responses, layout.p_columns[dim])
        out[f"{dim}.gap"] = gaps[dim] = q.mean(axis=1, skipna=True)
    gap_frame = pd.DataFrame(gaps)
    out["unweighted"] = gap_frame.mean(axis=1, skipna=True)
    out["weighted"] = weighted_score(responses, gap_frame, layout.allocation)
    out["servperf"] = pd.DataFrame(p_scores).mean(axis=1, skipna=True)
    return pd.DataFrame(out, index=responses.index)


def weighted_score(responses: pd.DataFrame, gaps: pd.DataFrame,
                   allocation: Allocation | None) -> pd.Series:
    """``Σ_d (points_d / total) · G_rd`` where the points add up and every gap is present."""
    if allocation is None:
        return pd.Series(np.nan, index=gaps.index, dtype="float64")
    cols = [f"{allocation.id}.{d}" for d in gaps.columns]
    if any(c not in responses.columns for c in cols):
        return pd.Series(np.nan, index=gaps.index, dtype="float64")
    points = responses[cols].to_numpy(dtype="float64")
    g = gaps.to_numpy(dtype="float64")
    valid = (np.isfinite(points).all(axis=1) & np.isfinite(g).all(axis=1)
             & np.isclose(points.sum(axis=1), allocation.total))
    value = np.where(valid, np.nansum(points / allocation.total * np.nan_to_num(g), axis=1),
                     np.nan)
    return pd.Series(value, index=gaps.index, dtype="float64")


def item_gaps(responses: pd.DataFrame, layout: ServqualLayout) -> pd.DataFrame:
    """Per item: mean E, mean P and mean gap (over respondents with both), with n.

    Returns a frame indexed by item id with ``dimension, e, p, gap, n``.
    """
    rows = []
    for dim in layout.dimensions:
        for e_col, p_col in zip(layout.e_columns[dim], layout.p_columns[dim], strict=True):
            e = responses[e_col].astype("float64")
            p = responses[p_col].astype("float64")
            q = p - e
            rows.append({"item": e_col.rsplit(".", 1)[0], "dimension": dim,
                         "e": e.mean(), "p": p.mean(), "gap": q.mean(),
                         "n": int(q.notna().sum())})
    return pd.DataFrame(rows).set_index("item")


def summarize(scores: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Group means of respondent scores with their n (respondents who have each score).

    Returns one row (``by=None``) or one row per group; for every score column ``x`` the
    columns ``x`` (mean) and ``x.n`` (count).
    """
    score_cols = [c for c in scores.columns if by is None or c not in _as_list(by)]
    values = scores[score_cols]
    if by is None:
        means = values.mean().to_frame().T
        counts = values.notna().sum().to_frame().T
    else:
        grouped = scores.groupby(_as_list(by), sort=True, observed=True, dropna=False)
        means = grouped[score_cols].mean()
        counts = grouped[score_cols].count()
    counts = counts.add_suffix(".n").astype("int64")
    ordered = [c for col in score_cols for c in (col, f"{col}.n")]
    return pd.concat([means, counts], axis=1)[ordered]


def _as_list(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)
