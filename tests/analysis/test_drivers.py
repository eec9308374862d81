"""Relative weights and importance–performance quadrants against independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from analysis.drivers import (
    CONCENTRATE,
    KEEP_UP,
    LOW_PRIORITY,
    OVERKILL,
    QUADRANTS,
    RelativeWeights,
    importance_performance,
    performance_scores,
    relative_weights,
    relative_weights_from_corr,
    stated_importance,
)
from analysis.instrument import Allocation, Text

# 12 respondents, overall satisfaction and four drivers on 1–7 (made up for these tests)
DRIVERS = pd.DataFrame({
    "overall": [6, 5, 7, 3, 4, 6, 2, 5, 6, 4, 7, 3],
    "delivery": [6, 4, 7, 3, 4, 5, 2, 5, 7, 3, 6, 4],
    "quality": [5, 5, 6, 2, 4, 6, 3, 4, 6, 4, 7, 2],
    "price": [4, 6, 5, 4, 3, 5, 2, 6, 4, 5, 5, 3],
    "service": [7, 4, 6, 3, 5, 6, 1, 4, 5, 4, 6, 4],
})
PREDICTORS = ["delivery", "quality", "price", "service"]


def r_squared(frame: pd.DataFrame, target: str, predictors: list[str]) -> float:
    """OLS R² with an intercept (numpy least squares)."""
    if not predictors:
        return 0.0
    x = np.column_stack([np.ones(len(frame)), frame[predictors].to_numpy(float)])
    y = frame[target].to_numpy(float)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))


def test_published_rwa_example():
    # R package rwa (Martin Chan), reference page of rwa(): rwa(diamonds, "price",
    # c("depth", "carat")) prints RXX, RXY and Raw.RelWeight depth 0.000729149,
    # carat 0.849946308; Rescaled.RelWeight 0.08571412, 99.91428588; rsquare 0.8506755;
    # lambda [[0.99990040, 0.01411356], [0.01411356, 0.99990040]]; n 53940
    r = 0.02822431
    corr = pd.DataFrame([[1, r, -0.0106474], [r, 1, 0.9215913], [-0.0106474, 0.9215913, 1]],
                        index=["depth", "carat", "price"], columns=["depth", "carat", "price"])
    res = relative_weights_from_corr(corr, "price", n=53940)
    assert res.weights["depth"] == pytest.approx(0.000729149, abs=1e-8)
    assert res.weights["carat"] == pytest.approx(0.849946308, abs=1e-7)
    assert res.percent["depth"] == pytest.approx(0.08571412, abs=1e-6)
    assert res.percent["carat"] == pytest.approx(99.91428588, abs=1e-6)
    assert res.r2 == pytest.approx(0.8506755, abs=1e-7)
    assert (res.n, res.target) == (53940, "price")
    # the table's r column is the input; lambda's diagonal by the 2 × 2 closed form below
    assert res.table["r"].tolist() == [-0.0106474, 0.9215913]
    a = (math.sqrt(1 + r) + math.sqrt(1 - r)) / 2
    assert a == pytest.approx(0.99990040, abs=1e-8)


def test_johnsons_svd_route():
    # Johnson (2000) computed directly (numpy 2.4): Z = U·Vᵀ from the SVD of the
    # unit-length centred predictors, β = regression of y on Z, Λ = regression of X on Z,
    # ε_j = Σ_k Λ_kj²·β_k². Values from that script on DRIVERS:
    expected = {"delivery": 0.28781213810848266, "quality": 0.3124751252803047,
                "price": 0.14245044350962727, "service": 0.24766592832707982}
    res = relative_weights(DRIVERS, "overall", PREDICTORS)
    assert isinstance(res, RelativeWeights)
    for name, value in expected.items():
        assert res.weights[name] == pytest.approx(value, abs=1e-12)
    # R² of the full regression: pingouin 0.7.0 linear_regression(...).r2 = 0.9904036352254919
    assert res.r2 == pytest.approx(0.9904036352254919, abs=1e-12)
    assert res.weights.sum() == pytest.approx(res.r2, abs=1e-12)
    assert res.percent.sum() == pytest.approx(100.0, abs=1e-10)
    assert res.n == 12
    assert res.table["rank"].to_dict() == {"quality": 1, "delivery": 2, "service": 3,
                                           "price": 4}


def test_ordering_matches_lmg_shapley():
    # LMG / Shapley decomposition of R² by enumerating every subset (by hand in numpy);
    # pingouin 0.7.0 linear_regression(..., relimp=True) gives the same relimp_perc
    # (delivery 29.553136, quality 32.396452, price 13.038562, service 25.011850)
    k = len(PREDICTORS)
    shapley = {}
    for p in PREDICTORS:
        others = [q for q in PREDICTORS if q != p]
        total = 0.0
        for size in range(k):
            for subset in itertools.combinations(others, size):
                weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
                total += weight * (r_squared(DRIVERS, "overall", [*subset, p])
                                   - r_squared(DRIVERS, "overall", list(subset)))
        shapley[p] = total
    assert 100 * shapley["quality"] / sum(shapley.values()) == pytest.approx(32.396452,
                                                                            abs=1e-5)
    res = relative_weights(DRIVERS, "overall", PREDICTORS)
    assert sorted(shapley, key=shapley.get) == sorted(PREDICTORS, key=res.weights.get)
    assert sum(shapley.values()) == pytest.approx(res.r2, abs=1e-12)


def test_two_predictors_closed_form():
    # For two predictors R_xx^{1/2} = [[a, b], [b, a]] with
    # a, b = (√(1+r) ± √(1−r))/2, so β = Λ⁻¹·r_xy and ε_1 = a²β_1² + b²β_2²,
    # ε_2 = b²β_1² + a²β_2² (correlations from pandas)
    frame = DRIVERS[["overall", "delivery", "price"]]
    c = frame.corr()
    r, r1, r2 = c.loc["delivery", "price"], c.loc["delivery", "overall"], c.loc["price",
                                                                                 "overall"]
    a = (math.sqrt(1 + r) + math.sqrt(1 - r)) / 2
    b = (math.sqrt(1 + r) - math.sqrt(1 - r)) / 2
    det = a * a - b * b
    beta1, beta2 = (a * r1 - b * r2) / det, (a * r2 - b * r1) / det
    res = relative_weights(frame, "overall", ["delivery", "price"])
    assert res.weights["delivery"] == pytest.approx(a * a * beta1**2 + b * b * beta2**2,
                                                    abs=1e-12)
    assert res.weights["price"] == pytest.approx(b * b * beta1**2 + a * a * beta2**2,
                                                 abs=1e-12)
    assert res.r2 == pytest.approx(r_squared(frame, "overall", ["delivery", "price"]),
                                   abs=1e-12)
    # the beta column is the standardized OLS coefficient: (r1 − r·r2)/(1 − r²)
    assert res.table.loc["delivery", "beta"] == pytest.approx((r1 - r * r2) / (1 - r * r),
                                                              abs=1e-12)


def test_orthogonal_predictors_get_their_squared_correlation():
    frame = pd.DataFrame({"x1": [1, -1, 1, -1, 1, -1, 1, -1],
                          "x2": [1, 1, -1, -1, 1, 1, -1, -1],
                          "y": [3, 1, 2, 0, 4, 1, 2, 1]})
    res = relative_weights(frame, "y", ["x1", "x2"])
    c = frame.corr()
    assert res.weights["x1"] == pytest.approx(c.loc["x1", "y"] ** 2, abs=1e-12)
    assert res.weights["x2"] == pytest.approx(c.loc["x2", "y"] ** 2, abs=1e-12)
    single = relative_weights(frame, "y", ["x1"])
    assert single.r2 == pytest.approx(c.loc["x1", "y"] ** 2, abs=1e-12)


def test_listwise_and_missing_not_zero():
    holes = DRIVERS.astype("float64")
    holes.loc[[0, 5], "price"] = np.nan
    holes.loc[9, "overall"] = np.nan
    res = relative_weights(holes, "overall", PREDICTORS)
    assert res.n == 9
    complete = relative_weights(holes.dropna(), "overall", PREDICTORS)
    pd.testing.assert_frame_equal(res.table, complete.table)
    assert res.r2 != pytest.approx(relative_weights(holes.fillna(0), "overall",
                                                    PREDICTORS).r2, abs=1e-3)
    nullable = DRIVERS.astype("Int64")
    assert relative_weights(nullable, "overall", PREDICTORS).r2 == pytest.approx(
        relative_weights(DRIVERS, "overall", PREDICTORS).r2)


def test_relative_weights_bad_input():
    with pytest.raises(ValueError, match="collinear"):
        relative_weights(DRIVERS.assign(copy=DRIVERS["price"] * 2), "overall",
                         [*PREDICTORS, "copy"])
    with pytest.raises(ValueError, match="do not vary"):
        relative_weights(DRIVERS.assign(price=4), "overall", PREDICTORS)
    with pytest.raises(ValueError, match="also in predictors"):
        relative_weights(DRIVERS, "overall", ["overall", "price"])
    with pytest.raises(ValueError, match="nope"):
        relative_weights(DRIVERS, "overall", ["nope"])
    with pytest.raises(ValueError, match="at least one"):
        relative_weights(DRIVERS, "overall", [])
    with pytest.raises(ValueError, match="twice"):
        relative_weights(DRIVERS, "overall", ["price", "price"])
    with pytest.raises(TypeError, match="predictors"):
        relative_weights(DRIVERS, "overall", "price")
    with pytest.raises(TypeError, match="gender"):
        relative_weights(DRIVERS.assign(gender="f"), "overall", ["gender"])
    with pytest.raises(ValueError, match="rows"):
        relative_weights(DRIVERS.head(4), "overall", PREDICTORS)
    with pytest.raises(TypeError, match="DataFrame"):
        relative_weights(DRIVERS.to_numpy(), "overall", PREDICTORS)  # type: ignore[arg-type]
    corr = DRIVERS.corr()
    with pytest.raises(ValueError, match="n must"):
        relative_weights_from_corr(corr, "overall", n=-1)
    with pytest.raises(ValueError, match="target"):
        relative_weights_from_corr(corr, "nps", n=12)
    with pytest.raises(ValueError, match="square"):
        relative_weights_from_corr(corr.iloc[:, :3], "overall", n=12)
    with pytest.raises(ValueError, match="symmetric"):
        relative_weights_from_corr(corr.where(~np.triu(np.ones((5, 5), bool), 1), 0.1),
                                   "overall", n=12)


# --------------------------------------------------------------------------- quadrants


def test_quadrants_split_at_the_mean():
    importance = {"delivery": 30, "quality": 40, "price": 10, "service": 20}
    performance = pd.Series({"delivery": 55.0, "quality": 80.0, "price": 90.0,
                             "service": 40.0})
    table = importance_performance(importance, performance)
    # by hand: importance mean 25, performance mean 66.25
    assert table["importance_split"].iloc[0] == 25
    assert table["performance_split"].iloc[0] == pytest.approx(66.25)
    assert table["quadrant"].to_dict() == {
        "delivery": CONCENTRATE,  # important (30 ≥ 25), under-performing (55 < 66.25)
        "quality": KEEP_UP,  # important and performing
        "price": OVERKILL,  # unimportant, performing
        "service": LOW_PRIORITY,  # unimportant, under-performing
    }
    assert list(table.columns) == ["importance", "performance", "quadrant",
                                   "importance_split", "performance_split"]
    assert list(table.index) == ["delivery", "quality", "price", "service"]
    assert set(QUADRANTS) == {CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL}


def test_quadrants_given_splits_ties_and_missing():
    importance = pd.Series({"a": 20.0, "b": 20.0, "c": 5.0, "d": np.nan})
    performance = {"a": 50.0, "b": 49.0, "c": 70.0, "d": 90.0}
    table = importance_performance(importance, performance, importance_split=20,
                                   performance_split=50)
    assert table.loc["a", "quadrant"] == KEEP_UP  # equal to both splits counts as high
    assert table.loc["b", "quadrant"] == CONCENTRATE
    assert table.loc["c", "quadrant"] == OVERKILL
    assert pd.isna(table.loc["d", "quadrant"])  # no importance: no quadrant
    # default splits use only attributes with both values: mean of 20, 20, 5 = 15
    default = importance_performance(importance, performance)
    assert default["importance_split"].iloc[0] == pytest.approx(15.0)
    assert default["performance_split"].iloc[0] == pytest.approx((50 + 49 + 70) / 3)


def test_derived_importance_from_relative_weights():
    weights = relative_weights(DRIVERS, "overall", PREDICTORS)
    performance = performance_scores(DRIVERS, {p: [p] for p in PREDICTORS},
                                     {p: (1, 7) for p in PREDICTORS})
    table = importance_performance(weights.percent, performance["performance"])
    assert table.loc["quality", "importance"] == pytest.approx(weights.percent["quality"])
    assert table["importance_split"].iloc[0] == pytest.approx(25.0)  # percents sum to 100


def test_quadrant_bad_input():
    with pytest.raises(ValueError, match="same attributes"):
        importance_performance({"a": 1, "b": 2}, {"a": 1, "c": 2})
    with pytest.raises(ValueError, match="importance_split"):
        importance_performance({"a": 1}, {"a": 1}, importance_split=float("nan"))
    with pytest.raises(ValueError, match="performance_split"):
        importance_performance({"a": 1}, {"a": 1}, performance_split="high")  # type: ignore
    with pytest.raises(TypeError, match="importance"):
        importance_performance([1, 2], {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DataFrame"):
        importance_performance(pd.DataFrame({"x": [1]}), {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="performance"):
        importance_performance({"a": 1}, pd.Series({"a": "high"}))
    with pytest.raises(ValueError, match="twice"):
        importance_performance(pd.Series([1.0, 2.0], index=["a", "a"]), {"a": 1})
    with pytest.raises(ValueError, match="no attribute"):
        importance_performance({}, {})


# --------------------------------------------------------------------------- inputs


ALLOCATION = Allocation(id="imp", total=100, text=Text({"en": "Share 100 points"}),
                        constructs=("delivery", "quality", "price"))


def test_stated_importance():
    responses = pd.DataFrame({
        "imp.delivery": [50, 20, 30, 40, np.nan],
        "imp.quality": [30, 30, 30, 40, 50],
        "imp.price": [20, 50, 40, 30, 50],  # row 4 adds up to 110; row 5 has a blank
    })
    table = stated_importance(responses, ALLOCATION)
    # by hand over the three valid rows: (50+20+30)/3, (30+30+30)/3, (20+50+40)/3
    assert table["importance"].to_dict() == pytest.approx(
        {"delivery": 100 / 3, "quality": 30.0, "price": 110 / 3})
    assert table["n"].tolist() == [3, 3, 3]
    none_valid = stated_importance(responses.iloc[3:], ALLOCATION)
    assert none_valid["importance"].isna().all() and (none_valid["n"] == 0).all()
    with pytest.raises(ValueError, match="imp.price"):
        stated_importance(responses.drop(columns="imp.price"), ALLOCATION)
    with pytest.raises(TypeError, match="Allocation"):
        stated_importance(responses, "imp")  # type: ignore[arg-type]


def test_performance_scores():
    responses = pd.DataFrame({
        "d1": [7, 1, np.nan, 4],
        "d2": [5, np.nan, np.nan, 4],
        "q1": [10, 0, 5, np.nan],
    })
    table = performance_scores(responses, {"delivery": ["d1", "d2"], "quality": ["q1"]},
                               {"d1": (1, 7), "d2": (1, 7), "q1": (0, 10)})
    # by hand: delivery per respondent = mean of the answered items on 0–100:
    # r1 (100 + 66.67)/2 = 83.33, r2 0, r3 none, r4 50 → (83.33 + 0 + 50)/3
    assert table.loc["delivery", "performance"] == pytest.approx((250 / 3 + 0 + 50) / 3)
    assert table.loc["delivery", "n"] == 3
    assert table.loc["quality", "performance"] == pytest.approx(50.0)
    assert table.loc["quality", "n"] == 3
    with pytest.raises(ValueError, match="q1"):
        performance_scores(responses, {"quality": ["q1"]}, {})
    with pytest.raises(ValueError, match="lo < hi"):
        performance_scores(responses, {"quality": ["q1"]}, {"q1": (10, 0)})
    with pytest.raises(ValueError, match="blocks"):
        performance_scores(responses, {}, {})
    with pytest.raises(ValueError, match="quality"):
        performance_scores(responses, {"quality": "q1"}, {"q1": (0, 10)})


def test_performance_scores_refuse_answers_off_their_scale():
    responses = pd.DataFrame({"q1": [10.0, 11.0]})
    with pytest.raises(ValueError, match="column 'q1' holds 11, outside the scale 0–10"):
        performance_scores(responses, {"quality": ["q1"]}, {"q1": (0, 10)})
