"""Tables → an .xlsx workbook as bytes.

Layers: an analysis table (DataFrame) → :class:`Sheet` → ``workbook_bytes`` → a file or an
HTTP response, so the same workbook serves the CLI and the download button. Every string is
written as text: a respondent's "=HYPERLINK(…)" stays a string, never becomes a formula.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
MAX_SHEET_NAME = 31


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title line, a note line, then the table with a frozen header."""

    name: str
    table: pd.DataFrame
    title: str | None = None
    note: str | None = None
    number_formats: Mapping[str, str] = field(default_factory=dict)
    index: bool = False


def write_text_safe(cell: Cell, value: Any) -> None:
    """Write a value; strings are always stored as text (never as a formula)."""
    if value is None or value is pd.NA or value is pd.NaT:
        cell.value = None
        return
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        return
    if isinstance(value, (bool, np.bool_)):
        cell.value = bool(value)
    elif isinstance(value, (int, np.integer)):
        cell.value = int(value)
    elif isinstance(value, (float, np.floating)):
        cell.value = None if math.isnan(value) or math.isinf(value) else float(value)
    elif isinstance(value, pd.Timestamp):
        cell.value = value.tz_localize(None).to_pydatetime() if value.tzinfo else \
            value.to_pydatetime()
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
    elif isinstance(value, date):
        cell.value = value
    else:
        write_text_safe(cell, str(value))


def _write_sheet(ws: Worksheet, sheet: Sheet) -> None:
    table = sheet.table.reset_index() if sheet.index else sheet.table
    row = 1
    if sheet.title:
        write_text_safe(ws.cell(row=row, column=1), sheet.title)
        ws.cell(row=row, column=1).font = TITLE_FONT
        row += 1
    if sheet.note:
        write_text_safe(ws.cell(row=row, column=1), sheet.note)
        ws.cell(row=row, column=1).alignment = Alignment(wrap_text=False)
        row += 1
    if sheet.title or sheet.note:
        row += 1
    header_row = row
    for col, name in enumerate(table.columns, start=1):
        cell = ws.cell(row=header_row, column=col)
        write_text_safe(cell, str(name))
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    formats = [sheet.number_formats.get(str(name)) for name in table.columns]
    for r, values in enumerate(table.itertuples(index=False, name=None), start=header_row + 1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            write_text_safe(cell, value)
            if formats[c - 1] and cell.data_type == "n":
                cell.number_format = formats[c - 1]
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    for c, name in enumerate(table.columns, start=1):
        sample = [str(name)] + [str(v) for v in table.iloc[:200, c - 1].tolist()]
        width = min(max(len(s) for s in sample) + 2, 50)
        ws.column_dimensions[get_column_letter(c)].width = max(width, 8)


def sheet_name(name: str) -> str:
    """A legal, unique-enough worksheet name (Excel forbids []:*?/\\ and > 31 characters)."""
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in name).strip("'")
    return (clean or "Sheet")[:MAX_SHEET_NAME]


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Build the workbook and return the .xlsx file's bytes."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet (argument sheets)")
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for sheet in sheets:
        name = sheet_name(sheet.name)
        k = 2
        while name in used:
            suffix = f" ({k})"
            name = sheet_name(sheet.name)[: MAX_SHEET_NAME - len(suffix)] + suffix
            k += 1
        used.add(name)
        _write_sheet(wb.create_sheet(name), sheet)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
