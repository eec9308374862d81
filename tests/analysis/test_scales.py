"""The 0–100 rescale, the block index and the ACSI weights against values worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import load_instrument
from analysis.scales import (
    acsi_weights,
    block_index,
    check_on_scale,
    instrument_bounds,
    instrument_ranges,
    rescale_0_100,
    scale_bounds,
)
from tests.conftest import REPO

NAN = np.nan


def test_rescale_by_hand():
    # 1–7: 1 → 0, 4 → 50, 7 → 100; 0–10: 7 → 70; reverse on 1–10: 1 → 100, 10 → 0, 4 → 66.67
    assert rescale_0_100([1, 4, 7], 1, 7).tolist() == [0.0, 50.0, 100.0]
    assert rescale_0_100(7, 0, 10) == pytest.approx(70.0)
    assert rescale_0_100([1, 10, 4], 1, 10, reverse=True) == pytest.approx(
        [100.0, 0.0, 600 / 9])
    # a blank stays blank, never 0
    assert np.isnan(rescale_0_100([NAN], 1, 7)).all()


def test_rescale_per_item_bounds_and_reverse_flags():
    x = np.array([[1.0, 0.0, 3.0], [7.0, 10.0, NAN]])
    out = rescale_0_100(x, [1, 0, 1], [7, 10, 5], reverse=[False, False, True])
    # item 3 on 1–5 reversed: 3 → 100·(5 − 3)/4 = 50
    expected = np.array([[0.0, 0.0, 50.0], [100.0, 100.0, NAN]])
    np.testing.assert_allclose(out, expected)


@pytest.mark.parametrize(("lo", "hi"), [(7, 1), (1, 1), (NAN, 7), (1, np.inf)])
def test_rescale_needs_a_real_scale(lo, hi):
    with pytest.raises(ValueError, match="lo < hi.*arguments lo, hi"):
        rescale_0_100([1.0], lo, hi)


def test_block_index_by_hand():
    rescaled = np.array([
        [80.0, 40.0, 20.0],   # all answered
        [80.0, NAN, 20.0],    # item 2 skipped
        [NAN, NAN, NAN],      # nothing answered
    ])
    # equal weights: the mean of the answered items
    assert block_index(rescaled)[:2].tolist() == [pytest.approx(140 / 3), 50.0]
    assert np.isnan(block_index(rescaled)[2])
    # weights 0.5, 0.3, 0.2: row 1 = 40 + 12 + 4 = 56; row 2 renormalised over items 1 and 3:
    # (0.5·80 + 0.2·20) / 0.7 = 44 / 0.7 = 62.857…
    w = [0.5, 0.3, 0.2]
    out = block_index(rescaled, w)
    assert out[0] == pytest.approx(56.0)
    assert out[1] == pytest.approx(44 / 0.7)
    assert np.isnan(out[2])


def test_block_index_without_positive_weight_is_missing():
    # the only item answered weighs 0: no index rather than a division by zero
    out = block_index(np.array([[NAN, 50.0]]), [1.0, 0.0])
    assert np.isnan(out[0])


def test_block_index_bad_input():
    with pytest.raises(ValueError, match="argument rescaled"):
        block_index(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="2 values for 3 items.*argument weights"):
        block_index(np.zeros((2, 3)), [1.0, 2.0])
    with pytest.raises(ValueError, match="finite.*argument weights"):
        block_index(np.zeros((2, 2)), [1.0, NAN])


def test_acsi_weights_by_hand():
    # block a: unstandardized weights 2 (on 1–7, span 6) and 1 (on 0–10, span 10):
    # per point 0.12 and 0.10 → 0.12/0.22 and 0.10/0.22; block b: one item → 1
    w = acsi_weights([2.0, 1.0, 5.0], [1, 0, 1], [7, 10, 5], ["a", "a", "b"])
    assert w == pytest.approx([12 / 22, 10 / 22, 1.0])
    # a block whose weights cancel out has no index weights
    assert np.isnan(acsi_weights([1.0, -1.0], [0, 0], [10, 10], [0, 0])).all()


def test_acsi_index_is_fornells_formula():
    # Fornell et al. (1996): index = 100·Σ u (x̄ − lo) / Σ u (hi − lo) for complete answers
    x = np.array([[3.0, 8.0], [5.0, 6.0], [7.0, 10.0]])
    u = np.array([0.4, 0.9])
    lo, hi = np.array([1.0, 1.0]), np.array([7.0, 10.0])
    w = acsi_weights(u, lo, hi, [0, 0])
    index = block_index(rescale_0_100(x, lo, hi), w).mean()
    expected = 100 * (u @ (x.mean(axis=0) - lo)) / (u @ (hi - lo))
    assert index == pytest.approx(expected)


def test_scale_bounds():
    lo, hi = scale_bounds({"a": (1, 7), "b": [0, 10]}, ["b", "a"])
    assert lo.tolist() == [0.0, 1.0] and hi.tolist() == [10.0, 7.0]
    with pytest.raises(ValueError, match="no \\(lo, hi\\) for column 'c'"):
        scale_bounds({"a": (1, 7)}, ["c"])
    with pytest.raises(ValueError, match="ranges\\['a'\\].*lo < hi"):
        scale_bounds({"a": (7, 1)}, ["a"])
    with pytest.raises(ValueError, match="pair"):
        scale_bounds({"a": (1, 4, 7)}, ["a"])
    with pytest.raises(ValueError, match="two numbers"):
        scale_bounds({"a": ("low", 7)}, ["a"])
    with pytest.raises(TypeError, match="ranges must be a mapping"):
        scale_bounds([(1, 7)], ["a"])  # type: ignore[arg-type]


def test_instrument_bounds():
    loyalty = load_instrument(REPO / "instruments" / "loyalty.toml")
    # loyalty.toml: rep1 on 1–10, dep1 (tenths) and nps on 0–10
    lo, hi = instrument_bounds(loyalty, ["rep1", "dep1", "nps"])
    assert lo.tolist() == [1.0, 0.0, 0.0] and hi.tolist() == [10.0, 10.0, 10.0]
    assert instrument_ranges(loyalty, ["rep1"]) == {"rep1": (1, 10)}
    with pytest.raises(ValueError, match="no answer column 'rep9'.*argument columns"):
        instrument_bounds(loyalty, ["rep1", "rep9"])


def test_check_on_scale_names_the_column_and_value():
    x = np.array([[1.0, 5.0], [NAN, 8.0]])
    check_on_scale(x, np.array([1.0, 1.0]), np.array([7.0, 10.0]), ["a", "b"], "responses")
    with pytest.raises(ValueError, match="column 'b' holds 8, outside the scale 1–7 "
                                         "\\(argument responses\\)"):
        check_on_scale(x, np.array([1.0, 1.0]), np.array([7.0, 7.0]), ["a", "b"], "responses")


def test_one_index_for_the_model_and_the_accounts():
    # the satisfaction model's index and a respondent's satisfaction index are one
    # definition: a respondent the listwise fit leaves out still gets an index over the
    # items answered, and the construct's index is the mean over everyone who has one
    from analysis.pls import pls_pm

    rng = np.random.default_rng(7)
    latent = rng.normal(size=60)
    frame = pd.DataFrame({
        f"q{i}": np.clip(np.round(5.5 + 2 * latent + rng.normal(size=60)), 1, 10)
        for i in (1, 2)
    } | {
        f"s{i}": np.clip(np.round(5 + 1.5 * latent + rng.normal(size=60)), 1, 10)
        for i in (1, 2, 3)
    })
    frame.loc[0, "s2"] = NAN  # answered s1 and s3 only
    blocks = {"QUAL": ["q1", "q2"], "SAT": ["s1", "s2", "s3"]}
    ranges = {c: (1, 10) for c in frame.columns}
    fit = pls_pm(frame, blocks, [("QUAL", "SAT")], ranges=ranges)
    assert fit.n == 59 and fit.index_scores is not None
    w = fit.outer.loc[["s1", "s2", "s3"], "index_weight"].to_numpy()
    x = 100 * (frame[["s1", "s2", "s3"]].to_numpy() - 1) / 9
    # row 0 by hand: weights renormalised over s1 and s3
    row0 = (w[0] * x[0, 0] + w[2] * x[0, 2]) / (w[0] + w[2])
    assert fit.index_scores.loc[0, "SAT"] == pytest.approx(row0)
    # the complete rows: Σ ŵ x' (the weights sum to 1)
    assert fit.index_scores.loc[1:, "SAT"].to_numpy() == pytest.approx(x[1:] @ w)
    assert fit.indices["SAT"] == pytest.approx(np.r_[row0, x[1:] @ w].mean())
    # its n is every respondent with an index, not the 59 rows of the fit
    assert fit.constructs.loc["SAT", "index_n"] == 60
    assert pls_pm(frame, blocks, [("QUAL", "SAT")]).constructs["index_n"].tolist() == [0, 0]
