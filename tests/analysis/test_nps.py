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
