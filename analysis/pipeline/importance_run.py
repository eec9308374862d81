"""Rated importance: an importance rating per item or per construct, against performance.

The commonest importance–performance format asks "how important is …" on a rating scale
beside "how well do we do …". An instrument declares the importance facet
(``[facets.<id>] role = "importance"``); an item with that facet rates its own importance,
an item with only that facet rates its construct's. A construct's importance is, per
respondent, the mean of its importance answers on 0–100 (the shared rescale), averaged
over the respondents who gave one; its performance is the same over its perception (``p``)
answers, or its single answers when it has none. Quadrants: Martilla & James (1977), split
at the means (:func:`analysis.drivers.importance_performance`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..drivers import importance_performance
from ..instrument import Instrument
from ..scales import rescale_0_100
from .common import as_count, num

if TYPE_CHECKING:
    from .context import RunContext


def _index_per_respondent(responses: pd.DataFrame, inst: Instrument,
                          columns: list[str]) -> np.ndarray:
    """Each respondent's mean 0–100 answer over ``columns`` (NaN without any answer)."""
    lo = np.array([inst.column_range(c)[0] for c in columns], dtype="float64")
    hi = np.array([inst.column_range(c)[1] for c in columns], dtype="float64")
    x = rescale_0_100(responses[columns].to_numpy(dtype="float64", na_value=np.nan), lo, hi)
    answered = np.isfinite(x)
    counts = answered.sum(axis=1)
    totals = np.where(answered, x, 0.0).sum(axis=1)
    return np.divide(totals, counts, out=np.full(len(x), np.nan), where=counts > 0)


def rated_importance(inst: Instrument, responses: pd.DataFrame
                     ) -> tuple[dict[str, Any], pd.DataFrame] | None:
    """Importance and performance (0–100) per construct with quadrants, or None when the
    instrument declares no importance facet or no construct has both."""
    facet = inst.importance_facet
    if facet is None:
        return None
    importance: dict[str, float] = {}
    performance: dict[str, float] = {}
    counts: dict[str, int] = {}
    for c in inst.constructs:
        imp_cols = [col for col in inst.facet_columns(c.id, facet) if col in responses]
        perf_cols = [col for col in (inst.facet_columns(c.id, "p") or inst.single_columns(c.id))
                     if col in responses]
        if not imp_cols or not perf_cols:
            continue
        imp = _index_per_respondent(responses, inst, imp_cols)
        perf = _index_per_respondent(responses, inst, perf_cols)
        if not np.isfinite(imp).any() or not np.isfinite(perf).any():
            continue
        importance[c.id] = float(np.nanmean(imp))
        performance[c.id] = float(np.nanmean(perf))
        counts[c.id] = int(np.isfinite(imp).sum())
    if not importance:
        return None
    ipa = importance_performance(pd.Series(importance), pd.Series(performance))
    ipa["n"] = pd.Series(counts)
    summary = {"instrument": inst.id, "facet": facet,
               "constructs": {str(c): {"importance": num(r["importance"]),
                                       "performance": num(r["performance"]),
                                       "quadrant": r["quadrant"], "n": as_count(r["n"])}
                              for c, r in ipa.iterrows()}}
    return summary, ipa.reset_index(names="construct")


def run(ctx: RunContext) -> None:
    """``summary["rated_importance"]`` per instrument with an importance facet, and table
    ``rated_importance``."""
    tables = []
    for inst in ctx.questionnaire.instruments:
        rated = rated_importance(inst, ctx.answers)
        if rated is not None:
            ctx.summary.setdefault("rated_importance", {})[inst.id] = rated[0]
            tables.append(rated[1].assign(instrument=inst.id))
    if tables:
        ctx.tables["rated_importance"] = pd.concat(tables, ignore_index=True)
