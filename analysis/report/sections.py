"""The leadership sheets after the Accounts: service gaps, importance–performance,
relationship stages and contribution, each with its native chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import Marker
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties

from .blocks import Formula, Page, Span, records
from .criteria import criterion_words
from .labels import Labels
from .sheetxml import streamed_sheet
from .workbook import COUNT, INDEX, MONEY, PVALUE, SHARE

DECIMAL2 = "0.00"


def largest_gaps(data: Any, k: int) -> pd.DataFrame:
    """The ``k`` items whose mean gap falls furthest below expectation (the analysis's
    item table, ordered)."""
    return largest_gaps_of(data.table("servqual_items"), k)


def largest_gaps_of(items: pd.DataFrame, k: int) -> pd.DataFrame:
    """The ``k`` rows of an item-gap table (item, dimension, gap, n) with the lowest gap."""
    if items.empty or "gap" not in items:
        return items
    return items.dropna(subset=["gap"]).sort_values("gap", kind="stable").head(k)


def bar_chart(ws: Any, title: str, span: Span, label_col: int, value_col: int,
              horizontal: bool = False, values: Sequence[Any] = ()) -> BarChart:
    """A bar chart of one column; horizontal bars run in the table's order, top down, and
    the value axis includes 0 (``values``: the plotted numbers), so a gap's length reads
    from zero."""
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title, chart.legend = title, None
    chart.add_data(Reference(ws, min_col=value_col, min_row=span.header, max_row=span.last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=label_col, min_row=span.first,
                                   max_row=span.last))
    chart.x_axis.tickLblPos = "low"  # labels clear of bars below zero
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # the first row on top, as in the table
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and v == v]
    if numbers and max(numbers) < 0:
        chart.y_axis.scaling.max = 0
    elif numbers and min(numbers) > 0:
        chart.y_axis.scaling.min = 0
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.height, chart.width = 7.0, 14.0
    return chart


def write_gaps(wb: Any, name: str, data: Any, labels: Labels) -> None:
    tests = data.table("servqual_tests")
    dims = (data.summary.get("servqual") or {}).get("dimensions") or {}
    if not dims:
        return
    page = Page(streamed_sheet(wb, name), [36, 14, 10, 10, 10, 8, 8, 10, 10])
    page.title(labels("t.gaps"), labels("n.gaps"), span=9)
    page.blank()
    alpha = data.table("reliability")
    alphas = {} if alpha.empty else {
        r["construct"]: r["alpha"] for r in alpha.to_dict(orient="records")
        if r.get("on") == "p"}
    rows = [[labels.coded("dim", d), None, v.get("e"), v.get("p"), v.get("gap"), v.get("n"),
             alphas.get(d), v.get("p_wilcoxon"), v.get("p_holm")] for d, v in dims.items()]
    span = page.table([labels("col.dimension"), "", labels("col.e"), labels("col.p"),
                       labels("col.gap"), labels("col.n"), labels("col.alpha"),
                       labels("col.p_wilcoxon"), labels("col.p_holm")], rows,
                      [None, None, DECIMAL2, DECIMAL2, DECIMAL2, COUNT, DECIMAL2, PVALUE,
                       PVALUE])
    page.ws.add_chart(bar_chart(page.ws, labels("t.gaps"), span, 1, 5,
                                values=[r[4] for r in rows]), "K3")
    del tests
    items = data.table("servqual_items")
    if not items.empty:
        page.blank(8)  # room beside the chart
        page.section(labels("t.gap_items"))
        page.table([labels("col.item"), labels("col.dimension"), labels("col.e"),
                    labels("col.p"), labels("col.gap"), labels("col.n")],
                   [[labels(f"item.{r['item']}"), labels.coded("dim", r["dimension"]),
                     r["e"], r["p"], r["gap"], r["n"]] for r in items.to_dict(orient="records")],
                   [None, None, DECIMAL2, DECIMAL2, DECIMAL2, COUNT])
    gap1 = data.table("servqual_gap1")
    if not gap1.empty:
        page.blank()
        page.section(labels("t.gap1"))
        page.table([labels("col.dimension"), "", labels("col.customer_e"),
                    labels("col.manager_e"), labels("col.gap1"), labels("col.n")],
                   [[labels.coded("dim", r["dimension"]), None, r["customer_e"], r["manager_e"],
                     r["gap1"], r.get("manager_n")] for r in gap1.to_dict(orient="records")],
                   [None, None, DECIMAL2, DECIMAL2, DECIMAL2, COUNT])
    page.ws.print_title_rows = f"{span.header}:{span.header}"


def _line(chart: ScatterChart, ws: Any, col: int, first: int, title: str) -> None:
    series = Series(Reference(ws, min_col=col + 1, min_row=first, max_row=first + 1),
                    Reference(ws, min_col=col, min_row=first, max_row=first + 1),
                    title=title)
    series.marker = Marker(symbol="none")
    series.graphicalProperties = GraphicalProperties(ln=LineProperties(
        solidFill="7F7F7F", prstDash="dash", w=12700))
    chart.series.append(series)


def write_ipa(wb: Any, name: str, data: Any, labels: Labels) -> None:
    table = data.table("servqual_importance")
    if table.empty:
        return
    page = Page(streamed_sheet(wb, name), [20, 12, 12, 22, 4, 12, 12])
    page.title(labels("t.ipa"), labels("n.ipa"), span=7)
    page.blank()
    records = table.to_dict(orient="records")
    span = page.table([labels("col.dimension"), labels("col.importance"),
                       labels("col.performance"), labels("col.quadrant_ipa")],
                      [[labels.coded("dim", r["dimension"]), r["importance"], r["performance"],
                        labels.coded("ipa", r["quadrant"])] for r in records],
                      [None, INDEX, INDEX, None])
    imp_split, perf_split = records[0]["importance_split"], records[0]["performance_split"]
    xs = [r["importance"] for r in records] + [imp_split]
    ys = [r["performance"] for r in records] + [perf_split]
    lo_x, hi_x = min(xs) * 0.9, max(xs) * 1.1
    lo_y, hi_y = min(ys) - 3, max(ys) + 3
    page.blank()
    # the quadrant lines' end points, as cells the chart reads
    first = page.row + 2
    page.table(["x", "y"], [[imp_split, lo_y], [imp_split, hi_y], [lo_x, perf_split],
                            [hi_x, perf_split]], [INDEX, INDEX])
    chart = ScatterChart()
    chart.title, chart.style = labels("t.ipa"), 13
    chart.x_axis.title, chart.y_axis.title = labels("col.importance"), labels("col.performance")
    chart.x_axis.scaling.min, chart.x_axis.scaling.max = lo_x, hi_x
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = lo_y, hi_y
    chart.x_axis.delete = chart.y_axis.delete = False
    for k in range(len(records)):
        r = span.first + k
        series = Series(Reference(page.ws, min_col=3, min_row=r),
                        Reference(page.ws, min_col=2, min_row=r),
                        title=labels.coded("dim", records[k]["dimension"]))
        series.marker = Marker(symbol="circle", size=9)
        series.marker.graphicalProperties = GraphicalProperties(solidFill="1F4E79")
        series.graphicalProperties = GraphicalProperties(ln=LineProperties(noFill=True))
        series.dLbls = DataLabelList()
        series.dLbls.showSerName = True
        for attr in ("showVal", "showCatName", "showLegendKey", "showPercent"):
            setattr(series.dLbls, attr, False)
        chart.series.append(series)
    _line(chart, page.ws, 1, first, labels("col.importance"))
    _line(chart, page.ws, 1, first + 2, labels("col.performance"))
    chart.legend = None
    chart.height, chart.width = 10.0, 16.0
    page.ws.add_chart(chart, "F3")


def write_stages(wb: Any, name: str, data: Any, labels: Labels, accounts_sheet: str,
                 columns: Sequence[Any], accounts: Span) -> None:
    from .leadership import letter_of

    order = list(data.summary.get("stages") or {})
    table = data.table("accounts")
    if not order or table.empty or "stage" not in table:
        return
    types = [t for t in ("price_sensitive", "value_added", "partnership")
             if "customer_type" in table and (table["customer_type"] == t).any()]
    types += sorted({str(t) for t in table.get("customer_type", pd.Series(dtype=str))
                     .dropna()} - set(types))
    page = Page(streamed_sheet(wb, name), [24, 14, 14, 14, 10, 40, 40, 16],
                freeze=None)
    page.title(labels("t.stages"), labels("n.stages"), span=8)
    page.blank()
    q = f"'{accounts_sheet}'!"
    stage_letter, type_letter = letter_of(columns, "col.stage"), letter_of(columns,
                                                                           "col.customer_type")
    stage_ref = f"{q}${stage_letter}${accounts.first}:${stage_letter}${accounts.last}"
    type_ref = f"{q}${type_letter}${accounts.first}:${type_letter}${accounts.last}"
    rows = []
    for k, stage_id in enumerate(order):
        r = page.row + 2 + k
        rows.append([labels.coded("stage", stage_id), *[
            Formula(f'=COUNTIFS({stage_ref},$A{r},{type_ref},"{labels.coded("customer_type", t)}")')
            for t in types], Formula(f"=COUNTIF({stage_ref},$A{r})")])
    span = page.table([labels("col.stage"), *[labels.coded("customer_type", t) for t in types],
                       labels("w.total")], rows, [None, *[COUNT] * (len(types) + 1)])
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    chart.title = labels("t.stage_by_type")
    chart.add_data(Reference(page.ws, min_col=2, max_col=1 + len(types), min_row=span.header,
                             max_row=span.last), titles_from_data=True)
    chart.set_categories(Reference(page.ws, min_col=1, min_row=span.first, max_row=span.last))
    chart.height, chart.width = 7.5, 16.0
    page.ws.add_chart(chart, f"F{span.header}")
    page.blank(max(0, 15 - len(order)))
    page.section(labels("t.evidence"))
    evidence = data.table("stage_evidence")
    by_account = {} if evidence.empty else {
        str(k): g for k, g in evidence.groupby("account_id", sort=False, observed=True)}
    rank = {s: k for k, s in enumerate(order)}
    lines = []
    for rec in records(table.sort_values("stage", key=lambda s: s.map(rank)),
                       ["account_id", "name", "stage", "next_stage"]):
        code = str(rec["account_id"])
        met, unmet = _criteria(by_account.get(code), labels, data.indicator_units)
        before = data.previous_stages.get(code)
        lines.append([rec.get("name") or code, labels.coded("stage", rec.get("stage")),
                      labels.coded("stage", before) if before else "",
                      labels.coded("stage", rec.get("next_stage")), None, met, unmet, None])
    evidence_span = page.table(
        [labels("col.name"), labels("col.stage"), labels("col.previous"),
         labels("col.next_stage"), "", labels("col.met"), labels("col.not_met"), ""],
        lines, [None] * 8)
    page.ws.print_title_rows = f"{evidence_span.header}:{evidence_span.header}"


def _criteria(rows: pd.DataFrame | None, labels: Labels,
              units: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The account's criteria up to its next stage, named: met ones; unmet with values."""
    if rows is None or rows.empty:
        return "", ""
    upto = rows[(rows["met"]) | (rows["next"])] if "next" in rows else rows
    met = [labels.coded("ind", i) for i in dict.fromkeys(
        upto.loc[upto["met"], "indicator"].astype(str))]
    unmet = [criterion_words(r, labels, units)
             for r in upto[~upto["met"].astype(bool)].to_dict(orient="records")]
    sep = "；" if labels.lang == "zh" else "; "
    return sep.join(met), sep.join(unmet)


def write_contribution(wb: Any, name: str, data: Any, labels: Labels) -> None:
    table = data.table("accounts")
    if table.empty or "contribution" not in table:
        return
    page = Page(streamed_sheet(wb, name), [26, 8, 14, 10, 22, 4])
    page.title(labels("t.contribution"), labels("n.contribution"), span=6)
    page.blank()
    ranked = table.sort_values("contribution", ascending=False, na_position="last")
    rows = [[r.get("name") or r["account_id"], r.get("abc"), r.get("contribution"),
             r.get("contribution_share"), r.get("cumulative_share")]
            for r in records(ranked, ["account_id", "name", "abc", "contribution",
                                      "contribution_share", "cumulative_share"])]
    span = page.table([labels("col.name"), labels("col.abc"), labels("col.contribution"),
                       labels("col.share"), labels("col.cumulative_share")], rows,
                      [None, None, MONEY, SHARE, SHARE])
    if rows:
        bars = bar_chart(page.ws, labels("t.contribution"), span, 1, 3)
        line = LineChart()
        line.add_data(Reference(page.ws, min_col=5, min_row=span.header, max_row=span.last),
                      titles_from_data=True)
        line.y_axis.axId, line.y_axis.scaling.min, line.y_axis.scaling.max = 200, 0, 1
        line.y_axis.number_format, line.y_axis.crosses = "0%", "max"
        line.y_axis.delete = False
        bars.y_axis.delete = bars.x_axis.delete = False
        bars += line
        bars.height, bars.width = 9.0, 20.0
        page.ws.add_chart(bars, "H3")
    losers = ranked[ranked.get("abc") == "D"] if "abc" in ranked else ranked.iloc[0:0]
    page.blank()
    page.section(labels("t.loss"))
    page.table([labels("col.name"), labels("col.abc"), labels("col.contribution"),
                labels("col.revenue"), labels("col.owner")],
               [[r.get("name") or r["account_id"], r.get("abc"), r.get("contribution"),
                 r.get("revenue"), r.get("owner")]
                for r in records(losers, ["account_id", "name", "abc", "contribution",
                                          "revenue", "owner"])],
               [None, None, MONEY, MONEY, None])
    page.ws.print_title_rows = f"{span.header}:{span.header}"
