"""The rows' serializer (analysis.report.sheetxml): what openpyxl reads back is what was
written, text stays text, and the package stays a valid workbook."""

import io
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, Side

from analysis.report.sheetxml import (
    Formula,
    StyleCache,
    cell_xml,
    escape,
    row_xml,
    streamed_sheet,
)

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _book(rows, merge=None):
    """A one-sheet workbook written by the serializer; ``rows``: (row, cells, height)."""
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "T")
    styles = StyleCache(ws)
    for row, cells, height in rows(styles):
        ws.write_row(row, cells, height)
    if merge:
        ws.merged_cells.add(merge)
    ws.freeze_panes = "B2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_values_styles_and_heights_read_back():
    bold, money = Font(bold=True), "#,##0"
    when = datetime(2026, 3, 1, 14, 30)

    def rows(styles):
        yield 1, [("Title & <notes>", styles(font=bold))], 30.0
        yield 3, [("=HYPERLINK(\"http://x\",\"y\")", 0), (1234567.25, styles(fmt=money)),
                  (7, 0), (True, 0), (float("nan"), 0), (np.float64(0.1) + 0.2, 0),
                  (None, styles(border=Border(top=Side(style="thin")))),
                  (Formula("=SUM(B3:C3)"), styles(fmt=money)),
                  ("  two spaces", 0), ("a\x0bb\x00c", 0)], None
        yield 4, [(when, styles(fmt="yyyy-mm-dd h:mm:ss")),
                  (date(2026, 1, 1), styles(fmt="yyyy-mm-dd")), (np.int64(3), 0),
                  (pd.NA, 0), (np.bool_(False), 0)], None

    ws = load_workbook(io.BytesIO(_book(rows, merge="A1:D1")))["T"]
    assert ws["A1"].value == "Title & <notes>" and ws["A1"].font.bold
    assert ws.row_dimensions[1].height == 30.0
    assert "A1:D1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "B2"
    assert ws["A3"].value == '=HYPERLINK("http://x","y")' and ws["A3"].data_type == "s"
    assert ws["B3"].value == 1234567.25 and ws["B3"].number_format == "#,##0"
    assert ws["C3"].value == 7 and ws["D3"].value is True
    assert ws["E3"].value is None  # NaN: an empty cell, not 0
    assert ws["F3"].value == 0.3  # 15 significant digits, not 0.30000000000000004
    assert ws["G3"].border.top.style == "thin" and ws["G3"].value is None
    assert ws["H3"].value == "=SUM(B3:C3)" and ws["H3"].data_type == "f"
    assert ws["I3"].value == "  two spaces"  # leading spaces kept (xml:space)
    assert ws["J3"].value == "abc"  # control characters an .xlsx cannot hold dropped
    assert ws["A4"].value == when and ws["B4"].value == datetime(2026, 1, 1)
    assert ws["C4"].value == 3 and ws["D4"].value is None and ws["E4"].value is False


def test_the_sheet_xml_is_well_formed_and_rows_are_in_sheet_data():
    def rows(styles):
        yield 2, [("x", 0), (1.5, 0)], None
        yield 5, [("y", 0)], 45.0

    with zipfile.ZipFile(io.BytesIO(_book(rows))) as package:
        root = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
    data = root.find(f"{NS}sheetData")
    assert [r.get("r") for r in data.findall(f"{NS}row")] == ["2", "5"]
    assert data.findall(f"{NS}row")[1].get("ht") == "45"
    # sheetData keeps its place among the sheet's elements (after the views, before the
    # page setup), as the schema's sequence requires
    tags = [child.tag.removeprefix(NS) for child in root]
    assert tags.index("sheetViews") < tags.index("sheetData") < tags.index("pageMargins")


def test_rows_must_come_in_order():
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "T")
    ws.write_row(3, [("a", 0)])
    with pytest.raises(ValueError, match="argument row"):
        ws.write_row(3, [("b", 0)])


def test_cell_xml_by_type():
    assert cell_xml("A1", None) == ""
    assert cell_xml("A1", None, 4) == '<c r="A1" s="4"/>'
    assert cell_xml("A1", "") == ""
    assert cell_xml("B2", "a<b") == '<c r="B2" t="inlineStr"><is><t>a&lt;b</t></is></c>'
    assert cell_xml("C3", Formula('=IF(A1>0,"a&b","")'), 2) == (
        '<c r="C3" s="2"><f>IF(A1&gt;0,"a&amp;b","")</f><v></v></c>')
    assert cell_xml("D4", float("inf")) == ""
    assert cell_xml("D4", 658289.0000000001) == '<c r="D4" t="n"><v>658289</v></c>'
    # Excel's 1900 date system: 2026-01-01 is day 46023 (days since 1899-12-30)
    assert cell_xml("E5", date(2026, 1, 1)) == '<c r="E5" t="n"><v>46023</v></c>'
    assert cell_xml("F6", pd.Timestamp("2026-01-01 12:00", tz="UTC")) == (
        '<c r="F6" t="n"><v>46023.5</v></c>')
    assert escape("a&b>c\x01") == "a&amp;b&gt;c"
    assert row_xml(7, [("x", 0), (None, 0), (2, 0)]) == (
        '<row r="7"><c r="A7" t="inlineStr"><is><t>x</t></is></c><c r="C7" t="n"><v>2</v>'
        '</c></row>')


def test_one_style_per_combination():
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "T")
    styles = StyleCache(ws)
    wrap = Alignment(wrap_text=True)
    assert styles() == 0
    first = styles(fmt="0.0", align=wrap)
    assert styles(fmt="0.0", align=wrap) == first
    assert styles(fmt="0.00", align=wrap) != first
