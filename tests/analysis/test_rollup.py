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
