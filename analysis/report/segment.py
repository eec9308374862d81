"""A workbook filtered to one segment (one customer type, industry or owner): the Summary
shows the segment's own figures from the run's ``segments`` table, labelled as the
segment's, with the portfolio's like-for-like figures beside them.

The figures are the analysis's (``analysis.pipeline.segments``: plain means over the
segment's respondents, as the portfolio summary); the writer only picks the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

SEGMENT_COLUMNS = ("customer_type", "industry", "owner")
ALL = "all"  # the run's row of every customer's response, the like-for-like portfolio
# Summary measure → the segments table's column
FIGURES = (("m.nps", "nps"), ("m.nps_moe", "nps.moe"),
           ("m.servqual_weighted", "servqual.weighted"), ("m.satisfaction", "satisfaction"),
           ("m.loyalty", "loyalty_index"))


@dataclass(frozen=True)
class SegmentView:
    """The segment a workbook is filtered to, and the figures its Summary shows."""

    column: str  # customer_type, industry or owner
    value: str  # as stored
    figures: dict[str, Any]  # Summary measure → the segment's figure
    portfolio: dict[str, Any]  # Summary measure → the portfolio's (None: not comparable)
    responses: int | None
    items: pd.DataFrame  # the segment's item gaps (as servqual_items)


def only_segment(filters: Mapping[str, str | None]) -> tuple[str, str] | None:
    """The (column, value) when exactly one segment column is filtered, else None."""
    given = [(c, v) for c, v in filters.items() if c in SEGMENT_COLUMNS and v]
    return given[0] if len(given) == 1 else None


def describe_filters(filters: Mapping[str, str | None], labels: Any) -> str:
    """"客户类型 = 合作伙伴型, 负责人 = li@example.com": the filters as a reader knows them."""
    return ", ".join(
        f"{labels('col.' + c)} = "
        f"{labels.coded(c, v.strip().casefold()) if c == 'customer_type' else v}"
        for c, v in filters.items() if v)


def segment_row(table: pd.DataFrame, column: str, value: str) -> dict[str, Any] | None:
    """The ``segments`` row of ``column = value`` (compared as the export's filter does:
    stripped, case-insensitively), or None."""
    if table.empty or not {"segment", "value"} <= set(table.columns):
        return None
    wanted = value.strip().casefold()
    rows = table[(table["segment"].astype("string") == column)
                 & (table["value"].astype("string").str.strip().str.casefold() == wanted)]
    return None if rows.empty else {str(k): v for k, v in rows.iloc[0].items()}


def figures_of(row: Mapping[str, Any] | None) -> dict[str, Any]:
    """Summary measure → figure of a ``segments`` row (missing or NaN: None)."""
    out: dict[str, Any] = {}
    for key, column in FIGURES:
        value = None if row is None else row.get(column)
        out[key] = None if value is None or pd.isna(value) else value
    return out


def segment_view(tables: Mapping[str, pd.DataFrame], segment: tuple[str, str] | None,
                 summary: Mapping[str, Any]) -> SegmentView | None:
    """The view of ``segment`` in a run's tables (None: no segment, or the run has no row
    for it, e.g. a run from before the segments table)."""
    if segment is None:
        return None
    table = tables.get("segments", pd.DataFrame())
    column, value = segment
    row = segment_row(table, column, value)
    if row is None:
        return None
    everyone = segment_row(table, ALL, "")
    if everyone is not None:
        portfolio = figures_of(everyone)
    else:  # a run without the like-for-like row: the summary's own plain means
        sq = summary.get("servqual") or {}
        portfolio = {"m.nps": (summary.get("nps") or {}).get("nps"),
                     "m.nps_moe": (summary.get("nps") or {}).get("moe"),
                     "m.servqual_weighted": sq.get("weighted"), "m.satisfaction": None,
                     "m.loyalty": (summary.get("loyalty") or {}).get("loyalty_index")}
    items = tables.get("segment_items", pd.DataFrame())
    if not items.empty:
        items = items[(items["segment"].astype("string") == column)
                      & (items["value"].astype("string") == str(row["value"]))]
    responses = row.get("responses")
    return SegmentView(column, str(row["value"]), figures_of(row), portfolio,
                       None if responses is None or pd.isna(responses) else int(responses),
                       items.reset_index(drop=True))
