"""Reading wide response files: typed on success, rejected whole with row/column errors."""

import numpy as np
import pandas as pd
import pytest

from analysis import InputFileError, Questionnaire, read_responses
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
    assert "row 1, column 'colour': unknown column" in text
    # the unknown column stops the check before cell-level errors
    path.write_text("\n".join([HEADER, _row("r1"), _row("r2", "9"), _row("r2", "abc"),
                               _row("r4", "4.5")]) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_responses(path, Questionnaire((servqual,)))
    text = "\n".join(str(e) for e in err.value.errors)
    assert len(err.value.errors) == 133  # 44 cells × 3 bad rows + the duplicate id
    assert "row 3, column 'sq01.e': 9 is outside the scale 1–7" in text
    assert "row 4, column 'response_id': duplicate response_id 'r2'" in text
    assert "row 4, column 'sq01.e': 'abc' is not a number" in text
    assert "row 5, column 'sq01.e': 4.5 is not a whole number" in text
    assert "nothing was imported" in str(err.value) and "… and 83 more" in str(err.value)


def test_allocation_must_add_up(tmp_path, servqual):
    header = "response_id," + ",".join(f"imp.{c.id}" for c in servqual.constructs)
    path = tmp_path / "imp.csv"
    path.write_text(f"{header}\nr1,20,20,20,20,20\nr2,50,10,10,10,10\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="row 3, column 'imp.\\*': allocation points add "
                                             "up to 90, not 100"):
        read_responses(path, Questionnaire((servqual,)))


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
