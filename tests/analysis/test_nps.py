"""NPS in its own module: the same functions under the old and the new import paths, and a
grouped table checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis
import analysis.loyalty
from analysis.nps import (
    DETRACTOR_MAX,
    NPS_CONTRIBUTION,
    PROMOTER_MIN,
    NpsResult,
    nps,
    nps_contribution,
    nps_table,
)

NPS_NAMES = {"NpsResult": NpsResult, "nps": nps, "nps_contribution": nps_contribution,
             "nps_table": nps_table, "NPS_CONTRIBUTION": NPS_CONTRIBUTION,
             "PROMOTER_MIN": PROMOTER_MIN, "DETRACTOR_MAX": DETRACTOR_MAX}


def test_nps_is_found_by_name_and_the_old_paths_still_work():
    # analysis.nps (module) holds them; analysis.loyalty and analysis re-export them
    for name, value in NPS_NAMES.items():
        assert getattr(analysis.loyalty, name) is value, name
    for name in ("NpsResult", "nps", "nps_contribution", "nps_table"):
        assert getattr(analysis, name) is NPS_NAMES[name], name


def test_nps_table_by_group_by_hand():
    frame = pd.DataFrame({"g": ["a", "a", "a", "a", "b", "b"],
                          "nps": [10, 9, 6, np.nan, 7, 8]})
    table = nps_table(frame, by="g")
    # a: 3 answers, 2 promoters, 1 detractor → 100·(2 − 1)/3 = 33.33;
    # variance p + d − (p − d)² = 1 − 1/9 = 8/9 → MoE = 196·sqrt(8/27)
    assert table.loc["a", "nps"] == pytest.approx(100 / 3)
    assert table.loc["a", "moe"] == pytest.approx(196 * np.sqrt(8 / 27))
    assert table.loc["a", ["n", "promoters", "passives", "detractors"]].tolist() == [3, 2, 0, 1]
    # b: two passives → NPS 0 with no spread
    assert table.loc["b", "nps"] == 0.0 and table.loc["b", "moe"] == 0.0
    # text answers are read as numbers, blanks as missing
    assert nps(pd.Series(["10", " 9", "", "3"])).nps == pytest.approx(100 / 3)


def test_nps_bad_input():
    with pytest.raises(ValueError, match="column 'score' is not in frame \\(argument column\\)"):
        nps_table(pd.DataFrame({"nps": [9]}), column="score")
    with pytest.raises(ValueError, match="argument by"):
        nps_table(pd.DataFrame({"nps": [9]}), by="wave")
    with pytest.raises(TypeError, match="frame must be a pandas DataFrame"):
        nps_table([9, 10])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="infinite"):
        nps([9, np.inf])
    with pytest.raises(ValueError, match="holds -1; recommend answers are whole numbers 0–10"):
        nps_contribution([-1, 5])
    with pytest.raises(TypeError, match="numeric"):
        nps(pd.Series([True, False]))


def test_nps_of_counts_is_the_formula_nps_and_nps_table_use():
    from analysis.nps import nps_of_counts

    # 6 promoters, 2 passives, 2 detractors: p = 0.6, d = 0.2, NPS = 40,
    # MoE = 1.96·100·sqrt((0.6 + 0.2 − 0.4²)/10) = 196·sqrt(0.064) (worked by hand)
    score, moe, n = nps_of_counts(6, 2, 2)
    assert float(score) == pytest.approx(40.0) and int(n) == 10
    assert float(moe) == pytest.approx(196 * 0.064 ** 0.5)
    answers = [10, 9, 9, 10, 9, 10, 7, 8, 3, 6]
    single = nps(answers)
    assert (single.nps, single.moe) == (float(score), float(moe))  # the same code path
    # per group, with an empty group: NaN, never 0
    scores, moes, ns = nps_of_counts(np.array([6, 0, 3]), np.array([2, 0, 0]),
                                     np.array([2, 0, 1]))
    assert ns.tolist() == [10, 0, 4] and np.isnan(scores[1]) and np.isnan(moes[1])
    assert scores[2] == pytest.approx(50.0)  # (3 − 1)/4
    frame = pd.DataFrame({"nps": answers + [10, 10, 10, 0],
                          "group": ["a"] * 10 + ["b"] * 4})
    table = nps_table(frame, by="group")
    assert table["nps"].tolist() == [scores[0], scores[2]]
    assert table["moe"].tolist() == [moes[0], moes[2]]
