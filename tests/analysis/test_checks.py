"""The shared argument and cell checks: what they accept, and that each error names the culprit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.checks import (
    account_ids,
    name_list,
    numeric_column,
    numeric_values,
    require_column,
    require_frame,
    require_numeric_columns,
)


def test_require_frame():
    require_frame(pd.DataFrame(), "scores")
    with pytest.raises(TypeError, match="scores must be a pandas DataFrame, not dict"):
        require_frame({"a": [1]}, "scores")


def test_require_column():
    frame = pd.DataFrame({"a": [1]})
    require_column(frame, "a", "by")
    with pytest.raises(ValueError, match="column 'b' is not in responses \\(argument by\\)"):
        require_column(frame, "b", "by", "responses")


def test_require_numeric_columns():
    frame = pd.DataFrame({"x": [1.0], "t": ["1"], "b": [True]})
    require_numeric_columns(frame, ["x"], "data")
    with pytest.raises(ValueError, match="data: no such column.*'y'"):
        require_numeric_columns(frame, ["x", "y"], "data")
    with pytest.raises(TypeError, match="data: column 't' is not numeric"):
        require_numeric_columns(frame, ["t"], "data")
    with pytest.raises(TypeError, match="data: column 'b' is not numeric"):
        require_numeric_columns(frame, ["b"], "data")


def test_numeric_values_reads_text_and_blanks():
    cells = pd.Series([" 4 ", "", None, "2.5", "-1e2"], dtype="object")
    np.testing.assert_array_equal(numeric_values(cells, "answers"),
                                  [4.0, np.nan, np.nan, 2.5, -100.0])
    typed = pd.Series([1, 2, None], dtype="Int64")
    np.testing.assert_array_equal(numeric_values(typed, "answers"), [1.0, 2.0, np.nan])
    strings = pd.Series(["3", pd.NA], dtype="string")
    np.testing.assert_array_equal(numeric_values(strings, "answers"), [3.0, np.nan])


def test_a_bad_cell_is_named_by_column_row_and_value():
    frame = pd.DataFrame({"revenue": ["10", "ten", "3"]}, index=["A1", "A2", "A3"])
    with pytest.raises(ValueError, match="column 'revenue' of account 'A2' holds 'ten', "
                                         "which is not a number \\(argument revenue\\)"):
        numeric_column(frame, "revenue", "revenue")
    # labels other than the index, and another kind of row
    with pytest.raises(ValueError, match="column 'revenue' of response 'r2' holds 'ten'"):
        numeric_column(frame, "revenue", "revenue", labels=["r1", "r2", "r3"],
                       label_kind="response")
    with pytest.raises(ValueError, match="'x' is not in grid \\(argument step\\)"):
        numeric_column(frame, "x", "step", frame_name="grid")
    # a bare Series is named by the argument
    with pytest.raises(ValueError, match="answers of row '1' holds 'ten'"):
        numeric_values(pd.Series(["9", "ten"]), "answers")


def test_infinite_and_non_numeric_dtypes():
    with pytest.raises(ValueError, match="column 'x' of row '1' is infinite"):
        numeric_values(pd.Series([1.0, -np.inf]), "data", column="x")
    with pytest.raises(ValueError, match="is infinite"):
        numeric_values(pd.Series(["1", "inf"]), "data")
    with pytest.raises(TypeError, match="must be numeric, not bool"):
        numeric_values(pd.Series([True, False]), "flags")
    with pytest.raises(TypeError, match="must be numeric, not datetime"):
        numeric_values(pd.Series(pd.to_datetime(["2026-01-01"])), "when")


def test_account_ids():
    frame = pd.DataFrame({"account_id": ["a", "b"]})
    assert account_ids(frame, "account_id").tolist() == ["a", "b"]
    assert account_ids(frame, "account_id").name == "account_id"
    with pytest.raises(ValueError, match="'id' is not in accounts \\(argument account\\)"):
        account_ids(frame, "id")
    with pytest.raises(ValueError, match="blank at position 1 \\(argument account\\)"):
        account_ids(pd.DataFrame({"account_id": ["a", "  "]}), "account_id")
    with pytest.raises(ValueError, match="blank at position 0"):
        account_ids(pd.DataFrame({"account_id": [None, "a"]}), "account_id")
    with pytest.raises(ValueError, match="account 'a' appears more than once in column "
                                         "'account_id' of placement"):
        account_ids(pd.DataFrame({"account_id": ["a", "a"]}), "account_id", "placement")


def test_name_list():
    assert name_list(("a", "b"), "predictors") == ["a", "b"]
    assert name_list([], "columns", allow_empty=True) == []
    with pytest.raises(TypeError, match="dimensions must be a sequence of dimension names, "
                                        "not a string"):
        name_list("tangibles", "dimensions", "dimension names")
    with pytest.raises(ValueError, match="predictors must name at least one"):
        name_list([], "predictors")
    with pytest.raises(ValueError, match="columns lists a name twice: \\['q1', 'q1'\\]"):
        name_list(["q1", "q1"], "columns")
