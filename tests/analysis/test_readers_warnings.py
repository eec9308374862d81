"""What the run says when a model is skipped or weakened — and that it says nothing on clean
data: declared roles, NPS off 0–10, listwise deletion, negative alpha or item-total, wallet 0.

Data are drawn here with a fixed seed; each expected figure is computed beside the test by
the module the run must agree with (which has its own published reference values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import Questionnaire, loads_instrument
from analysis.pipeline import AnalysisOptions, analyze
from analysis.pls import pls_pm
from analysis.reliability import cronbach_alpha
from tests.analysis.test_readers_exports import MINI


def _mini(text: str = MINI) -> Questionnaire:
    return Questionnaire((loads_instrument(text, "mini.toml"),))


def _answers(n: int = 40, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=n)
    sat = 0.7 * quality + 0.5 * rng.normal(size=n)

    def item(latent):
        return np.clip(np.round(3 + latent + 0.6 * rng.normal(size=n)), 1, 5)

    return pd.DataFrame({"response_id": [f"r{i}" for i in range(n)],
                         "q1": item(quality), "q2": item(quality), "s1": item(sat),
                         "s2": item(sat),
                         "rec": np.clip(np.round(7 + 2 * sat), 0, 10),
                         "comment": pd.Series([pd.NA] * n, dtype="string")})


def test_clean_data_gives_an_empty_warnings_list():
    summary = analyze(_mini(), _answers()).summary
    assert summary["warnings"] == []
    # the declared target (not called SAT) is the model's satisfaction construct
    assert summary["model"]["n"] == 40 and "drivers" not in summary["model"]  # one driver
    assert summary["nps"]["n"] == 40  # role = "nps" on an item called 'rec'


def test_declared_target_names_the_satisfaction_construct_for_the_drivers():
    text = MINI.replace('[[items]]\nid = "s1"', '[[constructs]]\nid = "PRICE"\n'
                        'name = { zh = "价格", en = "Price" }\n\n[[items]]\nid = "p1"\n'
                        'construct = "PRICE"\nscale = "agree"\ntext = { zh = "价格", en = '
                        '"Price" }\n\n[[items]]\nid = "s1"').replace(
        'paths = ["QUAL -> CUSA"]', 'paths = ["QUAL -> CUSA", "PRICE -> CUSA"]')
    data = _answers()
    data["p1"] = np.clip(np.round(3 + np.random.default_rng(1).normal(size=40)), 1, 5)
    summary = analyze(_mini(text), data).summary
    assert summary["model"]["drivers"]["target"] == "CUSA"
    assert summary["warnings"] == []


def test_a_model_without_a_satisfaction_construct_is_warned_of():
    text = MINI.replace('target = "CUSA"\n', "")
    warnings = analyze(_mini(text), _answers()).summary["warnings"]
    assert warnings == ["instrument 'mini' declares no satisfaction construct: no satisfaction "
                        "index, key drivers or derived importance; add target = \"<construct "
                        "id>\" to its [model]"]


@pytest.mark.parametrize("lo, hi", [(1, 10), (0, 5)])
def test_an_nps_item_off_0_to_10_is_refused_with_a_warning(lo, hi):
    text = MINI.replace("[scales.nps]\nmin = 0\nmax = 10", f"[scales.nps]\nmin = {lo}\nmax = {hi}")
    data = _answers()
    data["rec"] = data["rec"].clip(lo, hi)
    summary = analyze(_mini(text), data).summary
    assert "nps" not in summary
    assert summary["warnings"] == [f"no NPS: item 'rec' of 'mini' is on {lo}–{hi}, but NPS is "
                                   f"defined on 0–10 (promoters 9–10, detractors 0–6); ask it on "
                                   f"a 0–10 scale"]


def test_listwise_deletion_over_ten_percent_is_warned_of_with_the_alternatives():
    data = _answers()
    data.loc[:7, "q1"] = np.nan  # 8 of 40 = 20 %
    summary = analyze(_mini(), data).summary
    assert summary["warnings"] == [
        "alpha of 'QUAL' uses 32 of 40 respondents: listwise deletion left out 8 (20 %) with a "
        "missing answer; --missing pairwise uses every answer (as R psych does)",
        "the satisfaction model uses 32 of 40 respondents: listwise deletion left out 8 (20 %) "
        "with a missing answer; --model-missing mean replaces a missing answer by the item's "
        "mean"]
    options = AnalysisOptions(missing="pairwise", model_missing="mean")
    other = analyze(_mini(), data, options=options).summary
    assert other["warnings"] == []
    expected = cronbach_alpha(data, ["q1", "q2"], missing="pairwise")
    assert other["reliability"]["QUAL"]["alpha"] == pytest.approx(expected.alpha, abs=1e-12)
    assert other["model"]["n"] == 40
    # mean replacement: the item mean over the rows answering the model fills the gaps
    filled = data.assign(q1=data["q1"].fillna(data["q1"].mean()))
    direct = pls_pm(filled, {"QUAL": ["q1", "q2"], "CUSA": ["s1", "s2", "rec"]},
                    [("QUAL", "CUSA")])
    assert other["model"]["paths"]["QUAL -> CUSA"] == pytest.approx(
        direct.path_coefficients["QUAL -> CUSA"], abs=1e-10)


def test_one_row_in_ten_dropped_is_not_warned_of():
    data = _answers()
    data.loc[:3, "q1"] = np.nan  # 4 of 40 = 10 %: not more than 10 %
    assert analyze(_mini(), data).summary["warnings"] == []


def test_a_reverse_worded_item_without_reverse_gives_negative_item_total_and_alpha():
    data = _answers()
    data["s2"] = 6 - data["s1"]
    warnings = analyze(_mini(), data).summary["warnings"]
    alpha = cronbach_alpha(data, ["s1", "s2", "rec"]).alpha
    negative = [w for w in warnings if "negative" in w or "negatively" in w]
    assert any(w.startswith("'CUSA': ") and "correlate negatively" in w and "s2" in w
               for w in negative)
    assert (alpha < 0) == any(w.startswith("alpha of 'CUSA' is negative") for w in negative)


def test_the_centroid_scheme_matches_pls_pm():
    data = _answers()
    summary = analyze(_mini(), data, options=AnalysisOptions(scheme="centroid")).summary
    direct = pls_pm(data, {"QUAL": ["q1", "q2"], "CUSA": ["s1", "s2", "rec"]},
                    [("QUAL", "CUSA")], scheme="centroid")
    assert summary["model"]["scheme"] == "centroid"
    for key, value in direct.outer_weights.items():
        assert summary["model"]["outer_weights"][key] == pytest.approx(value, abs=1e-10)


def _accounts(wallets):
    return pd.DataFrame({"account_id": ["A1", "A2", "A3"], "revenue": [100.0, 300.0, 50.0],
                         "wallet": wallets})


def test_wallet_zero_is_unknown_not_revenue_above_wallet():
    q = _mini()
    data = _answers().assign(account_id=["A1", "A2", "A3", "A1"] * 10)
    warnings = analyze(q, data, _accounts([0.0, 200.0, np.nan])).summary["warnings"]
    assert warnings == ["1 account(s) have revenue above their wallet (share of wallet over "
                        "100 %): A2",
                        "1 account(s) have a wallet of 0, read as unknown (no share of wallet): "
                        "A1"]
    assert analyze(q, data, _accounts([500.0, 400.0, 60.0])).summary["warnings"] == []


RATED = """
id = "ipa"
version = 1
languages = ["en"]
title = { en = "IPA" }

[scales.five]
min = 1
max = 5

[facets.p]
label = { en = "How well we do" }

[facets.imp]
label = { en = "How important" }
role = "importance"

[[constructs]]
id = "delivery"
name = { en = "Delivery" }

[[constructs]]
id = "price"
name = { en = "Price" }

[[items]]
id = "d1"
construct = "delivery"
scale = "five"
facets = ["p", "imp"]
text = { en = "On time" }

[[items]]
id = "d2"
construct = "delivery"
scale = "five"
facets = ["p", "imp"]
text = { en = "Complete" }

[[items]]
id = "pr"
construct = "price"
scale = "five"
facets = ["p"]
text = { en = "Fair price" }

[[items]]
id = "pr_imp"
construct = "price"
scale = "five"
facets = ["imp"]
text = { en = "How important is price?" }
"""


def test_rated_importance_per_item_and_per_construct_gives_quadrants():
    q = Questionnaire((loads_instrument(RATED, "ipa.toml"),))
    data = pd.DataFrame({"response_id": ["a", "b"],
                         "d1.p": [5.0, 4.0], "d1.imp": [5.0, 5.0],
                         "d2.p": [3.0, np.nan], "d2.imp": [3.0, np.nan],
                         "pr.p": [2.0, 2.0], "pr_imp.imp": [2.0, 3.0]})
    summary = analyze(q, data).summary["rated_importance"]["ipa"]["constructs"]
    # by hand, 1–5 → 0–100 is 25·(x − 1): delivery importance a: (100 + 50)/2 = 75, b: 100
    # → 87.5; performance a: (100 + 50)/2 = 75, b: 75 → 75. Price importance (25 + 50)/2 =
    # 37.5, performance 25. Splits at the means 62.5 and 50: delivery high/high, price low/low
    assert summary["delivery"]["importance"] == pytest.approx(87.5)
    assert summary["delivery"]["performance"] == pytest.approx(75.0)
    assert summary["price"]["importance"] == pytest.approx(37.5)
    assert summary["price"]["performance"] == pytest.approx(25.0)
    assert summary["delivery"]["quadrant"] == "keep up the good work"
    assert summary["price"]["quadrant"] == "low priority"
    assert summary["delivery"]["n"] == 2


def test_free_text_nps_and_loyalty_tables_for_the_workbook():
    data = _answers()
    data.loc[[2, 5], "comment"] = ["slow", "fine"]
    result = analyze(_mini(), data, options=AnalysisOptions(free_text=True))
    assert result.tables["free_text"]["comment"].tolist() == ["slow", "fine"]
    assert result.tables["free_text"]["response_id"].tolist() == ["r2", "r5"]
    assert result.tables["nps"].loc[0, "nps"] == result.summary["nps"]["nps"]
    assert "free_text" not in analyze(_mini(), data).tables  # stored runs keep none
