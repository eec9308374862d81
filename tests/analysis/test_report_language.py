"""The Chinese workbook is Chinese throughout: every title, note, section and header the
writer makes, on the leadership sheets and on the analysts' statistics sheets (whose
technical column names stand in their own row beneath the translated headers)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.report.analysis_book import question_texts
from analysis.report.leadership import ReportData, leadership_workbook

CJK = re.compile(r"[\u4e00-\u9fff]")
# three English words in a row: a sentence or a phrase left untranslated
ENGLISH_PHRASE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")
# a word of a header, not an acronym (SERVQUAL, NPS) and not a one-letter symbol (n, p, x)
WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")
HEADER_FILL = "1F4E79"


@pytest.fixture(scope="module")
def zh_book():
    from analysis import Questionnaire, load_instrument, read_accounts, read_responses
    from analysis.pipeline import AnalysisOptions, analyze
    from analysis.stages import load_stage_model
    from analysis.synthetic import simulate_responses
    from tests.conftest import DATA, REPO

    def instrument(name):
        return load_instrument(REPO / "instruments" / f"{name}.toml")

    q = Questionnaire(tuple(instrument(n) for n in (
        "servqual", "loyalty", "servqual_gap1", "relationship", "grid25")))
    responses = read_responses(DATA / "analyze_small_responses.csv", q)
    small = analyze(q, responses, read_accounts(DATA / "analyze_small_accounts.csv"),
                    AnalysisOptions(stage_model=load_stage_model(
                        REPO / "instruments" / "stages.toml"), by=("role",)))
    # the path model's sheets too: a simulated wave with the satisfaction instrument
    model_q = Questionnaire(tuple(instrument(n) for n in ("servqual", "satisfaction",
                                                          "loyalty")))
    respondents = pd.DataFrame({"response_id": [f"r{i}" for i in range(120)],
                                "account_id": [f"A{i % 6}" for i in range(120)],
                                "role": ["user", "economic", "technical"] * 40})
    sim = simulate_responses(model_q, respondents, {f"A{k}": (k - 2.5) / 2 for k in range(6)},
                             seed=5)
    model = analyze(model_q, sim, None, AnalysisOptions(n_boot=20))
    tables = {**{k: v for k, v in model.tables.items() if k.startswith("model_")},
              **small.tables}
    texts = {**question_texts(model_q, "zh"), **question_texts(q, "zh")}
    data = ReportData(tables=tables, summary=small.summary, wave="W1", responses=responses,
                      texts=texts)
    book = load_workbook(io.BytesIO(leadership_workbook(data, "zh")))
    return book, sorted(small.tables["accounts"]["name"].dropna(), key=len, reverse=True)


def _written_texts(ws, names):
    """(kind, text) of the cells the writer words: titles, notes, sections, headers (the
    accounts' names, which are data, taken out)."""
    for row in ws.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or not cell.value:
                continue
            text = cell.value
            for name in names:
                text = text.replace(name, "")
            fill = (cell.fill.fgColor.rgb or "")[-6:] if cell.fill.fill_type else ""
            if fill == HEADER_FILL:
                yield "header", text
            elif cell.font.size == 14 or cell.font.italic and cell.font.size != 9 or \
                    cell.font.size == 12:  # title, note, section (9 pt: technical names)
                yield "text", text


def test_the_chinese_workbook_has_no_english_title_note_or_header(zh_book):
    zh_book, names = zh_book
    assert len(zh_book.sheetnames) > 15  # leadership, scorecards, statistics, model sheets
    found = []
    for ws in zh_book.worksheets:
        for what, text in _written_texts(ws, names):
            if ENGLISH_PHRASE.search(text):
                found.append((ws.title, text))
            elif what == "header" and not CJK.search(text) and any(
                    len(w) > 2 for w in WORD.findall(text)):
                found.append((ws.title, text))
    assert not found, found


def test_sheet_names_and_method_sheet_are_chinese(zh_book):
    zh_book, names = zh_book
    for name in zh_book.sheetnames:
        assert not ENGLISH_PHRASE.search(name) and not re.fullmatch(r"[a-z_]+", name), name
    method = zh_book["方法说明"]
    words = [c.value for row in method.iter_rows(min_col=1, max_col=2) for c in row
             if isinstance(c.value, str) and c.row > 3]
    for name in names:
        words = [w.replace(name, "") for w in words]
    # the instruments' ids are the only English there ("servqual v1, loyalty v1, …")
    assert [w for w in words if ENGLISH_PHRASE.search(w) and "v1" not in w] == []


def test_the_technical_names_stand_beneath_the_translated_headers(zh_book):
    zh_book, _names = zh_book
    ws = zh_book["信度"]
    header = [c.value for c in ws[4]]
    technical = [c.value for c in ws[5]]
    assert technical[:4] == ["instrument", "construct", "on", "alpha"]
    assert header[:4] == ["问卷", "构念", "基于", "信度 α"]
    answers = zh_book["原始答卷"]
    names = {c.value: k for k, c in enumerate(answers[5])}
    shown = [c.value for c in answers[4]]
    assert shown[names["response_id"]] == "答卷编号"
    assert shown[names["sq01.e"]].startswith("sq01 ") and shown[names["sq01.e"]].endswith(
        "（期望 E）")


def test_statistics_name_dimensions_and_segments_and_read_p_as_perception(zh_book):
    zh_book, _names = zh_book
    reliability = zh_book["信度"]
    constructs = {row[1] for row in reliability.iter_rows(min_row=6, values_only=True)}
    assert "有形性" in constructs and "tangibles" not in constructs
    items = zh_book["细分群体题项"]
    header = dict(zip([c.value for c in items[5]], [c.value for c in items[4]], strict=True))
    assert header["p"] == "感知 P" and header["e"] == "期望 E"
    segments = zh_book["细分群体"]
    values = {(r[0], r[1]) for r in segments.iter_rows(min_row=6, values_only=True)}
    assert ("客户类型", "合作伙伴型") in values
    assert not {v for pair in values for v in pair} & {"customer_type", "partnership"}
