"""The demo's workbook opened by an independent spreadsheet application: LibreOffice Calc
(headless, its own HOME per call) converts it without error in both languages, the formula
values it computes equal the stored run's figures, and printed to PDF the Summary is one
page and the Accounts sheet one page wide. Skipped only where soffice is absent outside CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from surveyapp.models import Campaign
from surveyapp.services.figures import wave_figures


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} must be installed in CI ('make test' installs it)")
        pytest.skip(f"{name} is not installed")
    return found


def _convert(source: Path, to: str, tmp_path: Path) -> Path:
    out = tmp_path / f"out-{to}"
    home = tmp_path / f"home-{to}"  # LibreOffice's profile: one per call
    done = subprocess.run([_tool("soffice"), "--headless", "--convert-to", to, "--outdir",
                           str(out), str(source)], env={**os.environ, "HOME": str(home)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = out / f"{source.stem}.{to}"
    assert result.exists(), done.stdout + done.stderr
    return result


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_libreoffice_computes_the_workbook_to_the_runs_figures(app, runner, session, lang,
                                                                tmp_path):
    assert runner.invoke(args=["demo"]).exit_code == 0
    source = tmp_path / "book.xlsx"
    result = runner.invoke(args=["export", "--xlsx", str(source), "--lang", lang])
    assert result.exit_code == 0, result.output
    wave = session.scalars(select(Campaign).where(Campaign.audience == "customer")
                           .order_by(Campaign.id.desc())).first()
    figures = wave_figures(session, wave)
    run, coverage = figures.table("accounts"), figures.table("coverage")

    computed = load_workbook(_convert(source, "xlsx", tmp_path), data_only=True)
    names = computed.sheetnames
    summary = {r[0]: r[1] for r in computed[names[0]].iter_rows(values_only=True) if r[0]}
    words = {"zh": ("收入合计", "回复率", "答卷数"), "en": ("Total revenue", "Response rate",
                                                     "Responses")}[lang]
    assert summary[words[0]] == pytest.approx(run["revenue"].sum(), rel=1e-12)
    assert summary[words[1]] == pytest.approx(
        coverage["responded"].sum() / coverage["invited"].sum(), rel=1e-12)
    assert summary[words[2]] == run["responses"].fillna(0).sum()
    accounts = computed[names[1]]
    header = [c.value for c in accounts[4]]
    share = header.index("钱包份额" if lang == "zh" else "Share of wallet")
    by_code = {r["account_id"]: r["share_of_wallet"] for r in run.to_dict(orient="records")}
    rows = [r for r in accounts.iter_rows(min_row=5, values_only=True) if r[0] in by_code]
    assert len(rows) == len(run)
    for row in rows:
        assert row[share] == pytest.approx(by_code[row[0]], rel=1e-12)
    errors = [v for ws in computed.worksheets for row in ws.iter_rows(values_only=True)
              for v in row if isinstance(v, str) and v.startswith(("#VALUE", "#NAME", "#REF",
                                                                    "#DIV", "Err:"))]
    assert errors == []

    pdf = _convert(source, "pdf", tmp_path)
    pages = []
    for page in (1, 2):
        text = subprocess.run([_tool("pdftotext"), "-f", str(page), "-l", str(page),
                               "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        pages.append(text)
    titles = {"zh": ("管理层摘要", "客户一览", "作答角色"),
              "en": ("summary", "Accounts —", "Roles answered")}[lang]
    assert titles[0] in pages[0] and titles[1] not in pages[0]  # the Summary: one page
    assert titles[1] in pages[1] and titles[2] in pages[1]  # the last column on page one
