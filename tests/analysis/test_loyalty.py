"""Four degrees of loyalty, NPS and the Jones & Sasser quadrant against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.instrument import load_instrument
from analysis.loyalty import (
    account_loyalty,
    construct_indices,
    item_indices,
    jones_sasser,
    loyalty_scores,
    nps,
    nps_contribution,
    nps_table,
)
from tests.conftest import REPO

COLUMNS = ("rep1", "rep2", "rep3", "dep1", "dep2", "tol1", "tol2", "tol3", "nps", "adv2")
NAN = np.nan


@pytest.fixture(scope="module")
def loyalty():
    return load_instrument(REPO / "instruments" / "loyalty.toml")


@pytest.fixture
def answers() -> pd.DataFrame:
    rows = {
        #        rep1 rep2 rep3 dep1 dep2  tol1 tol2 tol3 nps  adv2
        "r1": (10, 7, 4, 6, NAN, 1, 4, 10, 9, 10),
        "r2": (NAN, NAN, NAN, 2, NAN, NAN, NAN, NAN, 3, NAN),
        "r3": (NAN,) * 10,
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS), dtype="float64")
    frame.insert(0, "response_id", ["1", "2", "3"])
    frame.insert(1, "account_id", ["a", "a", "b"])
    frame.insert(2, "role", ["economic", "user", "technical"])
    return frame.reset_index(drop=True)


def test_item_indices_rescale_and_mirror_reverse_items(loyalty, answers):
    idx = item_indices(answers, loyalty)
    # 1–10 scale: 100·(x − 1)/9 → rep1 10 → 100, rep2 7 → 600/9 = 66.667
    assert idx.loc[0, "rep1"] == pytest.approx(100.0)
    assert idx.loc[0, "rep2"] == pytest.approx(600 / 9)
    # rep3 is reverse: 100·(10 − 4)/9 = 66.667; tol3 reverse, 10 → 0
    assert idx.loc[0, "rep3"] == pytest.approx(600 / 9)
    assert idx.loc[0, "tol3"] == pytest.approx(0.0)
    # dep1 on 0–10 tenths: 6 → 60 (the share in percent); nps 9 on 0–10 → 90
    assert idx.loc[0, "dep1"] == pytest.approx(60.0)
    assert idx.loc[0, "nps"] == pytest.approx(90.0)
    assert np.isnan(idx.loc[0, "dep2"])


def test_degree_scores_and_loyalty_index_by_hand(loyalty, answers):
    s = loyalty_scores(answers, loyalty)
    # r1, every degree = mean of the item indices answered:
    #   repurchase      (100 + 600/9 + 600/9)/3 = 2100/27 = 77.7778
    #   dependence      dep1 only (dep2 blank, not 0): 60
    #   price tolerance (0 + 300/9 + 0)/3 = 100/9 = 11.1111
    #   advocacy        (90 + 100)/2 = 95
    #   loyalty index   (2100/27 + 60 + 100/9 + 95)/4 = (2400/27 + 155)/4 = 60.9722
    r1 = s.loc[0]
    assert r1["repurchase"] == pytest.approx(2100 / 27)
    assert r1["dependence"] == pytest.approx(60.0)
    assert r1["price_tolerance"] == pytest.approx(100 / 9)
    assert r1["advocacy"] == pytest.approx(95.0)
    assert r1["loyalty_index"] == pytest.approx((2400 / 27 + 155) / 4)
    assert r1["loyalty_index.degrees"] == 4
    assert r1["nps_class"] == "promoter" and r1["nps_contribution"] == 1.0
    # r2 has two degrees (dependence 20, advocacy 30): below min_degrees = 3 → no index
    r2 = s.loc[1]
    assert r2["dependence"] == pytest.approx(20.0) and r2["advocacy"] == pytest.approx(30.0)
    assert np.isnan(r2["loyalty_index"]) and r2["loyalty_index.degrees"] == 2
    assert r2["nps_class"] == "detractor" and r2["nps_contribution"] == -1.0
    # r3 answered nothing: everything missing, nothing counted as zero
    r3 = s.loc[2]
    assert np.isnan(r3[["repurchase", "dependence", "price_tolerance", "advocacy",
                        "loyalty_index", "nps_contribution"]].astype(float)).all()
    assert pd.isna(r3["nps_class"])
    assert list(s.columns[:3]) == ["response_id", "account_id", "role"]


def test_min_degrees_and_weights(loyalty, answers):
    s = loyalty_scores(answers, loyalty, min_degrees=2)
    assert s.loc[1, "loyalty_index"] == pytest.approx((20 + 30) / 2)
    # weights 3:1:0:0 → r1 = (3·2100/27 + 60)/4 = (700/3 + 60)/4 = 73.3333
    w = loyalty_scores(answers, loyalty, weights={"repurchase": 3, "dependence": 1},
                       min_degrees=1)
    assert w.loc[0, "loyalty_index"] == pytest.approx((700 / 3 + 60) / 4)


def test_construct_indices_mean_over_answered_items(loyalty, answers):
    c = construct_indices(answers, loyalty, ["dependence"])
    assert list(c.columns) == ["dependence"]
    assert c["dependence"].tolist()[:2] == pytest.approx([60.0, 20.0])


def test_nps_and_margin_of_error_by_hand():
    # answers 10 9 9 8 7 6 3 0 10 and one blank: n = 9 (the blank is not a detractor)
    # promoters 4 (10, 9, 9, 10), passives 2 (8, 7), detractors 3 (6, 3, 0)
    # p = 4/9, d = 3/9, NPS = 100·(1/9) = 11.1111
    # p + d − (p − d)² = 7/9 − 1/81 = 62/81; /n = 62/729; sqrt = √62/27 = 0.2916299
    # MoE = 1.96·100·0.2916299 = 57.1595
    r = nps(pd.Series([10, 9, 9, 8, 7, 6, 3, 0, 10, np.nan]))
    assert (r.n, r.promoters, r.passives, r.detractors) == (9, 4, 2, 3)
    assert r.nps == pytest.approx(100 / 9)
    assert r.moe == pytest.approx(196 * math.sqrt(62) / 27)
    assert r.moe == pytest.approx(57.1595, abs=1e-4)
    assert r.ci == pytest.approx((100 / 9 - r.moe, 100 / 9 + r.moe))


def test_nps_edges():
    # all promoters: p = 1, d = 0 → NPS 100, variance 1 − 1 = 0 → MoE 0
    r = nps([9, 10])
    assert (r.nps, r.moe, r.n) == (100.0, 0.0, 2)
    empty = nps(pd.Series([np.nan, np.nan]))
    assert empty.n == 0 and np.isnan(empty.nps) and np.isnan(empty.moe)
    # boundaries: 6 is a detractor, 7 and 8 passive, 9 a promoter
    assert nps_contribution([6, 7, 8, 9]).tolist() == [-1.0, 0.0, 0.0, 1.0]


def test_nps_table_matches_scalar(answers):
    frame = pd.DataFrame({"g": ["x"] * 5 + ["y"] * 3,
                          "nps": [10, 9, 6, 7, np.nan, 0, 0, 10]})
    table = nps_table(frame, "nps", by="g")
    # x: 4 answers, 2 promoters, 1 detractor → 100·(2 − 1)/4 = 25
    # y: 3 answers, 1 promoter, 2 detractors → 100·(1 − 2)/3 = −33.33
    assert table.loc["x", "nps"] == pytest.approx(25.0)
    assert table.loc["y", "nps"] == pytest.approx(-100 / 3)
    assert table["n"].tolist() == [4, 3]
    for g in ("x", "y"):
        r = nps(frame.loc[frame["g"] == g, "nps"])
        assert table.loc[g, "moe"] == pytest.approx(r.moe)
    whole = nps_table(frame, "nps")
    assert whole.loc[0, "n"] == 7


def test_account_nps_rolls_up_on_p_minus_d(loyalty, answers):
    s = loyalty_scores(answers, loyalty)
    acc = account_loyalty(s)
    # account a: economic promoter (+1, weight 0.30) and user detractor (−1, weight 0.15)
    # weighted (0.30·1 − 0.15·1)/0.45 = 1/3 → NPS 33.33; unweighted (1 − 1)/2 = 0
    assert acc.loc["a", "nps"] == pytest.approx(100 / 3)
    assert acc.loc["a", "nps.unweighted"] == pytest.approx(0.0)
    assert acc.loc["a", "nps.n"] == 2
    # loyalty index: only r1 has one → account a = 60.9722 from one respondent
    assert acc.loc["a", "loyalty_index"] == pytest.approx((2400 / 27 + 155) / 4)
    assert acc.loc["a", "loyalty_index.n"] == 1
    assert acc.loc["b", "nps.n"] == 0 and np.isnan(acc.loc["b", "nps"])


def test_jones_sasser_quadrants():
    frame = pd.DataFrame({"satisfaction": [95, 85, 50, 40, 80, np.nan, 79.9],
                          "loyalty_index": [92, 40, 75, 10, 70, 90, 69.9]},
                         index=list("abcdefg"))
    q = jones_sasser(frame)
    # defaults: high satisfaction ≥ 80, high loyalty ≥ 70, apostle when both ≥ 90
    assert q["quadrant"].tolist()[:5] == ["loyalist", "mercenary", "hostage", "defector",
                                          "loyalist"]
    assert pd.isna(q.loc["f", "quadrant"])
    assert q.loc["g", "quadrant"] == "defector"
    assert q["apostle"].tolist() == [True, False, False, False, False, False, False]
    custom = jones_sasser(frame, sat_threshold=40, loy_threshold=10)
    assert custom.loc["d", "quadrant"] == "loyalist"


def test_bad_input_is_named(loyalty, answers):
    with pytest.raises(ValueError, match="dep2"):
        loyalty_scores(answers.drop(columns="dep2"), loyalty)
    bad = answers.copy()
    bad.loc[0, "rep1"] = 11
    with pytest.raises(ValueError, match="rep1.*outside the scale 1–10"):
        loyalty_scores(bad, loyalty)
    with pytest.raises(ValueError, match="min_degrees"):
        loyalty_scores(answers, loyalty, min_degrees=0)
    with pytest.raises(ValueError, match="weights"):
        loyalty_scores(answers, loyalty, weights={"speed": 1})
    with pytest.raises(ValueError, match="nps_item"):
        loyalty_scores(answers, loyalty, nps_item="rep1")
    with pytest.raises(ValueError, match="degrees"):
        loyalty_scores(answers, loyalty, degrees=["trust"])
    with pytest.raises(ValueError, match="0–10"):
        nps([5, 11])
    with pytest.raises(ValueError, match="whole numbers"):
        nps([7.5])
    with pytest.raises(ValueError, match="not a number"):
        nps(pd.Series(["9", "ten"]))
    with pytest.raises(TypeError, match="responses"):
        loyalty_scores(answers.to_numpy(), loyalty)
    with pytest.raises(ValueError, match="'sat'.*argument satisfaction"):
        jones_sasser(pd.DataFrame({"loyalty_index": [1.0]}), satisfaction="sat")
    with pytest.raises(ValueError, match="0–100"):
        jones_sasser(pd.DataFrame({"satisfaction": [7.0], "loyalty_index": [120.0]}))
    with pytest.raises(ValueError, match="sat_threshold"):
        jones_sasser(pd.DataFrame({"satisfaction": [7.0], "loyalty_index": [1.0]}),
                     sat_threshold=150)


def test_item_indices_read_text_cells_and_name_bad_ones(loyalty, answers):
    # answers as text (as a CSV reader without types gives them): blank is missing, the
    # numbers are the same numbers, and a word is named with its column and row
    text = answers.astype("object").where(answers.notna(), "")
    text = text.map(lambda v: f" {v:g} " if isinstance(v, float) else v)
    pd.testing.assert_frame_equal(item_indices(text, loyalty), item_indices(answers, loyalty))
    text.loc[1, "dep1"] = "two"
    with pytest.raises(ValueError, match="column 'dep1' of row '1' holds 'two'"):
        item_indices(text, loyalty)
    bad = answers.copy()
    bad.loc[0, "rep2"] = np.inf
    with pytest.raises(ValueError, match="column 'rep2' of row '0' is infinite"):
        item_indices(bad, loyalty)
