"""Cronbach's alpha, Feldt interval and item analysis against independent reference values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.reliability import (
    AlphaResult,
    cronbach_alpha,
    feldt_ci,
    item_statistics,
    reliability_table,
    standardized_alpha_from_corr,
)

from .plspm_reference import BLOCKS, load_satisfaction


@pytest.fixture(scope="module")
def satisfaction() -> pd.DataFrame:
    return load_satisfaction()


@pytest.fixture
def tiny() -> pd.DataFrame:
    # 8 respondents, 4 items on 1-5, two answers missing (rows 1 and 8): 6 complete rows
    return pd.DataFrame({
        "q1": [4, 5, 3, 2, 4, 5, 1, 3],
        "q2": [5, 5, 2, 2, 3, 4, 2, np.nan],
        "q3": [4, 4, 3, 1, 4, 5, 2, 3],
        "q4": [np.nan, 5, 3, 2, 5, 4, 1, 2],
    })


def test_two_items_by_hand():
    # x1 = 1,2,3,4 and x2 = 2,1,4,3: var = 5/3 each, cov = 1, var(total) = 16/3, so
    # alpha = 2·(1 − (10/3)/(16/3)) = 0.75; r = 1/(5/3) = 0.6, alpha_std = 2·0.6/1.6 = 0.75
    frame = pd.DataFrame({"x1": [1, 2, 3, 4], "x2": [2, 1, 4, 3]})
    res = cronbach_alpha(frame)
    assert res.alpha == pytest.approx(0.75, abs=1e-12)
    assert res.alpha_std == pytest.approx(0.75, abs=1e-12)
    assert (res.n, res.k) == (4, 2)
    items = item_statistics(frame)
    # with two items the rest score is the other item: r = 0.6; nothing left to alpha
    assert items["item_total_r"].tolist() == pytest.approx([0.6, 0.6], abs=1e-12)
    assert items["alpha_if_deleted"].isna().all()


def test_raw_alpha_and_feldt_ci_match_pingouin(satisfaction):
    # pingouin 0.7.0: pg.cronbach_alpha(df[cols]) on tests/data/plspm_satisfaction.csv
    # (no missing values, so pingouin's n equals the rows used); its CI is rounded to 3 dp
    expected = {
        "IMAG": (0.8218546381998917, (0.784, 0.855), (0.791, 0.850)),
        "VAL": (0.8319666067452305, (0.795, 0.864), (0.802, 0.859)),
    }
    for block, (alpha, ci95, ci90) in expected.items():
        res = cronbach_alpha(satisfaction, BLOCKS[block])
        assert res.alpha == pytest.approx(alpha, abs=1e-12)
        assert res.ci == pytest.approx(ci95, abs=5e-4)
        assert res.n == 250 and res.k == len(BLOCKS[block])
        res90 = cronbach_alpha(satisfaction, BLOCKS[block], confidence=0.90)
        assert res90.ci == pytest.approx(ci90, abs=5e-4)


def test_standardized_alpha_matches_plspm(satisfaction):
    # R plspm: cronbach_alpha column of /work/shared/reference/plspm-satisfaction/
    # satisfaction_unidim.csv (plspm computes alpha on standardized indicators)
    plspm_alpha = {
        "IMAG": 0.830226690205339, "EXPE": 0.84658407892526, "QUAL": 0.871324954769643,
        "VAL": 0.835722840511797, "SAT": 0.894010912676559, "LOY": 0.819421641029961,
    }
    table = reliability_table(satisfaction, BLOCKS)
    for block, value in plspm_alpha.items():
        assert table.loc[block, "alpha_std"] == pytest.approx(value, abs=1e-10)
    assert list(table.columns) == ["alpha", "alpha_std", "ci_lo", "ci_hi", "n", "k"]
    assert table["n"].tolist() == [250] * 6
    assert table["k"].tolist() == [5, 5, 5, 4, 4, 4]
    assert table.loc["IMAG", "alpha"] == pytest.approx(0.8218546381998917, abs=1e-12)


def test_alpha_if_deleted_matches_pingouin(satisfaction):
    # pingouin 0.7.0: pg.cronbach_alpha(df[IMAG minus one item]) for each item
    expected = {"imag1": 0.7814302213254845, "imag2": 0.7347751485351364,
                "imag3": 0.7532586145011072, "imag4": 0.8160548123506928,
                "imag5": 0.8400354652359081}
    items = item_statistics(satisfaction, BLOCKS["IMAG"])
    for item, value in expected.items():
        assert items.loc[item, "alpha_if_deleted"] == pytest.approx(value, abs=1e-12)
    assert (items["n"] == 250).all()
    # mean and sd straight from pandas
    assert items["mean"].tolist() == pytest.approx(
        satisfaction[BLOCKS["IMAG"]].mean().tolist(), abs=1e-12)
    assert items["sd"].tolist() == pytest.approx(
        satisfaction[BLOCKS["IMAG"]].std().tolist(), abs=1e-12)


def test_listwise_uses_complete_rows_only(tiny):
    res = cronbach_alpha(tiny)
    # pingouin 0.7.0: pg.cronbach_alpha(tiny.dropna()) -> 0.9513816019587269, [0.826, 0.992]
    # (called on the complete rows, since pingouin's own listwise CI keeps n = all rows)
    assert res.alpha == pytest.approx(0.9513816019587269, abs=1e-12)
    assert res.n == 6 and res.k == 4 and res.missing == "listwise"
    assert res.ci == pytest.approx((0.826, 0.992), abs=5e-4)
    # pingouin 0.7.0: pg.cronbach_alpha(tiny.dropna(), ci=0.9) -> [0.859, 0.989]
    assert cronbach_alpha(tiny, confidence=0.9).ci == pytest.approx((0.859, 0.989), abs=5e-4)
    # standardized alpha by hand (numpy): r̄ of tiny.dropna().corr(), k·r̄/(1+(k−1)·r̄)
    assert res.alpha_std == pytest.approx(0.9531832937074475, abs=1e-12)


def test_corrected_item_total_correlations(tiny):
    # pandas: cc[i].corr(cc.drop(columns=i).sum(axis=1)) with cc = tiny.dropna()
    expected = {"q1": 0.9707374971348115, "q2": 0.8367568790002833,
                "q3": 0.859593566111973, "q4": 0.8885233166386384}
    # pingouin 0.7.0: pg.cronbach_alpha(cc.drop(columns=i))
    expected_deleted = {"q1": 0.9079754601226995, "q2": 0.9529983792544572,
                        "q3": 0.9428571428571428, "q4": 0.935672514619883}
    items = item_statistics(tiny)
    for item in expected:
        assert items.loc[item, "item_total_r"] == pytest.approx(expected[item], abs=1e-12)
        assert items.loc[item, "alpha_if_deleted"] == pytest.approx(expected_deleted[item],
                                                                    abs=1e-12)
    assert (items["n"] == 6).all()
    assert list(items.columns) == ["mean", "sd", "item_total_r", "alpha_if_deleted",
                                   "alpha_std_if_deleted", "n"]


def test_pairwise(tiny):
    res = cronbach_alpha(tiny, missing="pairwise")
    # pingouin 0.7.0: pg.cronbach_alpha(tiny, nan_policy="pairwise") (pandas pairwise cov)
    assert res.alpha == pytest.approx(0.9539203655904878, abs=1e-12)
    # smallest pairwise count: q2 and q4 are both answered by 6 respondents (by hand)
    assert res.n == 6 and res.missing == "pairwise"
    # Feldt by its formula with n = 6, k = 4 (scipy's F quantiles)
    from scipy.stats import f
    lo = 1 - (1 - res.alpha) * f.isf(0.025, 5, 15)
    hi = 1 - (1 - res.alpha) * f.isf(0.975, 5, 15)
    assert res.ci == pytest.approx((lo, hi), abs=1e-12)
    items = item_statistics(tiny, missing="pairwise")
    # q1 and q3 are answered by all 8, but pair with q2/q4 on 7 rows; q2, q4 on 6
    assert items["n"].to_dict() == {"q1": 7, "q2": 6, "q3": 7, "q4": 6}
    assert items.loc["q1", "mean"] == pytest.approx(27 / 8, abs=1e-12)


def test_missing_never_counts_as_zero(tiny):
    with_nan = cronbach_alpha(tiny)
    assert with_nan.alpha == pytest.approx(cronbach_alpha(tiny.dropna()).alpha, abs=1e-12)
    assert with_nan.alpha != pytest.approx(cronbach_alpha(tiny.fillna(0)).alpha, abs=1e-3)


def test_nullable_integer_columns(tiny):
    nullable = tiny.astype("Int64")
    assert cronbach_alpha(nullable).alpha == pytest.approx(cronbach_alpha(tiny).alpha,
                                                           abs=1e-12)


def test_too_few_rows_gives_nan_with_n():
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [2.0, 4.0, np.nan]})
    res = cronbach_alpha(frame)
    assert res.n == 1 and res.k == 2
    assert math.isnan(res.alpha) and math.isnan(res.alpha_std)
    assert all(math.isnan(v) for v in res.ci)
    table = item_statistics(frame)
    assert table["item_total_r"].isna().all()


def test_constant_items_give_nan_not_warning():
    frame = pd.DataFrame({"a": [3, 3, 3, 3], "b": [3, 3, 3, 3], "c": [1, 2, 3, 4]})
    res = cronbach_alpha(frame)
    assert math.isnan(res.alpha_std)  # correlations with a constant item are undefined
    assert res.alpha == pytest.approx(1.5 * (1 - 1), abs=1e-12)  # Σvar_i = var_total
    items = item_statistics(frame)
    assert math.isnan(items.loc["a", "item_total_r"])
    all_constant = pd.DataFrame({"a": [2, 2, 2], "b": [5, 5, 5]})
    assert math.isnan(cronbach_alpha(all_constant).alpha)


def test_helpers():
    assert standardized_alpha_from_corr(np.array([[1, 0.6], [0.6, 1]])) == pytest.approx(0.75)
    assert math.isnan(standardized_alpha_from_corr(np.array([[1.0]])))
    with pytest.raises(ValueError, match="corr"):
        standardized_alpha_from_corr(np.ones((2, 3)))
    assert all(math.isnan(v) for v in feldt_ci(float("nan"), 10, 3))
    res = cronbach_alpha(pd.DataFrame({"x1": [1, 2, 3, 4], "x2": [2, 1, 4, 3]}))
    assert isinstance(res, AlphaResult)
    assert res.as_dict()["ci_lo"] == res.ci[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"columns": ["q1"]}, ValueError, "at least two items"),
        ({"columns": ["q1", "nope"]}, ValueError, "nope"),
        ({"columns": ["q1", "q1"]}, ValueError, "twice"),
        ({"columns": "q1"}, TypeError, "columns"),
        ({"missing": "mean"}, ValueError, "missing"),
        ({"confidence": 1.5}, ValueError, "confidence"),
        ({"confidence": 0}, ValueError, "confidence"),
    ],
)
def test_bad_arguments(tiny, kwargs, error, match):
    with pytest.raises(error, match=match):
        cronbach_alpha(tiny, **kwargs)


def test_bad_frames(tiny):
    with pytest.raises(TypeError, match="DataFrame"):
        cronbach_alpha(tiny.to_numpy())  # type: ignore[arg-type]
    text = tiny.assign(q5=["a"] * 8)
    with pytest.raises(TypeError, match="q5"):
        cronbach_alpha(text)
    with pytest.raises(ValueError, match="missing"):
        item_statistics(tiny, missing="everything")
    with pytest.raises(ValueError, match="blocks"):
        reliability_table(tiny, {})
    with pytest.raises(ValueError, match=r"blocks\['B'\]"):
        reliability_table(tiny, {"A": ["q1", "q2"], "B": ["q3"]})
    with pytest.raises(TypeError, match=r"blocks\['A'\]"):
        reliability_table(tiny, {"A": "q1"})
