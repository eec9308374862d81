"""Reading wide response files: typed on success, rejected whole with row/column errors."""

import numpy as np
import pandas as pd
import pytest

from analysis import (
    InputFileError,
    Questionnaire,
    account_contribution,
    read_accounts,
    read_responses,
    read_table,
    validate_accounts,
)
from analysis.frames import decode_text, load_responses, not_a_number, sniff_delimiter
from analysis.report import Sheet, workbook_bytes

HEADER = "response_id,account_id,role," + ",".join(
    f"sq{i:02d}.{f}" for i in range(1, 23) for f in ("e", "p"))


def _row(rid, value="5", extra=""):
    return f"{rid},A1,user," + ",".join([value] * 44) + extra


def test_reads_valid_csv_with_blanks_as_missing(tmp_path, servqual):
    path = tmp_path / "r.csv"
    rows = [HEADER, _row("r1"), _row("r2").replace(",5", ",", 1)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    frame = read_responses(path, Questionnaire((servqual,)))
    assert len(frame) == 2
    assert frame.loc[0, "sq01.e"] == 5.0
    assert np.isnan(frame.loc[1, "sq01.e"])
    assert frame["imp.tangibles"].isna().all()  # absent answer columns are missing
    assert frame.loc[0, "account_id"] == "A1"


def test_rejects_whole_file_naming_rows_and_columns(tmp_path, servqual):
    path = tmp_path / "bad.csv"
    rows = [HEADER + ",colour", _row("r1", extra=",red"), _row("r2", "9", ",x"),
            _row("r2", "abc", ",y"), _row("r4", "4.5", ",z")]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_responses(path, Questionnaire((servqual,)))
    text = str(err.value)
    assert "colour" not in text  # an extra column is an attribute, not an error
    # a mistyped answer column stops the check before cell-level errors
    path.write_text("\n".join([HEADER + ",sq1.e", _row("r1", extra=",5")]) + "\n",
                    encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_responses(path, Questionnaire((servqual,)))
    assert [str(e) for e in err.value.errors] == [
        "row 1, column 'sq1.e': unknown column; did you mean 'sq01.e'? (rename it with "
        "--map 'sq1.e=sq01.e')"]
    path.write_text("\n".join([HEADER, _row("r1"), _row("r2", "9"), _row("r2", "abc"),
                               _row("r4", "4.5")]) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_responses(path, Questionnaire((servqual,)))
    text = "\n".join(str(e) for e in err.value.errors)
    assert len(err.value.errors) == 133  # 44 cells × 3 bad rows + the duplicate id
    assert "row 3, column 'sq01.e': 9 is outside the scale 1–7" in text
    assert "row 4, column 'response_id': duplicate response_id 'r2'" in text
    assert "row 4, column 'sq01.e': 'abc' is not a number" in text
    assert "row 5, column 'sq01.e': 4.5 is not a whole number (the scale is 1–7)" in text
    assert "nothing was imported" in str(err.value) and "… and 83 more" in str(err.value)


def test_allocation_that_does_not_add_up_is_left_out_and_counted(tmp_path, servqual):
    header = "response_id," + ",".join(f"imp.{c.id}" for c in servqual.constructs)
    path = tmp_path / "imp.csv"
    path.write_text(f"{header}\nr1,20,20,20,20,20\nr2,50,10,10,10,10\nr3,10,10,10,10,10\n",
                    encoding="utf-8")
    read = load_responses(path, Questionnaire((servqual,)))
    assert read.frame.loc[0, "imp.tangibles"] == 20
    assert read.frame.loc[1:, [f"imp.{c.id}" for c in servqual.constructs]].isna().all().all()
    assert read.warnings == ["2 respondent(s) gave 'imp' points that do not add up to 100 "
                             "(rows 3, 4): their points are left out of the weighted score "
                             "and of the stated importance"]
    # points off the 0–100 range are still a file error
    path.write_text(f"{header}\nr1,120,-5,-5,-5,-5\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="120 is outside the scale 0–100"):
        read_responses(path, Questionnaire((servqual,)))


def test_clean_allocations_give_no_warning(tmp_path, servqual):
    header = "response_id," + ",".join(f"imp.{c.id}" for c in servqual.constructs)
    path = tmp_path / "imp.csv"
    path.write_text(f"{header}\nr1,20,20,20,20,20\nr2,60,10,10,10,10\n", encoding="utf-8")
    assert load_responses(path, Questionnaire((servqual,))).warnings == []


def test_reads_xlsx(tmp_path, servqual):
    table = pd.DataFrame({"response_id": ["x1"], "sq01.e": [7], "sq01.p": [6]})
    path = tmp_path / "r.xlsx"
    path.write_bytes(workbook_bytes([Sheet("responses", table)]))
    frame = read_responses(path, Questionnaire((servqual,)))
    assert frame.loc[0, "sq01.p"] == 6.0


def test_unsupported_file_type(tmp_path, servqual):
    path = tmp_path / "r.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(InputFileError, match="unsupported file type"):
        read_responses(path, Questionnaire((servqual,)))


# --------------------------------------------------------------------------- encodings


SMALL = ("response_id,account_id,role,sq01.e,sq01.p\n"
         "r1,鞍山齿轮,经济买家,6,5\nr2,大连阀门,技术买家,7,\n")


def assert_small_read(frame):
    assert list(frame["response_id"]) == ["r1", "r2"]
    assert list(frame["account_id"]) == ["鞍山齿轮", "大连阀门"]
    assert list(frame["role"]) == ["经济买家", "技术买家"]
    assert frame.loc[0, "sq01.e"] == 6.0 and np.isnan(frame.loc[1, "sq01.p"])


def test_reads_gbk_csv_saved_by_chinese_excel(tmp_path, servqual):
    path = tmp_path / "gbk.csv"
    data = SMALL.replace("\n", "\r\n").encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the bytes really are not UTF-8
    path.write_bytes(data)
    assert_small_read(read_responses(path, Questionnaire((servqual,))))


def test_reads_utf8_with_and_without_bom(tmp_path, servqual):
    for encoding in ("utf-8", "utf-8-sig"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(SMALL.encode(encoding))
        frame = read_responses(path, Questionnaire((servqual,)))
        assert_small_read(frame)
        assert frame.columns[0] == "response_id"  # no BOM left on the first column


def test_reads_utf16_unicode_text_from_excel(tmp_path, servqual):
    path = tmp_path / "unicode.txt"
    path.write_bytes(SMALL.replace(",", "\t").encode("utf-16"))  # with a byte-order mark
    assert_small_read(read_responses(path, Questionnaire((servqual,))))


def test_undecodable_file_names_encodings_tried_and_the_fix(tmp_path, servqual):
    path = tmp_path / "latin.csv"
    # line 3 holds 0xFF, valid in neither UTF-8 nor GB18030
    path.write_bytes(b"response_id,sq01.e\nr1,5\nr\xff2,6\n")
    with pytest.raises(InputFileError) as err:
        read_responses(path, Questionnaire((servqual,)))
    text = str(err.value)
    assert "nothing was imported" in text
    assert "tried UTF-8, GB18030" in text and "byte 0xff on line 3" in text
    assert '"CSV UTF-8"' in text
    assert "codec can't decode" not in text


def test_decode_text():
    assert decode_text("\ufeffa,b".encode()) == "a,b"
    assert decode_text("客户".encode("gbk")) == "客户"
    assert decode_text("客户".encode("utf-16")) == "客户"
    with pytest.raises(UnicodeDecodeError, match="tried UTF-8, GB18030"):
        decode_text(b"\x80")
    with pytest.raises(UnicodeDecodeError, match="byte 0xff on line 2 fits none"):
        decode_text(b"\xef\xbb\xbfa,b\n1,\xff\n")  # BOM, then a byte neither can read
    with pytest.raises(UnicodeDecodeError, match="not valid UTF-16.*CSV UTF-8"):
        decode_text(b"\xff\xfea")  # odd length after the UTF-16 byte-order mark


# --------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("sep", [";", "\t"])
def test_reads_semicolon_and_tab_separated_files(tmp_path, servqual, sep):
    path = tmp_path / "r.csv"
    path.write_text(SMALL.replace(",", sep), encoding="utf-8")
    assert_small_read(read_responses(path, Questionnaire((servqual,))))


def test_excel_sep_line_names_the_separator(tmp_path, servqual):
    path = tmp_path / "r.csv"
    path.write_text("sep=;\n" + SMALL.replace(",", ";"), encoding="utf-8")
    assert_small_read(read_responses(path, Questionnaire((servqual,))))


def test_delimiter_comes_from_the_header_not_the_cells(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('account_id,name\nA1,"Gear; Pump; Valve"\nA2,Wire;Cable\n',
                    encoding="utf-8")
    frame = read_accounts(path)
    assert list(frame["name"]) == ["Gear; Pump; Valve", "Wire;Cable"]
    path.write_text('account_id;name\nA1;"Gear, Pump, Valve"\n', encoding="utf-8")
    assert read_accounts(path).loc[0, "name"] == "Gear, Pump, Valve"


def test_sniff_delimiter():
    assert sniff_delimiter("a,b,c\n1,2,3\n") == ","
    assert sniff_delimiter("a;b;c\n1,5;2;3\n") == ";"
    assert sniff_delimiter("\n\na\tb\n") == "\t"  # blank lines before the header
    assert sniff_delimiter('"x;y",b\n') == ","  # a quoted field is one field
    assert sniff_delimiter("a\n1\n") == ","  # one column: comma
    assert sniff_delimiter("a;b,c\n") == ","  # a tie goes to the comma
    assert sniff_delimiter("sep=|\na|b\n") == "|"


def test_row_with_too_many_fields_is_a_read_error(tmp_path, servqual):
    path = tmp_path / "r.csv"
    path.write_text("response_id;sq01.e\nr1;5;6\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="cannot read: line 2 has more cells than the "
                                             r"header line \(2 fields, semicolon"):
        read_responses(path, Questionnaire((servqual,)))
    path.write_text("response_id;sq01.e\nr1;5\nr2;5;6\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="cannot read: line 3 has 3 cells but the header "
                                             "has 2: a stray semicolon"):
        read_responses(path, Questionnaire((servqual,)))


# --------------------------------------------------------------------------- accounts

ACCOUNTS = ("account_id,name,revenue,margin,cost_to_serve,wallet,revenue_prev,referral_value,"
            "on_time_delivery,ppm,complaints")
GOOD = "A1,鞍山齿轮,1000,0.25,50,2500,800,10,0.95,120,2"


def _accounts_file(tmp_path, *rows, header=ACCOUNTS):
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _with(column, value):
    cells = dict(zip(ACCOUNTS.split(","), GOOD.split(","), strict=True))
    cells["account_id"] = "A2"
    cells[column] = value
    return ",".join(cells.values())


def test_valid_accounts_at_the_limits(tmp_path):
    rows = [GOOD, "A2,,0,-1,0,0,0,0,0,0,0", "A3,,5,1,0,,,,1,,"]
    frame = read_accounts(_accounts_file(tmp_path, *rows))
    assert list(frame["margin"]) == [0.25, -1.0, 1.0]
    assert frame.loc[2, "wallet"] != frame.loc[2, "wallet"]  # blank stays missing
    # what the file check lets through, the contribution analysis accepts
    assert len(account_contribution(frame)) == 3


@pytest.mark.parametrize(("column", "value", "message"), [
    ("margin", "25", "25 is outside [-1, 1]; margin is the gross margin as a share: "
                     "write 25 % as 0.25"),
    ("margin", "-1.5", "-1.5 is outside [-1, 1]"),
    ("revenue", "-1", "-1 is negative; revenue cannot be negative"),
    ("cost_to_serve", "-0.5", "-0.5 is negative; cost to serve cannot be negative"),
    ("wallet", "-100", "-100 is negative; the wallet"),
    ("revenue_prev", "-3", "-3 is negative; previous revenue cannot be negative"),
    ("referral_value", "-2", "-2 is negative; referral value cannot be negative"),
    ("ppm", "-7", "-7 is negative; defects per million cannot be negative"),
    ("complaints", "-1", "-1 is negative; complaints is a count"),
    ("complaints", "2.5", "2.5 is not a whole number; complaints is a count"),
    ("on_time_delivery", "95", "95 is outside [0, 1]; on-time delivery is a share: "
                               "write 95 % as 0.95"),
    ("on_time_delivery", "-0.1", "-0.1 is outside [0, 1]"),
    ("revenue", "inf", "'inf' is not a finite number"),
    ("margin", "25%", "'25%' is not a number (write a share as a decimal: 25 % is 0.25)"),
    ("revenue", "1,234.5", "'1,234.5' is not a number (use a point for decimals and no "
                           "thousands separators: 1234.5)"),
    ("revenue", "¥1000", "'¥1000' is not a number (write the number alone, without "
                         "currency signs or units)"),
])
def test_bad_account_value_is_rejected_with_row_and_column(tmp_path, column, value, message):
    path = _accounts_file(tmp_path, GOOD, _with(column, '"1,234.5"' if "," in value else value))
    result = None
    with pytest.raises(InputFileError) as err:
        result = read_accounts(path)
    assert result is None  # nothing is returned
    assert len(err.value.errors) == 1
    assert str(err.value.errors[0]).startswith(f"row 3, column '{column}': {message}")
    assert "nothing was imported" in str(err.value)


def test_contribution_rejects_what_the_file_check_rejects(tmp_path):
    """Each value the contribution analysis refuses is already refused, with its row."""
    cases = [("revenue", "-1"), ("margin", "1.01"), ("margin", "-1.01"),
             ("cost_to_serve", "-1"), ("wallet", "-1"), ("revenue_prev", "-1"),
             ("referral_value", "-1")]
    for column, value in cases:
        raw = read_table(_accounts_file(tmp_path, GOOD, _with(column, value)))
        with pytest.raises(ValueError, match=f"column '{column}' of account 'A2'"):
            account_contribution(raw)
        with pytest.raises(InputFileError, match=f"row 3, column '{column}'"):
            validate_accounts(raw)


def test_every_bad_account_cell_is_listed(tmp_path):
    rows = [GOOD, "A2,,-5,30,-1,,,,1.2,,-2", "A2,,x,0.1,1,,,,,,"]
    with pytest.raises(InputFileError) as err:
        read_accounts(_accounts_file(tmp_path, *rows))
    where = [(e.row, e.column) for e in err.value.errors]
    assert where == [(3, "complaints"), (3, "cost_to_serve"), (3, "margin"),
                     (3, "on_time_delivery"), (3, "revenue"), (4, "account_id"),
                     (4, "revenue")]


def test_semicolon_accounts_with_decimal_commas_get_a_hint(tmp_path):
    path = _accounts_file(tmp_path, "A1;1000;0,25", header="account_id;revenue;margin")
    with pytest.raises(InputFileError, match="row 2, column 'margin': '0,25' is not a number "
                                             r"\(use a point for decimals"):
        read_accounts(path)


def test_gbk_accounts_file(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(f"{ACCOUNTS}\r\n{GOOD}\r\n".encode("gb18030"))
    assert read_accounts(path).loc[0, "name"] == "鞍山齿轮"


def test_accounts_limits_for_further_columns(tmp_path):
    path = _accounts_file(tmp_path, "A1,4", "A2,6", header="account_id,trust")
    limits = {"trust": (1.0, 5.0)}
    with pytest.raises(InputFileError) as err:
        read_accounts(path, ("trust",), limits)
    assert [str(e) for e in err.value.errors] == ["row 3, column 'trust': 6 is outside [1, 5]"]
    assert read_accounts(path, ("trust",), {"trust": (0, None)})["trust"].tolist() == [4, 6]
    with pytest.raises(ValueError, match="argument limits"):
        read_accounts(path, ("trust",), {"trust": (5, 1)})
    with pytest.raises(ValueError, match="argument limits"):
        read_accounts(path, ("trust",), {"trust": 5})


def test_accounts_duplicate_column():
    raw = pd.DataFrame([["A1", "1", "2"]], columns=["account_id", "revenue", "revenue"])
    with pytest.raises(InputFileError, match="column 'revenue': column appears more than once"):
        validate_accounts(raw)


def test_not_a_number_hints():
    assert not_a_number("abc") == "'abc' is not a number"
    assert not_a_number("N/A") == "'N/A' is not a number"
    assert "25 % is 0.25" in not_a_number("25 ％")
    assert "decimals" in not_a_number("3,5")
    assert "without currency" in not_a_number("1000元")


def test_error_rows_are_the_files_rows_across_blank_lines(tmp_path, servqual):
    # rows 2 and 4 are blank lines; the bad value sits on the file's row 5
    path = tmp_path / "blank.csv"
    path.write_text("response_id,sq01.e\n\nr1,5\n\nr2,9\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_responses(path, Questionnaire((servqual,)))
    assert [str(e) for e in err.value.errors] == [
        "row 5, column 'sq01.e': 9 is outside the scale 1–7"]
    path.write_text("response_id,sq01.e\n\nr1,5\n\nr2,7\n", encoding="utf-8")
    assert list(read_responses(path, Questionnaire((servqual,)))["response_id"]) == ["r1", "r2"]


def test_error_rows_count_excels_sep_line(tmp_path, servqual):
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\nresponse_id;sq01.e\nr1;9\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="row 3, column 'sq01.e': 9 is outside"):
        read_responses(path, Questionnaire((servqual,)))


def test_a_repeated_csv_column_is_named(tmp_path, servqual):
    path = tmp_path / "dup.csv"
    path.write_text("response_id,sq01.e,sq01.e\nr1,5,6\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="row 1, column 'sq01.e': column appears more "
                                             "than once"):
        read_responses(path, Questionnaire((servqual,)))


# ------------------------------------------------------------ accounts for the app's import

def test_customer_types_by_any_name(tmp_path):
    path = _accounts_file(tmp_path, "A1,价格敏感型", "A2,Value-added", "A3,合作伙伴",
                          "A4,", header="account_id,customer_type")
    frame = read_accounts(path)
    assert frame["customer_type"].tolist()[:3] == ["price_sensitive", "value_added",
                                                   "partnership"]
    assert frame["customer_type"].isna().tolist() == [False, False, False, True]
    with pytest.raises(InputFileError, match="row 2, column 'customer_type': 'cheap' is not "
                                             "one of price_sensitive, value_added"):
        read_accounts(_accounts_file(tmp_path, "A1,cheap", header="account_id,customer_type"))


def test_check_accounts_returns_problems_and_keeps_good_rows(tmp_path):
    from analysis.frames import check_accounts

    raw = read_table(_accounts_file(tmp_path, "A1,甲,100,wang@example.com",
                                    "A2,乙,abc,王磊", "A3,,5,",
                                    header="account_id,name,revenue,owner"))
    frame, errors = check_accounts(raw, required=("name",), owner_email=True,
                                   max_lengths={"name": 1})
    assert [str(e) for e in errors] == [
        "row 3, column 'owner': '王磊' is not an email address (the owner is the account "
        "manager's email, as they log in)",
        "row 3, column 'revenue': 'abc' is not a number",
        "row 4, column 'name': blank (a value is required)"]
    assert frame.loc[0, "revenue"] == 100 and np.isnan(frame.loc[1, "revenue"])
    assert frame.loc[0, "owner"] == "wang@example.com"


def test_refused_account_columns_say_why():
    from analysis.frames import check_accounts

    raw = pd.DataFrame([["A1", "0.4"]], columns=["account_id", "share_of_wallet"])
    with pytest.raises(InputFileError) as err:
        check_accounts(raw, ("share_of_wallet",), refused={"share_of_wallet": "is computed"})
    assert [str(e) for e in err.value.errors] == ["row 1, column 'share_of_wallet': is computed"]


def test_whole_number_limits_for_assessment_columns():
    from analysis.frames import ColumnLimit

    raw = pd.DataFrame([["A1", "2.5"], ["A2", "4"]], columns=["account_id", "trust"])
    with pytest.raises(InputFileError) as err:
        validate_accounts(raw, ("trust",), limits={"trust": ColumnLimit(1, 5, whole=True)})
    assert [str(e) for e in err.value.errors] == ["row 2, column 'trust': 2.5 is not a whole "
                                                  "number"]


# --------------------------------------------------------------------------- contacts

CONTACTS = "contact_id,account_id,name,email,role,lang"


def _contacts(tmp_path, *rows, header=CONTACTS, encoding="utf-8"):
    path = tmp_path / "contacts.csv"
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode(encoding))
    return path


def test_contacts_with_chinese_names_from_a_gbk_file(tmp_path):
    from analysis.frames import read_contacts

    path = _contacts(tmp_path, "C1,A1,王磊,wang@customer.cn,经济买家,中文",
                     "C2,A1,Anna Schmidt,Anna@Customer.DE,Technical Buyer,en-GB",
                     "C3,A2,李娜,,,", encoding="gbk")
    frame = read_contacts(path, accounts={"A1", "A2"})
    assert frame["name"].tolist() == ["王磊", "Anna Schmidt", "李娜"]
    assert frame["role"].tolist()[:2] == ["economic", "technical"]
    assert frame["lang"].tolist()[:2] == ["zh", "en"]
    assert frame.loc[1, "email"] == "Anna@customer.de"  # the domain is case-insensitive
    assert frame.loc[2, ["email", "role", "lang"]].isna().all()


def test_every_kind_of_bad_contact_row_is_listed(tmp_path):
    from analysis.frames import read_contacts

    path = _contacts(tmp_path, "C1,A1,王磊,wang@customer.cn,boss,zh",
                     "C2,A9,李娜,li@customer.cn,user,zh",
                     "C3,A1,张伟,zhang at customer,user,zh",
                     "C1,A1,陈静,chen@customer.cn,user,fr",
                     ",A1,刘洋,liu@customer.cn,user,zh",
                     "C6,,,,,")
    with pytest.raises(InputFileError) as err:
        read_contacts(path, accounts={"A1"}, required=("name",))
    assert [str(e) for e in err.value.errors] == [
        "row 2, column 'role': 'boss' is not a buying role (one of economic (经济买家), "
        "technical (技术买家), user (使用买家), financial (财务买家), coach (教练买家), "
        "influencer (影响力买家))",
        "row 3, column 'account_id': account 'A9' does not exist (import it with the "
        "accounts file first)",
        "row 4, column 'email': 'zhang at customer' is not an email address",
        "row 5, column 'contact_id': duplicate contact_id 'C1' (first on row 2)",
        "row 5, column 'lang': 'fr' is not a language of the survey (one of zh, en)",
        "row 6, column 'contact_id': blank",
        "row 7, column 'account_id': blank (a value is required)",
        "row 7, column 'name': blank (a value is required)"]
    assert "nothing was imported" in str(err.value)


def test_contact_header_problems_come_first(tmp_path):
    from analysis.frames import read_contacts

    path = _contacts(tmp_path, "C1,A1,x", header="contact_id,name,phone")
    with pytest.raises(InputFileError) as err:
        read_contacts(path)
    assert [str(e) for e in err.value.errors] == [
        "row 1, column 'phone': unknown column (the columns are contact_id, account_id, "
        "name, email, role, lang)",
        "row 1, column 'account_id': required column is missing"]


def test_contact_cells_with_control_characters_or_too_long(tmp_path):
    from analysis.frames import validate_contacts

    raw = pd.DataFrame([["C1", "A1", "a\x07b"], ["C2", "A1", "x" * 9]],
                       columns=["contact_id", "account_id", "name"])
    with pytest.raises(InputFileError) as err:
        validate_contacts(raw, max_lengths={"name": 8})
    assert [str(e) for e in err.value.errors] == [
        "row 2, column 'name': contains a control character (a line break or tab inside the "
        "cell); remove it",
        "row 3, column 'name': is 9 characters long; at most 8"]


def test_contacts_workbook_read_from_memory():
    from analysis.frames import validate_contacts

    data = workbook_bytes([Sheet("Contacts", pd.DataFrame(
        {"contact_id": ["C1", "C2"], "account_id": ["A1", "A1"], "name": ["王磊", "李娜"],
         "role": ["技术", "coach"]}))])
    # workbook_bytes writes a title row only when asked: the header is the first row
    raw = read_table("upload.xlsx", data=data)
    frame = validate_contacts(raw, accounts={"A1"})
    assert frame["role"].tolist() == ["technical", "coach"]


def test_files_that_are_not_workbooks(tmp_path):
    import zipfile

    with pytest.raises(InputFileError, match="not an Excel workbook"):
        read_table("a.xlsx", data=b"contact_id,name\nC1,x\n")
    with pytest.raises(InputFileError, match="not an Excel workbook"):
        read_table("a.xlsx", data=b"")
    path = tmp_path / "z.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(InputFileError, match="a zip archive but not an Excel workbook"):
        read_table(path)


def test_a_workbook_that_unpacks_too_far_is_refused(tmp_path, monkeypatch):
    import analysis.frames as frames

    data = workbook_bytes([Sheet("A", pd.DataFrame({"account_id": ["A1"] * 200}))])
    monkeypatch.setattr(frames, "MAX_WORKBOOK_UNPACKED", 1000)
    with pytest.raises(InputFileError, match="the workbook unpacks to .* MB, more than"):
        read_table("big.xlsx", data=data)


def test_a_very_wide_header_is_refused_quickly():
    import time

    header = ",".join(f"c{k}" for k in range(40_000))
    start = time.perf_counter()
    with pytest.raises(InputFileError, match="the table has 40,000 columns, more than the "
                                             "5,000 a file may have"):
        read_table("wide.csv", data=(header + "\n").encode())
    assert time.perf_counter() - start < 2  # parsing it took ~20 s, the old check ~60 s


def test_cr_only_line_ends_are_lines():
    frame = read_table("mac.csv", data=b"contact_id,name\rC1,\xe7\x8e\x8b\rC2,b\r")
    assert frame["name"].tolist() == ["王", "b"]
    assert list(frame.attrs["file_rows"]) == [2, 3]


def test_a_stray_carriage_return_is_a_message():
    with pytest.raises(InputFileError, match="cannot read: a cell holds a line break outside "
                                             "quotes"):
        read_table("odd.csv", data=b"a\rb,c\nx,1\n")
