"""Grouped significance tests against scipy, statsmodels and worked examples.

References used below:

* scipy 1.17 ``scipy.stats.wilcoxon`` / ``ttest_1samp`` called group by group on the
  group's non-missing values — the definition the grouped versions must reproduce;
* Fisher (1935), *The Design of Experiments*: Darwin's 15 height differences of cross- and
  self-fertilised Zea mays, as in scipy's ``wilcoxon`` documentation (W = 24,
  exact p = 0.041259765625);
* Holm (1979) adjusted p-values computed with statsmodels 0.15.0
  ``multipletests(p, method="holm")[1]`` (in a separate environment; statsmodels is not a
  dependency) and worked by hand in the comments.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.instrument import load_instrument
from analysis.servqual import ServqualLayout, respondent_scores
from analysis.significance import (
    gap_significance,
    holm,
    holm_by_group,
    paired_t_by_group,
    wilcoxon_by_group,
)

ROOT = Path(__file__).resolve().parents[2]


def _portfolio(seed: int, n_groups: int = 200) -> tuple[list[np.ndarray], np.ndarray,
                                                        np.ndarray]:
    """Groups of 1..80 gaps: item-mean gaps (ties, zeros), continuous gaps, a few NaN."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(n_groups):
        size = int(rng.integers(1, 81))
        kind = rng.random()
        if kind < 0.55:  # mean of k items on a 1–7 scale: many ties and zeros
            k = int(rng.integers(1, 8))
            v = np.round(rng.normal(rng.normal(0, 0.5), 1.5, size) * k) / k
        elif kind < 0.9:  # continuous: no ties, no zeros → exact path up to 50
            v = rng.normal(rng.normal(0, 0.5), 1.0, size)
        else:  # mostly zeros
            v = rng.choice([0.0, 0.0, 0.0, 1.0, -1.0, 0.5], size)
        parts.append(v)
    parts += [np.zeros(7), np.zeros(30), np.array([0.0]), np.array([2.5])]
    values = np.concatenate(parts)
    groups = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    holes = rng.random(values.size) < 0.03
    values = values.copy()
    values[holes] = np.nan
    clean = [np.asarray(values[groups == g]) for g in range(len(parts))]
    clean = [c[~np.isnan(c)] for c in clean]
    return clean, values, groups


def _scipy_wilcoxon(x: np.ndarray) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = stats.wilcoxon(x)
        except ValueError:  # one observation, a zero: permutation test refuses
            return np.nan, np.nan
    return float(res.statistic), float(res.pvalue)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_wilcoxon_matches_scipy_in_every_group(seed: int) -> None:
    clean, values, groups = _portfolio(seed)
    # shuffle rows: grouping must not rely on the input order
    order = np.random.default_rng(seed + 100).permutation(values.size)
    result = wilcoxon_by_group(values[order], groups[order])
    assert list(result.index) == list(range(len(clean)))
    assert set(result["method"].dropna()) == {"exact", "permutation", "normal"}
    for g, x in enumerate(clean):
        row = result.loc[g]
        assert row["n"] == np.count_nonzero(x)
        assert row["n_zero"] == np.count_nonzero(x == 0)
        if row["n"] == 0:
            continue
        statistic, pvalue = _scipy_wilcoxon(x)
        assert row["statistic"] == pytest.approx(statistic, rel=1e-12, abs=0), g
        assert row["pvalue"] == pytest.approx(pvalue, rel=1e-12, abs=0), (g, row["method"])


def test_wilcoxon_method_follows_scipy_auto() -> None:
    rng = np.random.default_rng(5)
    continuous_50 = rng.normal(0.3, 1, 50)
    continuous_51 = rng.normal(0.3, 1, 51)
    ties_13 = np.array([1, 1, 2, -1, 3, 4, 5, 6, 7, 8, 9, 10, -11.0])
    ties_14 = np.append(ties_13, 12.0)
    zero_13 = np.append(np.arange(1.0, 13.0), 0.0)
    parts = [continuous_50, continuous_51, ties_13, ties_14, zero_13]
    groups = np.repeat(list("abcde"), [len(p) for p in parts])
    result = wilcoxon_by_group(np.concatenate(parts), groups)
    assert list(result["method"]) == ["exact", "normal", "permutation", "normal",
                                      "permutation"]
    for label, x in zip("abcde", parts, strict=True):
        assert result.loc[label, "pvalue"] == pytest.approx(_scipy_wilcoxon(x)[1], rel=1e-12)


def test_wilcoxon_fisher_darwin_exact() -> None:
    # Fisher (1935): W = 24, exact two-sided p = 0.041259765625 (= 2·338 / 2**15)
    d = np.array([6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75], dtype=float)
    result = wilcoxon_by_group(d, np.zeros(d.size))
    assert result["statistic"].iloc[0] == 24.0
    assert result["pvalue"].iloc[0] == 0.041259765625
    assert result["method"].iloc[0] == "exact"


def test_wilcoxon_permutation_worked_example() -> None:
    # |d| = 1,1,1,2,3 → average ranks 2,2,2,4,5; R− = 2 (the −1), R+ = 13.
    # Of the 2**5 sign patterns, R+ ≤ 2 in 4 ({}, each single tied 1), R+ ≥ 13 in 4:
    # p = 2·4/32 = 0.25; W = min(13, 2) = 2.
    result = wilcoxon_by_group([1, 1, 2, -1, 3], ["x"] * 5)
    assert result.loc["x", "statistic"] == 2.0
    assert result.loc["x", "pvalue"] == 0.25
    assert result.loc["x", "method"] == "permutation"


def test_wilcoxon_normal_worked_example() -> None:
    # 20 values: ten +1, six −1, four +2. Ranks of |d|: the sixteen 1s share 8.5, the four
    # 2s share 18.5. R+ = 10·8.5 + 4·18.5 = 159, R− = 6·8.5 = 51, W = 51.
    # σ² = [20·21·41 − ((16³ − 16) + (4³ − 4))/2] / 24 = (17220 − 2070) / 24 = 631.25
    # z = (159 − 105) / √631.25 = 2.149306…, p = 2Φ(−|z|) = 0.031611…
    d = np.array([1.0] * 10 + [-1.0] * 6 + [2.0] * 4)
    result = wilcoxon_by_group(d, np.ones(d.size, dtype=int))
    z = 54 / np.sqrt(631.25)
    assert result["statistic"].iloc[0] == 51.0
    assert result["pvalue"].iloc[0] == pytest.approx(2 * stats.norm.sf(z), rel=1e-14)
    assert result["method"].iloc[0] == "normal"


def test_wilcoxon_untestable_groups_are_nan_without_warnings() -> None:
    values = [0.0, 0.0, np.nan, np.nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
              0.0, 0.0, 0.0, 0.0, 3.0]
    groups = ["zeros2"] * 2 + ["missing"] * 2 + ["zeros14"] * 14 + ["one"]
    result = wilcoxon_by_group(values, groups)  # filterwarnings=error: nothing may escape
    for label, n_zero in (("zeros2", 2), ("missing", 0), ("zeros14", 14)):
        assert result["statistic"].isna()[label]
        assert result["pvalue"].isna()[label]
        assert result.loc[label, "n"] == 0
        assert result.loc[label, "n_zero"] == n_zero
        assert result["method"].isna()[label]
    assert result.loc["one", "statistic"] == 0.0  # scipy: W = 0, p = 1 for one value
    assert result.loc["one", "pvalue"] == 1.0


def test_wilcoxon_drops_nan_like_nan_policy_omit() -> None:
    x = np.array([1.0, np.nan, 2.0, -0.5, 3.0, 4.0, np.nan, 2.0])
    result = wilcoxon_by_group(pd.Series(x), pd.Series(["g"] * x.size, name="account_id"))
    reference = stats.wilcoxon(x, nan_policy="omit")
    assert result.index.name == "account_id"
    assert result.loc["g", "pvalue"] == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.loc["g", "statistic"] == reference.statistic


def test_missing_group_label_is_its_own_group() -> None:
    result = wilcoxon_by_group([1.0, 2.0, 3.0, -1.0], ["a", None, "a", None])
    assert len(result) == 2
    assert result["n"].tolist() == [2, 2]


@pytest.mark.parametrize("seed", [11, 12])
def test_paired_t_matches_scipy_in_every_group(seed: int) -> None:
    clean, values, groups = _portfolio(seed)
    result = paired_t_by_group(values, groups)
    for g, x in enumerate(clean):
        row = result.loc[g]
        assert row["n"] == x.size
        if x.size < 2:
            assert np.isnan(row["statistic"]) and np.isnan(row["pvalue"])
            assert np.isnan(row["df"])
            continue
        assert row["df"] == x.size - 1
        assert row["mean"] == pytest.approx(x.mean(), rel=1e-12, abs=1e-15)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = stats.ttest_1samp(x, 0.0)
        if np.ptp(x) == 0:  # constant: s = 0 exactly here; scipy inf/NaN or a huge t
            assert row["pvalue"] == 0.0 or (np.isnan(row["pvalue"]) and x[0] == 0)
            assert np.isnan(reference.pvalue) or reference.pvalue < 1e-10
            continue
        # t near 0 can differ in the last bits of the mean: absolute 1e-12 as well
        assert row["statistic"] == pytest.approx(reference.statistic, rel=1e-12, abs=1e-12)
        assert row["pvalue"] == pytest.approx(reference.pvalue, rel=1e-12, abs=1e-15)


def test_paired_t_equals_paired_test_of_p_and_e() -> None:
    rng = np.random.default_rng(3)
    e = rng.integers(1, 8, 40).astype(float)
    p = rng.integers(1, 8, 40).astype(float)
    result = paired_t_by_group(p - e, np.zeros(40))
    reference = stats.ttest_rel(p, e)
    assert result["statistic"].iloc[0] == pytest.approx(reference.statistic, rel=1e-12)
    assert result["pvalue"].iloc[0] == pytest.approx(reference.pvalue, rel=1e-12)


def test_paired_t_constant_groups_without_warnings() -> None:
    result = paired_t_by_group([0.5, 0.5, 0.5, 0.0, 0.0, -1 / 3, -1 / 3, -1 / 3, 7.0],
                               list("aaabbcccd"))
    assert result.loc["a", "statistic"] == np.inf and result.loc["a", "pvalue"] == 0.0
    assert result["statistic"].isna()["b"] and result["pvalue"].isna()["b"]
    assert result.loc["c", "statistic"] == -np.inf and result.loc["c", "pvalue"] == 0.0
    assert result["pvalue"].isna()["d"] and result.loc["d", "mean"] == 7.0


@pytest.mark.parametrize(("p", "expected"), [
    # sorted 0.005·5 = 0.025, 0.01·4 = 0.04, 0.03·3 = 0.09, 0.04·2 = 0.08 → 0.09, 0.2·1
    ([0.01, 0.04, 0.03, 0.005, 0.2], [0.04, 0.09, 0.09, 0.025, 0.2]),
    # ties: 0.001·4, 0.02·3 = 0.06 for both tied values, 0.5·1
    ([0.02, 0.02, 0.5, 0.001], [0.06, 0.06, 0.5, 0.004]),
    # capped at 1: 0.3·3 = 0.9, 0.6·2 = 1.2 → 1, 0.9 → 1
    ([0.3, 0.6, 0.9], [0.8999999999999999, 1.0, 1.0]),
    ([0.012, 0.0004, 0.049, 0.031, 0.27], [0.048, 0.002, 0.098, 0.093, 0.27]),
])
def test_holm_matches_statsmodels(p: list[float], expected: list[float]) -> None:
    np.testing.assert_allclose(holm(p), expected, rtol=1e-15, atol=0)


def test_holm_leaves_nan_out_of_the_family() -> None:
    # family of 3: 0.01·3 = 0.03, 0.02·2 = 0.04, 0.04·1 = 0.04
    series = pd.Series([0.02, np.nan, 0.01, 0.04], index=list("abcd"), name="p")
    adjusted = holm(series)
    assert isinstance(adjusted, pd.Series)
    assert adjusted.name == "p" and list(adjusted.index) == list("abcd")
    np.testing.assert_allclose(adjusted.to_numpy(), [0.04, np.nan, 0.03, 0.04], rtol=1e-15)
    assert np.isnan(holm([np.nan, np.nan])).all()
    assert holm([]).size == 0


def test_holm_by_group_adjusts_each_row() -> None:
    frame = pd.DataFrame([[0.01, 0.04, 0.03, 0.005, 0.2],
                          [0.02, 0.02, 0.5, 0.001, np.nan]],
                         index=["acct1", "acct2"], columns=list("vwxyz"))
    adjusted = holm_by_group(frame)
    np.testing.assert_allclose(adjusted.loc["acct1"], [0.04, 0.09, 0.09, 0.025, 0.2],
                               rtol=1e-15)
    np.testing.assert_allclose(adjusted.loc["acct2"], [0.06, 0.06, 0.5, 0.004, np.nan],
                               rtol=1e-15)
    assert list(adjusted.columns) == list("vwxyz")


def _scores(seed: int = 4, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"account_id": rng.choice(["A1", "A2", "A3", "B7"], n)})
    for j, dim in enumerate(["tangibles", "reliability", "responsiveness"]):
        k = j + 3
        gap = np.round(rng.normal(0.2 * (j - 1), 1.2, n) * k) / k
        gap[rng.random(n) < 0.05] = np.nan
        frame[f"{dim}.gap"] = gap
    frame.loc[frame["account_id"] == "B7", "reliability.gap"] = 0.0  # untestable
    return frame


def test_gap_significance_by_group() -> None:
    scores = _scores()
    dims = ["tangibles", "reliability", "responsiveness"]
    out = gap_significance(scores, dims, by="account_id")
    assert list(out.columns) == ["account_id", "dimension", "n", "mean", "n_zero", "w_stat",
                                 "p_wilcoxon", "w_method", "t", "p_t", "p_holm",
                                 "p_t_holm"]
    assert list(out["account_id"]) == [a for a in ["A1", "A2", "A3", "B7"] for _ in dims]
    assert list(out["dimension"]) == dims * 4
    for dim in dims:
        rows = out[out["dimension"] == dim].set_index("account_id")
        w = wilcoxon_by_group(scores[f"{dim}.gap"], scores["account_id"])
        t = paired_t_by_group(scores[f"{dim}.gap"], scores["account_id"])
        np.testing.assert_array_equal(rows["p_wilcoxon"], w["pvalue"])
        np.testing.assert_array_equal(rows["w_stat"], w["statistic"])
        np.testing.assert_array_equal(rows["t"], t["statistic"])
        np.testing.assert_array_equal(rows["n"], t["n"])
        np.testing.assert_array_equal(rows["mean"], t["mean"])
        np.testing.assert_array_equal(rows["n_zero"], w["n_zero"])
    for _account, rows in out.groupby("account_id"):
        np.testing.assert_allclose(rows["p_holm"], holm(rows["p_wilcoxon"].to_numpy()))
        np.testing.assert_allclose(rows["p_t_holm"], holm(rows["p_t"].to_numpy()))
    b7 = out[(out["account_id"] == "B7") & (out["dimension"] == "reliability")].iloc[0]
    assert np.isnan(b7["p_wilcoxon"]) and np.isnan(b7["p_holm"]) and b7["mean"] == 0.0


def test_gap_significance_overall_matches_scipy() -> None:
    scores = _scores()
    dims = ["tangibles", "reliability", "responsiveness"]
    out = gap_significance(scores, dims)
    assert list(out.columns)[:2] == ["dimension", "n"]
    p = []
    for dim, row in zip(dims, out.itertuples(), strict=True):
        x = scores[f"{dim}.gap"].dropna().to_numpy()
        reference = stats.wilcoxon(x)
        assert row.n == x.size
        assert row.w_stat == reference.statistic
        assert row.p_wilcoxon == pytest.approx(reference.pvalue, rel=1e-12)
        assert row.p_t == pytest.approx(stats.ttest_1samp(x, 0).pvalue, rel=1e-12)
        p.append(reference.pvalue)
    np.testing.assert_allclose(out["p_holm"], holm(p), rtol=1e-12)


def test_gap_significance_on_respondent_scores() -> None:
    layout = ServqualLayout.of(load_instrument(ROOT / "instruments" / "servqual.toml"))
    rng = np.random.default_rng(9)
    columns = [c for d in layout.dimensions
               for c in layout.e_columns[d] + layout.p_columns[d]]
    responses = pd.DataFrame(rng.integers(1, 8, (120, len(columns))).astype(float),
                             columns=columns)
    responses.iloc[::7, 3] = np.nan
    scores = respondent_scores(responses, layout)
    scores["account_id"] = np.repeat(["a", "b", "c"], 40)
    out = gap_significance(scores, layout.dimensions, by="account_id")
    assert len(out) == 3 * len(layout.dimensions)
    first = layout.dimensions[0]
    x = scores.loc[scores["account_id"] == "b", f"{first}.gap"].dropna().to_numpy()
    row = out[(out["account_id"] == "b") & (out["dimension"] == first)].iloc[0]
    assert row["p_wilcoxon"] == pytest.approx(_scipy_wilcoxon(x)[1], rel=1e-12)


@pytest.mark.parametrize("function", [wilcoxon_by_group, paired_t_by_group])
def test_bad_values_and_groups(function) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="groups"):
        function([1.0, 2.0, 3.0], [1, 1])
    with pytest.raises(ValueError, match="values"):
        function(["1", "2"], [1, 1])
    with pytest.raises(ValueError, match="values"):
        function([True, False], [1, 1])
    with pytest.raises(ValueError, match="values"):
        function(np.ones((2, 2)), [1, 1])
    with pytest.raises(ValueError, match="values"):
        function([1.0, np.inf], [1, 1])
    with pytest.raises(ValueError, match="groups"):
        function(pd.Series([1.0, 2.0], index=[0, 1]), pd.Series([1, 1], index=[5, 6]))


def test_bad_pvalues() -> None:
    with pytest.raises(ValueError, match="pvalues"):
        holm([0.5, 1.5])
    with pytest.raises(ValueError, match="pvalues"):
        holm(["a"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="pvalues"):
        holm_by_group([[0.1, 0.2]])  # type: ignore[arg-type]


def test_bad_gap_significance_arguments() -> None:
    scores = _scores()
    with pytest.raises(TypeError, match="scores"):
        gap_significance(scores.to_numpy(), ["tangibles"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dimensions"):
        gap_significance(scores, ["tangibles", "empathy"])
    with pytest.raises(ValueError, match="dimensions"):
        gap_significance(scores, [])
    with pytest.raises(TypeError, match="dimensions"):
        gap_significance(scores, "tangibles")
    with pytest.raises(ValueError, match="by"):
        gap_significance(scores, ["tangibles"], by="wave")
    scores["tangibles.gap"] = "x"
    with pytest.raises(ValueError, match="tangibles.gap"):
        gap_significance(scores, ["tangibles"])


@pytest.mark.parametrize("n_groups", [1, 7, 70_000])
def test_group_order_is_lexsort_order(n_groups):
    """The radix-sorted order of (group, |d|) is the lexsort order, ties and all."""
    from analysis.significance import _group_order

    rng = np.random.default_rng(n_groups)
    code = rng.integers(0, n_groups, 5000)
    magnitude = np.abs(rng.integers(-6, 7, 5000) / 3.0)
    order = _group_order(code, magnitude, n_groups)
    expected = np.lexsort((magnitude, code))
    assert (code[order] == code[expected]).all()
    assert (magnitude[order] == magnitude[expected]).all()
    assert sorted(order.tolist()) == list(range(5000))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_wilcoxon_histogram_and_sort_give_scipy_alike(seed: int, monkeypatch) -> None:
    """The tie blocks counted in a (group, |d|) histogram and found by sorting give the
    same tests, value for value (both against scipy in the test above); here on gaps
    with few distinct values, as respondent gaps have, so every method is used."""
    import analysis.significance as significance

    rng = np.random.default_rng(seed)
    sizes = np.r_[rng.integers(1, 14, 40), rng.integers(14, 51, 20), rng.integers(51, 400, 5)]
    groups = np.repeat(np.arange(sizes.size), sizes)
    values = rng.integers(-6, 7, groups.size) / rng.integers(1, 5, groups.size)
    values[rng.random(groups.size) < 0.05] = np.nan
    order = rng.permutation(groups.size)
    histogram = wilcoxon_by_group(values[order], groups[order])
    monkeypatch.setattr(significance, "_MAX_CELLS", 0)  # too many cells: sort instead
    sorted_ = wilcoxon_by_group(values[order], groups[order])
    assert set(histogram["method"].dropna()) == {"exact", "permutation", "normal"}
    pd.testing.assert_frame_equal(histogram, sorted_, check_exact=True)
    for g in (0, 45, sizes.size - 1):  # one group of each method, against scipy itself
        x = values[groups == g]
        statistic, pvalue = _scipy_wilcoxon(x[~np.isnan(x)])
        assert histogram.loc[g, "statistic"] == pytest.approx(statistic, rel=1e-12)
        assert histogram.loc[g, "pvalue"] == pytest.approx(pvalue, rel=1e-12)
