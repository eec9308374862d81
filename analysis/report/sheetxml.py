"""Rows of a worksheet written as SpreadsheetML by a small serializer, inside the package
openpyxl builds.

openpyxl stays the author of the workbook: its structure, styles, column widths, frozen
panes, merged cells, filters, conditional formats, print setup and charts. Only the cells'
XML is ours: openpyxl builds an element tree per cell (about 70 % of the export's time on
a large portfolio); here a row is one formatted string. A :class:`StreamedSheet` collects
its rows in a temporary file while it is written and splices them into the ``sheetData``
openpyxl wrote when the workbook is saved, so a sheet is never held in memory.

What a cell becomes (the same as openpyxl writes it):

==============================  ===========================================================
value                           XML
==============================  ===========================================================
None, NaN, ±inf, ""             nothing, or ``<c r s/>`` when the cell has a style
:class:`Formula` ("=SUM(…)")    ``<c r s><f>SUM(…)</f><v></v></c>``: the writer's formulas
any other ``str``               an inline string, *always* text (``=HYPERLINK(…)`` typed by
                                a respondent stays text), without the control characters
                                an .xlsx file cannot hold
bool                            ``t="b"``, 1 or 0
int, float                      ``<v>``: floats to 15 significant digits (what Excel keeps)
date, datetime                  the Excel serial number (1900 date system), with a date
                                format given by the caller's style
==============================  ===========================================================
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Iterable
from datetime import date, datetime
from typing import IO, Any

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

_SPACE = frozenset(" \t\n\r")  # leading or trailing, kept by xml:space="preserve"
BUFFER_ROWS = 2000  # rows formatted before they are written out together
_LETTERS = [get_column_letter(c) for c in range(1, 16385)]  # Excel's 16,384 columns


class Formula(str):
    """A cell the writer builds as an Excel formula (never a respondent's text)."""


def escape(text: str) -> str:
    """Text as XML character data: &, < and > escaped, illegal control characters dropped."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _number(x: float) -> str | None:
    return None if math.isnan(x) or math.isinf(x) else format(x, ".15g")


def cell_xml(ref: str, value: Any, style: int = 0) -> str:
    """One ``<c>`` element (empty string: nothing to write), see the module docstring."""
    s = f' s="{style}"' if style else ""
    t = type(value)  # the common types first, by identity
    if t is float:
        number = _number(value)
        if number is None:
            return f'<c r="{ref}"{s}/>' if style else ""
        return f'<c r="{ref}"{s} t="n"><v>{number}</v></c>'
    if t is str:
        text = escape(value)
        if not text:
            return f'<c r="{ref}"{s}/>' if style else ""
        space = ' xml:space="preserve"' if text[0] in _SPACE or text[-1] in _SPACE else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if t is int:
        return f'<c r="{ref}"{s} t="n"><v>{value}</v></c>'
    if value is None or value is pd.NA or value is pd.NaT:
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, str):
        if isinstance(value, Formula):
            return f'<c r="{ref}"{s}><f>{escape(value[1:])}</f><v></v></c>'
        text = escape(value)
        if not text:
            return f'<c r="{ref}"{s}/>' if style else ""
        space = ' xml:space="preserve"' if text[0] in _SPACE or text[-1] in _SPACE else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, (bool, np.bool_)):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, np.integer)):
        return f'<c r="{ref}"{s} t="n"><v>{int(value)}</v></c>'
    if isinstance(value, (float, np.floating)):
        number = _number(float(value))
        if number is None:
            return f'<c r="{ref}"{s}/>' if style else ""
        return f'<c r="{ref}"{s} t="n"><v>{number}</v></c>'
    if isinstance(value, pd.Timestamp):
        value = value.tz_localize(None).to_pydatetime() if value.tzinfo else \
            value.to_pydatetime()
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    if isinstance(value, date):
        return f'<c r="{ref}"{s} t="n"><v>{format(to_excel(value), ".15g")}</v></c>'
    return cell_xml(ref, str(value), style)


def row_xml(row: int, cells: Iterable[tuple[Any, int]], height: float | None = None) -> str:
    """One ``<row>``: ``cells`` are (value, style id) from column A on."""
    r = str(row)
    parts = [cell_xml(_LETTERS[k] + r, value, style)
             for k, (value, style) in enumerate(cells)]
    attrs = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{r}"{attrs}>{"".join(parts)}</row>'


class StreamedSheet(WriteOnlyWorksheet):
    """A write-only worksheet whose rows are written by :func:`row_xml`.

    Rows must come in order (each one's number above the last); ``append`` of openpyxl
    cells is not used on it. At ``close`` (during the workbook's save) openpyxl writes the
    sheet with an empty ``sheetData``, and the rows collected are put inside it.
    """

    def __init__(self, parent: Any, title: str | None) -> None:
        super().__init__(parent, title)
        self._rows_file: IO[str] | None = None
        self._pending: list[str] = []
        self._last_row = 0

    def write_row(self, row: int, cells: Iterable[tuple[Any, int]],
                  height: float | None = None) -> None:
        if row <= self._last_row:
            raise ValueError(f"row {row} comes after row {self._last_row} (argument row)")
        self._last_row = row
        self._pending.append(row_xml(row, cells, height))
        if len(self._pending) >= BUFFER_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._rows_file is None:
            self._rows_file = tempfile.TemporaryFile("w+", encoding="utf-8",
                                                     prefix="sheetrows.")
        self._rows_file.write("".join(self._pending))
        self._pending.clear()

    def close(self) -> None:
        super().close()
        self._flush()
        if self._rows_file is None:
            return
        path = self._writer.out  # the part openpyxl wrote, which it then puts in the zip
        with open(path, encoding="utf-8") as written:
            xml = written.read()  # small: everything but the rows
        head, tail = _split_at_sheet_data(xml)
        self._rows_file.seek(0)
        with open(path, "w", encoding="utf-8") as out:
            out.write(head)
            shutil.copyfileobj(self._rows_file, out, 1 << 20)
            out.write(tail)
        self._rows_file.close()
        self._rows_file = None


def _split_at_sheet_data(xml: str) -> tuple[str, str]:
    """The sheet's XML before and after its (empty) rows."""
    for empty in ("<sheetData></sheetData>", "<sheetData />", "<sheetData/>"):
        at = xml.find(empty)
        if at >= 0:
            return xml[:at] + "<sheetData>", "</sheetData>" + xml[at + len(empty):]
    raise ValueError("the worksheet's XML has no empty sheetData to fill")


def streamed_sheet(wb: Any, title: str) -> StreamedSheet:
    """A new :class:`StreamedSheet` at the end of the write-only workbook ``wb``."""
    ws = StreamedSheet(parent=wb, title=title)
    wb._add_sheet(ws)  # what Workbook.create_sheet does with its own write-only sheet
    return ws




DATE_FORMAT = "yyyy-mm-dd"  # openpyxl's own defaults for a date and a date and time
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"


class StyleCache:
    """Style ids of the workbook's cell styles (the ``s`` of a cell), each combination
    registered once through an openpyxl cell, so the workbook's style table is openpyxl's.

    Keyed by the style objects' identities (hashing them costs more than the lookup saves);
    the cache holds the objects, so no identity is reused while it lives."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._ids: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}

    def __call__(self, fmt: str | None = None, font: Any = None, fill: Any = None,
                 align: Any = None, border: Any = None) -> int:
        if fmt is None and font is None and fill is None and align is None and border is None:
            return 0
        key = (fmt, id(font), id(fill), id(align), id(border))
        hit = self._ids.get(key)
        if hit is not None:
            return hit[0]
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.ws)
        if fmt:
            cell.number_format = fmt
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if align is not None:
            cell.alignment = align
        if border is not None:
            cell.border = border
        style = int(cell.style_id)
        self._ids[key] = (style, (font, fill, align, border))
        return style


def kind(value: Any) -> str:
    """What a value is written as: "" (nothing), "f" formula, "s" text, "b", "n", "d"."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return "f" if isinstance(value, Formula) else ("s" if value else "")
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, (int, np.integer)):
        return "n"
    if isinstance(value, (float, np.floating)):
        return "" if not math.isfinite(float(value)) else "n"
    if isinstance(value, datetime):
        return "d"
    if isinstance(value, date):
        return "d"
    return "s"


def date_format(value: Any) -> str:
    return DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
