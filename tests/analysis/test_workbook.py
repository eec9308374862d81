"""Workbook builder: text stays text (no formula injection), numbers stay numbers."""

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.report import Sheet, workbook_bytes


def test_formulas_from_respondents_are_written_as_text():
    table = pd.DataFrame({"comment": ["=HYPERLINK(\"http://x\",\"y\")", "+1", "@SUM(A1)", "ok"],
                          "gap": [-1.25, np.nan, 0.5, 2]})
    wb = load_workbook(io.BytesIO(workbook_bytes([Sheet("Comments", table, title="T",
                                                        note="=not a formula")])))
    ws = wb["Comments"]
    assert ws["A2"].value == "=not a formula" and ws["A2"].data_type == "s"
    cells = [ws.cell(row=r, column=1) for r in range(5, 9)]
    assert [c.value for c in cells] == list(table["comment"])
    assert all(c.data_type == "s" for c in cells)
    assert ws.cell(row=5, column=2).value == -1.25
    assert ws.cell(row=6, column=2).value is None  # NaN → empty cell, not 0


def test_sheet_names_are_made_legal_and_unique():
    t = pd.DataFrame({"a": [1]})
    wb = load_workbook(io.BytesIO(workbook_bytes([Sheet("a/b:c", t), Sheet("a/b:c", t),
                                                  Sheet("x" * 40, t)])))
    assert wb.sheetnames == ["a_b_c", "a_b_c (2)", "x" * 31]


def test_needs_a_sheet():
    with pytest.raises(ValueError, match="argument sheets"):
        workbook_bytes([])
