"""The stage file's next steps and units: read, validated, and present in the shipped file."""

from __future__ import annotations

import pytest

from analysis import load_stage_model
from analysis.stages import StagesError, loads_stage_model

BASE = '''
version = 1
languages = ["zh", "en"]
title = { zh = "阶段", en = "Stages" }
[indicators.trust]
name = { zh = "信任", en = "Trust" }
min = 1.0
max = 5.0
%s
[[stages]]
id = "low"
name = { zh = "低", en = "Low" }
[[stages]]
id = "high"
name = { zh = "高", en = "High" }
[[stages.criteria]]
indicator = "trust"
op = ">="
value = 4.0
reason = "test"
%s
'''


def test_units_and_next_steps_are_read():
    model = loads_stage_model(BASE % (
        'unit = "rating"\nnext_step = { zh = "提高到 {value}", en = "Raise to {value}" }',
        'next_step = { zh = "请客户评审", en = "Ask for a review" }'))
    assert model.indicators["trust"].unit == "rating"
    assert model.indicators["trust"].next_step["en"] == "Raise to {value}"
    assert model.stage("high").criteria[0].next_step["zh"] == "请客户评审"


def test_without_them_the_defaults_hold():
    model = loads_stage_model(BASE % ("", ""))
    assert model.indicators["trust"].unit == "number"
    assert model.indicators["trust"].next_step is None
    assert model.stage("high").criteria[0].next_step is None


@pytest.mark.parametrize(("indicator", "criterion", "message"), [
    ('unit = "percent"', "", "'percent' is not one of"),
    ('next_step = { en = "x" }', "", "no text in language 'zh'"),
    ('next_step = { zh = "到 {level}", en = "to {value}" }', "", "may name only {value}"),
    ("", 'next_step = { zh = "x", en = "{0}" }', "may name only {value}"),
    ("", 'next_stepp = { zh = "x", en = "y" }', "next_stepp"),
])
def test_a_bad_unit_or_next_step_is_an_error_naming_the_field(indicator, criterion, message):
    with pytest.raises(StagesError, match=message):
        loads_stage_model(BASE % (indicator, criterion))


def test_the_shipped_file_says_a_next_step_for_every_criterion():
    model = load_stage_model("instruments/stages.toml")
    for stage in (*model.stages, model.uncoupling):
        for criterion in stage.criteria:
            step = criterion.next_step or model.indicators[criterion.indicator].next_step
            assert step and set(step) == {"zh", "en"}, (stage.id, criterion.indicator)
