"""Instrument files: the shipped ones load, and every kind of mistake is named precisely."""

import re

import pytest

from analysis import InstrumentError, Questionnaire, load_instrument, loads_instrument
from tests.conftest import REPO

from .test_servqual import MINI


def test_servqual_has_the_standard_structure(servqual):
    assert servqual.id == "servqual" and servqual.languages == ("zh", "en")
    assert len(servqual.items) == 22
    counts = {c.id: len(servqual.items_of(c.id)) for c in servqual.constructs}
    assert counts == {"tangibles": 4, "reliability": 5, "responsiveness": 4, "assurance": 4,
                      "empathy": 5}
    assert all(i.facets == ("e", "p") and i.scale == "agree7" for i in servqual.items)
    assert servqual.scales["agree7"].points == range(1, 8)
    assert servqual.allocations[0].columns == tuple(
        f"imp.{c}" for c in counts)
    assert len(servqual.numeric_columns) == 22 * 2 + 5
    assert servqual.column_range("sq05.e") == (1, 7)
    assert servqual.column_range("imp.empathy") == (0, 100)
    for item in servqual.items:
        assert item.text.get("zh") and item.text.get("en")


@pytest.mark.parametrize("change, message", [
    (("[[items]]\nid = \"t1\"", "[[items]]\nid = \"t1\"\ncolour = \"red\""),
     "<mini>: items[0] 't1': field 'colour': unknown key"),
    (("scale = \"s7\"\nfacets = [\"e\", \"p\"]\ntext = { en = \"t2\" }",
      "scale = \"s9\"\nfacets = [\"e\", \"p\"]\ntext = { en = \"t2\" }"),
     "items[1] 't2': field 'scale': unknown scale 's9'"),
    (("languages = [\"en\"]", "languages = [\"en\", \"zh\"]"),
     "field 'title': no text in language 'zh'"),
    (("id = \"r2\"", "id = \"r1\""), "duplicate answer id 'r1'"),
    (("id = \"mini\"", "id = \"9mini\""), "'9mini' is not an id"),
    (("min = 1\nmax = 7", "min = 7\nmax = 1"), "scales.s7: field 'max'"),
    (("facets = [\"e\", \"p\"]\ntext = { en = \"t1\" }",
      "facets = [\"e\", \"q\"]\ntext = { en = \"t1\" }"), "unknown facet 'q'"),
])
def test_errors_name_file_entry_and_field(change, message):
    old, new = change
    assert old in MINI
    with pytest.raises(InstrumentError) as err:
        loads_instrument(MINI.replace(old, new, 1), "<mini>")
    assert message in str(err.value)


def test_model_paths_are_checked():
    with pytest.raises(InstrumentError, match="unknown construct 'X'"):
        loads_instrument(MINI + '[model]\npaths = ["T -> X"]\n')
    with pytest.raises(InstrumentError, match="cycle"):
        loads_instrument(MINI + '[model]\npaths = ["T -> R", "R -> T"]\n')
    with pytest.raises(InstrumentError, match="not of the form"):
        loads_instrument(MINI + '[model]\npaths = ["T R"]\n')
    model = loads_instrument(MINI + '[model]\npaths = ["T -> R"]\n').model
    assert model is not None and model.paths == (("T", "R"),)


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(InstrumentError, match="not valid TOML"):
        loads_instrument("id = ", "broken.toml")
    with pytest.raises(InstrumentError, match="cannot read"):
        load_instrument(tmp_path / "nope.toml")


def test_questionnaire_needs_unique_answer_ids(servqual):
    with pytest.raises(InstrumentError, match="answer id 'sq01' is also used"):
        Questionnaire((servqual, load_instrument(REPO / "instruments" / "servqual.toml")))


def test_answer_ids_cannot_take_metadata_names_or_trailing_newlines():
    with pytest.raises(InstrumentError, match="answer id 'role' is reserved"):
        loads_instrument(MINI.replace('id = "t1"', 'id = "role"', 1))
    with pytest.raises(InstrumentError, match="is not an id"):
        loads_instrument(MINI.replace('id = "t1"', 'id = "t1\\n"', 1))


def test_not_applicable_is_offered_by_scale_or_item():
    # the scale offers it to every item on it; an item may opt out (or in on its own)
    text = MINI.replace("min = 1\nmax = 7", "min = 1\nmax = 7\nnot_applicable = true", 1)
    text = text.replace('id = "t2"', 'id = "t2"\nnot_applicable = false', 1)
    instrument = loads_instrument(text)
    allowed = {item.id: item.not_applicable for item in instrument.items}
    assert allowed == {"t1": True, "t2": False, "r1": True, "r2": True}
    assert Questionnaire((instrument,)).not_applicable_columns == (
        "t1.e", "t1.p", "r1.e", "r1.p", "r2.e", "r2.p")
    plain = loads_instrument(MINI.replace('id = "r1"', 'id = "r1"\nnot_applicable = true', 1))
    assert [i.id for i in plain.items if i.not_applicable] == ["r1"]


@pytest.mark.parametrize("old, new, message", [
    ("min = 1\nmax = 7", "min = 1\nmax = 7\nnot_applicable = \"yes\"",
     "scales.s7: field 'not_applicable': expected true or false, got 'yes'"),
    ('id = "t1"', 'id = "t1"\nnot_applicable = 1',
     "items[0] 't1': field 'not_applicable': expected true or false, got 1"),
])
def test_not_applicable_must_be_true_or_false(old, new, message):
    with pytest.raises(InstrumentError) as err:
        loads_instrument(MINI.replace(old, new, 1), "<mini>")
    assert message in str(err.value)


# --------------------------------------------------------------------------- declared roles

MODEL = """
id = "csi"
version = 1
languages = ["en"]
title = { en = "CSI" }

[scales.ten]
min = 0
max = 10

[facets.imp]
label = { en = "Importance" }
role = "importance"

[[constructs]]
id = "QUAL"
name = { en = "Quality" }

[[constructs]]
id = "CUSA"
name = { en = "Satisfaction" }

[[items]]
id = "q1"
construct = "QUAL"
scale = "ten"
text = { en = "q1" }

[[items]]
id = "c1"
construct = "CUSA"
scale = "ten"
text = { en = "c1" }

[[items]]
id = "rec"
construct = "CUSA"
scale = "ten"
role = "nps"
text = { en = "Recommend?" }

[model]
paths = ["QUAL -> CUSA"]
target = "CUSA"
"""


def test_declared_target_nps_item_and_importance_facet():
    inst = loads_instrument(MODEL, "<csi>")
    assert inst.model.target == "CUSA" and inst.satisfaction_construct == "CUSA"
    assert [i.id for _, i in Questionnaire((inst,)).items_with_role("nps")] == ["rec"]
    assert inst.importance_facet == "imp"


def test_old_conventions_hold_where_nothing_is_declared():
    inst = load_instrument(REPO / "instruments" / "satisfaction.toml")
    assert inst.satisfaction_construct == "SAT"
    undeclared = loads_instrument(MODEL.replace('target = "CUSA"\n', "").replace(
        "CUSA", "SATISFACTION"), "<csi>")
    assert undeclared.model.target is None and undeclared.satisfaction_construct == \
        "SATISFACTION"
    none = loads_instrument(MODEL.replace('target = "CUSA"\n', ""), "<csi>")
    assert none.satisfaction_construct is None


@pytest.mark.parametrize("change, message", [
    (('target = "CUSA"', 'target = "QUAL"'), "field 'target': target 'QUAL' is not a "
                                              "construct the paths lead to"),
    (('target = "CUSA"', 'target = "NOPE"'), "field 'target'"),
    (('role = "nps"', 'role = "promoter"'), "items[2] 'rec': field 'role': unknown role "
                                            "'promoter' (one of nps)"),
    (('role = "importance"', 'role = "weight"'), "facets.imp: field 'role': unknown role"),
    (('role = "nps"', 'role = "nps"\nfacets = ["imp"]'), "an NPS item is asked once"),
])
def test_bad_declarations_are_named(change, message):
    with pytest.raises(InstrumentError, match=re.escape(message)):
        loads_instrument(MODEL.replace(*change), "<csi>")
