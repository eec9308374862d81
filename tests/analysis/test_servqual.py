"""SERVQUAL scores against hand-computed values (worked out in the comments below).

Two dimensions T (items t1, t2) and R (items r1, r2), an importance allocation over them.

r1: t1 E6 P4, t2 E7 P5 → q −2, −2 → G_T = −2; E_T 6.5, P_T 4.5
    r1 E5 P5, r2 E6 P3 → q 0, −3  → G_R = −1.5; E_R 5.5, P_R 4
    unweighted (−2 − 1.5)/2 = −1.75; weighted .4·−2 + .6·−1.5 = −1.7; SERVPERF (4.5+4)/2 = 4.25
r2: t1 E7 P–, t2 E6 P6 → G_T = 0 (only t2 has both); E_T 6.5, P_T 6
    r1 E– P4, r2 E5 P6 → G_R = 1; E_R 5, P_R 5
    unweighted 0.5; weighted: points 50+40 = 90 ≠ 100 → missing; SERVPERF 5.5
r3: T unanswered → G_T missing (not zero)
    r1 E4 P2, r2 E4 P– → G_R = −2; E_R 4, P_R 2
    unweighted −2 (mean of the gaps it has); weighted missing; SERVPERF 2
Group: G_T (−2 + 0)/2 = −1, n 2; G_R (−1.5 + 1 − 2)/3 = −0.8333…, n 3;
       P_T (4.5 + 6)/2 = 5.25 and E_T 6.5 — the group gap is not P_T − E_T (−1.25);
       unweighted (−1.75 + 0.5 − 2)/3 = −1.0833…; weighted −1.7, n 1; SERVPERF 11.75/3.
"""

import numpy as np
import pandas as pd
import pytest

from analysis import ServqualLayout, item_gaps, loads_instrument, respondent_scores, summarize

MINI = """
id = "mini"
version = 1
languages = ["en"]
title = { en = "Mini" }
[scales.s7]
min = 1
max = 7
[facets.e]
label = { en = "E" }
[facets.p]
label = { en = "P" }
[[constructs]]
id = "T"
name = { en = "Tangibles" }
[[constructs]]
id = "R"
name = { en = "Reliability" }
[[items]]
id = "t1"
construct = "T"
scale = "s7"
facets = ["e", "p"]
text = { en = "t1" }
[[items]]
id = "t2"
construct = "T"
scale = "s7"
facets = ["e", "p"]
text = { en = "t2" }
[[items]]
id = "r1"
construct = "R"
scale = "s7"
facets = ["e", "p"]
text = { en = "r1" }
[[items]]
id = "r2"
construct = "R"
scale = "s7"
facets = ["e", "p"]
text = { en = "r2" }
[[allocations]]
id = "imp"
total = 100
text = { en = "Share 100 points" }
"""
nan = np.nan


@pytest.fixture
def layout():
    return ServqualLayout.of(loads_instrument(MINI))


@pytest.fixture
def answers():
    return pd.DataFrame({
        "account_id": ["A", "A", "B"],
        "t1.e": [6, 7, nan], "t1.p": [4, nan, nan],
        "t2.e": [7, 6, nan], "t2.p": [5, 6, nan],
        "r1.e": [5, nan, 4], "r1.p": [5, 4, 2],
        "r2.e": [6, 5, 4], "r2.p": [3, 6, nan],
        "imp.T": [40, 50, nan], "imp.R": [60, 40, nan],
    })


def test_respondent_scores_match_hand_computation(layout, answers):
    s = respondent_scores(answers, layout)
    np.testing.assert_allclose(s["T.gap"], [-2, 0, nan])
    np.testing.assert_allclose(s["R.gap"], [-1.5, 1, -2])
    np.testing.assert_allclose(s["T.e"], [6.5, 6.5, nan])
    np.testing.assert_allclose(s["T.p"], [4.5, 6, nan])
    np.testing.assert_allclose(s["R.e"], [5.5, 5, 4])
    np.testing.assert_allclose(s["R.p"], [4, 5, 2])
    np.testing.assert_allclose(s["unweighted"], [-1.75, 0.5, -2])
    np.testing.assert_allclose(s["weighted"], [-1.7, nan, nan])
    np.testing.assert_allclose(s["servperf"], [4.25, 5.5, 2])


def test_group_summary_is_mean_over_respondents_with_n(layout, answers):
    summary = summarize(respondent_scores(answers, layout)).iloc[0]
    assert summary["T.gap"] == pytest.approx(-1.0)
    assert summary["T.gap.n"] == 2
    assert summary["R.gap"] == pytest.approx(-2.5 / 3)
    assert summary["T.p"] == pytest.approx(5.25)
    assert summary["T.e"] == pytest.approx(6.5)
    assert summary["unweighted"] == pytest.approx(-3.25 / 3)
    assert summary["weighted"] == pytest.approx(-1.7)
    assert summary["weighted.n"] == 1
    assert summary["servperf"] == pytest.approx(11.75 / 3)


def test_summary_by_group(layout, answers):
    scores = pd.concat([answers[["account_id"]], respondent_scores(answers, layout)], axis=1)
    by = summarize(scores, by="account_id")
    assert by.loc["A", "T.gap"] == pytest.approx(-1.0)
    assert by.loc["A", "unweighted.n"] == 2
    assert by.loc["B", "R.gap"] == pytest.approx(-2.0)
    assert np.isnan(by.loc["B", "T.gap"]) and by.loc["B", "T.gap.n"] == 0


def test_item_gaps(layout, answers):
    items = item_gaps(answers, layout)
    # t1: only r1 has both (6, 4) → −2, n 1; E mean over all E answers (6 + 7)/2
    assert items.loc["t1", "gap"] == pytest.approx(-2.0)
    assert items.loc["t1", "n"] == 1
    assert items.loc["t1", "e"] == pytest.approx(6.5)
    assert items.loc["r2", "dimension"] == "R"


def test_missing_columns_are_a_clear_error(layout, answers):
    with pytest.raises(ValueError, match="responses lack the SERVQUAL columns"):
        respondent_scores(answers.drop(columns=["t1.e"]), layout)


def test_layout_needs_the_facets():
    with pytest.raises(ValueError, match="no facet 'x'"):
        ServqualLayout.of(loads_instrument(MINI), expectation="x")


def test_servqual_instrument_layout(servqual):
    layout = ServqualLayout.of(servqual)
    assert layout.dimensions == ("tangibles", "reliability", "responsiveness", "assurance",
                                 "empathy")
    assert [len(layout.e_columns[d]) for d in layout.dimensions] == [4, 5, 4, 4, 5]
    assert layout.allocation is not None and layout.allocation.id == "imp"


def test_gap1_customers_minus_managers_estimate():
    from analysis.servqual import construct_means, gap1

    instrument = loads_instrument(MINI)
    customers = pd.DataFrame({"t1.e": [6, 7, 5], "t2.e": [7, nan, 5], "r1.e": [5, 4, nan],
                              "r2.e": [5, 6, nan], "account_id": ["A", "A", "B"]})
    managers = pd.DataFrame({"t1.e": [5, 4], "t2.e": [6, 4], "r1.e": [6, nan],
                             "r2.e": [nan, nan], "account_id": ["A", "B"]})
    c = pd.concat([construct_means(customers, instrument, "e"), customers["account_id"]],
                  axis=1)
    m = pd.concat([construct_means(managers, instrument, "e"), managers["account_id"]], axis=1)
    # customers' T: 6.5, 7, 5 → 18.5/3; managers' T: 5.5, 4 → 4.75
    # customers' R: 5, 5, (none) → 5, n 2; managers' R: 6, (none) → 6, n 1
    overall = gap1(c, m, ["T", "R"]).set_index("dimension")
    assert overall.loc["T", "gap1"] == pytest.approx(18.5 / 3 - 4.75)
    assert overall.loc["R", "gap1"] == pytest.approx(-1.0)
    assert overall.loc["R", "customer_n"] == 2 and overall.loc["R", "manager_n"] == 1
    by = gap1(c, m, ["T", "R"], by="account_id").set_index(["account_id", "dimension"])
    # account A: customers' T (6.5 + 7)/2 = 6.75 vs manager 5.5 → 1.25
    assert by.loc[("A", "T"), "gap1"] == pytest.approx(1.25)
    assert np.isnan(by.loc[("B", "R"), "gap1"]) and by.loc[("B", "R"), "customer_n"] == 0
    with pytest.raises(ValueError, match="argument managers"):
        gap1(c, m.drop(columns="R"), ["T", "R"])


def test_account_item_gaps_count_the_answers_of_e_and_of_p_apart():
    """Beside ``n`` (answered both), ``e.n`` and ``p.n`` count each facet's answers, by hand."""
    from pathlib import Path

    from analysis import load_instrument
    from analysis.pipeline.account_detail import account_item_gaps

    servqual = load_instrument(Path(__file__).resolve().parents[2] / "instruments"
                               / "servqual.toml")
    layout = ServqualLayout.of(servqual)
    columns = [c for d in layout.dimensions for c in layout.e_columns[d] + layout.p_columns[d]]
    frame = pd.DataFrame(np.nan, index=range(4), columns=columns)
    first_e, first_p = layout.e_columns["tangibles"][0], layout.p_columns["tangibles"][0]
    frame[first_e] = [7.0, 5.0, 6.0, np.nan]
    frame[first_p] = [5.0, np.nan, 6.0, 1.0]
    frame.insert(0, "account_id", pd.array(["A", "A", "B", "B"], dtype="string"))
    table = account_item_gaps(frame, layout).set_index(["account_id", "item"])
    item = first_e.rsplit(".", 1)[0]
    # A: E answered twice, P once, both once; B: E once, P twice, both once
    assert table.loc[("A", item), ["n", "e.n", "p.n"]].tolist() == [1, 2, 1]
    assert table.loc[("B", item), ["n", "e.n", "p.n"]].tolist() == [1, 1, 2]
    other = layout.e_columns["tangibles"][1].rsplit(".", 1)[0]  # never answered
    assert table.loc[("A", other), ["n", "e.n", "p.n"]].tolist() == [0, 0, 0]
    assert table["e.n"].dtype == np.int64 and table["p.n"].dtype == np.int64
