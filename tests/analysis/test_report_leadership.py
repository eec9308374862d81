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
    nps = get_column_letter(header.index("NPS (role-weighted)") + 1)
    assert ws.cell(5 + n, header.index("NPS (role-weighted)") + 1).value is None  # no sum
    assert ws.cell(6 + n, 1).value == "Mean of accounts"  # the means on their own row
    assert ws[f"{nps}{6 + n}"].value == f'=IF(COUNT({nps}5:{nps}{4 + n})>0,' \
        f'AVERAGE({nps}5:{nps}{4 + n}),"")'
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
    assert [c.value for c in ws[5]][:4] == ["Acme", 1, "Call the buyer", "a@example.com"]


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
    # the mean of the accounts' NPS (those with one), as pandas computes it
    assert ws.cell(6 + n, header.index("NPS (role-weighted)") + 1).value == pytest.approx(
        accounts["nps"].mean(), rel=1e-12)
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


def _nps(scores: pd.Series) -> tuple[float, float, int]:
    """NPS and its 95 % margin of error from 0–10 answers, as defined on the Method sheet
    (Reichheld 2003: % 9–10 minus % 0–6; moe = 1.96 × 100 × √((p + d − (p − d)²)/n))."""
    x = scores.dropna()
    n = len(x)
    p, d = (x >= 9).sum() / n, (x <= 6).sum() / n
    return 100 * (p - d), 1.96 * 100 * ((p + d - (p - d) ** 2) / n) ** 0.5, n


def _summary_rows(ws) -> dict:
    return {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0]}


def test_from_files_the_accounts_show_responses_and_no_invitations(books, result):
    _out, responses, _accounts = result
    wb = load_workbook(io.BytesIO(books["en"]))
    ws = wb["Accounts"]
    header = [c.value for c in ws[4]]
    assert "Responses" in header and "Invited" not in header and "Responded" not in header
    assert LABELS["en"]["n.no_invitations"] in ws["A2"].value
    # the customers' rows of each account in the responses file: those with a buying role
    # (m*, a* and g* rows are the managers' assessment and the grid's own rows)
    expected = responses[responses["role"].notna()].groupby("account_id").size()
    shown = {r[0]: r[header.index("Responses")] for r in ws.iter_rows(min_row=5,
                                                                       values_only=True)
             if r[0] and r[0] not in ("Total", "Mean of accounts")}
    assert {k: v for k, v in shown.items() if v} == expected.to_dict()
    summary = _summary_rows(wb["Summary"])
    assert summary["Response rate"][1] == "not known"


def _segment_data(result, customer_type: str) -> ReportData:
    """The workbook data filtered to one customer type, as the export filters it."""
    out, responses, _accounts = result
    accounts = out.tables["accounts"]
    codes = set(accounts.loc[accounts["customer_type"] == customer_type, "account_id"])
    tables = {name: (t[t["account_id"].isin(codes)].reset_index(drop=True)
                     if "account_id" in t.columns else t) for name, t in out.tables.items()}
    return ReportData(tables=tables, summary=out.summary, wave="W1",
                      filters=f"customer_type = {customer_type}",
                      segment=("customer_type", customer_type))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_workbook_of_one_segment_shows_its_figures_beside_the_portfolios(result, lang):
    out, responses, accounts = result
    wb = load_workbook(io.BytesIO(leadership_workbook(_segment_data(result, "partnership"),
                                                      lang)))
    ws = wb[LABELS[lang]["sheet.summary"]]
    words = LABELS[lang]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == words["col.measure"])
    assert header[1] == words["col.segment_value"] and header[6] == words["col.portfolio"]
    rows = _summary_rows(ws)
    # computed here from the raw answers: the segment's respondents, then everyone's
    partnership = set(accounts.loc[accounts["customer_type"] == "partnership", "account_id"])
    mine = _nps(responses.loc[responses["account_id"].isin(partnership), "nps"])
    everyone = _nps(responses.loc[responses["account_id"].notna(), "nps"])
    assert rows[words["m.nps"]][1] == pytest.approx(mine[0])
    assert rows[words["m.nps_moe"]][1] == pytest.approx(mine[1])
    assert rows[words["m.nps"]][6] == pytest.approx(everyone[0])
    assert rows[words["m.nps_moe"]][6] == pytest.approx(everyone[1])
    assert mine[0] != pytest.approx(everyone[0])  # the data tell the two apart
    segment_label = Labels(lang).coded("customer_type", "partnership")
    texts = [v for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str)]
    assert any(segment_label in t and LABELS[lang]["col.customer_type"] in t for t in texts)
    # the five largest gaps are the segment's: its worst item first
    items = out.tables["segment_items"]
    worst = items[(items["segment"] == "customer_type") & (items["value"] == "partnership")] \
        .dropna(subset=["gap"]).sort_values("gap", kind="stable").iloc[0]
    column_a = [r[0] for r in ws.iter_rows(values_only=True)]
    title = next(k for k, t in enumerate(column_a) if str(t).startswith(words["t.top_gaps"]))
    assert segment_label in column_a[title]
    assert column_a[title + 2] == Labels(lang)(f"item.{worst['item']}")  # under the header


def test_a_segment_the_run_does_not_know_leaves_the_portfolio_summary(result):
    data = _segment_data(result, "partnership")
    data.segment = ("customer_type", "no_such_type")
    ws = load_workbook(io.BytesIO(leadership_workbook(data, "en")))["Summary"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Measure")
    assert header[1] == "Value" and "All accounts" not in header
    assert _summary_rows(ws)["NPS"][1] == pytest.approx(result[0].summary["nps"]["nps"])


def test_stage_criteria_read_in_words():
    from analysis.report.criteria import criterion_words

    share = {"indicator": "share_of_wallet", "op": ">=", "threshold": 0.3, "value": 0.161}
    assert criterion_words(share, Labels("zh")) == "钱包份额 16 %，需要 ≥ 30 %"
    assert criterion_words(share, Labels("en")) == "Share of wallet 16 %, needs ≥ 30 %"
    sponsor = {"indicator": "exec_sponsor", "op": ">=", "threshold": 1, "value": 0}
    assert criterion_words(sponsor, Labels("zh")) == "高层支持 否，需要 是"
    status = {"indicator": "supplier_status", "op": ">=", "threshold": 2, "value": None}
    # supplier status runs 1–3 (instruments/stages.toml): out of 3, not out of 5
    assert criterion_words(status, Labels("en")) == "Supplier status not known, needs ≥ 2 / 3"
    trust = {"indicator": "trust", "op": ">=", "threshold": 4, "value": 3}
    assert criterion_words(trust, Labels("en")) == "Trust 3 / 5, needs ≥ 4 / 5"


def test_the_ratings_scales_are_the_shipped_stage_files():
    from pathlib import Path

    from analysis import load_stage_model
    from analysis.report.criteria import DEFAULT_RATING_TOPS, DEFAULT_UNITS

    model = load_stage_model(Path(__file__).resolve().parents[2] / "instruments" / "stages.toml")
    for name, indicator in model.indicators.items():
        assert DEFAULT_UNITS.get(name) == indicator.unit, name
        if indicator.unit == "rating":
            assert DEFAULT_RATING_TOPS.get(name, 5.0) == indicator.max, name


def test_scorecards_and_stages_write_no_machine_notation(books):
    wb = load_workbook(io.BytesIO(books["zh"]))
    texts = [v for ws in wb.worksheets if ws.title.startswith(("记分卡", "关系阶段"))
             for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any("，需要 " in t for t in texts)  # the unmet criteria are there, in words
    assert not [t for t in texts if ">=" in t or "(unknown)" in t]


def test_comments_name_the_role(books):
    ws = load_workbook(io.BytesIO(books["zh"]))["客户意见"]
    rows = list(ws.iter_rows(values_only=True))
    at = next(k for k, r in enumerate(rows) if "角色" in r)
    roles = {r[rows[at].index("角色")] for r in rows[at + 1:]}
    assert roles == {"使用买家"}


def test_open_tasks_are_one_row_per_account(result):
    data = _data(result)
    data.tasks = pd.DataFrame({
        "account": ["Acme", "Acme", "Acme", "Beta"],
        "title": ["Acme: detractor", "Acme: detractor", "Acme: gap: tangibles", "Beta: call"],
        "owner": ["a@example.com", "a@example.com", "b@example.com", ""],
        "due": [pd.Timestamp("2027-01-05"), pd.Timestamp("2027-01-02"), None,
                pd.Timestamp("2027-02-01")]})
    ws = load_workbook(io.BytesIO(leadership_workbook(data, "en")))["Actions"]
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]
    assert [r[:4] for r in rows] == [
        ("Acme", 3, "detractor ×2; gap: tangibles", "a@example.com, b@example.com"),
        ("Beta", 1, "call", None)]
    assert rows[0][4].date().isoformat() == "2027-01-02"  # the first due date


def test_the_largest_gaps_chart_reads_from_zero_in_the_tables_order(books):
    ws = load_workbook(io.BytesIO(books["en"]))["Summary"]
    bars = [c for c in ws._charts if getattr(c, "type", None) == "bar"]
    assert len(bars) == 1
    assert bars[0].x_axis.scaling.orientation == "maxMin"  # the worst gap on top
    assert bars[0].y_axis.scaling.max == 0  # every gap is below 0 here: the axis ends at 0
    texts = [v for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str)]
    assert LABELS["en"]["n.no_previous"] in texts  # no earlier wave: the empty columns say why
