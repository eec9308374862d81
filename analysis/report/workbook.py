"""Tables → an .xlsx workbook as bytes.

Layers: an analysis table (DataFrame) → :class:`Sheet` → ``workbook_bytes`` → a file or an
HTTP response, so the same workbook serves the CLI and the download button. Every string is
written as text: a respondent's "=HYPERLINK(…)" stays a string, never becomes a formula.

Every sheet is laid out for reading and printing: a title and a wrapped note above the
table, the header row and the first column frozen, column widths from the formatted
content, and a print setup (A4 landscape, one page wide, the header repeated on every page;
a table too wide to read on one page is spread over as few pages as keep it legible, with its
identifier columns repeated).

Number formats
--------------
A column the :class:`Sheet` gives no explicit format gets one from its name and values
(:func:`number_format_for`). The name is read as a measure: lower-cased, the qualifiers
``.mean`` / ``.unweighted`` dropped (``nps.unweighted`` is an NPS), then its last dotted part
(``servqual.tangibles.gap.n`` → ``n``, ``indicator.share_of_wallet`` →
``share_of_wallet``). The first rule that matches decides:

============  ==========================  ==================================================
kind          format                      names
============  ==========================  ==================================================
p-value       ``[<0.001]0.00E+00;0.000``  the whole column name is ``p``, ``pvalue``,
                                          ``p_value``, ``p_*`` or ``*_p`` (``p_holm``,
                                          ``p_t_holm``…, a segment's
                                          ``servqual.<dim>.p_holm``) and no value lies
                                          outside [0, 1]
                                          (``tangibles.p``, or ``p`` holding mean
                                          perceptions, is no p-value). Below 0.001 in
                                          scientific notation.
count         ``0``                       ``n``, ``n_*``, ``*_n``, ``k``, ``responses``,
                                          ``invited``, ``responded``, ``contacts``,
                                          ``roles_covered``, ``complaints``, ``rank``…
                                          (``0.00`` if a value is not a whole number)
money         ``#,##0``                   ``revenue``, ``revenue_prev``, ``wallet``,
                                          ``cost_to_serve``, ``contribution``,
                                          ``referral_value``, ``clv``…
share         ``0.0%``                    ``margin``, ``share``, ``share_*``, ``*_share``,
                                          ``growth``, ``on_time_delivery``,
                                          ``revenue_trend`` (stored as 0.25 for 25 %)
index 0–100   ``0.0``                     ``nps``, ``index``, ``*_index``, ``satisfaction``,
                                          ``contribution_score``, ``performance``,
                                          ``percent``, ``importance``, the loyalty
                                          degrees…
integer       ``0``                       any other integer column
other         ``0.00``                    any other number (a mean that happens to be
                                          whole still shows its decimals)
============  ==========================  ==================================================

Floats are stored to 15 significant digits, Excel's own precision, so float noise such as
``658289.0000000001`` is stored as ``658289``; NaN and ±inf become empty cells.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from .sheetxml import StreamedSheet, StyleCache, date_format, kind, streamed_sheet

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(italic=True, color="404040")
TECHNICAL_FONT = Font(italic=True, size=9, color="7F7F7F")
MAX_SHEET_NAME = 31
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
HEADER_LEFT = Alignment(wrap_text=True, vertical="top", horizontal="left")
HEADER_RIGHT = Alignment(wrap_text=True, vertical="top", horizontal="right")  # over numbers

MONEY = "#,##0"
SHARE = "0.0%"
PVALUE = "[<0.001]0.00E+00;0.000"
COUNT = "0"
INDEX = "0.0"
DECIMAL = "0.00"

LINE_HEIGHT = 15.0  # points per line of 11-point text
TITLE_LINE_HEIGHT = 20.0
NUMBER_WIDTH = (9.0, 12.0, 20.0)  # min, header allowance, max (character units)
TEXT_WIDTH = (8.0, 40.0)  # min, max
BANNER_WIDTH = (60.0, 100.0)  # the title and note span about this many characters
MAX_HEADER_LINES = 6
MAX_ROW_HEIGHT = 409.0  # Excel's limit, in points
SAMPLE_ROWS = 1000  # rows inspected for the column widths
PRINT_PAGE_WIDTH = 260.0  # character units one landscape A4 page takes, at about 50 % scale


@dataclass(frozen=True)
class FormatRule:
    """One line of the number-format rule table (see the module docstring)."""

    kind: str
    number_format: str
    names: frozenset[str]
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    whole_name: bool = False  # match the full column name, not its last dotted part

    def matches(self, column: str, measure: str) -> bool:
        name = column if self.whole_name else measure
        return (name in self.names or name.startswith(self.prefixes)
                or name.endswith(self.suffixes))


NUMBER_FORMAT_RULES: tuple[FormatRule, ...] = (
    FormatRule("p-value", PVALUE, frozenset({"p", "pvalue", "p_value"}),
               prefixes=("p_",), suffixes=("_p", ".p_holm", ".p_t_holm", ".p_wilcoxon"),
               whole_name=True),
    FormatRule("count", COUNT, frozenset({
        "n", "k", "responses", "invited", "responded", "respondents", "contacts",
        "roles_covered", "complaints", "rank", "count", "accounts", "promoters", "passives",
        "detractors"}), prefixes=("n_",), suffixes=("_n", "_count")),
    FormatRule("money", MONEY, frozenset({
        "revenue", "revenue_prev", "wallet", "cost_to_serve", "contribution",
        "referral_value", "clv", "profit", "gross_profit", "spend"})),
    FormatRule("share", SHARE, frozenset({
        "margin", "share", "growth", "on_time_delivery", "revenue_trend"}),
        prefixes=("share_",), suffixes=("_share",)),
    FormatRule("index", INDEX, frozenset({
        "nps", "index", "satisfaction", "contribution_score", "performance", "percent",
        "importance", "importance_split", "performance_split", "repurchase", "dependence",
        "price_tolerance", "advocacy"}), suffixes=("_index",)),
)
QUALIFIERS = (".mean", ".unweighted")  # the same measure, averaged another way


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title line, a note line, then the table with a frozen header.

    ``number_formats`` names a column's format explicitly; every other numeric column gets
    :func:`number_format_for`. ``row_measures`` maps a column whose rows hold different
    measures to the column naming each row's measure (stage evidence: ``threshold`` and
    ``value`` by ``indicator``), so each row is formatted as that measure.
    ``freeze_columns`` columns stay in view when scrolling right (the identifier).
    """

    name: str
    table: pd.DataFrame
    title: str | None = None
    note: str | None = None
    number_formats: Mapping[str, str] = field(default_factory=dict)
    index: bool = False
    row_measures: Mapping[str, str] = field(default_factory=dict)
    freeze_columns: int = 1


def write_text_safe(cell: Cell, value: Any) -> None:
    """Write a value; strings are always stored as text (never as a formula), without the
    control characters an .xlsx file cannot hold (Word's soft line break, NUL…)."""
    if value is None or value is pd.NA or value is pd.NaT:
        cell.value = None
        return
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        return
    if isinstance(value, (bool, np.bool_)):
        cell.value = bool(value)
    elif isinstance(value, (int, np.integer)):
        cell.value = int(value)
    elif isinstance(value, (float, np.floating)):
        number = float(value)
        # 15 significant digits: what Excel keeps, without float noise such as 1e-10
        cell.value = None if math.isnan(number) or math.isinf(number) else \
            float(f"{number:.15g}")
    elif isinstance(value, pd.Timestamp):
        cell.value = value.tz_localize(None).to_pydatetime() if value.tzinfo else \
            value.to_pydatetime()
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
    elif isinstance(value, date):
        cell.value = value
    else:
        write_text_safe(cell, str(value))


# --------------------------------------------------------------------------- number formats


def measure_name(column: str) -> str:
    """The measure a column holds: lower-cased, qualifiers dropped, last dotted part."""
    name = column.strip().lower()
    stripped = True
    while stripped:
        stripped = False
        for qualifier in QUALIFIERS:
            if name.endswith(qualifier) and len(name) > len(qualifier):
                name, stripped = name[: -len(qualifier)], True
    return name.rsplit(".", 1)[-1]


def _numbers(values: Iterable[Any] | pd.Series) -> np.ndarray | None:
    """The finite numbers among ``values`` (booleans excluded); None when there are none."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values),
                                                                       dtype="object")
    if series.dtype.kind == "b":
        return None
    if series.dtype.kind not in "iuf":
        series = series[[isinstance(v, (int, float, np.integer, np.floating))
                         and not isinstance(v, (bool, np.bool_)) for v in series]]
    x = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    x = x[np.isfinite(x)]
    return x if x.size else None


def _integers(values: Iterable[Any] | pd.Series) -> bool:
    """An integer column (dtype int, or Python/numpy integers only, missing aside)."""
    if isinstance(values, pd.Series) and values.dtype.kind != "O":
        return values.dtype.kind in "iu"
    present = [v for v in values if not (v is None or v is pd.NA or
                                         (isinstance(v, float) and math.isnan(v)))]
    return bool(present) and all(isinstance(v, (int, np.integer))
                                 and not isinstance(v, (bool, np.bool_)) for v in present)


def _whole(x: np.ndarray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) <= 1e-9 * np.maximum(1.0, np.abs(x))))


def number_format_for(column: str, values: Iterable[Any] | pd.Series | None = None) -> str:
    """The Excel number format for a column, by its name and values (module docstring).

    Parameters
    ----------
    column : str
        The column name, e.g. ``"revenue"``, ``"servqual.tangibles.gap.n"``, ``"p_holm"``.
    values : iterable, optional
        The column's values: an integer column is shown as ``0``, a count holding
        fractions as ``0.00``, and a "p" column with values outside [0, 1] is no p-value.
        Without values, only the name decides.

    Returns
    -------
    str
        An Excel number format code.
    """
    name = column.strip().lower()
    measure = measure_name(column)
    numbers = None if values is None else _numbers(values)
    for rule in NUMBER_FORMAT_RULES:
        if not rule.matches(name, measure):
            continue
        if rule.kind == "p-value" and numbers is not None and (
                numbers.min() < 0 or numbers.max() > 1):
            continue  # e.g. a column "p" of mean perceptions
        if rule.kind == "count" and numbers is not None and not _whole(numbers):
            return DECIMAL
        return rule.number_format
    return COUNT if values is not None and _integers(values) else DECIMAL


def _column_formats(table: pd.DataFrame, sheet: Sheet) -> list[str | list[str] | None]:
    """Per column: a format, one format per row (``row_measures``), or None (not numeric)."""
    formats: list[str | list[str] | None] = []
    columns = [str(c) for c in table.columns]
    for position, name in enumerate(columns):
        values = table.iloc[:, position]
        if name in sheet.number_formats:
            formats.append(sheet.number_formats[name])
        elif values.dtype.kind not in "iuf" and _numbers(values) is None:
            formats.append(None)  # text, booleans, dates (an all-empty float column is numeric)
        elif name in sheet.row_measures and sheet.row_measures[name] in columns:
            measures = table.iloc[:, columns.index(sheet.row_measures[name])].astype(
                "string").fillna("").to_numpy()
            by_measure = {m: number_format_for(str(m), values[measures == m])
                          for m in pd.unique(measures)}
            formats.append([by_measure[m] for m in measures])
        else:
            formats.append(number_format_for(name, values))
    return formats


# --------------------------------------------------------------------------- layout


def text_width(text: str) -> float:
    """Display width in Excel's character units (East Asian wide characters count 2)."""
    return float(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))


_FIXED = re.compile(r"^(#,##)?0(\.(0+))?(%)?$")


def formatted(value: Any, number_format: str | None) -> str:
    """About what Excel shows for ``value`` in ``number_format`` (for column widths)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime, pd.Timestamp)):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, date):
        return "yyyy-mm-dd"
    if isinstance(value, (int, float, np.integer, np.floating)):
        x = float(value)
        if not math.isfinite(x):
            return ""
        if number_format == PVALUE:
            return f"{x:.2E}" if x < 0.001 else f"{x:.3f}"
        match = _FIXED.match(number_format or "")
        if match is None:
            return f"{x:.10g}"
        decimals = len(match.group(3) or "")
        if match.group(4):
            return f"{100 * x:.{decimals}f}%"
        return f"{x:,.{decimals}f}" if match.group(1) else f"{x:.{decimals}f}"
    return str(value)


def _lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column ``width`` characters wide."""
    usable = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(text_width(part) / usable)) for part in text.split("\n"))


def _column_widths(table: pd.DataFrame, formats: Sequence[str | list[str] | None]) -> list[float]:
    widths = []
    sample = table.head(SAMPLE_ROWS)
    for position, name in enumerate(table.columns):
        fmt = formats[position]
        header = text_width(str(name))
        values = sample.iloc[:, position].tolist()
        per_row = fmt if isinstance(fmt, list) else [fmt] * len(values)
        content = max((text_width(formatted(v, f)) for v, f in zip(values, per_row,
                                                                    strict=False)),
                      default=0.0)
        if fmt is not None:  # a numeric column: the header wraps above ~12 characters
            low, header_room, high = NUMBER_WIDTH
            width = min(max(content + 2, min(header + 2, header_room), low), high)
        else:
            low, high = TEXT_WIDTH
            width = min(max(content + 2, min(header + 2, high), low), high)
        widths.append(round(width, 1))
    return widths


def _banner(ws: StreamedSheet, row: int, span: int, width: float, text: str, style: int,
            line_height: float, scale: float) -> None:
    """A title or note line: merged across ``span`` columns, wrapped, tall enough."""
    if span > 1:
        ws.merged_cells.add(f"A{row}:{get_column_letter(span)}{row}")
    lines = _lines(text, width / scale)
    ws.write_row(row, [(text, style)], min(line_height * lines, MAX_ROW_HEIGHT))


def pages_wide(widths: Sequence[float]) -> int:
    """Pages a table's width is printed on: one, unless that would shrink it below about
    half size (a table wider than :data:`PRINT_PAGE_WIDTH` characters, such as the account
    measures); then as many as keep it legible."""
    return max(1, math.ceil(sum(widths) / PRINT_PAGE_WIDTH))


def _print_setup(ws: Any, header_row: int, widths: Sequence[float],
                 frozen: int) -> None:
    """A4 landscape, fit to one page wide (:func:`pages_wide`) and as many pages tall as
    needed, the header row on every page (and the frozen columns, when more pages wide)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    wide = pages_wide(widths)
    ws.page_setup.fitToWidth = wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    if wide > 1 and frozen:
        ws.print_title_cols = f"A:{get_column_letter(frozen)}"
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3,
                                  footer=0.3)
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "&P / &N"


def banner_span(widths: Sequence[float]) -> tuple[int, float]:
    """Columns a title or note spans, and their width: readable without scrolling."""
    span, banner_width = 0, 0.0
    low, high = BANNER_WIDTH
    while banner_width < high and span < len(widths):
        span, banner_width = span + 1, banner_width + widths[span]
    while banner_width < low:
        span, banner_width = span + 1, banner_width + 8.43  # Excel's default column width
    return span, banner_width


def write_sheet(ws: StreamedSheet, sheet: Sheet, technical: Sequence[str] | None = None
                ) -> None:
    """Write ``sheet`` into an empty streamed worksheet, row by row.

    ``technical``: a second header row with each column's technical name (the analysts'
    sheets show a readable header above the name the analysis uses)."""
    table = sheet.table.reset_index() if sheet.index else sheet.table
    formats = _column_formats(table, sheet)
    widths = _column_widths(table, formats)
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    span, banner_width = banner_span(widths)
    header_row = 1 + bool(sheet.title) + bool(sheet.note) + bool(sheet.title or sheet.note)
    last_header = header_row + (1 if technical else 0)
    frozen = min(max(sheet.freeze_columns, 0), len(widths))
    ws.freeze_panes = f"{get_column_letter(frozen + 1)}{last_header + 1}"
    _print_setup(ws, last_header, widths, frozen)
    styles = StyleCache(ws)
    row = 1
    if sheet.title:
        _banner(ws, row, span, banner_width, sheet.title, styles(font=TITLE_FONT, align=WRAP),
                TITLE_LINE_HEIGHT, scale=1.3)
        row += 1
    if sheet.note:
        _banner(ws, row, span, banner_width, sheet.note, styles(font=NOTE_FONT, align=WRAP),
                LINE_HEIGHT, scale=1.0)
    header_lines = 1
    header = []
    for col, name in enumerate(table.columns):
        numeric = formats[col] is not None  # numbers' headers align with them, right
        header.append((str(name), styles(font=HEADER_FONT, fill=HEADER_FILL,
                                         align=HEADER_RIGHT if numeric else HEADER_LEFT)))
        header_lines = max(header_lines, _lines(str(name), widths[col] / 1.1))
    ws.write_row(header_row, header, LINE_HEIGHT * min(header_lines, MAX_HEADER_LINES))
    if technical:
        technical_style = styles(font=TECHNICAL_FONT)
        ws.write_row(header_row + 1, [(name, technical_style) for name in technical])
    _write_rows(ws, table, formats, widths, styles, last_header + 1)


def _write_rows(ws: StreamedSheet, table: pd.DataFrame,
                formats: Sequence[str | list[str] | None], widths: Sequence[float],
                styles: StyleCache, first: int) -> None:
    """The table's rows: numbers in their column's format, long texts wrapped (the row
    grows, and its other cells align at the top)."""
    plain = [None if isinstance(f, list) else styles(fmt=f) for f in formats]
    plain_top = [None if isinstance(f, list) else styles(fmt=f, align=TOP) for f in formats]
    wrap, top, = styles(align=WRAP), styles(align=TOP)
    limits = [w - 2 for w in widths]
    for k, values in enumerate(table.itertuples(index=False, name=None)):
        cells: list[tuple[Any, int]] = []
        lines = 1
        for c, value in enumerate(values):
            what = kind(value)
            if what == "n":
                style = plain[c]
                if style is None:  # one format per row (row_measures)
                    style = styles(fmt=formats[c][k])  # type: ignore[index]
                cells.append((value, style))
            elif what == "s":
                text = value if isinstance(value, str) else str(value)
                if 2 * len(text) > limits[c] and text_width(text) > limits[c]:
                    cells.append((text, wrap))
                    lines = max(lines, _lines(text, widths[c]))
                else:
                    cells.append((text, 0))
            elif what == "d":
                cells.append((value, styles(fmt=date_format(value))))
            elif what == "f":  # a table's text is never a formula
                cells.append((str.__str__(value), 0))
            else:
                cells.append((value if what == "b" else None, 0))
        height = None
        if lines > 1:  # a wrapped text: the row grows and its cells align at the top
            height = min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT)
            cells = [_at_top(cell, c, k, plain, plain_top, formats, wrap, top, styles)
                     for c, cell in enumerate(cells)]
        ws.write_row(first + k, cells, height)


def _at_top(cell: tuple[Any, int], c: int, k: int, plain: Sequence[int | None],
            plain_top: Sequence[int | None], formats: Sequence[str | list[str] | None],
            wrap: int, top: int, styles: StyleCache) -> tuple[Any, int]:
    value, style = cell
    if value is None or style == wrap:
        return cell
    if kind(value) == "n":
        fmt, ready = formats[c], plain_top[c]
        return value, (ready if ready is not None
                       else styles(fmt=fmt[k] if isinstance(fmt, list) else fmt, align=TOP))
    if kind(value) == "d":
        return value, styles(fmt=date_format(value), align=TOP)
    return value, top


def sheet_name(name: str) -> str:
    """A legal, unique-enough worksheet name (Excel forbids []:*?/\\ and > 31 characters)."""
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in name).strip("'")
    return (clean or "Sheet")[:MAX_SHEET_NAME]


def unique_sheet_name(name: str, used: set[str]) -> str:
    """A legal sheet name not in ``used`` (which it is added to)."""
    clean = sheet_name(name)
    candidate, k = clean, 2
    while candidate.casefold() in used:
        suffix = f" ({k})"
        candidate = clean[: MAX_SHEET_NAME - len(suffix)] + suffix
        k += 1
    used.add(candidate.casefold())
    return candidate


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Build the workbook (streamed, each sheet written once) and return the file's bytes."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet (argument sheets)")
    wb = Workbook(write_only=True)
    used: set[str] = set()
    for sheet in sheets:
        write_sheet(streamed_sheet(wb, unique_sheet_name(sheet.name, used)), sheet)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
