"""Contribution, share of wallet, growth, ABC and the value quadrant, worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.contribution import (
    abc_classes,
    abc_summary,
    account_contribution,
    percentile_score,
    value_quadrant,
)

NAN = np.nan


@pytest.fixture
def accounts() -> pd.DataFrame:
    # contribution = revenue·margin − cost_to_serve
    #   A1 2000·0.30 − 100 = 500     A2 1000·0.25 − 50 = 200     A3 800·0.25 − 50 = 150
    #   B1  500·0.30 −  50 = 100     C1  400·0.20 − 30 =  50     D1 300·0.10 − 60 = −30
    return pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "B1", "C1", "D1"],
        "revenue": [2000, 1000, 800, 500, 400, 300],
        "margin": [0.30, 0.25, 0.25, 0.30, 0.20, 0.10],
        "cost_to_serve": [100, 50, 50, 50, 30, 60],
        "wallet": [4000, 0, NAN, 500, 1000, 600],
        "revenue_prev": [1600, 0, NAN, 1000, 400, 200],
        "referral_value": [0, 300, 0, 50, 0, NAN],
    })


def test_contribution_share_of_wallet_growth(accounts):
    r = account_contribution(accounts)
    assert r.index.name == "account_id"
    assert r["contribution"].tolist() == pytest.approx([500, 200, 150, 100, 50, -30])
    # share of wallet = revenue / wallet: 2000/4000 = 0.5; wallet 0 or blank → NaN; 500/500 = 1
    sow = r["share_of_wallet"]
    assert sow["A1"] == 0.5 and sow["B1"] == 1.0 and sow["C1"] == 0.4 and sow["D1"] == 0.5
    assert np.isnan(sow["A2"]) and np.isnan(sow["A3"])
    # growth = revenue / revenue_prev − 1: 2000/1600 − 1 = 0.25; 500/1000 − 1 = −0.5
    g = r["growth"]
    assert g["A1"] == pytest.approx(0.25) and g["B1"] == pytest.approx(-0.5)
    assert g["C1"] == 0.0 and g["D1"] == pytest.approx(0.5)
    assert np.isnan(g["A2"]) and np.isnan(g["A3"])
    assert r.attrs["n"] == 6


def test_abc_on_six_accounts_by_hand(accounts):
    r = account_contribution(accounts)
    # total positive contribution = 500 + 200 + 150 + 100 + 50 = 1000 (D1's −30 left out)
    # in order: share before → after
    #   A1 0.00 → 0.50  A
    #   A2 0.50 → 0.70  A
    #   A3 0.70 → 0.85  A  (the account that carries the total past 80 % is still A)
    #   B1 0.85 → 0.95  B  (reaches 95 % exactly: still B)
    #   C1 0.95 → 1.00  C  (starts at 95 %)
    #   D1 −30          D  (loss-making)
    assert r["abc"].tolist() == ["A", "A", "A", "B", "C", "D"]
    assert r["contribution_share"].tolist()[:5] == pytest.approx([0.5, 0.2, 0.15, 0.1, 0.05])
    assert r["cumulative_share"].tolist()[:5] == pytest.approx([0.5, 0.7, 0.85, 0.95, 1.0])
    assert np.isnan(r.loc["D1", "cumulative_share"])
    s = abc_summary(r)
    assert s["n"].tolist() == [3, 1, 1, 1]
    assert s["contribution"].tolist() == pytest.approx([850, 100, 50, -30])
    assert s["contribution_share"].tolist() == pytest.approx([0.85, 0.10, 0.05, 0.0])


def test_abc_boundary_and_ties():
    # exactly 80 %: 80 then 20 → first A (reaches 80 %), second starts at 80 % → B
    assert abc_classes(pd.Series([80.0, 20.0])).tolist() == ["A", "B"]
    # ties are ordered by account id: x 60 (0 → .6 A), a 20 (.6 → .8 A), b 20 (.8 → 1 B)
    classes = abc_classes(np.array([20.0, 20.0, 60.0]), ids=["b", "a", "x"])
    assert classes.tolist() == ["B", "A", "A"]
    # zero is D, NaN has no class, nothing positive → no A
    assert abc_classes([0.0, -5.0, NAN]).fillna("-").tolist() == ["D", "D", "-"]
    # custom cut-offs: 50 % / 90 %
    assert abc_classes([50.0, 30.0, 15.0, 5.0], a=0.5, b=0.9).tolist() == ["A", "B", "B", "C"]


def test_contribution_score_is_a_percentile_rank(accounts):
    r = account_contribution(accounts)
    # n = 6 ranks 6..1 → 100·(r − 1)/5 = 100, 80, 60, 40, 20, 0
    assert r["contribution_score"].tolist() == pytest.approx([100, 80, 60, 40, 20, 0])
    # ties share the mid-rank: values 1, 2, 2, 3 → ranks 1, 2.5, 2.5, 4 → 0, 50, 50, 100
    assert percentile_score(np.array([1, 2, 2, 3, NAN])).tolist()[:4] == [0, 50, 50, 100]
    assert np.isnan(percentile_score(np.array([5.0]))).all()


def test_value_quadrant_median_split(accounts):
    r = account_contribution(accounts)
    # accounts with both values: A1..C1 (D1 has no referral value)
    # median contribution of 500, 200, 150, 100, 50 = 150; median referral of 0, 300, 0, 50, 0 = 0
    # high = strictly above: CLV high A1, A2; referral high A2, B1
    assert r["value_quadrant"].tolist()[:5] == [
        "affluent", "champion", "miser", "advocate", "miser"]
    assert pd.isna(r.loc["D1", "value_quadrant"])
    fixed = value_quadrant(r, clv_threshold=100, referral_threshold=10)
    assert fixed.tolist()[:5] == ["affluent", "champion", "affluent", "advocate", "miser"]


def test_missing_values_stay_missing(accounts):
    accounts.loc[1, "margin"] = NAN
    r = account_contribution(accounts, wallet=None, revenue_prev=None, referral=None)
    # A2 has no contribution: no class, no score, not part of the positive total
    assert np.isnan(r.loc["A2", "contribution"]) and pd.isna(r.loc["A2", "abc"])
    assert np.isnan(r.loc["A2", "contribution_score"])
    # total positive is now 800: A1 0 → .625 A, A3 .625 → .8125 A, B1 .8125 → .9375 B,
    # C1 .9375 → 1 B
    assert r["abc"].tolist() == ["A", pd.NA, "A", "B", "B", "D"]
    assert r["share_of_wallet"].isna().all() and r["growth"].isna().all()
    assert r["value_quadrant"].isna().all()
    assert r.attrs["n"] == 5


def test_text_cells_from_a_file_are_parsed():
    raw = pd.DataFrame({"account_id": ["x", "y"], "revenue": ["1000", " 500 "],
                        "margin": ["0.2", ""], "cost_to_serve": ["50", "0"]},
                       dtype="string")
    r = account_contribution(raw, wallet=None, revenue_prev=None, referral=None)
    assert r.loc["x", "contribution"] == 150.0 and np.isnan(r.loc["y", "contribution"])


@pytest.mark.parametrize(("change", "message"), [
    ({"revenue": [-1, 1000, 800, 500, 400, 300]}, "'revenue' of account 'A1'.*negative"),
    ({"margin": [25, 0.25, 0.25, 0.3, 0.2, 0.1]}, "'margin' of account 'A1'.*-1, 1"),
    ({"cost_to_serve": [100, -5, 50, 50, 30, 60]}, "'cost_to_serve' of account 'A2'"),
    ({"wallet": [4000, -1, 0, 0, 0, 0]}, "'wallet' of account 'A2'"),
    ({"revenue_prev": [-3, 0, 0, 0, 0, 0]}, "'revenue_prev'"),
    ({"referral_value": [-3, 0, 0, 0, 0, 0]}, "referral"),
    ({"revenue": ["1000", "abc", "1", "1", "1", "1"]}, "'revenue' of account 'A2'.*not a number"),
    ({"revenue": [np.inf, 1, 1, 1, 1, 1]}, "infinite"),
    ({"account_id": ["A1", "A1", "A3", "B1", "C1", "D1"]}, "'A1' appears more than once"),
    ({"account_id": ["A1", None, "A3", "B1", "C1", "D1"]}, "blank"),
])
def test_bad_input_is_named(accounts, change, message):
    for col, values in change.items():
        accounts[col] = values
    with pytest.raises(ValueError, match=message):
        account_contribution(accounts)


def test_bad_arguments(accounts):
    with pytest.raises(ValueError, match="'cost_to_serve' is not in accounts"):
        account_contribution(accounts.drop(columns="cost_to_serve"))
    with pytest.raises(ValueError, match="'wallet' is not in accounts.*argument wallet"):
        account_contribution(accounts.drop(columns="wallet"))
    with pytest.raises(ValueError, match="a, b"):
        account_contribution(accounts, a=0.95, b=0.8)
    with pytest.raises(TypeError, match="accounts"):
        account_contribution(accounts.to_dict())
    with pytest.raises(ValueError, match="ids"):
        abc_classes([1.0, 2.0], ids=["a"])
