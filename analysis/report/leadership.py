"""The leadership workbook: a stored run's tables → ten sheets a board reads, then the
analysts' statistics.

The writer formats; every figure comes from the analysis (the run's ``summary`` and tables).
The only arithmetic in the workbook is Excel's own: totals and ratios a reader may trace on
the Summary and Accounts sheets are live formulas over the Accounts sheet. The workbook is
streamed (openpyxl write-only): each sheet is written once, row by row.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import Font

from . import cards, sections
from .blocks import BOLD, TOTAL_BORDER, Formula, Page, Span, records, stage_fill
from .labels import Labels
from .segment import SegmentView, figures_of, segment_view
from .sheetxml import streamed_sheet
from .workbook import COUNT, INDEX, MONEY, SHARE, unique_sheet_name

DECIMAL2 = "0.00"
ACCOUNT_HEADER_ROW = 4  # title, note, blank, header


@dataclass
class ReportData:
    """What the workbook shows: a run's ``summary`` and ``tables`` and the wave's context."""

    tables: Mapping[str, pd.DataFrame]
    summary: Mapping[str, Any]
    wave: str = ""
    as_of: datetime | None = None
    previous: Mapping[str, Any] | None = None  # the previous wave's summary
    response_count: int | None = None  # customers' responses scored (None: the summary's)
    previous_response_count: int | None = None
    previous_stages: Mapping[str, str] = field(default_factory=dict)  # account → stage id
    satisfied_target: float = 0.8  # share of accounts at or above the satisfied cut-off
    anonymous: bool = False
    responses: pd.DataFrame | None = None  # wide answers (already masked as the wave needs)
    comments: pd.DataFrame | None = None
    tasks: pd.DataFrame | None = None  # open follow-up tasks: account, title, owner, due
    key_accounts: Sequence[str] | None = None  # scorecard sheets (default: the A accounts)
    texts: Mapping[str, str] = field(default_factory=dict)  # "item.sq01" / "dim.x" → text
    instruments: Sequence[str] = ()  # "servqual v1", …
    filters: str = ""
    # the one segment the accounts are filtered to, (column, value): the Summary shows the
    # run's figures of that segment (the ``segments`` table), the portfolio's beside them
    segment: tuple[str, str] | None = None
    previous_segment: Mapping[str, Any] | None = None  # its row in the previous wave's run
    min_answers: int = 3  # below this many answers a figure is flagged on the Method sheet
    indicator_units: Mapping[str, str] = field(default_factory=dict)  # stage file's units

    def table(self, name: str) -> pd.DataFrame:
        table = self.tables.get(name)
        return pd.DataFrame() if table is None else table


@dataclass(frozen=True)
class AccountColumn:
    key: str  # label key
    source: str | None  # run column (None: built by the writer)
    fmt: str | None
    width: float


def _dimensions(data: ReportData) -> list[str]:
    return list((data.summary.get("servqual") or {}).get("dimensions") or {})


def account_columns(data: ReportData) -> list[AccountColumn]:
    cols = [AccountColumn("col.account_id", "account_id", None, 10),
            AccountColumn("col.name", "name", None, 24),
            AccountColumn("col.industry", "industry", None, 10),
            AccountColumn("col.customer_type", "customer_type", None, 12),
            AccountColumn("col.owner", "owner", None, 22),  # an email fits unwrapped
            AccountColumn("col.stage", "stage", None, 14),
            AccountColumn("col.abc", "abc", None, 6),
            AccountColumn("col.revenue", "revenue", MONEY, 12),
            AccountColumn("m.wallet", "wallet", MONEY, 12),
            AccountColumn("col.contribution", "contribution", MONEY, 12),
            AccountColumn("col.share_of_wallet", None, SHARE, 9),
            AccountColumn("col.growth", "growth", SHARE, 8),
            AccountColumn("col.nps", "nps", INDEX, 8),
            # beside each role-weighted score: the plain mean and its n (DESIGN: roll-up)
            AccountColumn("col.nps_unweighted", "nps.unweighted", INDEX, 8),
            AccountColumn("col.nps_n", "nps.n", COUNT, 6),
            AccountColumn("col.satisfaction", "satisfaction", INDEX, 9),
            AccountColumn("col.loyalty_index", "loyalty_index", INDEX, 9)]
    cols += [AccountColumn(f"dim.{d}", f"servqual.{d}.gap", DECIMAL2, 9)
             for d in _dimensions(data)]
    cols.append(AccountColumn("m.servqual_weighted", "servqual.weighted", DECIMAL2, 9))
    cols += [AccountColumn("col.responses", "responses", COUNT, 7),
             AccountColumn("col.invited", "invited", COUNT, 7),
             AccountColumn("col.responded", "responded", COUNT, 7),
             AccountColumn("col.roles", "roles", None, 26)]
    accounts = data.table("accounts")
    # invited / responded come from the wave's invitations: files alone do not have them
    return [c for c in cols if c.source is None and {"revenue", "wallet"} <= set(accounts)
            or c.source in accounts.columns]


def letter_of(columns: Sequence[AccountColumn], key: str) -> str | None:
    from openpyxl.utils import get_column_letter
    for k, col in enumerate(columns, start=1):
        if col.key == key:
            return get_column_letter(k)
    return None


def _value(row: Mapping[Any, Any], column: AccountColumn, labels: Labels) -> Any:
    value = row.get(column.source) if column.source else None
    if column.source == "customer_type":
        return labels.coded("customer_type", value)
    if column.source == "stage":
        return labels.coded("stage", value)
    if column.source == "roles":
        return labels.roles(value)
    if column.source in ("invited", "responded") and (value is None or pd.isna(value)):
        return 0
    return value


def write_accounts(page: Page, data: ReportData, labels: Labels, sheet: str) -> Span:
    """One row per account with live ratios and totals, filters, conditional formats."""
    columns = account_columns(data)
    accounts = data.table("accounts").sort_values(
        "contribution", ascending=False, na_position="last") \
        if "contribution" in data.table("accounts") else data.table("accounts")
    invitations = "" if letter_of(columns, "col.invited") else " " + labels("n.no_invitations")
    page.title(labels("t.accounts") + (f" — {data.wave}" if data.wave else ""),
               labels("n.accounts") + " " + labels("n.formulas") + invitations, span=10)
    page.blank()
    rev, wal = letter_of(columns, "col.revenue"), letter_of(columns, "m.wallet")
    rows = []
    for r, record in enumerate(records(accounts, [c.source for c in columns if c.source]),
                               start=ACCOUNT_HEADER_ROW + 1):
        values = []
        for col in columns:
            if col.key == "col.share_of_wallet":  # a ratio a reader can trace
                values.append(Formula(f'=IF(AND(ISNUMBER({wal}{r}),{wal}{r}>0),'
                                      f'{rev}{r}/{wal}{r},"")'))
            else:
                values.append(_value(record, col, labels))
        rows.append(values)
    span = page.table([labels(c.key) for c in columns], rows, [c.fmt for c in columns])
    # sums (and the ratio of sums) on one row, the accounts' mean of each index and gap on
    # the next: one "total" row holding means read as a second, contradictory NPS
    total: list[Any] = []
    means: list[Any] = []
    for col in columns:
        letter = letter_of(columns, col.key)
        ref = f"{letter}{span.first}:{letter}{span.last}"
        mean = None
        if col.key == "col.account_id":
            total.append(page.cell(labels("w.total"), font=BOLD, border=TOTAL_BORDER))
            mean = page.cell(labels("w.mean_of_accounts"), font=BOLD)
        elif col.fmt == MONEY or col.fmt == COUNT:
            total.append(page.cell(Formula(f"=SUM({ref})"), font=BOLD, fmt=col.fmt,
                                   border=TOTAL_BORDER))
        elif col.key == "col.share_of_wallet":
            total.append(page.cell(Formula(
                f"=IF(SUM({wal}{span.first}:{wal}{span.last})>0,"
                f"SUM({rev}{span.first}:{rev}{span.last})/"
                f"SUM({wal}{span.first}:{wal}{span.last}),\"\")"), font=BOLD, fmt=SHARE,
                border=TOTAL_BORDER))
        elif col.fmt in (INDEX, DECIMAL2):  # mean over the accounts with a value
            total.append(page.cell(None, border=TOTAL_BORDER))
            mean = page.cell(Formula(f'=IF(COUNT({ref})>0,AVERAGE({ref}),"")'), font=BOLD,
                             fmt=col.fmt)
        else:
            total.append(page.cell(None, border=TOTAL_BORDER))
        means.append(mean)
    if rows:
        page.append(total)
        page.append(means)
    ws = page.ws
    last_col = letter_of(columns, columns[-1].key)
    ws.auto_filter.ref = f"A{span.header}:{last_col}{max(span.last, span.header)}"
    if rows:
        for col in columns:
            if col.key.startswith("dim."):  # gaps: red (below expectation) to green
                letter = letter_of(columns, col.key)
                ws.conditional_formatting.add(
                    f"{letter}{span.first}:{letter}{span.last}",
                    ColorScaleRule(start_type="num", start_value=-2, start_color="F8696B",
                                   mid_type="num", mid_value=0, mid_color="FFFFFF",
                                   end_type="num", end_value=1, end_color="63BE7B"))
        stage = letter_of(columns, "col.stage")
        order = list(data.summary.get("stages") or {})
        for k, stage_id in enumerate(order):
            label = labels.coded("stage", stage_id).replace('"', '""')
            ws.conditional_formatting.add(
                f"{stage}{span.first}:{stage}{span.last}",
                FormulaRule(formula=[f'${stage}{span.first}="{label}"'],
                            fill=stage_fill(k, stage_id == "uncoupling"),
                            font=Font(bold=True)))
    ws.print_title_rows = f"{span.header}:{span.header}"
    return span


def write_summary(page: Page, data: ReportData, labels: Labels, accounts_sheet: str,
                  columns: Sequence[AccountColumn], span: Span) -> None:
    """The one printed page: headline figures (live where traceable), stages, top gaps."""
    q = f"'{accounts_sheet}'!"

    def col(key: str) -> str:
        letter = letter_of(columns, key)
        return f"{q}${letter}${span.first}:${letter}${span.last}" if letter else ""

    summary, previous = data.summary, data.previous or {}
    view = segment_view(data.tables, data.segment, summary)
    as_of = f"{labels('w.as_of')}: {data.as_of:%Y-%m-%d %H:%M} UTC" if data.as_of else ""
    page.title(labels("t.summary"), " · ".join(x for x in (
        f"{labels('w.wave')}: {data.wave}" if data.wave else "", as_of,
        f"{labels('w.filters')}: {data.filters}" if data.filters else "") if x), span=6)
    if view is not None:
        page.banner(labels("n.segment", segment=segment_name(view, labels)), span=7)
    page.blank()
    page.section(labels("t.headline"))

    def headline(s: Mapping[str, Any]) -> dict[str, Any]:
        sq = s.get("servqual") or {}
        index = (s.get("model") or {}).get("index") or {}
        sat = next((v for k, v in index.items() if k.upper().startswith("SAT")), None)
        return {"m.nps": (s.get("nps") or {}).get("nps"),
                "m.nps_moe": (s.get("nps") or {}).get("moe"),
                "m.servqual_weighted": sq.get("weighted"),
                "m.satisfaction": sat,
                "m.loyalty": (s.get("loyalty") or {}).get("loyalty_index"),
                "m.responses": None}

    now, before = headline(summary), headline(previous)
    before["m.responses"] = data.previous_response_count
    beside: dict[str, Any] = {}
    if view is not None:  # the segment's figures; the previous wave's of the same segment
        now = {**view.figures, "m.responses": None}
        before = {**figures_of(data.previous_segment), "m.responses": None}
        beside = view.portfolio
    has_accounts = span.last >= span.first
    cutoff = (summary.get("quadrant_cutoffs") or {}).get("satisfaction")
    rows: list[tuple[str, Any, str | None, Any, Any]] = []
    if has_accounts and col("col.responses"):
        rows.append(("m.accounts", Formula(f'=COUNTIF({col("col.responses")},">0")'),
                     COUNT, None, None))
        rows.append(("m.responses", Formula(f"=SUM({col('col.responses')})"), COUNT,
                     before["m.responses"], None))
    if has_accounts and col("col.invited"):
        rows.append(("m.response_rate", Formula(
            f'=IF(SUM({col("col.invited")})>0,SUM({col("col.responded")})/'
            f'SUM({col("col.invited")}),"")'), SHARE, None, None))
    elif has_accounts:  # analysed from files: nothing says who was invited
        rows.append(("m.response_rate", labels("w.not_known"), None, None, None))
    if has_accounts and col("col.revenue") and col("col.responses"):
        rows.append(("m.revenue_coverage", Formula(
            f'=IF(SUM({col("col.revenue")})>0,SUMIF({col("col.responses")},">0",'
            f'{col("col.revenue")})/SUM({col("col.revenue")}),"")'), SHARE, None, None))
    for key, measure_format in (("m.nps", INDEX), ("m.nps_moe", INDEX),
                                ("m.servqual_weighted", DECIMAL2),
                                ("m.satisfaction", INDEX), ("m.loyalty", INDEX)):
        if now[key] is not None:
            rows.append((key, now[key], measure_format, before[key], None))
    if has_accounts and cutoff is not None and col("col.satisfaction"):
        sat = col("col.satisfaction")
        rows.append(("m.satisfied_rate", Formula(
            f'=IF(COUNT({sat})>0,COUNTIF({sat},">={cutoff:g}")/COUNT({sat}),"")'), SHARE,
            None, data.satisfied_target))
    if has_accounts and col("col.contribution"):
        rows.append(("m.total_revenue", Formula(f"=SUM({col('col.revenue')})"), MONEY,
                     None, None))
        rows.append(("m.total_contribution", Formula(f"=SUM({col('col.contribution')})"),
                     MONEY, None, None))
        rows.append(("m.loss_makers", Formula(f'=COUNTIF({col("col.contribution")},"<=0")'),
                     COUNT, None, None))
    page.header([labels("col.measure"),
                 labels("col.segment_value") if view else labels("col.value"),
                 labels("col.previous"), labels("col.change"), labels("col.target"), "",
                 *([labels("col.portfolio")] if view else [])],
                [False, True, True, True, True, False, True])
    for key, value, fmt, prior, target in rows:
        r = page.row + 1
        change = Formula(f'=IF(AND(ISNUMBER(B{r}),ISNUMBER(C{r})),B{r}-C{r},"")') \
            if prior is not None else None
        status = Formula(f'=IF(ISNUMBER(B{r}),IF(B{r}>=E{r},"{labels("w.target_met")}",'
                         f'"{labels("w.target_missed")}"),"")') if target is not None else None
        label = labels(key) + (f" (≥ {cutoff:g})" if key == "m.satisfied_rate" else "")
        page.append([page.cell(label), page.cell(value, fmt=fmt), page.cell(prior, fmt=fmt),
                     page.cell(change, fmt=fmt), page.cell(target, fmt=fmt),
                     page.cell(status, font=BOLD),
                     *([page.cell(beside.get(key), fmt=fmt)] if view else [])])
    if not data.previous and not (view and data.previous_segment):
        page.banner(labels("n.no_previous"), span=6)
    page.blank()
    chart_col = "I" if view else "H"  # right of the portfolio's column, when it is there
    _summary_stages(page, data, labels, col("col.stage"), has_accounts, chart_col)
    page.blank()
    top = sections.largest_gaps(data, 5) if view is None else \
        sections.largest_gaps_of(view.items, 5)
    if not top.empty:
        page.section(labels("t.top_gaps") + (f" — {segment_name(view, labels)}" if view
                                             else ""))
        gaps = page.table([labels("col.item"), labels("col.dimension"), labels("col.gap"),
                           labels("col.n")],
                          [[labels(f"item.{r['item']}"), labels.coded("dim", r["dimension"]),
                            r["gap"], r["n"]] for r in top.to_dict(orient="records")],
                          [None, None, DECIMAL2, COUNT])
        chart = sections.bar_chart(page.ws, labels("t.top_gaps"), gaps, label_col=1,
                                   value_col=3, horizontal=True,
                                   values=list(top["gap"]))
        chart.height = 9.0  # room for all five items' names
        page.ws.add_chart(chart, f"{chart_col}{gaps.header - 1}")
    page.ws.print_area = f"A1:P{max(page.row, 40)}"


def _summary_stages(page: Page, data: ReportData, labels: Labels, stage_ref: str,
                    has_accounts: bool, chart_col: str) -> None:
    order = list(data.summary.get("stages") or {})
    if not order:
        return
    page.section(labels("t.stage_mix"))
    rows: list[list[Any]] = []
    total = f"SUM(B${page.row + 2}:B${page.row + 1 + len(order)})"
    for stage_id in order:
        r = page.row + 2 + len(rows)
        label = labels.coded("stage", stage_id)
        count: Any = Formula(f"=COUNTIF({stage_ref},A{r})") if has_accounts else \
            data.summary["stages"][stage_id]
        rows.append([label, count, Formula(f'=IF({total}>0,B{r}/{total},"")')])
    span = page.table([labels("col.stage"), labels("col.count"), labels("col.share")], rows,
                      [None, COUNT, SHARE])
    chart = BarChart()
    chart.type, chart.title, chart.legend = "col", labels("t.stage_mix"), None
    chart.add_data(Reference(page.ws, min_col=2, min_row=span.header, max_row=span.last),
                   titles_from_data=True)
    chart.set_categories(Reference(page.ws, min_col=1, min_row=span.first, max_row=span.last))
    chart.height, chart.width = 8.0, 15.0  # the stages' names slant: room for them
    page.ws.add_chart(chart, f"{chart_col}4")


def leadership_workbook(data: ReportData, lang: str = "zh", out: IO[bytes] | None = None,
                        progress: Callable[[str], None] | None = None) -> bytes | None:
    """Write the workbook (to ``out``, or return its bytes)."""
    from .analysis_book import analyst_sheets
    from .workbook import write_sheet

    labels = Labels(lang, data.texts)
    step = progress or (lambda _name: None)
    wb = Workbook(write_only=True)
    used: set[str] = set()
    names = {key: unique_sheet_name(labels(f"sheet.{key}"), used) for key in (
        "summary", "accounts", "gaps", "ipa", "stages", "contribution")}
    columns = account_columns(data)
    n = len(data.table("accounts"))
    span = Span(ACCOUNT_HEADER_ROW, ACCOUNT_HEADER_ROW + 1, ACCOUNT_HEADER_ROW + n)
    summary = Page(streamed_sheet(wb, names["summary"]), [30, 13, 13, 11, 11, 9, 13],
                   landscape=True, one_page=True)
    write_summary(summary, data, labels, names["accounts"], columns, span)
    step(names["summary"])
    if n:
        page = Page(streamed_sheet(wb, names["accounts"]), [c.width for c in columns],
                    freeze=f"C{ACCOUNT_HEADER_ROW + 1}")
        write_accounts(page, data, labels, names["accounts"])
        step(names["accounts"])
    sections.write_gaps(wb, names["gaps"], data, labels)
    sections.write_ipa(wb, names["ipa"], data, labels)
    sections.write_stages(wb, names["stages"], data, labels, names["accounts"], columns, span)
    sections.write_contribution(wb, names["contribution"], data, labels)
    step(names["contribution"])
    for code, (row, items, evidence) in cards.card_rows(data, cards.key_accounts(data)).items():
        cards.write_scorecard(wb, used, code, row, items, evidence, data, labels)
        step(code)
    cards.write_method(wb, unique_sheet_name(labels("sheet.method"), used), data, labels)
    for sheet, technical in cards.raw_sheets(data, labels) + analyst_sheets(data.tables, lang):
        write_sheet(streamed_sheet(wb, unique_sheet_name(sheet.name, used)), sheet, technical)
        step(sheet.name)
    if out is not None:
        wb.save(out)
        return None
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(float(value))


def segment_name(view: SegmentView, labels: Labels) -> str:
    """"客户类型 = 价格敏感型": the segment as a reader knows it."""
    value = labels.coded(view.column, view.value) if view.column == "customer_type" \
        else view.value
    return f"{labels('col.' + view.column)} = {value}"
