"""The leadership workbook: sheets, charts, live formulas, labels, text cells, and what an
independent spreadsheet application (LibreOffice Calc) computes from its formulas."""

from __future__ import annotations

import io
import os
import shutil
import subprocess

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.report.labels import LABELS, Labels
from analysis.report.leadership import ReportData, leadership_workbook

INJECTIONS = ['=HYPERLINK("http://x","click")', "@SUM(1)", "+1+1", "-2-2"]
RAW_IDS = {"price_sensitive", "value_added", "pre_kam", "early", "mid", "synergistic",
           "uncoupling", "economic", "technical", "user", "financial", "coach", "influencer"}


@pytest.fixture(scope="module")
def result():
    from analysis import Questionnaire, load_instrument, read_accounts, read_responses
    from analysis.pipeline import AnalysisOptions, analyze
    from analysis.stages import load_stage_model
    from tests.conftest import DATA, REPO

    q = Questionnaire(tuple(load_instrument(REPO / "instruments" / f"{n}.toml") for n in (
        "servqual", "loyalty", "servqual_gap1", "relationship", "grid25")))
    responses = read_responses(DATA / "analyze_small_responses.csv", q)
    accounts = read_accounts(DATA / "analyze_small_accounts.csv")
    out = analyze(q, responses, accounts, AnalysisOptions(stage_model=load_stage_model(
        REPO / "instruments" / "stages.toml")))
    return out, responses, accounts


def _data(result) -> ReportData:
    out, responses, _accounts = result
    comments = pd.DataFrame({"account_id": [str(responses["account_id"].iloc[0])] * 4,
                             "role": ["user"] * 4, "submitted_at": ["2026-01-01"] * 4,
                             "item": ["comment"] * 4, "text": INJECTIONS})
    wide = responses.astype({c: "string" for c in responses.columns
                             if responses[c].dtype == object}).copy()
    wide["comment"] = pd.Series(INJECTIONS * len(wide), dtype="string")[: len(wide)].array
    return ReportData(tables=out.tables, summary=out.summary, wave="W1", responses=wide,
                      comments=comments)


@pytest.fixture(scope="module")
def books(result):
    return {lang: leadership_workbook(_data(result), lang) for lang in ("zh", "en")}


def test_leadership_sheets_come_first_in_each_language(books):
    en = load_workbook(io.BytesIO(books["en"]))
    assert en.sheetnames[:6] == ["Summary", "Accounts", "Service gaps",
                                 "Importance-performance", "Relationship stages",
                                 "Contribution"]
    assert {"Method", "Responses", "Actions", "Comments"} <= set(en.sheetnames)
    zh = load_workbook(io.BytesIO(books["zh"]))
    assert zh.sheetnames[:2] == ["摘要", "客户"]
    assert "方法说明" in zh.sheetnames and "问题与措施" in zh.sheetnames


def test_native_charts_are_there(books):
    wb = load_workbook(io.BytesIO(books["en"]))
    assert len(wb["Summary"]._charts) == 2  # stage mix and the five largest gaps
    assert len(wb["Service gaps"]._charts) == 1
    assert len(wb["Relationship stages"]._charts) == 1
    assert len(wb["Contribution"]._charts) == 1


def test_summary_and_accounts_hold_live_formulas_over_the_accounts_sheet(books, result):
    wb = load_workbook(io.BytesIO(books["en"]))
    from openpyxl.utils import get_column_letter

    ws = wb["Accounts"]
    header = [c.value for c in ws[4]]
    n = len(result[0].tables["accounts"])
    rev = get_column_letter(header.index("Revenue") + 1)
    wallet = get_column_letter(header.index("Wallet") + 1)
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Total revenue"] == f"=SUM('Accounts'!${rev}$5:${rev}${4 + n})"
    assert summary["Accounts surveyed"].startswith("=COUNTIF('Accounts'!")
    share = header.index("Share of wallet") + 1
    assert ws.cell(5, share).value.startswith(f"=IF(AND(ISNUMBER({wallet}5)")
    assert ws.cell(5 + n, 1).value == "Total"
    assert ws.cell(5 + n, header.index("Revenue") + 1).value == f"=SUM({rev}5:{rev}{4 + n})"
    assert ws.freeze_panes == "C5" and ws.auto_filter.ref.startswith("A4:")
    assert len(ws.conditional_formatting) >= 5  # the gaps' colour scales, the stage labels
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert int(wb["Summary"].page_setup.fitToHeight) == 1  # one printed page


def test_no_raw_ids_in_summary_and_accounts(books):
    for lang in ("zh", "en"):
        wb = load_workbook(io.BytesIO(books[lang]))
        for name in wb.sheetnames[:2]:
            values = {str(v) for row in wb[name].iter_rows(values_only=True) for v in row
                      if v is not None}
            assert not values & RAW_IDS, (lang, name, values & RAW_IDS)


def test_formula_looking_text_stays_text(books):
    wb = load_workbook(io.BytesIO(books["en"]))
    for sheet in ("Comments", "Responses"):
        cells = [c for row in wb[sheet].iter_rows() for c in row if c.value in INJECTIONS]
        assert {c.value for c in cells} == set(INJECTIONS)
        assert all(c.data_type == "s" for c in cells)


def test_actions_fall_back_to_the_largest_gaps_and_say_so(books, result):
    wb = load_workbook(io.BytesIO(books["en"]))
    ws = wb["Actions"]
    assert ws["A2"].value == LABELS["en"]["n.gap_actions"]
    worst = result[0].tables["servqual_items"].sort_values("gap").iloc[0]
    assert f"gap {worst['gap']:.2f}" in ws["B5"].value


def test_tasks_replace_the_gap_actions(result):
    data = _data(result)
    data.tasks = pd.DataFrame({"account": ["Acme"], "title": ["Call the buyer"],
                               "owner": ["a@example.com"], "due": [pd.Timestamp("2027-01-05")]})
    wb = load_workbook(io.BytesIO(leadership_workbook(data, "en")))
    ws = wb["Actions"]
    assert ws["A2"].value == LABELS["en"]["n.tasks"]
    assert [c.value for c in ws[5]][:3] == ["Acme", "Call the buyer", "a@example.com"]


def test_labels_cover_both_languages_and_reject_others():
    assert set(LABELS["zh"]) == set(LABELS["en"])
    assert Labels("zh").coded("stage", "pre_kam") == "孕育阶段"
    assert Labels("en").roles("economic,coach") == "Economic buyer, Coach"
    with pytest.raises(ValueError, match="lang"):
        Labels("fr")


def _soffice() -> str | None:
    found = shutil.which("soffice")
    if found is None and os.environ.get("CI") == "true":
        pytest.fail("LibreOffice (soffice) must be installed in CI")
    return found


def test_libreoffice_computes_the_formulas_to_the_analysis_values(books, result, tmp_path):
    """LibreOffice Calc recalculates every formula on load and writes the values; they equal
    the analysis's own figures (share of wallet per account, the sums)."""
    soffice = _soffice()
    if soffice is None:
        pytest.skip("soffice is not installed")
    source = tmp_path / "book.xlsx"
    source.write_bytes(books["en"])
    out = tmp_path / "out"
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    done = subprocess.run([soffice, "--headless", "--convert-to", "xlsx", "--outdir", str(out),
                           str(source)], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    wb = load_workbook(out / "book.xlsx", data_only=True)
    ws = wb["Accounts"]
    header = [c.value for c in ws[4]]
    accounts = result[0].tables["accounts"].sort_values(
        "contribution", ascending=False, na_position="last").reset_index(drop=True)
    share = header.index("Share of wallet") + 1
    for k, expected in enumerate(accounts["share_of_wallet"]):
        got = ws.cell(5 + k, share).value
        if pd.isna(expected):
            assert got in (None, "")
        else:
            assert got == pytest.approx(expected, rel=1e-12)
    n = len(accounts)
    assert ws.cell(5 + n, header.index("Revenue") + 1).value == pytest.approx(
        accounts["revenue"].sum(), rel=1e-12)
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Responses"] == accounts["responses"].fillna(0).sum()
    assert summary["Loss-making accounts"] == (accounts["contribution"] <= 0).sum()
    assert summary["Accounts surveyed"] == (accounts["responses"].fillna(0) > 0).sum()


def test_the_file_analysis_gets_the_same_workbook(result):
    """What `surveyapp analyze --xlsx` writes from files alone: the leadership sheets its
    data allow, the item texts from the instrument files."""
    from analysis import Questionnaire, load_instrument
    from analysis.report.analysis_book import file_workbook
    from tests.conftest import REPO

    out, responses, _accounts = result
    q = Questionnaire(tuple(load_instrument(REPO / "instruments" / f"{n}.toml") for n in (
        "servqual", "loyalty", "servqual_gap1", "relationship", "grid25")))
    wb = load_workbook(io.BytesIO(file_workbook(out, q, "zh", responses)))
    assert wb.sheetnames[:2] == ["摘要", "客户"] and "原始答卷" in wb.sheetnames
    items = [r[0] for r in wb["服务缺口"].iter_rows(values_only=True)
             if isinstance(r[0], str) and r[0].startswith("sq01 ")]
    assert items and "sq01 " in items[0] and items[0] != "sq01 "
