"""The satisfaction, loyalty, relationship, grid, Gap 1 and stage files load and fit together."""

from __future__ import annotations

import pytest

from analysis.frames import empty_responses
from analysis.instrument import InstrumentError, Questionnaire, load_instrument
from analysis.stages import load_stage_model
from tests.conftest import REPO

INSTRUMENTS = REPO / "instruments"
QUESTIONNAIRES = ("servqual", "satisfaction", "loyalty", "relationship", "grid25",
                  "servqual_gap1")


@pytest.fixture(scope="module")
def inst():
    return {name: load_instrument(INSTRUMENTS / f"{name}.toml") for name in QUESTIONNAIRES}


@pytest.mark.parametrize("name", QUESTIONNAIRES)
def test_every_instrument_file_loads(name):
    instrument = load_instrument(INSTRUMENTS / f"{name}.toml")
    assert instrument.id == name
    assert instrument.languages == ("zh", "en")


def test_customer_questionnaire_has_unique_answer_ids(inst):
    q = Questionnaire((inst["servqual"], inst["satisfaction"], inst["loyalty"]))
    cols = q.numeric_columns
    assert len(cols) == len(set(cols)) == 44 + 5 + 27 + 10
    assert q.text_columns == ("comment", "loyalty_comment")
    frame = empty_responses(q)
    assert "nps" in frame.columns and "imag1" in frame.columns and "sq05.e" in frame.columns


def test_all_instruments_can_share_one_store(inst):
    # ids are unique across every instrument, not only within the customer questionnaire
    q = Questionnaire(tuple(inst[name] for name in QUESTIONNAIRES))
    assert len(q.numeric_columns) == len(set(q.numeric_columns))


def test_satisfaction_is_the_plspm_index_model(inst):
    sat = inst["satisfaction"]
    assert [c.id for c in sat.constructs] == ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]
    sizes = {c.id: len(sat.items_of(c.id)) for c in sat.constructs}
    # the block sizes of plspm's `satisfaction` data: 5, 5, 5, 4, 4, 4
    assert sizes == {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 4}
    for c in sat.constructs:
        assert [i.id for i in sat.items_of(c.id)] == [
            f"{c.id.lower()}{k}" for k in range(1, sizes[c.id] + 1)]
    assert all((sat.scales[i.scale].min, sat.scales[i.scale].max) == (1, 10) for i in sat.items)
    assert not any(i.reverse for i in sat.items)
    assert sat.model is not None
    assert set(sat.model.paths) == {
        ("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"), ("EXPE", "VAL"),
        ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY")}


def test_loyalty_has_four_degrees_and_the_recommend_question(inst):
    loy = inst["loyalty"]
    assert [c.id for c in loy.constructs] == [
        "repurchase", "dependence", "price_tolerance", "advocacy"]
    assert loy.numeric_columns == ("rep1", "rep2", "rep3", "dep1", "dep2", "tol1", "tol2",
                                   "tol3", "nps", "adv2")
    nps = next(i for i in loy.items if i.id == "nps")
    assert nps.construct == "advocacy"
    assert (loy.scales[nps.scale].min, loy.scales[nps.scale].max) == (0, 10)
    dep1 = next(i for i in loy.items if i.id == "dep1")
    share = loy.scales[dep1.scale]
    assert share.point_labels("en")[0] == "0%" and share.point_labels("en")[10] == "100%"
    assert {i.id for i in loy.items if i.reverse} == {"rep3", "tol3"}


def test_relationship_items_are_the_stage_indicators_with_a_label_on_every_point(inst):
    rel = inst["relationship"]
    assert rel.numeric_columns == ("supplier_status", "info_sharing", "joint_planning",
                                   "exec_sponsor", "trust", "contact_levels",
                                   "contact_functions")
    for item in rel.items:
        scale = rel.scales[item.scale]
        for lang in ("zh", "en"):
            assert len(scale.point_labels(lang)) == len(scale.points), item.id
    status = rel.scales[next(i.scale for i in rel.items if i.id == "supplier_status")]
    assert status.point_labels("en") == {1: "One of several suppliers", 2: "Preferred supplier",
                                         3: "Sole or strategic supplier"}
    sponsor = rel.scales[next(i.scale for i in rel.items if i.id == "exec_sponsor")]
    assert sponsor.point_labels("en") == {0: "No", 1: "Yes"}
    # every assessment item names an indicator that stages.toml defines
    model = load_stage_model(INSTRUMENTS / "stages.toml")
    assert set(rel.numeric_columns) <= set(model.indicators)


def test_grid25_labels_steps_and_levels(inst):
    grid = inst["grid25"]
    assert grid.numeric_columns == ("grid_step", "grid_level")
    level = grid.scales[next(i.scale for i in grid.items if i.id == "grid_level")]
    assert [label[0] for label in level.point_labels("en").values()] == list("EDCBA")
    assert level.point_labels("zh")[1] == "E 偏好" and level.point_labels("zh")[5] == "A 战略"
    step = grid.scales[next(i.scale for i in grid.items if i.id == "grid_step")]
    assert [step.point_labels("zh")[k][2:4] for k in (1, 2, 3, 4)] == [
        "寒暄", "事实", "观念", "行为"]
    assert step.point_labels("zh")[5].startswith("5 价值观")


def test_gap1_pairs_item_by_item_with_servqual(inst):
    sq, g1 = inst["servqual"], inst["servqual_gap1"]
    assert [c.id for c in g1.constructs] == [c.id for c in sq.constructs]
    assert g1.numeric_columns == tuple(f"g1_{k:02d}.e" for k in range(1, 23))
    for a, b in zip(sq.items, g1.items, strict=True):
        # g1_NN pairs with sqNN: same number, construct, scale range and text
        assert b.id == "g1_" + a.id[2:]
        assert b.construct == a.construct
        assert b.facets == ("e",)
        assert (g1.scales[b.scale].min, g1.scales[b.scale].max) == (1, 7)
        assert b.text.by_lang == a.text.by_lang
    for c in sq.constructs:
        assert len(g1.items_of(c.id)) == len(sq.items_of(c.id))


def test_stages_file_is_not_an_instrument():
    with pytest.raises(InstrumentError, match="stages.toml"):
        load_instrument(INSTRUMENTS / "stages.toml")
