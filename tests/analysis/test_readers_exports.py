"""Responses files written the way their tools write them (R, SPSS, 问卷星, Chinese Excel, WPS)
read on the first try; what the reader did is said in notices, answers left out in warnings.

The files are ``tests/data/analysts_*`` (each one's tool is said where it is used); every
expected value below is read off the file by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from openpyxl import Workbook

from analysis import InputFileError, Questionnaire, loads_instrument
from analysis.frames import load_responses, read_responses
from analysis.headers import load_column_map, map_template
from tests.conftest import DATA

MINI = """
id = "mini"
version = 1
languages = ["zh", "en"]
title = { zh = "小问卷", en = "Mini survey" }

[scales.agree]
min = 1
max = 5
[scales.agree.labels]
zh = ["非常不同意", "不同意", "一般", "同意", "非常同意"]
en = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]

[scales.nps]
min = 0
max = 10

[[constructs]]
id = "QUAL"
name = { zh = "质量", en = "Quality" }

[[constructs]]
id = "CUSA"
name = { zh = "满意", en = "Satisfaction" }

[[items]]
id = "q1"
construct = "QUAL"
scale = "agree"
text = { zh = "交货准时", en = "Deliveries are on time" }

[[items]]
id = "q2"
construct = "QUAL"
scale = "agree"
text = { zh = "质量稳定", en = "Quality is steady" }

[[items]]
id = "s1"
construct = "CUSA"
scale = "agree"
text = { zh = "总体满意", en = "Satisfied overall" }

[[items]]
id = "s2"
construct = "CUSA"
scale = "agree"
text = { zh = "符合期望", en = "Meets expectations" }

[[items]]
id = "rec"
construct = "CUSA"
scale = "nps"
role = "nps"
text = { zh = "您向同事推荐我们的可能性有多大？", en = "How likely are you to recommend us?" }

[[open]]
id = "comment"
text = { zh = "其他意见", en = "Other comments" }

[model]
paths = ["QUAL -> CUSA"]
target = "CUSA"
"""


@pytest.fixture
def mini() -> Questionnaire:
    return Questionnaire((loads_instrument(MINI, "mini.toml"),))


def test_r_write_csv_with_row_names_and_na(mini):
    # R: write.csv(df, file) — quoted header, a header-less row-names column, NA unquoted
    read = load_responses(DATA / "analysts_r_write_csv.csv", mini)
    f = read.frame
    assert list(f["response_id"]) == ["r1", "r2", "r3", "r4"]
    assert np.isnan(f.loc[1, "q1"]) and np.isnan(f.loc[3, "q2"]) and f.loc[2, "q1"] == 2
    assert f["comment"].isna().tolist() == [False, True, False, True]
    assert list(f["gender"]) == ["F", "M", "F", "M"]  # kept as an attribute
    assert read.attributes == ("gender",)
    assert any("R's row names" in n for n in read.notices)
    assert any("kept as the respondents' attributes" in n and "gender" in n
               for n in read.notices)
    assert read.warnings == []


def test_spss_system_missing_and_user_codes(mini):
    # SPSS "Save as CSV": system-missing as ".", user-missing -99 (given with --na), 4.00
    path = DATA / "analysts_spss_missing.csv"
    with pytest.raises(InputFileError, match="-99 is outside the scale 0–10"):
        read_responses(path, mini)  # -99 is a number unless it is named a code
    f = read_responses(path, mini, na_values=["-99"])
    assert np.isnan(f.loc[1, "q1"]) and np.isnan(f.loc[1, "rec"])
    assert f.loc[3, "q1"] == 4  # 4.00 is 4
    assert list(f["response_id"]) == ["1", "2", "3", "4"]


def test_wjx_export_with_question_texts_labels_and_full_width_digits(mini):
    # 问卷星 "按选项文本下载": 序号 and its own columns, numbered question texts as headers,
    # answers as option labels (in either language), ９ typed full-width, (跳过) = skipped
    read = load_responses(DATA / "analysts_wjx_texts.csv", mini)
    f = read.frame
    assert list(f["response_id"]) == ["1", "2", "3"]  # 序号
    assert f["q1"].tolist() == [5, 3, 4]  # 非常同意, 一般, Agree
    assert f["q2"].tolist() == [4, 2, 4]
    assert f["rec"].tolist() == [9, 6, 10]
    assert f["comment"].tolist()[0] == "无" and f["comment"].isna().tolist()[1:] == [True] * 2
    assert set(read.attributes) == {"所用时间", "来源"}  # submitted_at is metadata
    assert f["submitted_at"].iloc[0] == "2026/11/2 10:01:12"
    assert any("recognised by name or question text" in n and "→ q1" in n
               for n in read.notices)


def test_gbk_file_with_chinese_metadata_headers(mini):
    # Chinese Excel "CSV (逗号分隔)": GBK, 问卷编号 / 客户编号 / 角色 for the metadata
    read = load_responses(DATA / "analysts_gbk_chinese_headers.csv", mini)
    f = read.frame
    assert list(f["response_id"]) == ["W1", "W2", "W3"]
    assert list(f["account_id"]) == ["A1", "A1", "A2"]
    assert f.loc[1, "role"] == "决策者" and list(f["地区"]) == ["华东", "华东", "华北"]


def test_wps_workbook_with_a_merged_title_row_and_trailing_columns(tmp_path, mini):
    # WPS/Excel: a merged title above the header, two empty formatted columns at the end
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(["2026 年客户满意度调查"])
    sheet.merge_cells("A1:F1")
    sheet.append(["response_id", "q1", "q2", "s1", "s2", "rec", None, None])
    sheet.append(["r1", 5, 4, 5, 5, 10, None, None])
    sheet.append(["r2", "4", 3, 4, 4, 8])
    sheet.append([])
    book.create_sheet("说明").append(["readme"])
    path = tmp_path / "wps.xlsx"
    book.save(path)
    for f in (read_responses(path, mini), read_responses(path, mini, sheet="数据"),
              read_responses(path, mini, header_row=2)):
        assert list(f["response_id"]) == ["r1", "r2"] and f["q1"].tolist() == [5, 4]
    with pytest.raises(InputFileError, match="row 3, column 'q1': 5.5 is not a whole number"):
        sheet["B3"] = 5.5
        book.save(path)
        read_responses(path, mini)
    with pytest.raises(InputFileError, match="no sheet 'Sheet9' \\(its sheets: 数据, 说明\\)"):
        read_responses(path, mini, sheet="Sheet9")


def test_column_maps_from_toml_csv_and_pairs(tmp_path, mini):
    path = tmp_path / "export.csv"
    path.write_text("ID,Q-1,Q-2,NPS\nx1,5,4,10\nx2,3,3,7\n", encoding="utf-8")
    toml_map = tmp_path / "map.toml"
    toml_map.write_text('[columns]\n"ID" = "response_id"\n"Q-1" = "q1"\n"Q-2" = "q2"\n'
                        '"NPS" = "rec"\n', encoding="utf-8")
    csv_map = tmp_path / "map.csv"
    csv_map.write_text("from,to\nID,response_id\nQ-1,q1\nQ-2,q2\nNPS,rec\n", encoding="utf-8")
    assert load_column_map(toml_map) == load_column_map(csv_map)
    read = load_responses(path, mini, column_map=load_column_map(toml_map))
    assert read.frame["q1"].tolist() == [5, 3] and read.frame["rec"].tolist() == [10, 7]
    assert any("renamed by the column map" in n for n in read.notices)
    bad = {"ID": "response_id", "Q-1": "q9"}
    with pytest.raises(InputFileError, match="renames to 'q9', which is not"):
        read_responses(path, mini, column_map=bad)


def test_map_template_lists_every_column_and_reads_back(tmp_path, mini):
    text = map_template(mini)
    path = tmp_path / "template.toml"
    path.write_text(text, encoding="utf-8")
    mapped = load_column_map(path)
    assert set(mapped.values()) >= {"response_id", "account_id", "q1", "q2", "s1", "s2", "rec",
                                    "comment"}
    assert mapped["交货准时"] == "q1" and mapped["问卷编号"] == "response_id"


def test_no_response_id_names_rows_by_file_row(tmp_path, mini):
    path = tmp_path / "noid.csv"
    path.write_text("q1,q2\n5,4\n\n3,3\n", encoding="utf-8")
    read = load_responses(path, mini)
    assert list(read.frame["response_id"]) == ["2", "4"]  # the file's rows, blank line kept
    assert any("no response_id column" in n for n in read.notices)
    path.write_text("response_id,q1\nr1,5\n", encoding="utf-8")
    assert not any("response_id" in n for n in load_responses(path, mini).notices)


def test_near_miss_columns_are_errors_but_other_extras_are_not(tmp_path, servqual):
    q = Questionnaire((servqual,))
    path = tmp_path / "r.csv"
    path.write_text("response_id,sq5.e,sq01.x,sq99.p,imp.colour,age\nr1,5,5,5,5,40\n",
                    encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_responses(path, q)
    messages = {e.column: e.message for e in err.value.errors}
    assert set(messages) == {"sq5.e", "sq01.x", "sq99.p", "imp.colour"}  # not 'age'
    assert "did you mean 'sq05.e'" in messages["sq5.e"]
    assert "has no facet 'x'" in messages["sq01.x"]
    assert "'sq99' is not an item" in messages["sq99.p"]
    assert "has no construct 'colour'" in messages["imp.colour"]


def test_missing_codes_in_any_width(tmp_path, mini):
    path = tmp_path / "codes.csv"
    path.write_text("response_id,q1,q2,s1,s2,rec\n"
                    "a,NA,N/A,#N/A,-,不适用\nb,ＮＡ,n/a,.,４,１０\n", encoding="utf-8")
    f = read_responses(path, mini)
    assert f.loc[0, ["q1", "q2", "s1", "s2", "rec"]].isna().all()
    assert f.loc[1, "s2"] == 4 and f.loc[1, "rec"] == 10 and np.isnan(f.loc[1, "q1"])


def test_unreadable_cells_still_reject_the_file(tmp_path, mini):
    path = tmp_path / "bad.csv"
    path.write_text("response_id,q1\na,perhaps\nb,7\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_responses(path, mini)
    assert [str(e) for e in err.value.errors] == [
        "row 2, column 'q1': 'perhaps' is not a number",
        "row 3, column 'q1': 7 is outside the scale 1–5"]


def test_a_header_cell_beyond_the_csv_field_limit_is_a_message(tmp_path, mini):
    path = tmp_path / "long.csv"
    path.write_text("response_id," + "x" * 140_000 + "\nr1,1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="a cell of the header is longer than 131,072"):
        read_responses(path, mini)


def test_metadata_headers_in_another_case_or_spacing(tmp_path, mini):
    # an Excel export's own spelling; the second id-like column stays an attribute
    path = tmp_path / "cased.csv"
    path.write_text("Response ID,Account_ID,Role,答卷编号,q1\nr1,A1,user,900,5\n",
                    encoding="utf-8")
    read = load_responses(path, mini)
    assert read.frame.loc[0, ["response_id", "account_id", "role"]].tolist() == [
        "r1", "A1", "user"]
    assert read.attributes == ("答卷编号",)


@pytest.mark.parametrize("text, line", [
    ("sep=;\nresponse_id;q1\nr1;5;6\n", 3),  # Excel's sep= line counts
    ("response_id,q1\nr1,5\nr2,4,3\n", 3),
    ("调查结果\nresponse_id,q1\nr1,5\nr2,4,3\n", 4),  # a title row above the header
])
def test_a_stray_separator_is_named_by_its_line(tmp_path, mini, text, line):
    path = tmp_path / "ragged.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=f"cannot read: line {line} has "):
        read_responses(path, mini)


def test_map_template_of_the_shipped_instruments_names_every_column_once(tmp_path):
    from analysis import load_instrument
    from analysis.frames import META_COLUMNS
    from tests.conftest import REPO

    names = ("servqual", "servqual_gap1", "loyalty", "relationship", "grid25")
    q = Questionnaire(tuple(load_instrument(REPO / "instruments" / f"{n}.toml")
                            for n in names))
    path = tmp_path / "map.toml"
    path.write_text(map_template(q), encoding="utf-8")
    mapped = load_column_map(path)
    expected = {*META_COLUMNS, *q.numeric_columns, *q.text_columns}
    assert sorted(mapped.values()) == sorted(expected)  # each once, none left out
