"""Workbook builder: text stays text (no formula injection), numbers stay numbers."""

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from analysis.report import (
    Sheet,
    analysis_sheets,
    analysis_workbook,
    number_format_for,
    workbook_bytes,
)
from analysis.report.workbook import pages_wide


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


# --------------------------------------------------------------------------- number formats

MONEY, SHARE, PVALUE, COUNT, INDEX, DECIMAL = (
    "#,##0", "0.0%", "[<0.001]0.00E+00;0.000", "0", "0.0", "0.00")


def _load(sheets):
    return load_workbook(io.BytesIO(workbook_bytes(sheets)))


def _header(ws, row=None):
    """Column name → column number, from the header row (the fourth with a title and note)."""
    row = row or (4 if ws["A1"].value and ws["A2"].value else 1)
    return {ws.cell(row=row, column=c).value: c for c in range(1, ws.max_column + 1)
            if ws.cell(row=row, column=c).value is not None}


@pytest.mark.parametrize(("column", "values", "expected"), [
    ("revenue", [3393000.0], MONEY), ("revenue_prev", [1.5], MONEY),
    ("wallet", [2500.0], MONEY), ("cost_to_serve", [50.0], MONEY),
    ("contribution", [658289.0000000001], MONEY), ("referral_value", [0.0], MONEY),
    ("clv", [1e6], MONEY),
    ("margin", [0.3], SHARE), ("share_of_wallet", [0.4], SHARE), ("growth", [0.25], SHARE),
    ("contribution_share", [0.7], SHARE), ("cumulative_share", [0.9], SHARE),
    ("share", [0.5], SHARE), ("on_time_delivery", [0.97], SHARE),
    ("revenue_trend", [-0.1], SHARE), ("indicator.share_of_wallet", [0.4], SHARE),
    ("indicator.revenue_trend", [0.25], SHARE),
    ("p", [1.2e-07, 0.5], PVALUE), ("p_holm", [0.625], PVALUE), ("p_t", [0.1], PVALUE),
    ("p_t_holm", [0.4], PVALUE), ("p_wilcoxon", [0.125], PVALUE), ("pvalue", [0.0], PVALUE),
    ("gap_p", [0.01], PVALUE),
    ("n", [4.0, np.nan], COUNT), ("servqual.tangibles.gap.n", [3.0], COUNT),
    ("k", np.array([4, 5]), COUNT), ("responses", [4.0], COUNT), ("invited", [12], COUNT),
    ("responded", [7.0], COUNT), ("n_zero", [1], COUNT), ("customer_n", [6], COUNT),
    ("grid.contacts", [3.0], COUNT), ("indicator.roles_covered", [2.0], COUNT),
    ("nps", [21.43], INDEX), ("nps.unweighted", [25.0], INDEX),
    ("loyalty_index", [60.0], INDEX), ("repurchase.mean", [67.6], INDEX),
    ("satisfaction", [70.2], INDEX), ("index", [66.8], INDEX),
    ("contribution_score", [100.0, 66.67], INDEX), ("performance", [63.9], INDEX),
    ("percent", [15.8], INDEX),
    ("gap", [-1.25], DECIMAL), ("servqual.tangibles.gap", [-1.0, -2.0], DECIMAL),
    ("alpha", [0.92], DECIMAL), ("estimate", [0.67], DECIMAL),
    ("rank", np.array([1, 2]), COUNT), ("some_integers", pd.Series([1, 2]), COUNT),
])
def test_number_format_rule_table(column, values, expected):
    assert number_format_for(column, values) == expected


def test_number_format_rules_look_at_the_values():
    # a facet "p" (mean perception, 1–7) is no p-value, nor is a dotted "tangibles.p"
    assert number_format_for("p", [4.83, 5.17]) == DECIMAL
    assert number_format_for("tangibles.p", [0.5]) == DECIMAL
    # a count that holds fractions keeps its decimals; a mean that happens to be whole too
    assert number_format_for("n", [2.5, 3.0]) == DECIMAL
    assert number_format_for("mean", [6.0, 5.0]) == DECIMAL
    # without values the name alone decides
    assert number_format_for("p_holm") == PVALUE
    assert number_format_for("mean") == DECIMAL


def test_number_formats_are_applied_and_values_unchanged():
    table = pd.DataFrame({
        "account": ["A1", "A2", "=cmd|' /C calc'!A0"],
        "revenue": [3393000.0, 658289.0000000001, np.nan],
        "margin": [0.3, 0.25, 0.1],
        "n": [4.0, np.nan, 2.0],
        "k": [4, 5, 6],
        "p_holm": [1.2e-07, 0.5, 1.0],
        "nps": [21.428571428571427, -50.0, np.nan],
        "gap": [-1.25, 0.1 + 0.2, 2.0],
        "met": [True, False, True],
        "explicit": [1.5, 2.5, 3.5],
    })
    ws = _load([Sheet("T", table, title="T", note="N",
                      number_formats={"explicit": "0.000"})])["T"]
    col = _header(ws)
    expected = {"revenue": MONEY, "margin": SHARE, "n": COUNT, "k": COUNT, "p_holm": PVALUE,
                "nps": INDEX, "gap": DECIMAL, "explicit": "0.000"}
    for name, fmt in expected.items():
        cells = [ws.cell(row=r, column=col[name]) for r in range(5, 8)]
        assert {c.number_format for c in cells if c.value is not None} == {fmt}, name
    values = {name: [ws.cell(row=r, column=col[name]).value for r in range(5, 8)]
              for name in table.columns}
    # numbers stay numbers, to Excel's 15 significant digits; NaN stays empty
    assert values["revenue"] == [3393000.0, 658289.0, None]
    assert values["n"] == [4.0, None, 2.0] and values["k"] == [4, 5, 6]
    assert values["p_holm"] == [1.2e-07, 0.5, 1.0]
    assert values["nps"][0] == pytest.approx(21.428571428571427, rel=1e-14)
    assert values["nps"][1:] == [-50.0, None]
    assert values["gap"] == [-1.25, 0.3, 2.0]
    assert values["met"] == [True, False, True]
    assert values["account"] == list(table["account"])
    assert all(ws.cell(row=r, column=col["account"]).data_type == "s" for r in range(5, 8))
    assert all(isinstance(v, (int, float)) for v in values["margin"])


def test_rows_can_be_formatted_by_the_measure_they_hold():
    evidence = pd.DataFrame({"indicator": ["share_of_wallet", "roles_covered", "trust",
                                           "loyalty_index"],
                             "threshold": [0.3, 2.0, 3.0, 60.0],
                             "value": [0.4, 3.0, np.nan, 55.5]})
    ws = _load([Sheet("E", evidence, row_measures={"threshold": "indicator",
                                                   "value": "indicator"})])["E"]
    assert [ws.cell(row=r, column=2).number_format for r in range(2, 6)] == [
        SHARE, COUNT, DECIMAL, INDEX]
    assert [ws.cell(row=r, column=3).value for r in range(2, 6)] == [0.4, 3.0, None, 55.5]
    assert ws.cell(row=2, column=3).number_format == SHARE


# --------------------------------------------------------------------------- layout and print


def test_header_row_and_first_column_are_frozen_and_printed_on_every_page():
    table = pd.DataFrame({"account_id": ["A1", "A2"], "revenue": [1.0, 2.0]})
    wb = _load([Sheet("Titled", table, title="T", note="N"), Sheet("Bare", table),
                Sheet("Two", table, freeze_columns=2)])
    assert wb["Titled"].freeze_panes == "B5"
    assert wb["Bare"].freeze_panes == "B2"
    assert wb["Two"].freeze_panes == "C2"
    for ws in wb:
        setup = ws.page_setup
        assert setup.orientation == "landscape"
        assert int(setup.paperSize) == 9  # A4
        assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert wb["Titled"].print_title_rows == "$4:$4"
    assert wb["Bare"].print_title_rows == "$1:$1"


def test_note_wraps_across_the_table_and_columns_fit_their_content():
    table = pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Anshan Gear Works", "x" * 90],
                          "servqual.responsiveness.gap.mean": [-1.5, -2.5],
                          "revenue": [3393000.0, 1.0], "nps.n": [4.0, 2.0]})
    note = "A long note that says what the numbers are and how to read them. " * 4
    ws = _load([Sheet("S", table, title="Title", note=note)])["S"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A2:E2" in merged and "A1:E1" in merged
    assert ws["A2"].alignment.wrap_text and ws["A2"].value == note
    assert ws.row_dimensions[2].height > 15  # more than one line
    widths = {ws.cell(row=4, column=c).value: ws.column_dimensions[get_column_letter(c)].width
              for c in range(1, 6)}
    assert 8 <= widths["account_id"] <= 14
    assert widths["name"] == 40  # long text is capped, and wraps
    assert ws["B6"].alignment.wrap_text and ws.row_dimensions[6].height > 15
    for name in ("servqual.responsiveness.gap.mean", "revenue", "nps.n"):
        assert 9 <= widths[name] <= 14, name  # numbers ~12; a long header wraps
    assert ws.cell(row=4, column=3).alignment.wrap_text
    assert ws.row_dimensions[4].height > 15


def test_a_very_wide_table_prints_legibly_with_its_identifier_repeated():
    table = pd.DataFrame({"account_id": ["A1"], "name": ["N"],
                          **{f"measure_{k}.mean": [float(k)] for k in range(60)}})
    ws = _load([Sheet("Wide", table, freeze_columns=2)])["Wide"]
    assert int(ws.page_setup.fitToWidth) == pages_wide(
        [ws.column_dimensions[get_column_letter(c)].width for c in range(1, 63)]) > 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_cols == "$A:$B" and ws.print_title_rows == "$1:$1"


# --------------------------------------------------------------------------- the analysis book


@pytest.fixture(scope="module")
def analysis_tables():
    from analysis import Questionnaire, load_instrument, read_accounts, read_responses
    from analysis.pipeline import AnalysisOptions, analyze
    from analysis.stages import load_stage_model
    from analysis.synthetic import simulate_responses
    from tests.conftest import DATA, REPO

    def instrument(name):
        return load_instrument(REPO / "instruments" / f"{name}.toml")

    small_q = Questionnaire(tuple(instrument(n) for n in (
        "servqual", "loyalty", "servqual_gap1", "relationship", "grid25")))
    small = analyze(small_q, read_responses(DATA / "analyze_small_responses.csv", small_q),
                    read_accounts(DATA / "analyze_small_accounts.csv"),
                    AnalysisOptions(stage_model=load_stage_model(
                        REPO / "instruments" / "stages.toml"), by=("role",)))
    q = Questionnaire(tuple(instrument(n) for n in ("servqual", "satisfaction", "loyalty")))
    respondents = pd.DataFrame({"response_id": [f"r{i}" for i in range(120)],
                                "account_id": [f"A{i % 6}" for i in range(120)],
                                "role": ["user", "economic", "technical"] * 40})
    sim = simulate_responses(q, respondents, {f"A{k}": (k - 2.5) / 2 for k in range(6)},
                             seed=5)
    model = analyze(q, sim, None, AnalysisOptions(n_boot=20))
    return {**model.tables, **small.tables}


def test_every_analysis_sheet_has_a_title_and_a_plain_note(analysis_tables):
    sheets = analysis_sheets(analysis_tables)
    assert len(sheets) == len([t for t in analysis_tables.values() if not t.empty])
    names = {s.name for s in sheets}
    assert {"Model paths", "Model constructs", "Model indicators", "Model effects",
            "Model bootstrap", "Key drivers", "Derived importance", "Reliability items",
            "Stage evidence", "Gap tests by account", "SERVQUAL by role"} <= names
    for sheet in sheets:
        assert sheet.title and sheet.note and len(sheet.note) > 40, sheet.name
    wb = load_workbook(io.BytesIO(analysis_workbook(analysis_tables)))
    for ws in wb:
        assert ws["A2"].value and ws["A2"].data_type == "s", ws.title
        assert ws.freeze_panes in ("B5", "C5"), ws.title
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$4:$4"


def test_tables_without_a_listed_sheet_still_get_a_note():
    sheets = analysis_sheets({"servqual_by_owner": pd.DataFrame({"owner": ["x"], "gap": [1.0]}),
                              "something_new": pd.DataFrame({"a": [1]})})
    assert [s.name for s in sheets] == ["SERVQUAL by owner", "something_new"]
    assert all(s.note for s in sheets)


def test_analysis_workbook_formats_and_values(analysis_tables):
    wb = load_workbook(io.BytesIO(analysis_workbook(analysis_tables)))
    expected = {
        ("Account measures", "revenue"): MONEY, ("Account measures", "contribution"): MONEY,
        ("Account measures", "margin"): SHARE, ("Account measures", "share_of_wallet"): SHARE,
        ("Account measures", "growth"): SHARE, ("Account measures", "responses"): COUNT,
        ("Account measures", "servqual.tangibles.gap.n"): COUNT,
        ("Account measures", "servqual.tangibles.gap"): DECIMAL,
        ("Account measures", "nps"): INDEX, ("Account measures", "contribution_score"): INDEX,
        ("Account measures", "indicator.share_of_wallet"): SHARE,
        ("Account measures", "indicator.revenue_trend"): SHARE,
        ("Stages", "n"): COUNT, ("Stages", "share"): SHARE,
        ("SERVQUAL", "p_holm"): PVALUE, ("SERVQUAL", "n"): COUNT, ("SERVQUAL", "mean"): DECIMAL,
        ("SERVQUAL items", "p"): DECIMAL, ("SERVQUAL items", "e"): DECIMAL,
        ("Model paths", "p"): PVALUE, ("Model paths", "estimate"): DECIMAL,
        ("Model constructs", "index"): INDEX, ("Key drivers", "percent"): INDEX,
        ("Key drivers", "rank"): COUNT, ("Reliability", "k"): COUNT,
        ("Importance", "performance"): INDEX, ("SERVQUAL by role", "tangibles.e.n"): COUNT,
    }
    for (sheet, column), fmt in expected.items():
        ws = wb[sheet]
        col = _header(ws)[column]
        formats = {ws.cell(row=r, column=col).number_format for r in range(5, ws.max_row + 1)
                   if ws.cell(row=r, column=col).value is not None}
        assert formats == {fmt}, (sheet, column, formats)
    # values unchanged: every number of every table, NaN as an empty cell
    for sheet in analysis_sheets(analysis_tables):
        ws = wb[sheet.name]
        for c, name in enumerate(sheet.table.columns, start=1):
            assert ws.cell(row=4, column=c).value == str(name)
            for r, value in enumerate(sheet.table[name].tolist(), start=5):
                got = ws.cell(row=r, column=c).value
                if isinstance(value, (bool, np.bool_)):
                    assert got is bool(value)
                elif isinstance(value, (int, float, np.integer, np.floating)):
                    if np.isnan(value):
                        assert got is None, (sheet.name, name, r)
                    else:
                        assert isinstance(got, (int, float)) and not isinstance(got, bool)
                        assert got == pytest.approx(float(value), rel=1e-14, abs=1e-300)
    # stage evidence: thresholds read as the indicator they belong to
    ws = wb["Stage evidence"]
    col = _header(ws)
    by_indicator = {}
    for r in range(5, ws.max_row + 1):
        by_indicator.setdefault(ws.cell(row=r, column=col["indicator"]).value, set()).add(
            ws.cell(row=r, column=col["threshold"]).number_format)
    assert by_indicator["share_of_wallet"] == {SHARE}
    assert by_indicator["roles_covered"] == {COUNT}


def test_control_characters_are_dropped_not_fatal():
    # "\x0b" is Word's soft line break; openpyxl refuses it in a cell
    from analysis.report import Sheet
    from analysis.report import workbook_bytes as build

    table = pd.DataFrame({"comment": ["line one\x0bline two\x00", "=1+1\x07"]})
    ws = load_workbook(io.BytesIO(build([Sheet("C", table)])))["C"]
    values = [c.value for c in ws["A"] if c.row > 1]
    assert "line oneline two" in values and "=1+1" in values
