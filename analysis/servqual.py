"""SERVQUAL service gaps (Parasuraman, Zeithaml & Berry 1988; 1991) and SERVPERF.

Definitions (``docs/METHODS.md`` section 2):

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

from .columns import stored_values
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


def _nanmean_rows(x: np.ndarray) -> np.ndarray:
    """Row means over the finite values; NaN (without a warning) where a row has none.

    Accumulates column by column: answer matrices have many rows and few columns, and a
    column of a frame's block is contiguous, so this is several times faster than a
    reduction along the short axis.
    """
    return _nanmean_of([x[:, j] for j in range(x.shape[1])], x.shape[0])


class _RowMean:
    """Row means over the finite values of columns added one at a time, summed in the
    order they come (so the means of :func:`_nanmean_rows` on the stacked columns)."""

    def __init__(self, n: int) -> None:
        self.total = np.zeros(n)
        self.count = np.zeros(n)

    def add(self, column: np.ndarray) -> None:
        """Add a column of any float width (widened exactly as it is added)."""
        present = np.isfinite(column)
        # added only where present (no zero-filled float64 copy of the column)
        np.add(self.total, column, out=self.total, where=present)
        self.count += present

    def mean(self) -> np.ndarray:
        out = np.full(self.total.shape[0], np.nan)
        np.divide(self.total, self.count, out=out, where=self.count > 0)
        return out


def _nanmean_of(columns: Sequence[np.ndarray], n: int) -> np.ndarray:
    acc = _RowMean(n)
    for column in columns:
        acc.add(column)
    return acc.mean()




def _nanmean_columns(x: np.ndarray) -> np.ndarray:
    """Column means over the finite values; NaN where a column has none."""
    present = np.isfinite(x)
    count = present.sum(axis=0)
    total = np.where(present, x, 0.0).sum(axis=0)
    out = np.full(x.shape[1], np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def _row_mean(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    x = frame[list(columns)].to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(_nanmean_rows(x), index=frame.index)


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
    out: dict[str, np.ndarray] = {}
    gaps: dict[str, np.ndarray] = {}
    p_scores: dict[str, np.ndarray] = {}
    n = len(responses)
    for dim in layout.dimensions:
        # item by item, each column at its stored width: no rows × items copies, and only
        # the gap (in float64, as widened answers would give it) is a new column
        e_mean, p_mean, q_mean = _RowMean(n), _RowMean(n), _RowMean(n)
        for e_col, p_col in zip(layout.e_columns[dim], layout.p_columns[dim], strict=True):
            e, p = stored_values(responses, e_col), stored_values(responses, p_col)
            e_mean.add(e)
            p_mean.add(p)
            q_mean.add(np.subtract(p, e, dtype="float64"))  # NaN unless both answered
        out[f"{dim}.e"] = e_mean.mean()
        out[f"{dim}.p"] = p_scores[dim] = p_mean.mean()
        out[f"{dim}.gap"] = gaps[dim] = q_mean.mean()
    out["unweighted"] = _nanmean_of(list(gaps.values()), n)
    out["weighted"] = _weighted(responses, gaps, layout.allocation, n)
    out["servperf"] = _nanmean_of(list(p_scores.values()), n)
    return pd.DataFrame(out, index=responses.index)


def weighted_score(responses: pd.DataFrame, gaps: pd.DataFrame,
                   allocation: Allocation | None) -> pd.Series:
    """``Σ_d (points_d / total) · G_rd`` where the points add up and every gap is present."""
    value = _weighted(responses, {str(d): gaps[d].to_numpy(dtype="float64")
                                  for d in gaps.columns}, allocation, len(gaps))
    return pd.Series(value, index=gaps.index, dtype="float64")


def _weighted(responses: pd.DataFrame, gaps: dict[str, np.ndarray],
              allocation: Allocation | None, n: int) -> np.ndarray:
    """:func:`weighted_score` from each dimension's gaps, summed dimension by dimension in
    their order (as the row sums of the rows × dimensions matrix are)."""
    cols = [f"{allocation.id}.{d}" for d in gaps] if allocation is not None else []
    if allocation is None or any(c not in responses.columns for c in cols):
        return np.full(n, np.nan)
    valid = np.ones(n, dtype=bool)
    point_sum = np.zeros(n)
    weighted = np.zeros(n)
    for col, g in zip(cols, gaps.values(), strict=True):
        points = responses[col].to_numpy(dtype="float64")
        valid &= np.isfinite(points) & np.isfinite(g)
        point_sum += points
        term = points / allocation.total * np.nan_to_num(g)
        weighted += np.where(np.isnan(term), 0.0, term)  # what nansum adds
    valid &= np.isclose(point_sum, allocation.total)
    return np.where(valid, weighted, np.nan)


def item_gaps(responses: pd.DataFrame, layout: ServqualLayout) -> pd.DataFrame:
    """Per item: mean E, mean P and mean gap (over respondents with both), with n.

    Returns a frame indexed by item id with ``dimension, e, p, gap, n``.
    """
    e_cols = [c for d in layout.dimensions for c in layout.e_columns[d]]
    p_cols = [c for d in layout.dimensions for c in layout.p_columns[d]]
    means = np.empty((len(e_cols), 3))
    n = np.empty(len(e_cols), dtype="int64")
    # item by item: three (respondents × items) matrices of a million rows are never built
    for j, (e_col, p_col) in enumerate(zip(e_cols, p_cols, strict=True)):
        e = responses[e_col].to_numpy(dtype="float64", na_value=np.nan)[:, None]
        p = responses[p_col].to_numpy(dtype="float64", na_value=np.nan)[:, None]
        q = p - e
        means[j] = [_nanmean_columns(e)[0], _nanmean_columns(p)[0], _nanmean_columns(q)[0]]
        n[j] = np.isfinite(q).sum()
    return pd.DataFrame({
        "dimension": [d for d in layout.dimensions for _ in layout.e_columns[d]],
        "e": means[:, 0], "p": means[:, 1], "gap": means[:, 2], "n": n,
    }, index=pd.Index([c.rsplit(".", 1)[0] for c in e_cols], name="item"))


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


def construct_means(responses: pd.DataFrame, instrument: Instrument,
                    facet: str | None = None) -> pd.DataFrame:
    """Per respondent, the mean of each construct's answered items (one facet, or single
    answers when ``facet`` is None). Constructs without such items are left out."""
    out: dict[str, pd.Series] = {}
    for c in instrument.constructs:
        cols = (instrument.facet_columns(c.id, facet) if facet is not None
                else instrument.single_columns(c.id))
        cols = [col for col in cols if col in responses.columns]
        if cols:
            out[c.id] = _row_mean(responses, cols)
    return pd.DataFrame(out, index=responses.index)


def gap1(customers: pd.DataFrame, managers: pd.DataFrame, dimensions: Sequence[str],
         by: str | None = None) -> pd.DataFrame:
    """Gap 1, the knowledge gap: customers' E − managers' estimate of customers' E.

    Parameters
    ----------
    customers, managers : DataFrame
        One row per respondent with a column per dimension holding that respondent's
        dimension E (see :func:`construct_means` with ``facet="e"``), and ``by`` if given.
    dimensions : sequence of str
        The dimensions to compare (present in both frames).
    by : str, optional
        A grouping column in both frames (e.g. ``account_id``); overall when None.

    Returns
    -------
    DataFrame
        Long format: [``by``,] ``dimension``, ``customer_e``, ``customer_n``, ``manager_e``,
        ``manager_n``, ``gap1`` (= customer_e − manager_e; positive when managers
        underestimate what customers expect).
    """
    for name, frame in (("customers", customers), ("managers", managers)):
        missing = [d for d in [*dimensions, *([by] if by else [])] if d not in frame.columns]
        if missing:
            raise ValueError(f"{name} lacks the columns {missing} (argument {name})")
    dims = list(dimensions)
    if by is None:
        c_mean, c_n = customers[dims].mean().to_frame().T, customers[dims].count().to_frame().T
        m_mean, m_n = managers[dims].mean().to_frame().T, managers[dims].count().to_frame().T
    else:
        cg, mg = customers.groupby(by, observed=True), managers.groupby(by, observed=True)
        c_mean, c_n, m_mean, m_n = cg[dims].mean(), cg[dims].count(), mg[dims].mean(), \
            mg[dims].count()
    parts = {"customer_e": c_mean, "customer_n": c_n, "manager_e": m_mean, "manager_n": m_n}
    long = pd.concat({k: v.stack(future_stack=True) for k, v in parts.items()}, axis=1)
    long.index.names = [by or "_row", "dimension"]
    long[["customer_n", "manager_n"]] = long[["customer_n", "manager_n"]].fillna(0).astype(
        "int64")
    long["gap1"] = long["customer_e"] - long["manager_e"]
    long = long.reset_index()
    return long.drop(columns="_row") if by is None else long
