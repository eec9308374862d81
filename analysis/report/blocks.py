"""Building blocks of the leadership sheets on a streaming (write-only) worksheet.

A streaming sheet is written top to bottom once: column widths, the frozen pane and the
page setup come first, then rows are appended. :class:`Page` keeps the row counter so a
sheet can place a table, remember where its cells are (for charts and formulas) and go on.
Rows are written by :mod:`.sheetxml` (text stays text); only cells the writer itself builds
as :class:`Formula` are formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from .sheetxml import Formula, StreamedSheet, StyleCache, date_format, kind
from .workbook import (
    HEADER_FILL,
    HEADER_FONT,
    HEADER_LEFT,
    HEADER_RIGHT,
    LINE_HEIGHT,
    NOTE_FONT,
    TITLE_FONT,
    TOP,
    WRAP,
    _lines,
    text_width,
)

__all__ = ["Formula", "Page", "Span", "Styled"]

SECTION_FONT = Font(bold=True, size=12, color="1F4E79")
BOLD = Font(bold=True)
TOTAL_BORDER = Border(top=Side(style="thin", color="000000"))
STAGE_COLOURS = ("D9D9D9", "FCE4D6", "FFF2CC", "DDEBF7", "E2EFDA", "C6E0B4")
UNCOUPLING_COLOUR = "F4B6B6"


@dataclass(frozen=True)
class Span:
    """Where a table landed: its header row, first and last data rows."""

    header: int
    first: int
    last: int

    def column(self, letter: str, sheet: str | None = None, header: bool = False) -> str:
        ref = f"${letter}${self.header if header else self.first}:${letter}${self.last}"
        return f"{quote(sheet)}!{ref}" if sheet else ref


def quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


class Styled(NamedTuple):
    """A value and the id of its cell style (:meth:`Page.cell`)."""

    value: Any
    style: int


class Page:
    """A streamed worksheet (:class:`~.sheetxml.StreamedSheet`) with a row counter."""

    def __init__(self, ws: StreamedSheet, widths: Sequence[float], freeze: str | None = None,
                 landscape: bool = True, one_page: bool = False) -> None:
        self.ws = ws
        self.row = 0
        self.widths = list(widths)
        self.styles = StyleCache(ws)
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        if freeze:
            ws.freeze_panes = freeze
        setup = ws.page_setup
        setup.orientation = "landscape" if landscape else "portrait"
        setup.paperSize = Worksheet.PAPERSIZE_A4
        setup.fitToWidth = 1
        setup.fitToHeight = 1 if one_page else 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5, header=0.3,
                                      footer=0.3)
        ws.oddFooter.left.text = "&A"
        ws.oddFooter.right.text = "&P / &N"

    def cell(self, value: Any, font: Font | None = None, fmt: str | None = None,
             fill: PatternFill | None = None, align: Alignment | None = None,
             border: Border | None = None) -> Styled:
        """A value with its style; a number format applies to numbers and formulas only
        (a date gets a date format)."""
        what = kind(value)
        if what == "d":
            fmt = date_format(value)
        elif fmt and what not in ("n", "f"):
            fmt = None
        return Styled(value, self.styles(fmt, font, fill, align, border))

    def append(self, cells: Sequence[Any], height: float | None = None) -> int:
        self.row += 1
        if cells:
            self.ws.write_row(self.row, [c if isinstance(c, Styled) else self.cell(c)
                                         for c in cells], height)
        return self.row

    def blank(self, rows: int = 1) -> None:
        self.row += rows  # an empty row is not written

    def banner(self, text: str, font: Font = NOTE_FONT, span: int | None = None) -> None:
        span = span or len(self.widths)
        width = sum(self.widths[:span]) or 60.0
        lines = _lines(text, width / (1.3 if font is TITLE_FONT else 1.0))
        height = (20.0 if font is TITLE_FONT else LINE_HEIGHT) * lines
        row = self.append([self.cell(text, font=font, align=WRAP)], height=height)
        if span > 1:
            self.ws.merged_cells.add(f"A{row}:{get_column_letter(span)}{row}")

    def title(self, text: str, note: str | None = None, span: int | None = None) -> None:
        self.banner(text, TITLE_FONT, span)
        if note:
            self.banner(note, NOTE_FONT, span)

    def section(self, text: str) -> None:
        self.append([self.cell(text, font=SECTION_FONT)], height=20.0)

    def header(self, names: Sequence[str], numeric: Sequence[bool] | None = None) -> int:
        cells, lines = [], 1
        for k, name in enumerate(names):
            right = bool(numeric and numeric[k])
            cells.append(self.cell(name, font=HEADER_FONT, fill=HEADER_FILL,
                                   align=HEADER_RIGHT if right else HEADER_LEFT))
            width = self.widths[k] if k < len(self.widths) else 9.0
            lines = max(lines, _lines(name, width / 1.1))
        return self.append(cells, height=LINE_HEIGHT * min(lines, 4))

    def table(self, names: Sequence[str], rows: Sequence[Sequence[Any]],
              formats: Sequence[str | None]) -> Span:
        """A header and rows; ``formats[k]`` is column k's number format (None: text)."""
        header = self.header(names, [f is not None for f in formats])
        first = self.row + 1
        count = max(len(names), max((len(v) for v in rows), default=0))
        widths = [self.widths[k] if k < len(self.widths) else 9.0 for k in range(count)]
        fmts = [formats[k] if k < len(formats) else None for k in range(count)]
        # the styles a cell of each column can take, looked up once: a number (or the
        # writer's formula) in its format, at the top of a row that grows, or wrapped text
        wrap, top = self.styles(align=WRAP), self.styles(align=TOP)
        number = [self.styles(f) for f in fmts]
        number_top = [self.styles(f, align=TOP) for f in fmts]
        for values in rows:
            # which texts wrap (a string of n characters is at most 2n wide: most need no
            # measuring), so each cell is written once with its final style
            lines, wraps = 1, None
            for k, value in enumerate(values):
                if type(value) is str and 2 * len(value) > widths[k] - 2 and \
                        text_width(value) > widths[k] - 2:
                    lines = max(lines, _lines(value, widths[k]))
                    wraps = (wraps or set()) | {k}
            grown = lines > 1  # a wrapped row: every cell reads from the top
            cells: list[tuple[Any, int]] = []
            for k, value in enumerate(values):
                t = type(value)
                if value is None:
                    cells.append((None, 0))
                elif t is str:
                    cells.append((value, wrap if wraps and k in wraps else top if grown
                                  else 0))
                elif (t is float and value == value) or t is int or t is Formula:
                    cells.append((value, number_top[k] if grown else number[k]))
                else:  # NaN, booleans, dates, numpy scalars…
                    cells.append(self.cell(value, fmt=fmts[k], align=TOP if grown else None))
            self.row += 1
            self.ws.write_row(self.row, cells, LINE_HEIGHT * min(lines, 8) if grown else None)
        return Span(header, first, max(self.row, first - 1))


def records(table: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of ``table`` as dicts of only ``columns`` (those it has): a wide run table
    turned whole into dicts costs more than writing its sheet."""
    rows = table[[c for c in dict.fromkeys(columns) if c in table.columns]].to_dict(
        orient="records")
    return rows  # type: ignore[return-value]  # the run tables' column names are strings


def stage_fill(position: int, uncoupling: bool = False) -> PatternFill:
    colour = UNCOUPLING_COLOUR if uncoupling else STAGE_COLOURS[position % len(STAGE_COLOURS)]
    return PatternFill("solid", fgColor=colour)
