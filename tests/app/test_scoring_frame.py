"""The stored answers reach the analysis as float32 (as they are stored: small integers,
exact in float32), and every figure is the one the same answers give in float64."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis import analyze
from surveyapp.services.campaigns import latest_campaign
from surveyapp.services.wave_inputs import ScoringSettings, load_inputs


def _same(a, b, path="summary"):
    """Nested summaries equal value for value (NaN equals NaN)."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{k}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture
def demo_inputs(app, runner, session):
    runner.invoke(args=["demo"])
    with app.app_context():
        campaign = latest_campaign(session)
        return load_inputs(session, campaign, ScoringSettings.from_config(app.config))


@pytest.mark.parametrize("options", [
    {},  # what a stored run uses
    # the file analysis' other choices read the same answers through other paths
    {"model_missing": "mean", "by": ("role",), "n_boot": 20, "missing": "pairwise"},
])
def test_float32_answers_give_the_float64_figures(demo_inputs, options):
    frame = demo_inputs.responses
    narrow = [c for c in frame.columns if frame[c].dtype == np.float32]
    assert len(narrow) > 50  # every answer column of the wave and the assessment
    frame = frame.copy()
    for k, column in enumerate(narrow):  # some unanswered items, as real waves have
        values = frame[column].to_numpy(copy=True)
        values[k % 11::11] = np.nan
        frame[column] = values
    wide = frame.astype({c: "float64" for c in narrow})
    chosen = replace(demo_inputs.options, **options)
    as_loaded = analyze(demo_inputs.questionnaire, frame, demo_inputs.accounts, chosen)
    in_float64 = analyze(demo_inputs.questionnaire, wide, demo_inputs.accounts, chosen)
    _same(as_loaded.summary, in_float64.summary)
    assert as_loaded.tables.keys() == in_float64.tables.keys()
    for name, table in as_loaded.tables.items():
        pd.testing.assert_frame_equal(table, in_float64.tables[name], check_exact=True,
                                      obj=name)


def test_nan_prefill_fills_every_band_before_the_reader_writes(monkeypatch):
    """The answer array's NaN is written in a thread, band by band; a reader that waits
    for its rows finds them filled, and the whole array is NaN once it waits for all."""
    import numpy as np

    from surveyapp.services import answer_store

    monkeypatch.setattr(answer_store._NaNPrefill, "BAND", 7)
    values = np.zeros((3, 50), dtype="float32")  # not NaN: every cell must be written
    prefill = answer_store._NaNPrefill(values)
    prefill.wait(20)
    assert np.isnan(values[:, :20]).all()
    values[:, 5:20] = 1.0  # the reader's own rows are never overwritten by the fill
    prefill.wait(50)
    assert not prefill.thread.is_alive()
    assert (values[:, 5:20] == 1.0).all()
    assert np.isnan(values[:, :5]).all() and np.isnan(values[:, 20:]).all()
    empty = answer_store._NaNPrefill(np.empty((3, 0), dtype="float32"))
    empty.wait(0)
    assert not empty.thread.is_alive()
