"""analysis.pipeline.analyze: the JSON keys, the values, and which model runs when.

Values are checked on the hand-made set ``tests/data/analyze_small_*.csv`` (see
``tests/data/analyze_small.README.md``; the working is written beside each assertion) and,
for the path model, on the plspm ``satisfaction`` data against a direct call of
``analysis.pls.pls_pm`` and the published R plspm outer weights.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import (
    Questionnaire,
    load_instrument,
    loads_instrument,
    read_accounts,
    read_responses,
    validate_responses,
)
from analysis.pipeline import AnalysisOptions, analyze
from analysis.pls import pls_pm
from analysis.stages import load_stage_model
from analysis.synthetic import simulate_responses
from tests.conftest import DATA, REPO

from .plspm_reference import BLOCKS, PATHS, load_satisfaction

INSTRUMENTS = REPO / "instruments"
SMALL = ("servqual", "loyalty", "servqual_gap1", "relationship", "grid25")
DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
ROLE_W = {"economic": 0.30, "technical": 0.25, "user": 0.15, "financial": 0.10,
          "coach": 0.10, "influencer": 0.10}  # docs/METHODS.md section 6 defaults

# The items each dimension's answered columns belong to in the small set (servqual.toml).
SMALL_ITEMS = {"tangibles": ["sq01", "sq02", "sq03", "sq04"], "reliability": ["sq05", "sq06"],
               "responsiveness": ["sq10"], "assurance": ["sq14"], "empathy": ["sq18"]}


def _instrument(name: str):
    return load_instrument(INSTRUMENTS / f"{name}.toml")


@pytest.fixture(scope="module")
def small_q():
    return Questionnaire(tuple(_instrument(n) for n in SMALL))


@pytest.fixture(scope="module")
def stage_model():
    return load_stage_model(INSTRUMENTS / "stages.toml")


@pytest.fixture(scope="module")
def small_responses(small_q):
    return read_responses(DATA / "analyze_small_responses.csv", small_q)


@pytest.fixture(scope="module")
def small_accounts():
    return read_accounts(DATA / "analyze_small_accounts.csv")


@pytest.fixture(scope="module")
def small(small_q, small_responses, small_accounts, stage_model):
    return analyze(small_q, small_responses, small_accounts,
                   AnalysisOptions(stage_model=stage_model))


def _accounts_by_id(summary):
    return {a["account_id"]: a for a in summary["accounts"]}


def _customer_gaps(responses: pd.DataFrame) -> pd.DataFrame:
    """Independent per-respondent dimension gaps: pandas row means of P − E (NaN skipped),
    over the customers who answered any SERVQUAL item."""
    out = {}
    for dim, items in SMALL_ITEMS.items():
        q = pd.DataFrame({i: responses[f"{i}.p"] - responses[f"{i}.e"] for i in items})
        out[dim] = q.mean(axis=1)
    sq_cols = [f"{i}.{f}" for items in SMALL_ITEMS.values() for i in items for f in "ep"]
    answered = responses[sq_cols].notna().any(axis=1)
    frame = pd.DataFrame(out)[answered]
    frame.index = responses.loc[answered, "response_id"].to_numpy()
    return frame


# --------------------------------------------------------------------------- 1. keys


# README "surveyapp analyze": the keys the JSON output keeps stable
ACCOUNT_KEYS = {"account_id", "name", "customer_type", "stage", "next_stage", "next_unmet",
                "abc", "contribution", "share_of_wallet", "growth", "nps", "loyalty_index",
                "satisfaction", "quadrant", "servqual", "servqual_weighted", "grid_cell",
                "responses", "roles"}


def test_summary_keys_are_stable(small):
    s = small.summary
    assert s["n_responses"] == 13 and s["instruments"] == list(SMALL)
    for construct in ("tangibles", "repurchase"):
        assert {"alpha", "alpha_std", "ci", "n", "k"} <= set(s["reliability"][construct])
        assert len(s["reliability"][construct]["ci"]) == 2
    assert {"alpha", "alpha_std", "ci", "n", "k"} <= set(s["reliability"]["tangibles"]["gaps"])
    sq = s["servqual"]
    assert {"dimensions", "unweighted", "weighted", "servperf", "n", "n_scores",
            "importance", "gap1"} <= set(sq)
    assert tuple(sq["dimensions"]) == DIMENSIONS
    for d in DIMENSIONS:
        assert {"e", "p", "gap", "n", "p_wilcoxon", "p_holm", "t", "p_t",
                "p_t_holm"} <= set(sq["dimensions"][d])
        assert {"points", "n", "quadrant"} <= set(sq["importance"][d])
        assert {"customer_e", "manager_e", "gap1", "customer_n", "manager_n"} <= set(
            sq["gap1"][d])
    assert {"nps", "moe", "n", "promoters", "passives", "detractors"} <= set(s["nps"])
    assert {"n", "loyalty_index", "degrees"} <= set(s["loyalty"])
    assert set(s["stages"]) == {"pre_kam", "early", "mid", "partnership", "synergistic",
                                "uncoupling"}
    assert isinstance(s["accounts"], list) and len(s["accounts"]) == 4
    for entry in s["accounts"]:
        assert {"account_id", "stage", "abc", "contribution", "share_of_wallet", "nps",
                "roles"} <= set(entry)
        assert isinstance(entry["roles"], list)


def test_model_keys_are_stable():
    inst = _instrument("satisfaction")
    q = Questionnaire((inst,))
    respondents = pd.DataFrame({"response_id": [f"r{i}" for i in range(40)],
                                "account_id": [f"A{i % 4}" for i in range(40)],
                                "role": ["economic", "technical", "user", "coach"] * 10})
    sim = simulate_responses(q, respondents, {"A0": -1, "A1": 0, "A2": 0.5, "A3": 1}, seed=3)
    model = analyze(q, sim).summary["model"]
    assert {"n", "paths", "path_p", "r2", "outer_weights", "loadings", "index", "ave",
            "dg_rho", "gof", "drivers"} <= set(model)
    assert {"target", "r2", "n", "percent"} <= set(model["drivers"])
    # satisfaction.toml [model]: ten paths, keyed "A -> B"
    assert set(model["paths"]) == {
        "IMAG -> EXPE", "IMAG -> SAT", "IMAG -> LOY", "EXPE -> QUAL", "EXPE -> VAL",
        "EXPE -> SAT", "QUAL -> VAL", "QUAL -> SAT", "VAL -> SAT", "SAT -> LOY"}
    assert set(model["r2"]) == {"EXPE", "QUAL", "VAL", "SAT", "LOY"}  # endogenous only
    assert set(model["index"]) == {"IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"}
    assert len(model["outer_weights"]) == 27  # imag1–5, expe1–5, qual1–5, val1–4, sat1–4, loy1–4


# --------------------------------------------------------------------------- 2. values


# hand-computed (README table): E and P per respondent = mean of the items answered, then the
# mean over respondents; gap = mean over respondents of G.
#   tangibles E: r1 6.5, r2 17/3 (sq03.e blank), r3 5.5, r4 7, r5 5.5, r6 6.5 → 6.1111
#             P: 5, 4 (sq04.p blank), 5.5, 3, 5.75, 5.75 → 29/6
#             G: −1.5, −1.5, 0, −4, 0.25, −0.75 → −1.25 (n 6)
#   reliability E: 7, 6, 6, 7, –, 6.5 → 6.5; P 5.5, 5.5, 6, 2.5, –, 6.5 → 5.2;
#             G: −1.5, −1 (sq06 has no E), 0, −4.5, –, 0 → −1.4 (n 5: r5 skipped it)
#   responsiveness E: 6, 7, 5, 7, 6, 6 → 37/6; P: 6, 4, –, 1, 7, 5 → 4.6;
#             G: 0, −3, –, −6, 1, −1 → −1.8 (n 5: r3 gave no P)
#   assurance E 38/6, P 33/6, G −1, 0, −1, −4, 1, 0 → −5/6 (n 6)
#   empathy   E 38/6, P 28/6, G −1, −2, 0, −5, 0, −2 → −10/6 (n 6)
SQ_HAND = {
    "tangibles": (55 / 9, 29 / 6, -1.25, 6),
    "reliability": (6.5, 5.2, -1.4, 5),
    "responsiveness": (37 / 6, 4.6, -1.8, 5),
    "assurance": (38 / 6, 33 / 6, -5 / 6, 6),
    "empathy": (38 / 6, 28 / 6, -10 / 6, 6),
}


@pytest.mark.parametrize("dim", DIMENSIONS)
def test_servqual_dimension_hand_computed(small, dim):
    got = small.summary["servqual"]["dimensions"][dim]
    e, p, gap, n = SQ_HAND[dim]
    assert got["e"] == pytest.approx(e, abs=1e-12)
    assert got["p"] == pytest.approx(p, abs=1e-12)
    assert got["gap"] == pytest.approx(gap, abs=1e-12)
    assert got["n"] == n


def test_servqual_gap_is_respondent_first_and_missing_is_not_zero(small, small_responses):
    gaps = _customer_gaps(small_responses)
    for dim in DIMENSIONS:
        # pandas: row mean of P − E over the answered items, then the mean over respondents
        assert small.summary["servqual"]["dimensions"][dim]["gap"] == pytest.approx(
            gaps[dim].mean(), abs=1e-12)
        assert small.summary["servqual"]["dimensions"][dim]["n"] == gaps[dim].notna().sum()
    # hand-computed: pooling the 22 tangibles item gaps would give −27/22, not −1.25, and
    # blanks read as 0 would give P of r2 (4 + 5 + 3 + 0)/4 = 3, a group P of 4.6667
    assert small.summary["servqual"]["dimensions"]["tangibles"]["gap"] != pytest.approx(-27 / 22)
    assert small.summary["servqual"]["dimensions"]["tangibles"]["p"] != pytest.approx(28 / 6)
    # item table, hand-computed for sq03: E from r1, r3, r4, r5, r6 (7, 6, 7, 6, 6) = 6.4;
    # P from all six (6, 3, 6, 3, 6, 5) = 29/6; gap only where both: −1, 0, −4, 0, −1 → −1.2, n 5
    items = small.tables["servqual_items"].set_index("item")
    assert items.loc["sq03", "e"] == pytest.approx(6.4)
    assert items.loc["sq03", "p"] == pytest.approx(29 / 6)
    assert items.loc["sq03", "gap"] == pytest.approx(-1.2)
    assert items.loc["sq03", "n"] == 5


def test_servqual_overall_scores_hand_computed(small):
    sq = small.summary["servqual"]
    # hand-computed, README table: unweighted mean(−1, −1.5, −0.25, −4.7, 0.5625, −0.75)
    assert sq["unweighted"] == pytest.approx(-7.6375 / 6, abs=1e-12)
    # weighted only for r1, r4, r6 (importance adds to 100 and all five G present):
    # r1 .2·−1.5 + .3·−1.5 + .2·0 + .2·−1 + .1·−1 = −1.05; r4 .1·−4 + .4·−4.5 + .2·−6 +
    # .2·−4 + .1·−5 = −4.7; r6 .2·(−0.75 + 0 − 1 + 0 − 2) = −0.75 → mean −6.5/3
    assert sq["weighted"] == pytest.approx(-6.5 / 3, abs=1e-12)
    # SERVPERF: mean(5.5, 4.9, 5.625, 2.3, 6.1875, 5.65)
    assert sq["servperf"] == pytest.approx(30.1625 / 6, abs=1e-12)
    assert sq["n"] == 6
    assert sq["n_scores"] == {"unweighted": 6, "weighted": 3, "servperf": 6}


def test_gap_significance_against_scipy(small, small_responses):
    gaps = _customer_gaps(small_responses)
    p_values = {}
    for dim in DIMENSIONS:
        x = gaps[dim].dropna().to_numpy()
        got = small.summary["servqual"]["dimensions"][dim]
        # scipy.stats.wilcoxon (defaults) and ttest_1samp on the same per-respondent gaps
        assert got["p_wilcoxon"] == pytest.approx(stats.wilcoxon(x).pvalue, abs=1e-12)
        assert got["p_t"] == pytest.approx(stats.ttest_1samp(x, 0.0).pvalue, abs=1e-12)
        p_values[dim] = got["p_wilcoxon"]
    # Holm by hand: sort ascending, multiply the i-th smallest by (5 − i), running maximum
    ordered = sorted(p_values, key=p_values.get)
    running = 0.0
    for i, dim in enumerate(ordered):
        running = max(running, min(1.0, (len(ordered) - i) * p_values[dim]))
        assert small.summary["servqual"]["dimensions"][dim]["p_holm"] == pytest.approx(running)


def test_nps_and_margin_of_error(small):
    nps = small.summary["nps"]
    # hand-computed: answers 9, 6, 8, 3, 10, 10 (r1–r5, r7; r6 blank) → n 6, promoters 3,
    # detractors 2; p = 1/2, d = 1/3; NPS = 100·(1/6); METHODS 5.3: moe = 1.96·100·sqrt((p + d −
    # (p − d)²)/n)
    p, d, n = 0.5, 1 / 3, 6
    assert nps["n"] == n
    assert nps["nps"] == pytest.approx(100 * (p - d))
    assert nps["moe"] == pytest.approx(1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / n))
    assert (nps["promoters"], nps["passives"], nps["detractors"]) == (3, 1, 2)


def _alpha(x: np.ndarray) -> float:
    """Cronbach's alpha, docs/METHODS.md 3.1 formula, sample variances (numpy, ddof = 1)."""
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def _alpha_std(x: np.ndarray) -> float:
    k = x.shape[1]
    r = np.corrcoef(x, rowvar=False)
    rbar = r[~np.eye(k, dtype=bool)].mean()
    return k * rbar / (1 + (k - 1) * rbar)


def _feldt(alpha: float, n: int, k: int) -> tuple[float, float]:
    """Feldt (1965) 95 % interval from scipy.stats.f quantiles."""
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (1 - (1 - alpha) * stats.f.ppf(0.975, df1, df2),
            1 - (1 - alpha) * stats.f.ppf(0.025, df1, df2))


# Copied from the CSV: the rows complete on the construct's columns (listwise deletion).
TANGIBLES_P = np.array([[5, 5, 6, 4], [5, 6, 6, 5], [3, 4, 3, 2], [6, 5, 6, 6], [6, 6, 5, 6]],
                       dtype=float)  # r1, r3, r4, r5, r6 (r2 has no sq04.p)
TANGIBLES_E = np.array([[7, 6, 7, 6], [5, 5, 6, 6], [7, 7, 7, 7], [6, 5, 6, 5], [7, 6, 6, 7]],
                       dtype=float)  # the same rows (r2 has no sq03.e either)
REPURCHASE = np.array([[8, 7, 3], [5, 6, 6], [7, 7, 4], [2, 3, 9], [10, 9, 2], [9, 8, 3]],
                      dtype=float)  # r1–r5, r7; rep3 is reverse-worded on 1–10


@pytest.mark.parametrize(("construct", "key", "matrix"), [
    ("tangibles", None, TANGIBLES_P),
    ("tangibles", "gaps", TANGIBLES_P - TANGIBLES_E),
    ("repurchase", None, REPURCHASE * [1, 1, -1] + [0, 0, 11]),  # rep3 recoded 1 + 10 − x
])
def test_reliability_against_numpy(small, construct, key, matrix):
    entry = small.summary["reliability"][construct]
    if key is not None:
        entry = entry[key]
    n, k = matrix.shape
    assert entry["n"] == n
    assert entry["alpha"] == pytest.approx(_alpha(matrix), abs=1e-12)
    assert entry["alpha_std"] == pytest.approx(_alpha_std(matrix), abs=1e-12)
    lo, hi = _feldt(_alpha(matrix), n, k)
    assert entry["ci"] == pytest.approx([lo, hi], abs=1e-9)


def test_reliability_is_on_perception_for_servqual(small):
    # METHODS 3.2: constructs asked with E and P report alpha on the P answers and on the gaps
    assert small.summary["reliability"]["tangibles"]["on"] == "p"
    # reliability (sq05–sq09) has only sq05–sq06 answered: no complete row, so no alpha
    assert "reliability" not in small.summary["reliability"]


def test_contribution_abc_and_share_of_wallet(small):
    acc = _accounts_by_id(small.summary)
    # hand-computed: contribution = revenue·margin − cost_to_serve; share = revenue / wallet
    assert acc["A1"]["contribution"] == pytest.approx(1000 * 0.3 - 50)  # 250
    assert acc["A2"]["contribution"] == pytest.approx(400 * 0.25 - 40)  # 60
    assert acc["A3"]["contribution"] == pytest.approx(200 * 0.1 - 30)  # −10
    assert acc["A4"]["contribution"] == pytest.approx(300 * 0.2 - 20)  # 40
    assert acc["A1"]["share_of_wallet"] == pytest.approx(0.4)
    assert acc["A2"]["share_of_wallet"] == pytest.approx(0.8)
    assert acc["A3"]["share_of_wallet"] is None  # blank wallet: unknown, not 0
    assert acc["A4"]["share_of_wallet"] is None  # zero wallet: unknown
    assert acc["A1"]["growth"] == pytest.approx(1000 / 800 - 1)
    assert acc["A2"]["growth"] is None  # blank revenue_prev
    # ABC by hand: positive total 350; A1 (cumulative before it 0 %) A; A2 (before: 71.4 %,
    # it carries the share past 80 %) A; A4 (before: 88.6 %) B; A3 loses money: D
    assert {a: acc[a]["abc"] for a in acc} == {"A1": "A", "A2": "A", "A3": "D", "A4": "B"}


def test_account_nps_is_role_weighted_on_p_minus_d(small):
    acc = _accounts_by_id(small.summary)
    w = ROLE_W
    # hand-computed, A1: economic r1 (9 → +1) and r7 (10 → +1) mean +1; user r2 (6 → −1);
    # technical r3 (8 → 0). Σ w·mean / Σ w = (.30·1 + .15·−1 + .25·0)/.70 → NPS 21.43
    # (the unweighted mean of the four answers would give 25)
    a1 = (w["economic"] * 1 + w["user"] * -1 + w["technical"] * 0) / (
        w["economic"] + w["user"] + w["technical"])
    assert acc["A1"]["nps"] == pytest.approx(100 * a1)
    # A2: economic r4 (3 → −1), financial r5 (10 → +1): (−.30 + .10)/.40 → −50
    a2 = (w["economic"] * -1 + w["financial"] * 1) / (w["economic"] + w["financial"])
    assert acc["A2"]["nps"] == pytest.approx(100 * a2)
    assert acc["A3"]["nps"] is None  # r6 did not answer the recommend question
    assert acc["A4"]["nps"] is None


def test_account_servqual_is_role_weighted(small):
    acc = _accounts_by_id(small.summary)
    w = ROLE_W
    # hand-computed from the README table: A1 economic r1 −1.0, user r2 −1.5, technical
    # r3 −0.25; A2 economic r4 −4.7, financial r5 0.5625; A3 coach r6 −0.75
    a1 = (w["economic"] * -1.0 + w["user"] * -1.5 + w["technical"] * -0.25) / (
        w["economic"] + w["user"] + w["technical"])
    a2 = (w["economic"] * -4.7 + w["financial"] * 0.5625) / (w["economic"] + w["financial"])
    assert acc["A1"]["servqual"] == pytest.approx(a1)
    assert acc["A2"]["servqual"] == pytest.approx(a2)
    assert acc["A3"]["servqual"] == pytest.approx(-0.75)
    assert acc["A4"]["servqual"] is None
    # weighted SERVQUAL exists only for r1 (A1) and r4 (A2) and r6 (A3)
    assert acc["A1"]["servqual_weighted"] == pytest.approx(-1.05)
    assert acc["A2"]["servqual_weighted"] == pytest.approx(-4.7)
    assert acc["A1"]["roles"] == ["economic", "technical", "user"]  # canonical order
    assert acc["A2"]["roles"] == ["economic", "financial"]
    assert acc["A3"]["roles"] == ["coach"]
    assert acc["A4"]["roles"] == []


def test_importance_performance_on_the_servqual_scale(small):
    table = small.tables["servqual_importance"].set_index("dimension")
    for dim, (_e, p, _gap, _n) in SQ_HAND.items():
        # METHODS 1.5 "Index scores 0–100" on the 1–7 scale: 100·(P − 1)/6
        assert table.loc[dim, "performance"] == pytest.approx(100 * (p - 1) / 6)
    # hand-computed mean points over r1, r3, r4, r6: tangibles (20 + 10 + 10 + 20)/4 = 15
    assert small.summary["servqual"]["importance"]["tangibles"]["points"] == pytest.approx(15)
    assert small.summary["servqual"]["importance"]["tangibles"]["n"] == 4


FIVE_POINT = """
id = "sq5"
version = 1
languages = ["en"]
title = { en = "Five-point SERVQUAL" }
[scales.a5]
min = 1
max = 5
[facets.e]
label = { en = "E" }
[facets.p]
label = { en = "P" }
[[constructs]]
id = "x"
name = { en = "X" }
[[constructs]]
id = "y"
name = { en = "Y" }
[[items]]
id = "i1"
construct = "x"
scale = "a5"
facets = ["e", "p"]
text = { en = "i1" }
[[items]]
id = "i2"
construct = "y"
scale = "a5"
facets = ["e", "p"]
text = { en = "i2" }
[[allocations]]
id = "imp"
total = 100
text = { en = "points" }
"""


def test_importance_performance_uses_the_instruments_scale():
    q = Questionnaire((loads_instrument(FIVE_POINT),))
    raw = pd.DataFrame({"response_id": ["1", "2"], "i1.e": ["5", "5"], "i1.p": ["5", "3"],
                        "i2.e": ["4", "4"], "i2.p": ["1", "2"], "imp.x": ["60", "40"],
                        "imp.y": ["40", "60"]}, dtype="string")
    table = analyze(q, validate_responses(raw, q)).tables["servqual_importance"]
    perf = table.set_index("dimension")["performance"]
    # METHODS 1.5 "Index scores 0–100" on 1–5: x P = (5 + 3)/2 = 4 → 75; y P = 1.5 → 12.5
    assert perf["x"] == pytest.approx(75.0)
    assert perf["y"] == pytest.approx(12.5)


# --------------------------------------------------------------------------- 3. path model



# R plspm outer weights, plspm(satisfaction, sat_path, blocks, modes = rep("A", 6),
# scaled = FALSE, scheme = "path"): satisfaction.outer-model-path.csv of the plspm Python
# port's test data (tests/data/plspm_satisfaction.README.md)
PLSPM_PATH_WEIGHTS = {
    "imag1": 0.0982374837495072, "imag5": 0.183702432801162, "expe2": 0.140673451958955,
    "expe4": 0.0985110999361921, "qual1": 0.106688211231029, "qual4": 0.0951526521301759,
    "val1": 0.172177324810643, "val4": 0.165654571843956, "sat1": 0.168756177314286,
    "sat3": 0.120047692026398, "loy1": 0.159856955694287, "loy4": 0.0786269581935837,
}


@pytest.fixture(scope="module")
def plspm_data():
    frame = load_satisfaction().drop(columns="gender")
    frame = frame.astype("float64")
    frame.insert(0, "response_id", [f"s{i}" for i in frame.index])
    return frame.reset_index(drop=True)


def _ranges(lo: int, hi: int) -> dict[str, tuple[int, int]]:
    return {c: (lo, hi) for cols in BLOCKS.values() for c in cols}


def _compare_model(model: dict, direct) -> None:
    assert model["n"] == direct.n
    assert set(model["paths"]) == {f"{s} -> {t}" for s, t in PATHS}
    for key, series in (("paths", direct.path_coefficients), ("r2", direct.r2),
                        ("outer_weights", direct.outer_weights), ("index", direct.indices),
                        ("loadings", direct.loadings)):
        assert set(model[key]) == set(series.index), key
        for name, value in series.items():
            assert model[key][name] == pytest.approx(value, abs=1e-10), (key, name)


def test_model_matches_pls_pm_on_the_reference_rows_valid_on_1_10(plspm_data):
    # satisfaction.toml's scale is 1–10 and the plspm data hold zeros: keep the rows with
    # no 0, which the instrument accepts, and compare with pls_pm on the very same rows
    indicators = [c for cols in BLOCKS.values() for c in cols]
    rows = plspm_data[(plspm_data[indicators] > 0).all(axis=1)].reset_index(drop=True)
    assert 200 < len(rows) < 250
    inst = _instrument("satisfaction")
    model = analyze(Questionnaire((inst,)), rows).summary["model"]
    direct = pls_pm(rows, BLOCKS, PATHS, scaled=True, ranges=_ranges(1, 10))
    assert model["scaled"] is True
    _compare_model(model, direct)


def test_model_unscaled_on_all_reference_rows_matches_r_plspm(plspm_data):
    # the same instrument on the 0–10 scale the data really use (only the scale changed)
    text = (INSTRUMENTS / "satisfaction.toml").read_text(encoding="utf-8")
    assert "[scales.rate10]\nmin = 1\n" in text
    inst = loads_instrument(text.replace("[scales.rate10]\nmin = 1\n",
                                         "[scales.rate10]\nmin = 0\n"))
    result = analyze(Questionnaire((inst,)), plspm_data, options=AnalysisOptions(scaled=False))
    model = result.summary["model"]
    assert model["n"] == 250 and model["scaled"] is False
    direct = pls_pm(plspm_data, BLOCKS, PATHS, scaled=False,
                    ranges=_ranges(0, 10))
    _compare_model(model, direct)
    for indicator, weight in PLSPM_PATH_WEIGHTS.items():
        assert model["outer_weights"][indicator] == pytest.approx(weight, abs=1e-6)


# --------------------------------------------------------------------------- 4. which models


def test_only_servqual_gives_no_model_and_no_nps(small_responses):
    q = Questionnaire((_instrument("servqual"),))
    keep = [c for c in small_responses.columns
            if c in ("response_id", "account_id", "contact_id", "role")
            or c in q.numeric_columns]
    customers = small_responses[small_responses["response_id"].str.startswith("r")][keep]
    s = analyze(q, customers).summary
    assert "servqual" in s
    for key in ("model", "nps", "loyalty", "stages"):
        assert key not in s
    assert "gap1" not in s["servqual"]


def test_servqual_satisfaction_and_loyalty_all_run():
    q = Questionnaire(tuple(_instrument(n) for n in ("servqual", "satisfaction", "loyalty")))
    roles = ["economic", "technical", "user", "financial", "coach", "influencer"]
    respondents = pd.DataFrame({"response_id": [f"r{i}" for i in range(48)],
                                "account_id": [f"A{i // 12}" for i in range(48)],
                                "role": [roles[i % 6] for i in range(48)]})
    sim = simulate_responses(q, respondents, {"A0": -1, "A1": 0, "A2": 0.5, "A3": 1.2}, seed=11)
    s = analyze(q, sim).summary
    assert {"servqual", "model", "nps", "loyalty", "accounts"} <= set(s)
    assert s["servqual"]["n"] == 48 and s["model"]["n"] == 48
    # numpy on the same column: 100·(share 9–10 − share 0–6)
    x = sim["nps"].to_numpy()
    assert s["nps"]["nps"] == pytest.approx(100 * ((x >= 9).mean() - (x <= 6).mean()))
    assert s["nps"]["n"] == 48
    acc = _accounts_by_id(s)
    assert set(acc) == {"A0", "A1", "A2", "A3"}
    for entry in acc.values():
        assert entry["satisfaction"] is not None and entry["loyalty_index"] is not None
        assert entry["nps"] is not None and entry["servqual"] is not None
        assert entry["roles"] == roles  # twelve respondents, every role twice
        assert entry["quadrant"] in ("loyalist", "mercenary", "hostage", "defector")


def test_manager_rows_give_gap1_and_leave_customer_servqual_alone(small_q, small_responses,
                                                                  small):
    gap1 = small.summary["servqual"]["gap1"]
    # hand-computed: managers' tangibles E m1 (5 + 5 + 5 + 6)/4 = 5.25, m2 (6 + 6 + 6)/3 = 6
    # (g1_03.e blank) → 5.625; customers' E 55/9 (above) → Gap 1 = 55/9 − 5.625
    assert gap1["tangibles"]["manager_e"] == pytest.approx(5.625)
    assert gap1["tangibles"]["manager_n"] == 2
    assert gap1["tangibles"]["customer_e"] == pytest.approx(55 / 9)
    assert gap1["tangibles"]["gap1"] == pytest.approx(55 / 9 - 5.625)
    assert gap1["reliability"]["manager_n"] == 0 and gap1["reliability"]["gap1"] is None
    # the same analysis without the managers' rows: identical customer SERVQUAL
    customers = small_responses[~small_responses["response_id"].isin(["m1", "m2"])]
    without = analyze(small_q, customers.reset_index(drop=True)).summary["servqual"]
    assert "gap1" in without  # the instrument is present, the managers are not
    assert without["gap1"]["tangibles"]["manager_n"] == 0
    with_managers = {k: v for k, v in small.summary["servqual"].items() if k != "gap1"}
    assert with_managers == {k: v for k, v in without.items() if k != "gap1"}


def test_relationship_assessment_places_account_at_mid(small):
    # instruments/stages.toml: mid needs share_of_wallet ≥ 0.30, supplier_status ≥ 2,
    # trust ≥ 3, roles_covered ≥ 2 (and early's share > 0, roles ≥ 1)
    stages = tomllib.loads((INSTRUMENTS / "stages.toml").read_text(encoding="utf-8"))
    mid = next(s for s in stages["stages"] if s["id"] == "mid")
    assert {(c["indicator"], c["op"], c["value"]) for c in mid["criteria"]} == {
        ("share_of_wallet", ">=", 0.30), ("supplier_status", ">=", 2.0),
        ("trust", ">=", 3.0), ("roles_covered", ">=", 2.0)}
    acc = _accounts_by_id(small.summary)
    # A2: share 400/500 = 0.8, assessment (row a2) status 2 and trust 3, roles answered
    # economic + financial = 2; partnership needs info_sharing ≥ 4 (A2: 2)
    assert acc["A2"]["stage"] == "mid"
    assert acc["A2"]["next_stage"] == "partnership"
    assert "info_sharing >= 4 (2)" in acc["A2"]["next_unmet"]
    # A1: share 0.4, three roles, but no assessment → supplier status and trust unknown
    assert acc["A1"]["stage"] == "early"
    assert "supplier_status >= 2 (unknown)" in acc["A1"]["next_unmet"]
    assert acc["A3"]["stage"] == "pre_kam"  # blank wallet: share of wallet unknown
    assert acc["A4"]["stage"] == "pre_kam"  # no responses, zero wallet
    assert small.summary["stages"] == {"pre_kam": 2, "early": 1, "mid": 1, "partnership": 0,
                                       "synergistic": 0, "uncoupling": 0}


def test_assessment_just_below_the_mid_threshold_stays_early(small_q, small_responses,
                                                            small_accounts, stage_model):
    lowered = small_responses.copy()
    lowered.loc[lowered["response_id"] == "a2", "trust"] = 2.0  # mid needs trust ≥ 3
    acc = _accounts_by_id(analyze(small_q, lowered, small_accounts,
                                  AnalysisOptions(stage_model=stage_model)).summary)
    assert acc["A2"]["stage"] == "early"
    assert "trust >= 3 (2)" in acc["A2"]["next_unmet"]


def test_grid25_answers_give_grid_cell(small):
    acc = _accounts_by_id(small.summary)
    # hand: A1's contacts c1 3/3 → "3C", c2 2/2 → "2D", c3 3/3 → "3C": modal cell 3C
    assert acc["A1"]["grid_cell"] == "3C"
    assert acc["A2"]["grid_cell"] is None


def test_grouping_by_role_matches_pandas(small_q, small_responses):
    s = analyze(small_q, small_responses, options=AnalysisOptions(by=("role",))).summary
    rows = {r["role"]: r for r in s["servqual"]["by"]["role"]}
    gaps = _customer_gaps(small_responses)
    roles = small_responses.set_index("response_id").loc[gaps.index, "role"]
    expected = gaps.groupby(roles.to_numpy()).mean()  # pandas groupby mean of the same G
    counts = gaps.groupby(roles.to_numpy()).count()
    assert set(rows) == set(expected.index)
    for role, row in rows.items():
        for dim in DIMENSIONS:
            want = expected.loc[role, dim]
            if np.isnan(want):
                assert row[f"{dim}.gap"] is None
            else:
                assert row[f"{dim}.gap"] == pytest.approx(want)
            assert row[f"{dim}.gap.n"] == counts.loc[role, dim]
    # hand: economic r1 and r4, tangibles (−1.5 − 4)/2
    assert rows["economic"]["tangibles.gap"] == pytest.approx(-2.75)


def test_grouping_by_a_response_column_such_as_lang(small_q, small_responses):
    s = analyze(small_q, small_responses, options=AnalysisOptions(by=("lang",))).summary
    rows = {r["lang"]: r for r in s["servqual"]["by"]["lang"]}
    # hand: zh = r1, r2, r4 → tangibles (−1.5 − 1.5 − 4)/3; en = r3, r5, r6 → (0 + .25 − .75)/3
    assert rows["zh"]["tangibles.gap"] == pytest.approx(-7 / 3)
    assert rows["en"]["tangibles.gap"] == pytest.approx(-0.5 / 3)


def test_accounts_without_a_role_column(small_q, small_responses):
    s = analyze(small_q, small_responses.drop(columns="role")).summary
    acc = _accounts_by_id(s)
    # every respondent has the unknown role: the account score is the plain mean
    # hand: A1 r1 −1.0, r2 −1.5, r3 −0.25 → −2.75/3; NPS r1, r2, r3, r7: (1 − 1 + 0 + 1)/4
    assert acc["A1"]["servqual"] == pytest.approx(-2.75 / 3)
    assert acc["A1"]["nps"] == pytest.approx(25.0)


@pytest.mark.parametrize("with_accounts", [True, False])
def test_every_account_key_of_the_readme_is_present(small_q, small_responses, small_accounts,
                                                    stage_model, with_accounts):
    s = analyze(small_q, small_responses, small_accounts if with_accounts else None,
                AnalysisOptions(stage_model=stage_model)).summary
    for entry in s["accounts"]:
        assert ACCOUNT_KEYS <= set(entry)  # README: missing values are null
        assert entry["quadrant"] is None  # no satisfaction answers in this set


def _raw_alpha(x: np.ndarray) -> float:
    """Cronbach (1951) on complete rows: k/(k−1)·(1 − Σ var_i / var_total), ddof = 1."""
    x = x[np.isfinite(x).all(axis=1)]
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_reliability_reports_item_statistics(small_q, small_responses):
    result = analyze(small_q, small_responses)
    items = result.summary["reliability"]["tangibles"]["items"]
    cols = ["sq01.p", "sq02.p", "sq03.p", "sq04.p"]
    assert list(items) == cols
    x = small_responses[cols].to_numpy(dtype="float64")
    complete = x[np.isfinite(x).all(axis=1)]
    for j, col in enumerate(cols):
        rest = np.delete(complete, j, axis=1)
        # alpha if deleted: the formula on the other items of the same complete rows
        assert items[col]["alpha_if_deleted"] == pytest.approx(_raw_alpha(rest))
        # corrected item-total r: Pearson r of the item with the sum of the others
        r = np.corrcoef(complete[:, j], rest.sum(axis=1))[0, 1]
        assert items[col]["item_total_r"] == pytest.approx(r)
    table = result.tables["reliability_items"]
    assert {"instrument", "construct", "on", "item", "item_total_r",
            "alpha_if_deleted"} <= set(table.columns)


def test_accounts_missing_from_the_accounts_file_are_reported(small_q, small_responses,
                                                             small_accounts):
    fewer = small_accounts[small_accounts["account_id"] != "A1"]
    result = analyze(small_q, small_responses, fewer)
    assert any("not in the accounts file" in w and "A1" in w
               for w in result.summary["warnings"])
    assert "A1" not in {a["account_id"] for a in result.summary["accounts"]}


def test_derived_importance_of_the_dimensions():
    # relative weights of the respondent dimension perceptions in their satisfaction index,
    # checked against a direct relative_weights call on the frame built independently here
    from analysis import relative_weights
    from analysis.servqual import ServqualLayout, respondent_scores

    q = Questionnaire(tuple(_instrument(n) for n in ("servqual", "satisfaction", "loyalty")))
    respondents = pd.DataFrame({"response_id": [f"r{i}" for i in range(120)],
                                "account_id": [f"A{i % 6}" for i in range(120)],
                                "role": ["user"] * 120})
    levels = {f"A{k}": (k - 2.5) / 2 for k in range(6)}
    sim = simulate_responses(q, respondents, levels, seed=5)
    result = analyze(q, sim)
    derived = result.summary["servqual"]["derived_importance"]
    layout = ServqualLayout.of(q.instruments[0])
    scores = respondent_scores(sim, layout)
    sat_cols = q.instruments[1].single_columns("SAT")
    weights = result.tables["model_outer"].set_index("indicator")["index_weight"]
    # the satisfaction index: ACSI weights on 0–100 item indices (1–10 scale)
    x = 100 * (sim[sat_cols] - 1) / 9
    frame = scores[[f"{d}.p" for d in layout.dimensions]].assign(
        satisfaction=(x * weights[sat_cols]).sum(axis=1) / weights[sat_cols].sum())
    direct = relative_weights(frame, "satisfaction", [f"{d}.p" for d in layout.dimensions])
    assert derived["n"] == direct.n == 120
    assert derived["r2"] == pytest.approx(direct.r2)
    for d in layout.dimensions:
        assert derived["dimensions"][d]["percent"] == pytest.approx(direct.percent[f"{d}.p"])
    assert sum(v["percent"] for v in derived["dimensions"].values()) == pytest.approx(100)


def test_role_names_in_chinese_count_as_their_role_and_strange_ones_are_reported(
        small_q, small_responses):
    chinese = {"economic": "经济买家", "technical": "Technical Buyer", "user": "使用买家"}
    renamed = small_responses.assign(role=small_responses["role"].replace(chinese))
    plain = analyze(small_q, small_responses).summary
    same = analyze(small_q, renamed).summary
    # the same buying roles under other names: identical role-weighted account figures
    for a, b in zip(plain["accounts"], same["accounts"], strict=True):
        assert a["servqual"] == pytest.approx(b["servqual"], nan_ok=True)
        assert a["roles"] == b["roles"]
    assert "warnings" not in same or not any("role name" in w for w in same["warnings"])
    odd = small_responses.assign(role=small_responses["role"].replace({"economic": "boss"}))
    warnings = analyze(small_q, odd).summary["warnings"]
    assert any("boss" in w and "unknown role" in w for w in warnings)


def test_roles_covered_counts_only_roles_that_answered(small_q, small_responses,
                                                      small_accounts):
    # two rows for A9 with roles but no answer at all: A9 covers no buying role
    blank = pd.DataFrame({"response_id": ["x1", "x2"], "account_id": ["A9", "A9"],
                          "role": ["economic", "technical"]})
    responses = pd.concat([small_responses, blank], ignore_index=True)
    accounts = pd.concat([small_accounts, pd.DataFrame({"account_id": ["A9"]})],
                         ignore_index=True)
    model = load_stage_model(REPO / "instruments" / "stages.toml")
    result = analyze(small_q, responses, accounts, AnalysisOptions(stage_model=model))
    table = result.tables["accounts"].set_index("account_id")
    assert table.loc["A9", "indicator.roles_covered"] == 0
    assert _accounts_by_id(result.summary)["A9"]["responses"] == 0


def test_warnings_for_a_partial_allocation_and_revenue_above_wallet(small_q, small_responses,
                                                                    small_accounts):
    text = (REPO / "instruments" / "servqual.toml").read_text(encoding="utf-8")
    partial = text.replace('id = "imp"\ntotal = 100\n',
                           'id = "imp"\ntotal = 100\nconstructs = ["tangibles", '
                           '"reliability"]\n')
    assert partial != text
    from analysis import loads_instrument

    q = Questionnaire((loads_instrument(partial, "partial.toml"),))
    answers = small_responses[["response_id", "account_id", "role", *[
        c for c in q.numeric_columns if c in small_responses.columns]]]
    answers = answers.drop(columns=[c for c in answers.columns if c.startswith("imp.")])
    summary = analyze(q, answers).summary
    assert summary["servqual"]["weighted"] is None
    assert any("does not cover exactly" in w for w in summary["warnings"])
    rich = small_accounts.assign(wallet=small_accounts["revenue"] / 2)
    warnings = analyze(small_q, small_responses, rich).summary["warnings"]
    assert any("revenue above their wallet" in w for w in warnings)


def test_account_item_gaps_and_roles_by_hand():
    """Per-account item gaps (unweighted means over respondents with both E and P) and
    customers per role, against values worked by hand; small roles merge when asked."""
    from analysis import ServqualLayout
    from analysis.pipeline.account_detail import MERGED_ROLE, account_item_gaps
    from analysis.pipeline.grouping import GroupSums
    from analysis.pipeline.respondents import RespondentFigures
    from analysis.pipeline.roles import BuyingGroups, account_role_table

    def account_roles(frame: pd.DataFrame, min_answers: int = 0) -> pd.DataFrame:
        groups = BuyingGroups.of(frame[["account_id", "role"]], frame.index, min_answers)
        sums = GroupSums.of(RespondentFigures(), frame.index, groups.codes, groups.size)
        return account_role_table(groups, sums, min_answers)

    layout = ServqualLayout.of(load_instrument(INSTRUMENTS / "servqual.toml"))
    columns = [c for d in layout.dimensions for c in layout.e_columns[d] + layout.p_columns[d]]
    frame = pd.DataFrame(np.nan, index=range(4), columns=columns)
    first_e, first_p = layout.e_columns["tangibles"][0], layout.p_columns["tangibles"][0]
    item = first_e.rsplit(".", 1)[0]
    frame[first_e] = [7.0, 5.0, 6.0, 4.0]
    frame[first_p] = [5.0, np.nan, 6.0, 1.0]
    frame.insert(0, "account_id", pd.array(["A", "A", "B", "B"], dtype="string"))
    frame.insert(1, "role", pd.array(["economic", "user", "user", "user"], dtype="string"))
    table = account_item_gaps(frame, layout).set_index(["account_id", "item"])
    # A: E mean (7 + 5)/2 = 6, P only from row 0 = 5, gap over rows with both: 5 − 7 = −2
    assert table.loc[("A", item), "e"] == 6.0 and table.loc[("A", item), "p"] == 5.0
    assert table.loc[("A", item), "gap"] == -2.0 and table.loc[("A", item), "n"] == 1
    # B: gaps 6 − 6 = 0 and 1 − 4 = −3, mean −1.5, n 2
    assert table.loc[("B", item), "gap"] == -1.5 and table.loc[("B", item), "n"] == 2
    assert len(table) == 2 * sum(len(layout.e_columns[d]) for d in layout.dimensions)
    roles = account_roles(frame)
    assert roles.values.tolist() == [["A", "economic", 1], ["A", "user", 1], ["B", "user", 2]]
    merged = account_roles(frame, min_answers=2)
    assert merged.values.tolist() == [["A", MERGED_ROLE, 2], ["B", "user", 2]]


def test_account_item_gaps_match_groupby_on_random_groups():
    """The grouped sums against pandas groupby means of the same columns, on a categorical
    account column whose categories are not in text order, with rows left out and blanks."""
    from analysis import ServqualLayout
    from analysis.pipeline.account_detail import account_item_gaps

    layout = ServqualLayout.of(load_instrument(INSTRUMENTS / "servqual.toml"))
    e_cols = [c for d in layout.dimensions for c in layout.e_columns[d]]
    p_cols = [c for d in layout.dimensions for c in layout.p_columns[d]]
    rng = np.random.default_rng(11)
    n = 2000
    answers = rng.integers(1, 8, (n, 2 * len(e_cols))).astype(float)
    answers[rng.random(answers.shape) < 0.15] = np.nan
    frame = pd.DataFrame(answers, columns=[*e_cols, *p_cols])
    labels = pd.Index(["Z9", "B2", "M5", "A1", "Q7"], dtype="string")  # not in text order
    frame.insert(0, "account_id", pd.Categorical.from_codes(rng.integers(-1, 5, n), labels))
    rows = frame.index[rng.random(n) < 0.7]
    table = account_item_gaps(frame, layout, rows=rows)
    used = frame.loc[rows]
    used = used[used["account_id"].notna()]
    key = used["account_id"].astype(str)
    for e_col, p_col in zip(e_cols[:5], p_cols[:5], strict=True):
        item = e_col.rsplit(".", 1)[0]
        got = table[table["item"] == item].set_index("account_id")
        assert list(got.index) == sorted(key.unique())
        q = used[p_col] - used[e_col]
        np.testing.assert_allclose(got["e"], used[e_col].groupby(key).mean(), rtol=1e-15)
        np.testing.assert_allclose(got["p"], used[p_col].groupby(key).mean(), rtol=1e-15)
        np.testing.assert_allclose(got["gap"], q.groupby(key).mean(), rtol=1e-15)
        assert got["n"].tolist() == q.groupby(key).count().tolist()


def test_shared_moments_read_each_block_once(monkeypatch):
    """Inside shared_moments() alpha and the item statistics of a block reuse one set of
    moments; the figures are those computed without it."""
    from analysis import reliability

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.integers(1, 6, (200, 4)).astype(float), columns=list("abcd"))
    alone = (reliability.cronbach_alpha(frame), reliability.item_statistics(frame))
    calls = []
    compute = reliability._compute_moments
    monkeypatch.setattr(reliability, "_compute_moments",
                        lambda *a: calls.append(a[1]) or compute(*a))
    with reliability.shared_moments():
        shared = (reliability.cronbach_alpha(frame), reliability.item_statistics(frame))
    assert len(calls) == 1
    assert shared[0] == alone[0]
    pd.testing.assert_frame_equal(shared[1], alone[1])
    reliability.cronbach_alpha(frame)  # outside: computed afresh
    assert len(calls) == 2


def test_reverse_keyed_copies_only_the_recoded_columns():
    """The reverse-worded loyalty items are recoded lo + hi − x in the copy; the input is
    unchanged and the other columns are shared, not copied."""
    from analysis.frames import reverse_keyed

    loyalty = load_instrument(INSTRUMENTS / "loyalty.toml")
    columns = list(loyalty.numeric_columns)
    frame = pd.DataFrame(np.full((5, len(columns)), 4.0), columns=columns)
    out = reverse_keyed(frame, Questionnaire((loyalty,)))
    reverse = {c for i in loyalty.items if i.reverse for c in i.columns}
    scale = loyalty.scales[next(i for i in loyalty.items if i.reverse).scale]
    for column in columns:
        if column in reverse:
            assert (out[column] == scale.min + scale.max - 4.0).all()
        else:
            assert np.shares_memory(out[column].to_numpy(), frame[column].to_numpy())
    assert (frame.to_numpy() == 4.0).all()


@pytest.mark.parametrize("missing", ["listwise", "mean"])
def test_model_rows_that_answered_nothing_change_nothing(missing):
    """Rows that answered none of the model's indicators (a managers' wave stacked under
    the customers') leave the model, its n and n_answering as they are without them."""
    inst = _instrument("satisfaction")
    q = Questionnaire((inst,))
    respondents = pd.DataFrame({"response_id": [f"r{i}" for i in range(60)],
                                "account_id": [f"A{i % 4}" for i in range(60)],
                                "role": ["economic", "technical", "user", "coach"] * 15})
    sim = simulate_responses(q, respondents, {"A0": -1, "A1": 0, "A2": 0.5, "A3": 1},
                             seed=5, missing_share=0.05)
    blank = sim.iloc[:7].copy()
    blank[list(inst.numeric_columns)] = np.nan
    blank["response_id"] = [f"m{i}" for i in range(7)]
    stacked = pd.concat([blank, sim], ignore_index=True)
    options = AnalysisOptions(model_missing=missing)
    alone = analyze(q, sim, options=options).summary["model"]
    both = analyze(q, stacked, options=options).summary["model"]
    assert both["n_answering"] == alone["n_answering"] == len(sim)
    assert both["n"] == alone["n"] and both["paths"] == pytest.approx(alone["paths"])
    assert both["index"] == pytest.approx(alone["index"])
