"""The demo's leadership workbook from `surveyapp export`: the stored run's figures in both
languages, filters, the SPSS file and the masked raw exports; a respondent's formula-looking
comment stays text everywhere."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.models import Campaign, Response, TextAnswer
from surveyapp.services import scoring
from surveyapp.services.figures import wave_figures

INJECTION = '=HYPERLINK("http://x","click")'


@pytest.fixture
def demo(app, runner, session):
    assert runner.invoke(args=["demo"]).exit_code == 0
    wave = session.scalars(select(Campaign).where(Campaign.audience == "customer")
                           .order_by(Campaign.id.desc())).first()
    response = session.scalars(select(Response).where(Response.campaign_id == wave.id)
                               .order_by(Response.id)).first()
    session.add(TextAnswer(response_id=response.id, answer_id="comment", text=INJECTION))
    session.add(TextAnswer(response_id=response.id, answer_id="comment2", text="@SUM(1)"))
    session.commit()
    scoring.request_recompute(session, [wave.id])
    return wave


def _export(runner, tmp_path, *args):
    out = tmp_path / "book.xlsx"
    result = runner.invoke(args=["export", "--xlsx", str(out), *args])
    assert result.exit_code == 0, result.output
    return load_workbook(io.BytesIO(out.read_bytes()))


def test_the_accounts_sheet_shows_the_runs_figures(app, runner, session, demo, tmp_path):
    wb = _export(runner, tmp_path, "--lang", "en")
    ws = wb["Accounts"]
    header = [c.value for c in ws[4]]
    rows = {r[0]: dict(zip(header, r, strict=True))
            for r in ws.iter_rows(min_row=5, values_only=True)
            if r[0] and r[0] not in ("Total", "Mean of accounts")}
    run = wave_figures(session, session.get(Campaign, demo.id)).table("accounts")
    assert len(rows) == len(run)
    for account in run.to_dict(orient="records"):
        row = rows[account["account_id"]]
        for sheet_column, run_column in (("Tangibles", "servqual.tangibles.gap"),
                                         ("NPS (role-weighted)", "nps"),
                                         ("NPS (unweighted)", "nps.unweighted"),
                                         ("Weighted SERVQUAL gap", "servqual.weighted"),
                                         ("Satisfaction index", "satisfaction"),
                                         ("Revenue", "revenue")):
            if pd.isna(account[run_column]):
                assert row[sheet_column] is None
            else:
                assert row[sheet_column] == pytest.approx(account[run_column], rel=1e-12)
        assert row["ABC class"] == account["abc"]


def test_chinese_is_the_default_and_every_leadership_sheet_is_there(runner, demo, tmp_path):
    wb = _export(runner, tmp_path)
    assert wb.sheetnames[:6] == ["摘要", "客户", "服务缺口", "重要性-绩效", "关系阶段", "贡献度"]
    cards = [n for n in wb.sheetnames if n.startswith("记分卡")]
    assert cards and all(wb[n]._charts for n in cards)
    assert len(wb["重要性-绩效"]._charts) == 1
    stages = {r[5] for r in wb["客户"].iter_rows(min_row=5, values_only=True)}
    assert "伙伴式阶段" in stages and "partnership" not in stages


def test_comments_that_look_like_formulas_stay_text(runner, demo, tmp_path):
    wb = _export(runner, tmp_path, "--lang", "en")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value in (INJECTION, "@SUM(1)")]
    assert {c.value for c in cells} == {INJECTION, "@SUM(1)"}
    assert all(c.data_type == "s" for c in cells)
    csv = tmp_path / "r.csv"
    assert runner.invoke(args=["export", "--responses", str(csv)]).exit_code == 0
    text = csv.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in text and "'@SUM(1)" in text


def test_a_filter_keeps_only_its_accounts(runner, demo, tmp_path):
    wb = _export(runner, tmp_path, "--lang", "en", "--customer-type", "partnership")
    types = {r[3] for r in wb["Accounts"].iter_rows(min_row=5, values_only=True)
             if r[0] and r[0] not in ("Total", "Mean of accounts")}
    assert types == {"Partnership"}


def test_spss_file_has_variable_and_value_labels(runner, demo, tmp_path):
    import pyreadstat

    path = tmp_path / "r.sav"
    result = runner.invoke(args=["export", "--sav", str(path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    frame, meta = pyreadstat.read_sav(str(path))
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["sq01.e"].startswith("Expectation")
    assert meta.variable_value_labels["sq01.e"][1.0] == "Strongly disagree"
    assert "contact_id" in frame.columns
    masked = tmp_path / "m.sav"
    assert runner.invoke(args=["export", "--sav", str(masked), "--masked"]).exit_code == 0
    assert "contact_id" not in pyreadstat.read_sav(str(masked))[0].columns


def test_masked_raw_exports_have_no_names_or_emails(runner, demo, tmp_path):
    responses, accounts = tmp_path / "r.csv", tmp_path / "a.csv"
    result = runner.invoke(args=["export", "--responses", str(responses), "--accounts",
                                 str(accounts), "--masked"])
    assert result.exit_code == 0, result.output
    r = pd.read_csv(responses, encoding="utf-8-sig")
    a = pd.read_csv(accounts, encoding="utf-8-sig")
    assert "contact_id" not in r.columns and "response_id" in r.columns
    assert not {"name", "owner", "email"} & set(a.columns) and "account_id" in a.columns


def test_an_unknown_language_is_a_usage_error(runner, demo, tmp_path):
    result = runner.invoke(args=["export", "--xlsx", str(tmp_path / "x.xlsx"), "--lang", "fr"])
    assert result.exit_code == 2 and not (tmp_path / "x.xlsx").exists()


def test_an_anonymous_wave_stays_anonymous(runner, session, demo, tmp_path):
    from surveyapp.models import Contact

    wave = session.get(Campaign, demo.id)
    wave.anonymous = True
    session.commit()
    scoring.request_recompute(session, [wave.id])
    wb = _export(runner, tmp_path, "--lang", "en")
    ws = wb["Responses"]
    assert ws["A4"].value == "Response"  # the readable header, the column names beneath
    header = [c.value for c in ws[5]]
    column = header.index("contact_id")
    assert all(r[column] is None for r in ws.iter_rows(min_row=6, values_only=True))
    names = {n for n in session.scalars(select(Contact.name)) if n}
    codes = {c for c in session.scalars(select(Contact.code)) if c}
    text = {str(v) for sheet in wb.worksheets for row in sheet.iter_rows(values_only=True)
            for v in row if v is not None}
    assert not text & names and not text & codes


def test_one_customer_type_shows_its_own_figures_on_the_summary(runner, session, demo,
                                                                 tmp_path):
    from surveyapp.services.exports import _previous

    wb = _export(runner, tmp_path, "--lang", "en", "--customer-type", "Partnership")
    figures = wave_figures(session, demo)
    segments = figures.table("segments")
    mine = segments[(segments["segment"] == "customer_type")
                    & (segments["value"] == "partnership")].iloc[0]
    rows = {r[0]: r for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    header = rows["Measure"]
    assert header[1] == "This segment" and header[6] == "All accounts"
    assert rows["NPS"][1] == pytest.approx(mine["nps"])
    assert rows["Weighted SERVQUAL gap"][1] == pytest.approx(mine["servqual.weighted"])
    everyone = segments[segments["segment"] == "all"]
    portfolio = everyone.iloc[0]["nps"] if not everyone.empty else figures.summary["nps"]["nps"]
    assert rows["NPS"][6] == pytest.approx(portfolio)
    previous = _previous(session, demo)
    if previous is not None:  # the previous wave's figure of the same segment
        before = previous.table("segments")
        before = before[(before["segment"] == "customer_type")
                        & (before["value"] == "partnership")]
        if not before.empty and pd.notna(before.iloc[0]["nps"]):
            assert rows["NPS"][2] == pytest.approx(before.iloc[0]["nps"])


def test_a_managers_workbook_shows_their_owner_segment(app, session, demo):
    from surveyapp.services import exports

    figures = wave_figures(session, demo)
    segments = figures.table("segments")
    owner = segments[segments["segment"] == "owner"].iloc[0]
    book = exports.portfolio_workbook(session, figures, "en", own=owner["value"])
    rows = {r[0]: r for r in load_workbook(io.BytesIO(book))["Summary"].iter_rows(
        values_only=True) if r and r[0]}
    assert rows["Measure"][1] == "This segment" and rows["Measure"][6] == "All accounts"
    assert rows["NPS"][1] == pytest.approx(owner["nps"])


def test_a_manager_downloading_the_workbook_gets_their_owner_segment(app, session, demo):
    from surveyapp.services import users

    figures = wave_figures(session, demo)
    segments = figures.table("segments")
    owner = segments[segments["segment"] == "owner"].iloc[0]
    manager = users.find(session, owner["value"])
    users.set_password(manager, "correct horse battery")
    session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": manager.email,
                                       "password": "correct horse battery"}).status_code == 302
    download = client.get("/export.xlsx?lang=en")
    assert download.status_code == 200
    rows = {r[0]: r for r in load_workbook(io.BytesIO(download.data))["Summary"].iter_rows(
        values_only=True) if r and r[0]}
    assert rows["Measure"][1] == "This segment" and rows["Measure"][6] == "All accounts"
    assert rows["NPS"][1] == pytest.approx(owner["nps"])
