"""Stage thresholds file, stage placement with evidence, and the twenty-five grid."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from analysis.grid import account_grid, grid_cells
from analysis.stages import (
    StagesError,
    count_roles,
    latest_assessment,
    load_stage_model,
    loads_stage_model,
    place_accounts,
    stage_distribution,
    stage_indicators,
)
from tests.conftest import REPO

NAN = np.nan
STAGES = REPO / "instruments" / "stages.toml"


@pytest.fixture(scope="module")
def model():
    return load_stage_model(STAGES)


def test_default_thresholds_follow_the_deck(model):
    assert model.ladder == ("pre_kam", "early", "mid", "partnership", "synergistic")
    assert model.uncoupling is not None and model.uncoupling.match == "any"
    assert model.stage("mid").name == {"zh": "中级阶段", "en": "Mid KAM"}
    assert model.stage("uncoupling").name["zh"] == "中断阶段"
    share = {s.id: c.value for s in model.stages for c in s.criteria
             if c.indicator == "share_of_wallet"}
    # deck: 30–50 % (mid), 50–100 % (partnership), 100 % (strategic; 0.90 allows for the
    # wallet being an estimate)
    assert share == {"early": 0.0, "mid": 0.30, "partnership": 0.50, "synergistic": 0.90}
    for s in (*model.stages, model.uncoupling):
        for c in s.criteria:
            assert len(c.reason) > 20
    assert set(model.used_indicators) == {
        "share_of_wallet", "roles_covered", "loyalty_index", "trust", "joint_planning",
        "info_sharing", "exec_sponsor", "supplier_status", "revenue_trend"}


@pytest.fixture
def accounts() -> pd.DataFrame:
    # one account per situation; default thresholds (instruments/stages.toml):
    #   early: share > 0, roles ≥ 1
    #   mid: share ≥ .30, status ≥ 2, trust ≥ 3, roles ≥ 2
    #   partnership: share ≥ .50, info ≥ 4, planning ≥ 4, sponsor ≥ 1, trust ≥ 4, roles ≥ 4,
    #                loyalty ≥ 60
    #   synergistic: share ≥ .90, status ≥ 3, planning ≥ 5, info ≥ 5, trust ≥ 5, loyalty ≥ 75
    #   uncoupling (any): revenue trend ≤ −.50, trust ≤ 1
    rows = [
        # id    rev  wallet prev roles loy trust plan info spons status
        ("pre", 0, 1000, 0, 0, NAN, NAN, NAN, NAN, NAN, NAN),  # share 0 → not early
        ("ear", 100, 1000, 50, 1, 40, 2, 1, 1, 0, 1),  # share .1, status 1 → early
        ("mid", 400, 1000, 400, 2, 55, 3, 2, 2, 0, 2),  # share .4 → mid; loyalty 55 < 60
        ("par", 600, 1000, 500, 4, 65, 4, 4, 4, 1, 2),  # share .6 → partnership
        ("syn", 950, 1000, 900, 6, 80, 5, 5, 5, 1, 3),  # share .95 → synergistic
        ("unc", 100, 1000, 400, 3, 50, 3, 3, 3, 1, 2),  # 100/400 − 1 = −.75 → uncoupling
        ("now", 500, NAN, 500, 3, 60, 4, 4, 4, 1, 2),  # no wallet → share unknown → pre-KAM
        ("gap", 600, 1000, 600, 4, 65, 4, 4, 4, 1, 1),  # partnership-grade but status 1
    ]
    cols = ["account_id", "revenue", "wallet", "revenue_prev", "roles_covered",
            "loyalty_index", "trust", "joint_planning", "info_sharing", "exec_sponsor",
            "supplier_status"]
    return pd.DataFrame(rows, columns=cols)


def test_placement_of_crafted_accounts(model, accounts):
    result = place_accounts(stage_indicators(accounts, model), model)
    p = result.placement
    assert p["stage"].tolist() == ["pre_kam", "early", "mid", "partnership", "synergistic",
                                   "uncoupling", "pre_kam", "early"]
    assert p.loc["mid", "stage_zh"] == "中级阶段" and p.loc["syn", "stage_en"] == "Synergistic KAM"
    # uncoupling overrides the ladder, which alone would say early (share .1)
    assert bool(p.loc["unc", "uncoupled"]) and p.loc["unc", "ladder_stage"] == "early"
    assert p.loc["unc", "uncoupling_triggers"] == "revenue_trend <= -0.5 (-0.75)"
    # the top stage has no next stage
    assert pd.isna(p.loc["syn", "next_stage"]) and p.loc["syn", "next_unmet_n"] == 0
    # a stage is reached only if every stage below holds: "gap" meets partnership's own
    # criteria but not mid's supplier status
    assert p.loc["gap", "next_stage"] == "mid"
    assert p.loc["gap", "next_unmet"] == "supplier_status >= 2 (1)"
    # mid → partnership: loyalty 55 < 60 and six more (share .4, info 2, planning 2, sponsor 0,
    # trust 3, roles 2)
    assert p.loc["mid", "next_unmet_n"] == 7
    assert "loyalty_index >= 60 (55)" in p.loc["mid", "next_unmet"]


def test_missing_indicator_is_unknown_and_said_so(model, accounts):
    result = place_accounts(stage_indicators(accounts, model), model)
    p, ev = result.placement, result.evidence
    assert p.loc["now", "stage"] == "pre_kam"
    assert p.loc["now", "unknown"] == "share_of_wallet" and p.loc["now", "n_unknown"] == 1
    assert p.loc["now", "next_unmet"] == "share_of_wallet > 0 (unknown)"
    rows = ev[(ev["account_id"] == "now") & (ev["indicator"] == "share_of_wallet")]
    assert rows["status"].tolist() == ["unknown"] * 4
    assert not rows["met"].any()
    assert rows["next"].tolist() == [True, False, False, False]
    # "pre" has no answers to the manager's assessment: each criterion on them is unknown
    assert p.loc["pre", "n_unknown"] == 7


def test_evidence_lists_every_criterion(model, accounts):
    result = place_accounts(stage_indicators(accounts, model), model)
    ev = result.evidence
    k = sum(len(s.criteria) for s in model.stages) + len(model.uncoupling.criteria)
    assert len(ev) == len(accounts) * k
    par = ev[(ev["account_id"] == "par") & (ev["stage"] == "synergistic")]
    row = par[par["indicator"] == "supplier_status"].iloc[0]
    assert (row["op"], row["threshold"], row["value"], row["status"]) == (">=", 3.0, 2.0,
                                                                         "not met")
    assert bool(row["next"]) and "sole" in row["reason"]
    assert set(ev.columns) == {"account_id", "stage", "rank", "indicator", "op", "threshold",
                               "value", "status", "met", "next", "reason"}
    dist = stage_distribution(result)
    assert dist["n"].tolist() == [2, 2, 1, 1, 1, 1]
    assert dist["share"].sum() == pytest.approx(1.0)


def test_indicators_from_columns_and_derived(model):
    accounts = pd.DataFrame({
        "account_id": ["a", "b"], "revenue": [100.0, 300.0], "wallet": [400.0, 600.0],
        "share_of_wallet": [0.9, NAN], "revenue_prev": [200.0, NAN],
        "trust_score": ["4", ""],
    })
    ind = stage_indicators(accounts, model, columns={"trust": "trust_score"})
    # a: the given share (0.9) wins; b: blank → 300/600 = 0.5
    assert ind["share_of_wallet"].tolist() == [0.9, 0.5]
    # revenue trend 100/200 − 1 = −0.5; b has no previous revenue → unknown
    assert ind.loc["a", "revenue_trend"] == -0.5 and np.isnan(ind.loc["b", "revenue_trend"])
    assert ind.loc["a", "trust"] == 4.0 and np.isnan(ind.loc["b", "trust"])
    assert ind["exec_sponsor"].isna().all()


def test_indicator_errors_are_named(model):
    base = pd.DataFrame({"account_id": ["a", "b"], "trust": [3, 7]})
    with pytest.raises(ValueError, match="indicator 'trust' of account 'b' is 7.*1, 5"):
        stage_indicators(base, model)
    with pytest.raises(ValueError, match="'trust' of account 'a'.*not a number"):
        stage_indicators(pd.DataFrame({"account_id": ["a"], "trust": ["high"]}), model)
    with pytest.raises(ValueError, match="not an indicator"):
        stage_indicators(base, model, columns={"warmth": "trust"})
    with pytest.raises(ValueError, match="'a' appears more than once"):
        stage_indicators(pd.DataFrame({"account_id": ["a", "a"]}), model)
    with pytest.raises(ValueError, match="'account_id' is not in accounts"):
        stage_indicators(pd.DataFrame({"id": ["a"]}), model)
    with pytest.raises(ValueError, match="lack the columns.*trust"):
        place_accounts(pd.DataFrame({"share_of_wallet": [0.5]}), model)


MINI = """
version = 1
languages = ["en"]
title = { en = "Mini" }
[indicators.x]
name = { en = "X" }
min = 0
max = 10
[indicators.y]
name = { en = "Y" }
[[stages]]
id = "one"
name = { en = "One" }
[[stages]]
id = "two"
name = { en = "Two" }
[[stages.criteria]]
indicator = "x"
op = ">"
value = 5
reason = "more than half"
[uncoupling]
id = "gone"
name = { en = "Gone" }
match = "all"
[[uncoupling.criteria]]
indicator = "x"
op = "<"
value = 1
reason = "almost nothing"
[[uncoupling.criteria]]
indicator = "y"
op = "=="
value = 0
reason = "y is zero"
"""


def test_custom_model_with_all_match():
    m = loads_stage_model(MINI, "mini.toml")
    ind = pd.DataFrame({"x": [6, 0, 0, 5], "y": [0, 0, 1, NAN]}, index=list("abcd"))
    p = place_accounts(ind, m).placement
    # a: x 6 > 5 → two; b: x < 1 and y == 0 → gone; c: y ≠ 0 → one; d: 5 is not > 5 → one
    assert p["stage"].tolist() == ["two", "gone", "one", "one"]
    assert p.loc["b", "uncoupling_triggers"] == "x < 1 (0); y == 0 (0)"


@pytest.mark.parametrize(("old", "new", "message"), [
    ('title = { en = "Mini" }', 'title = { en = "Mini" }\ncolour = "red"',
     r"mini.toml: field 'colour': unknown key"),
    ('op = ">"', 'op = "=>"', r"mini.toml: stages\[1\] 'two': criteria\[0\]: field 'op'"),
    ('reason = "more than half"', 'reason = ""',
     r"stages\[1\] 'two': criteria\[0\]: field 'reason'"),
    ('reason = "more than half"', 'reason = "ok"\nweight = 2',
     r"criteria\[0\]: field 'weight': unknown key"),
    ('indicator = "x"\nop = ">"', 'indicator = "z"\nop = ">"', r"unknown indicator 'z'"),
    ("value = 5", "value = 50", r"field 'value': 50 is outside the range of indicator 'x'"),
    ("value = 5", 'value = "5"', r"field 'value': expected a number"),
    ('id = "two"', 'id = "one"', r"duplicate stage id 'one'"),
    ('match = "all"', 'match = "most"', r"uncoupling 'gone': field 'match'"),
    ('name = { en = "Two" }', 'name = { zh = "二" }', r"stages\[1\] 'two': field 'name'"),
    ("[[stages]]\nid = \"one\"\nname = { en = \"One\" }",
     "[[stages]]\nid = \"one\"\nname = { en = \"One\" }\n[[stages.criteria]]\nindicator = \"x\""
     "\nop = \">\"\nvalue = 0\nreason = \"r\"",
     r"stages\[0\] 'one': field 'criteria': the first stage"),
    ("max = 10", "max = 0", r"indicators.x: field 'max'"),
    ("version = 1", "version = 1\n[", r"mini.toml: not valid TOML"),
])
def test_file_errors_name_file_stage_and_field(old, new, message):
    assert old in MINI
    with pytest.raises(StagesError, match=message):
        loads_stage_model(MINI.replace(old, new, 1), "mini.toml")


def test_unreadable_file_is_named(tmp_path):
    with pytest.raises(StagesError, match="nothing.toml: cannot read"):
        load_stage_model(tmp_path / "nothing.toml")


def test_latest_assessment_keeps_the_newest_answer_per_column():
    responses = pd.DataFrame({
        "account_id": ["a", "a", "a", "b"],
        "submitted_at": ["2024-05-01T10:00:00", "2024-01-01", None, "2024-02-01"],
        "trust": [NAN, 3.0, 5.0, 2.0],
        "info_sharing": [4.0, 2.0, 1.0, 1.0],
    })
    latest = latest_assessment(responses)
    # a: rows by time: undated (oldest), January, May. trust: May blank → January's 3;
    # info_sharing: May's 4
    assert latest.loc["a", "trust"] == 3.0 and latest.loc["a", "info_sharing"] == 4.0
    assert latest.loc["b", "trust"] == 2.0


def test_count_roles():
    contacts = pd.DataFrame({"account_id": ["a", "a", "a", "b", "c"],
                             "role": ["Economic", "economic ", "user", None, "boss"]})
    # a: economic (twice) and user → 2; b blank → 0; c unknown role → 0
    assert count_roles(contacts).to_dict() == {"a": 2, "b": 0, "c": 0}


def test_count_roles_reads_role_names_as_the_roll_up_does():
    # the names normalize_roles accepts: "Economic Buyer", 经济买家, 技术, full-width letters
    contacts = pd.DataFrame({"account_id": ["a", "a", "a", "b", "b", "c"],
                             "role": ["Economic Buyer", "经济买家", "技术", "ｕｓｅｒ",
                                      "unknown", "coach"]})
    # a: economic (twice) and technical → 2; b: user → 1 (unknown does not count); c: 1
    assert count_roles(contacts).to_dict() == {"a": 2, "b": 1, "c": 1}
    # only the roles asked for count
    assert count_roles(contacts, roles=("coach",)).to_dict() == {"a": 0, "b": 0, "c": 1}
    with pytest.raises(ValueError, match="'unknown' is not a buying role.*argument roles"):
        count_roles(contacts, roles=("coach", "unknown"))
    with pytest.raises(TypeError, match="argument roles"):
        count_roles(contacts, roles="coach")
    with pytest.raises(ValueError, match="'role' is not in frame \\(argument role\\)"):
        count_roles(contacts.drop(columns="role"))


def test_twenty_five_grid():
    grid = pd.DataFrame({
        "account_id": ["a", "a", "a", "b", "b", "c"],
        "contact_id": ["1", "2", "3", "4", "5", "6"],
        "grid_step": [3, 3, 5, 1, 2, NAN],
        "grid_level": [3, 3, 2, 1, 1, 2],
    })
    cells = grid_cells(grid)
    # step then level letter, E = 1 … A = 5: (3, 3) → 3C, (5, 2) → 5D, (1, 1) → 1E
    assert cells.tolist()[:5] == ["3C", "3C", "5D", "1E", "2E"] and pd.isna(cells[5])
    acc = account_grid(grid)
    # a: 3C twice → modal 3C; most advanced: level first, so 3C (C) beats 5D (D)
    assert acc.loc["a", ["modal_cell", "modal_n", "top_cell", "contacts"]].tolist() == [
        "3C", 2, "3C", 3]
    # b: 1E and 2E once each → modal tie goes to the more advanced 2E
    assert acc.loc["b", "modal_cell"] == "2E" and acc.loc["b", "top_cell"] == "2E"
    assert acc.loc["b", "step_mean"] == 1.5 and acc.loc["b", "level_mean"] == 1.0
    # c: no complete answer
    assert acc.loc["c", "contacts"] == 0 and pd.isna(acc.loc["c", "modal_cell"])
    with pytest.raises(ValueError, match="'grid_step' holds 6"):
        grid_cells(grid.assign(grid_step=[6, 1, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match="'grid_level' holds 2.5"):
        account_grid(grid.assign(grid_level=[2.5, 1, 1, 1, 1, 1]))


def test_ten_thousand_accounts_place_fast(model):
    rng = np.random.default_rng(7)
    n = 10_000
    accounts = pd.DataFrame({
        "account_id": [f"acc{i:05d}" for i in range(n)],
        "revenue": rng.uniform(0, 1000, n), "wallet": rng.uniform(500, 2000, n),
        "revenue_prev": rng.uniform(100, 1000, n), "roles_covered": rng.integers(0, 7, n),
        "loyalty_index": rng.uniform(0, 100, n), "trust": rng.integers(1, 6, n),
        "joint_planning": rng.integers(1, 6, n), "info_sharing": rng.integers(1, 6, n),
        "exec_sponsor": rng.integers(0, 2, n), "supplier_status": rng.integers(1, 4, n),
    })
    accounts.loc[::5, "trust"] = NAN
    start = time.perf_counter()
    result = place_accounts(stage_indicators(accounts, model), model)
    elapsed = time.perf_counter() - start
    assert len(result.placement) == n
    assert elapsed < 1.0


def test_assessment_loyalty_and_roles_flow_into_indicators(model):
    from analysis.frames import validate_responses
    from analysis.instrument import Questionnaire, load_instrument

    relationship = load_instrument(REPO / "instruments" / "relationship.toml")
    raw = pd.DataFrame({
        "response_id": ["m1", "m2", "m3"], "account_id": ["a", "a", "b"],
        "submitted_at": ["2024-01-10", "2024-06-10", "2024-06-11"],
        "supplier_status": ["1", "2", "3"], "info_sharing": ["2", None, "5"],
        "joint_planning": ["2", "4", "5"], "exec_sponsor": ["0", "1", "1"],
        "trust": ["3", "4", "5"], "contact_levels": ["1", "2", "3"],
        "contact_functions": ["1", "3", "5"],
    }, dtype="string")
    answers = validate_responses(raw, Questionnaire((relationship,)))
    assessment = latest_assessment(answers)
    accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "revenue": [600, 950, 100],
                             "wallet": [1000, 1000, 1000], "revenue_prev": [500, 900, 100],
                             "trust": [NAN, NAN, 2]})
    loyalty = pd.DataFrame({"loyalty_index": [65.0, 80.0]}, index=["a", "b"])
    roles = pd.Series([4, 6], index=["a", "b"], name="roles_covered")
    ind = stage_indicators(accounts, model, extra=[assessment, loyalty, roles])
    # a: the June assessment (status 2, planning 4, sponsor 1, trust 4) with January's
    # info_sharing 2 (June left it blank); b from its one assessment; c from the accounts only
    assert ind.loc["a", ["supplier_status", "info_sharing", "joint_planning", "exec_sponsor",
                         "trust"]].tolist() == [2, 2, 4, 1, 4]
    assert ind.loc["c", "trust"] == 2 and np.isnan(ind.loc["c", "supplier_status"])
    assert ind["loyalty_index"].tolist()[:2] == [65.0, 80.0]
    assert np.isnan(ind.loc["c", "roles_covered"])
    p = place_accounts(ind, model).placement
    # a fails partnership on info_sharing 2 → mid; b meets everything → synergistic
    assert p["stage"].tolist() == ["mid", "synergistic", "pre_kam"]
    assert p.loc["a", "next_unmet"] == "info_sharing >= 4 (2)"
