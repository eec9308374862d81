"""analysis.columns: answer columns widened to float64 without frame copies (used by the
path model and reliability) give exactly what pandas' own conversion gives."""

import numpy as np
import pandas as pd
import pytest

from analysis import columns


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 150_001  # more than two fill bands, the last one partial
    a = rng.integers(1, 8, n).astype("float32")
    a[rng.random(n) < 0.1] = np.nan
    b = rng.normal(size=n)  # float64, not whole numbers
    b[rng.random(n) < 0.05] = np.nan
    c = pd.array(rng.integers(0, 11, n), dtype="Int64")
    c[rng.random(n) < 0.2] = pd.NA
    return pd.DataFrame({"a": a, "b": b, "c": c})


def test_as_float64_is_pandas_conversion(frame: pd.DataFrame) -> None:
    # reference: pandas' own to_numpy over the selected columns (the code it replaces)
    expected = frame[["c", "a", "b"]].to_numpy(dtype="float64", na_value=np.nan)
    got = columns.as_float64(frame, ["c", "a", "b"])
    assert got.dtype == np.float64 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, expected)


def test_as_float64_of_the_answered_rows(frame: pd.DataFrame) -> None:
    expected = frame[["a", "b", "c"]].to_numpy(dtype="float64", na_value=np.nan)
    keep = np.isfinite(expected).all(axis=1)
    mask = columns.answered_rows(frame, ["a", "b", "c"])
    np.testing.assert_array_equal(mask, keep)
    assert 0 < mask.sum() < len(frame)
    got = columns.as_float64(frame, ["a", "b", "c"], mask)
    np.testing.assert_array_equal(got, expected[keep])
    assert columns.as_float64(frame, ["a"], np.zeros(len(frame), bool)).shape == (0, 1)


def test_stored_values_keeps_the_float_width(frame: pd.DataFrame) -> None:
    assert columns.stored_values(frame, "a").dtype == np.float32
    assert np.shares_memory(columns.stored_values(frame, "b"), frame["b"].to_numpy())
    c = columns.stored_values(frame, "c")
    assert c.dtype == np.float64 and np.isnan(c).sum() == frame["c"].isna().sum()
