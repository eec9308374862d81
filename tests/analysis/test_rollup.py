"""Buying-centre roll-up against hand-computed values.

Account A: economic 1 and 3 (role mean 2, w .30), technical −1 (w .25), user without a
value (role not counted), role "buyer?" → unknown 2 (w .10):
(.30·2 + .25·−1 + .10·2) / (.30 + .25 + .10) = .55 / .65 = 0.846153846…
unweighted mean (1 + 3 − 1 + 2)/4 = 1.25, n 4 (5 respondents).
Account B: one coach with 4 → 4.
"""

import numpy as np
import pandas as pd
import pytest

from analysis import DEFAULT_ROLE_WEIGHTS, account_rollup
from analysis.rollup import BUYER_ROLES, ROLE_ALIASES, normalize_roles, unknown_roles

nan = np.nan


@pytest.fixture
def scores():
    return pd.DataFrame({
        "account_id": ["A", "A", "A", "A", "A", "B"],
        "role": ["economic", "Economic ", "user", "technical", "buyer?", "coach"],
        "m": [1, 3, nan, -1, 2, 4],
    })


def test_rollup_weights_roles(scores):
    out = account_rollup(scores, ["m"])
    assert out.loc["A", "m"] == pytest.approx(0.55 / 0.65)
    assert out.loc["A", "m.mean"] == pytest.approx(1.25)
    assert out.loc["A", "m.n"] == 4
    assert out.loc["A", "n"] == 5
    assert out.loc["A", "roles"] == "economic,technical,user,unknown"
    assert out.loc["B", "m"] == pytest.approx(4.0)
    assert out.loc["B", "roles"] == "coach"


def test_default_weights_are_the_design_defaults():
    assert DEFAULT_ROLE_WEIGHTS == {"economic": 0.30, "technical": 0.25, "user": 0.15,
                                    "financial": 0.10, "coach": 0.10, "influencer": 0.10}


def test_custom_weights(scores):
    out = account_rollup(scores, ["m"], weights={"economic": 1, "technical": 1},
                         unknown_weight=0.0)
    # economic 2 and technical −1 equally; user and coach become unknown with weight 0
    assert out.loc["A", "m"] == pytest.approx(0.5)
    assert np.isnan(out.loc["B", "m"])  # only a zero-weight role answered
    assert out.loc["B", "m.mean"] == pytest.approx(4.0)


def test_account_without_values_is_missing_not_zero():
    frame = pd.DataFrame({"account_id": ["A"], "role": ["user"], "m": [nan]})
    out = account_rollup(frame, ["m"])
    assert np.isnan(out.loc["A", "m"]) and out.loc["A", "m.n"] == 0


def test_bad_arguments(scores):
    with pytest.raises(ValueError, match="column 'x'"):
        account_rollup(scores, ["x"])
    with pytest.raises(ValueError, match="argument weights"):
        account_rollup(scores, ["m"], weights={"economic": -1})


# --------------------------------------------------------------------------- role names


@pytest.mark.parametrize(("value", "role"), [
    ("economic", "economic"), ("Economic Buyer", "economic"), (" economic buyer ", "economic"),
    ("ECONOMIC", "economic"), ("经济买家", "economic"), ("经济", "economic"),
    (" 经济 买家 ", "economic"), ("ｅｃｏｎｏｍｉｃ", "economic"),
    ("技术买家", "technical"), ("技术", "technical"), ("Technical buyer", "technical"),
    ("使用买家", "user"), ("使用", "user"), ("User Buyer", "user"),
    ("财务买家", "financial"), ("财务", "financial"), ("financial  BUYER", "financial"),
    ("教练买家", "coach"), ("教练", "coach"), ("coach buyer", "coach"),
    ("影响力买家", "influencer"), ("影响力", "influencer"), ("影响者", "influencer"),
    ("Influencer Buyer", "influencer"),
    ("buyer", "unknown"), ("买家", "unknown"), ("采购", "unknown"), ("economics", "unknown"),
    ("buyer economic", "unknown"), ("", "unknown"), ("  ", "unknown"), (None, "unknown"),
])
def test_role_aliases(value, role):
    roles = pd.Series([value], index=[7], dtype="string")
    out = normalize_roles(roles)
    assert out.loc[7] == role
    listed = [value.strip()] if role == "unknown" and value and value.strip() else []
    assert unknown_roles(roles) == listed


def test_role_aliases_table_covers_the_design_names():
    short = ("经济", "技术", "使用", "财务", "教练", "影响力")  # DESIGN.md: 经济买家 …
    assert [ROLE_ALIASES[f"{zh}买家"] for zh in short] == list(BUYER_ROLES)
    assert [ROLE_ALIASES[zh] for zh in short] == list(BUYER_ROLES)


def test_rollup_with_chinese_and_english_role_names():
    """Account X, one respondent per role but two economic (80, 60 → mean 70):
    (.30·70 + .25·50 + .15·40 + .10·100 + .10·20 + .10·30 + .10·0) / 1.10
    = (21 + 12.5 + 6 + 10 + 2 + 3 + 0) / 1.1 = 54.5 / 1.1 = 49.545454…;
    unweighted (80 + 60 + 50 + 40 + 100 + 20 + 30 + 0) / 8 = 47.5.
    Account Y: (.25·10 + .15·40) / (.25 + .15) = 8.5 / .4 = 21.25; unweighted 25."""
    frame = pd.DataFrame({
        "account_id": ["X"] * 8 + ["Y", "Y"],
        "role": ["经济买家", "Economic Buyer", "技术", "使用买家", "财务买家", "教练", "影响者",
                 "采购经理", "Technical Buyer ", " user "],
        "m": [80, 60, 50, 40, 100, 20, 30, 0, 10, 40],
    })
    out = account_rollup(frame, ["m"])
    assert out.loc["X", "m"] == pytest.approx(54.5 / 1.1)
    assert out.loc["X", "m.mean"] == pytest.approx(47.5)
    assert out.loc["X", "roles"] == "economic,technical,user,financial,coach,influencer,unknown"
    assert out.loc["Y", "m"] == pytest.approx(21.25)
    assert out.loc["Y", "m.mean"] == pytest.approx(25.0)
    assert out.loc["Y", "roles"] == "technical,user"
    assert unknown_roles(frame["role"]) == ["采购经理"]


def test_aliases_with_custom_weights():
    """Weights economic 2, technical 1, unknown 0: "经济" 90 and "技术买家" 30 give
    (2·90 + 1·30) / 3 = 70; "使用买家" has no weight of its own, so it is unknown (0)."""
    frame = pd.DataFrame({"account_id": ["A", "A", "A"], "role": ["经济", "技术买家", "使用买家"],
                          "m": [90, 30, 0]})
    out = account_rollup(frame, ["m"], weights={"economic": 2, "technical": 1},
                         unknown_weight=0.0)
    assert out.loc["A", "m"] == pytest.approx(70.0)
    assert out.loc["A", "roles"] == "economic,technical,unknown"
    assert unknown_roles(frame["role"], {"economic": 2, "technical": 1}) == ["使用买家"]
    # a weight named in another case still takes its role
    named = normalize_roles(pd.Series(["economic buyer", "采购"]), {"Economic": 1})
    assert list(named) == ["Economic", "unknown"]


def test_unknown_roles_lists_each_value_once_in_order():
    roles = pd.Series(["buyer?", " 采购 ", "economic", None, "", "采购", "unknown", "buyer?",
                       "Unknown", "x"])
    assert unknown_roles(roles) == ["buyer?", "采购", "x"]
    assert unknown_roles(pd.Series([], dtype="string")) == []
    assert unknown_roles(pd.Series([pd.NA, pd.NA], dtype="string")) == []


# ------------------------------------------------------------- the grouped sums, checked


def _rollup_by_groupby(scores, measures, weights, unknown_weight=0.10):
    """The roll-up as pandas groupby computes it (the implementation before the grouped
    bincounts): role means per account, weighted over the roles that have the measure."""
    frame = scores[["account_id", *measures]].copy()
    frame["_role"] = normalize_roles(scores["role"], weights)
    role_weight = {"unknown": unknown_weight, **weights}
    grouped = frame.groupby(["account_id", "_role"], sort=False, observed=True)
    role_means = grouped[list(measures)].mean()
    w = role_means.index.get_level_values("_role").map(role_weight).to_numpy(dtype=float)
    present = role_means.notna()
    weighted_sum = role_means.mul(w, axis=0).where(present).groupby(level=0).sum(min_count=1)
    weight_sum = present.mul(w, axis=0).groupby(level=0).sum()
    by_account = frame.groupby("account_id", sort=True, observed=True)
    return (weighted_sum / weight_sum.where(weight_sum > 0), by_account[measures].mean(),
            by_account[measures].count(), by_account.size())


@pytest.mark.parametrize("categorical", [False, True])
def test_grouped_rollup_matches_groupby(categorical):
    rng = np.random.default_rng(7)
    n = 3000
    accounts = rng.choice([f"K{k:03d}" for k in range(120)] + [None], n)
    roles = rng.choice(["economic", "Technical Buyer", "经济买家", "采购", "coach", None], n)
    scores = pd.DataFrame({
        "account_id": pd.Series(accounts, dtype="category" if categorical else "string"),
        "role": pd.Series(roles, dtype="category" if categorical else "string"),
        "m": np.where(rng.random(n) < 0.2, np.nan, rng.normal(3, 2, n)),
        "k": np.where(rng.random(n) < 0.6, np.nan, rng.integers(0, 11, n).astype(float))})
    weights = {"economic": 0.3, "technical": 0.0, "coach": 0.1}  # a zero weight too
    out = account_rollup(scores, ["m", "k"], weights=weights, unknown_weight=0.0)
    weighted, means, counts, size = _rollup_by_groupby(scores, ["m", "k"], weights, 0.0)
    assert list(out.index) == list(size.index)
    for m in ("m", "k"):
        np.testing.assert_allclose(out[m], weighted[m].reindex(out.index), rtol=1e-12)
        np.testing.assert_allclose(out[f"{m}.mean"], means[m], rtol=1e-12)
        assert (out[f"{m}.n"].to_numpy() == counts[m].to_numpy()).all()
    assert (out["n"].to_numpy() == size.to_numpy()).all()
    first = scores[scores["account_id"] == out.index[0]]
    expected = {str(r) for r in normalize_roles(first["role"], weights)}
    assert set(out["roles"].iloc[0].split(",")) == expected
