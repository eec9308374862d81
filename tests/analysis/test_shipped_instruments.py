"""The shipped instruments as a respondent reads them, and the short relationship pulse.

Rewording a question must leave every id, scale range, facet, construct assignment and
model of the shipped instruments as it was: the analysis and its reference tests rest on
them. ``SHAPES`` is that structure as the files held it before their wording was reviewed
(read from commit 09e213c), written out here so that a change shows up as a failing test.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from analysis import InputFileError, Questionnaire, analyze, load_instrument, validate_responses
from tests.conftest import REPO

INSTRUMENTS = REPO / "instruments"
SHIPPED = sorted(p.stem for p in INSTRUMENTS.glob("*.toml") if p.stem != "stages")
CUSTOMER_WAVE = ("servqual", "satisfaction", "loyalty")  # what a full customer wave asks
PULSE_WAVE = ("pulse", "pulse_loyalty")  # what a pulse wave asks, instead
CUSTOMER = (*CUSTOMER_WAVE, *PULSE_WAVE)
CJK = re.compile(r"[\u3400-\u9fff]")

SHAPES = {
    "servqual": {
        "constructs": ("tangibles", "reliability", "responsiveness", "assurance", "empathy"),
        "scales": {"agree7": (1, 7)},
        "facets": ("e", "p"),
        "items": (
            ("sq01", "tangibles", "agree7", "ep", False),
            ("sq02", "tangibles", "agree7", "ep", False),
            ("sq03", "tangibles", "agree7", "ep", False),
            ("sq04", "tangibles", "agree7", "ep", False),
            ("sq05", "reliability", "agree7", "ep", False),
            ("sq06", "reliability", "agree7", "ep", False),
            ("sq07", "reliability", "agree7", "ep", False),
            ("sq08", "reliability", "agree7", "ep", False),
            ("sq09", "reliability", "agree7", "ep", False),
            ("sq10", "responsiveness", "agree7", "ep", False),
            ("sq11", "responsiveness", "agree7", "ep", False),
            ("sq12", "responsiveness", "agree7", "ep", False),
            ("sq13", "responsiveness", "agree7", "ep", False),
            ("sq14", "assurance", "agree7", "ep", False),
            ("sq15", "assurance", "agree7", "ep", False),
            ("sq16", "assurance", "agree7", "ep", False),
            ("sq17", "assurance", "agree7", "ep", False),
            ("sq18", "empathy", "agree7", "ep", False),
            ("sq19", "empathy", "agree7", "ep", False),
            ("sq20", "empathy", "agree7", "ep", False),
            ("sq21", "empathy", "agree7", "ep", False),
            ("sq22", "empathy", "agree7", "ep", False),
        ),
        "allocations": (("imp", 100, ("tangibles", "reliability", "responsiveness",
                                       "assurance", "empathy")),),
        "open": ("comment",),
        "paths": (),
    },
    "satisfaction": {
        "constructs": ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"),
        "scales": {"rate10": (1, 10)},
        "facets": (),
        "items": (
            ("imag1", "IMAG", "rate10", "", False),
            ("imag2", "IMAG", "rate10", "", False),
            ("imag3", "IMAG", "rate10", "", False),
            ("imag4", "IMAG", "rate10", "", False),
            ("imag5", "IMAG", "rate10", "", False),
            ("expe1", "EXPE", "rate10", "", False),
            ("expe2", "EXPE", "rate10", "", False),
            ("expe3", "EXPE", "rate10", "", False),
            ("expe4", "EXPE", "rate10", "", False),
            ("expe5", "EXPE", "rate10", "", False),
            ("qual1", "QUAL", "rate10", "", False),
            ("qual2", "QUAL", "rate10", "", False),
            ("qual3", "QUAL", "rate10", "", False),
            ("qual4", "QUAL", "rate10", "", False),
            ("qual5", "QUAL", "rate10", "", False),
            ("val1", "VAL", "rate10", "", False),
            ("val2", "VAL", "rate10", "", False),
            ("val3", "VAL", "rate10", "", False),
            ("val4", "VAL", "rate10", "", False),
            ("sat1", "SAT", "rate10", "", False),
            ("sat2", "SAT", "rate10", "", False),
            ("sat3", "SAT", "rate10", "", False),
            ("sat4", "SAT", "rate10", "", False),
            ("loy1", "LOY", "rate10", "", False),
            ("loy2", "LOY", "rate10", "", False),
            ("loy3", "LOY", "rate10", "", False),
            ("loy4", "LOY", "rate10", "", False),
        ),
        "allocations": (),
        "open": (),
        "paths": (("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"),
                  ("EXPE", "VAL"), ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"),
                  ("VAL", "SAT"), ("SAT", "LOY")),
    },
    "loyalty": {
        "constructs": ("repurchase", "dependence", "price_tolerance", "advocacy"),
        "scales": {"agree10": (1, 10), "likely10": (1, 10), "share10": (0, 10),
                   "recommend11": (0, 10)},
        "facets": (),
        "items": (
            ("rep1", "repurchase", "likely10", "", False),
            ("rep2", "repurchase", "agree10", "", False),
            ("rep3", "repurchase", "agree10", "", True),
            ("dep1", "dependence", "share10", "", False),
            ("dep2", "dependence", "agree10", "", False),
            ("tol1", "price_tolerance", "likely10", "", False),
            ("tol2", "price_tolerance", "agree10", "", False),
            ("tol3", "price_tolerance", "agree10", "", True),
            ("nps", "advocacy", "recommend11", "", False),
            ("adv2", "advocacy", "agree10", "", False),
        ),
        "allocations": (),
        "open": ("loyalty_comment",),
        "paths": (),
    },
    "relationship": {
        "constructs": ("position", "integration", "sponsorship", "trust", "breadth"),
        "scales": {"status3": (1, 3), "info5": (1, 5), "plan5": (1, 5), "yesno": (0, 1),
                   "trust5": (1, 5), "levels3": (1, 3), "functions5": (1, 5)},
        "facets": (),
        "items": (
            ("supplier_status", "position", "status3", "", False),
            ("info_sharing", "integration", "info5", "", False),
            ("joint_planning", "integration", "plan5", "", False),
            ("exec_sponsor", "sponsorship", "yesno", "", False),
            ("trust", "trust", "trust5", "", False),
            ("contact_levels", "breadth", "levels3", "", False),
            ("contact_functions", "breadth", "functions5", "", False),
        ),
        "allocations": (),
        "open": ("relationship_note",),
        "paths": (),
    },
    "grid25": {
        "constructs": ("personal", "company"),
        "scales": {"step5": (1, 5), "level5": (1, 5)},
        "facets": (),
        "items": (
            ("grid_step", "personal", "step5", "", False),
            ("grid_level", "company", "level5", "", False),
        ),
        "allocations": (),
        "open": (),
        "paths": (),
    },
    "servqual_gap1": {
        "constructs": ("tangibles", "reliability", "responsiveness", "assurance", "empathy"),
        "scales": {"agree7": (1, 7)},
        "facets": ("e",),
        "items": (
            ("g1_01", "tangibles", "agree7", "e", False),
            ("g1_02", "tangibles", "agree7", "e", False),
            ("g1_03", "tangibles", "agree7", "e", False),
            ("g1_04", "tangibles", "agree7", "e", False),
            ("g1_05", "reliability", "agree7", "e", False),
            ("g1_06", "reliability", "agree7", "e", False),
            ("g1_07", "reliability", "agree7", "e", False),
            ("g1_08", "reliability", "agree7", "e", False),
            ("g1_09", "reliability", "agree7", "e", False),
            ("g1_10", "responsiveness", "agree7", "e", False),
            ("g1_11", "responsiveness", "agree7", "e", False),
            ("g1_12", "responsiveness", "agree7", "e", False),
            ("g1_13", "responsiveness", "agree7", "e", False),
            ("g1_14", "assurance", "agree7", "e", False),
            ("g1_15", "assurance", "agree7", "e", False),
            ("g1_16", "assurance", "agree7", "e", False),
            ("g1_17", "assurance", "agree7", "e", False),
            ("g1_18", "empathy", "agree7", "e", False),
            ("g1_19", "empathy", "agree7", "e", False),
            ("g1_20", "empathy", "agree7", "e", False),
            ("g1_21", "empathy", "agree7", "e", False),
            ("g1_22", "empathy", "agree7", "e", False),
        ),
        "allocations": (),
        "open": (),
        "paths": (),
    },
}


def load(name):
    return load_instrument(INSTRUMENTS / f"{name}.toml")


def texts(inst):
    """(where, Text) for every text a respondent or manager can see in an instrument."""
    found = [("title", inst.title)]
    if inst.description is not None:
        found.append(("description", inst.description))
    for f in inst.facets.values():
        found.append((f"facets.{f.id}.label", f.label))
        if f.prompt is not None:
            found.append((f"facets.{f.id}.prompt", f.prompt))
    for c in inst.constructs:
        found.append((f"constructs '{c.id}' name", c.name))
        if c.description is not None:
            found.append((f"constructs '{c.id}' description", c.description))
    found += [(f"items '{i.id}'", i.text) for i in inst.items]
    found += [(f"allocations '{a.id}'", a.text) for a in inst.allocations]
    found += [(f"open '{o.id}'", o.text) for o in inst.open]
    return found


def test_every_shipped_instrument_is_tested_here():
    assert set(SHIPPED) == {*SHAPES, *PULSE_WAVE}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_instrument_loads_in_chinese_and_english(name):
    inst = load(name)
    assert inst.id == name and inst.languages == ("zh", "en")


@pytest.mark.parametrize("name", SHIPPED)
def test_every_text_is_written_in_both_languages(name):
    inst = load(name)
    for where, text in texts(inst):
        zh, en = text.by_lang["zh"].strip(), text.by_lang["en"].strip()
        assert CJK.search(zh), f"{name} {where}: no Chinese in {zh!r}"
        assert en and not CJK.search(en), f"{name} {where}: English text is {en!r}"
    for scale in inst.scales.values():
        zh, en = scale.point_labels("zh"), scale.point_labels("en")
        assert zh.keys() == en.keys(), f"{name} scale {scale.id}"
        for point in zh:
            assert not CJK.search(en[point]), f"{name} scale {scale.id} point {point}"
            # a label with no Chinese (a percentage) is the same in both languages
            assert CJK.search(zh[point]) or zh[point] == en[point], \
                f"{name} scale {scale.id} point {point}"


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_rewording_left_ids_scales_facets_and_models_as_they_were(name):
    inst, shape = load(name), SHAPES[name]
    assert tuple(c.id for c in inst.constructs) == shape["constructs"]
    assert {s.id: (s.min, s.max) for s in inst.scales.values()} == shape["scales"]
    assert tuple(inst.facets) == shape["facets"]
    assert tuple((i.id, i.construct, i.scale, "".join(i.facets), i.reverse)
                 for i in inst.items) == shape["items"]
    assert tuple((a.id, a.total, a.constructs) for a in inst.allocations) == \
        shape["allocations"]
    assert tuple(o.id for o in inst.open) == shape["open"]
    assert (inst.model.paths if inst.model else ()) == shape["paths"]


@pytest.mark.parametrize("name", CUSTOMER)
def test_we_is_the_supplier_and_the_instrument_says_so(name):
    inst = load(name)
    description = inst.description
    assert description is not None
    assert "“我们”" in description.get("zh") and "“we”" in description.get("en").lower()
    for where, text in texts(inst):
        # the supplier is "we", never a third party beside the respondent's "we"
        assert "该供应商" not in text.get("zh"), f"{name} {where}"
        assert "this supplier" not in text.get("en").lower(), f"{name} {where}"
        assert not re.search(r"\bwe (began|need|spend|pay|consider)\b|\bour (industry|"
                             r"operations|other suppliers)\b", text.get("en"), re.I), \
            f"{name} {where}: 'we' is the respondent here: {text.get('en')!r}"


@pytest.mark.parametrize("name", CUSTOMER)
def test_section_subtitles_speak_to_the_respondent(name):
    # an analyst's note speaks of "the customer"; a subtitle the customer reads says "you"
    for c in load(name).constructs:
        assert c.description is not None, f"{name} {c.id}"
        zh, en = c.description.get("zh"), c.description.get("en")
        assert not re.search(r"客户(对|的|实际)|合作之初客户", zh), f"{name} {c.id}: {zh}"
        assert not re.search(r"\bthe customer|customers'", en, re.I), f"{name} {c.id}: {en}"
        assert not re.search(r"态度忠诚|attitudinal", zh + en), f"{name} {c.id}"


def test_a_full_wave_asks_each_question_once():
    wave = [load(name) for name in CUSTOMER_WAVE]
    items = [i for inst in wave for i in inst.items]
    for lang in ("zh", "en"):
        statements = [i.text.get(lang) for i in items]
        assert len(set(statements)) == len(statements)
    # the recommendation was asked twice (satisfaction loy3 and loyalty nps): now once
    recommend = [i.id for i in items
                 if "推荐" in i.text.get("zh") or "recommend" in i.text.get("en").lower()]
    assert recommend == ["nps"]
    # SERVQUAL's two "on time as promised" items no longer both cover services
    sq = {i.id: i.text.get("en") for i in wave[0].items}
    assert "service" not in sq["sq05"] and "orders" in sq["sq05"]


def test_gap1_still_asks_the_servqual_statements_word_for_word():
    sq, g1 = load("servqual"), load("servqual_gap1")
    assert [i.text.by_lang for i in g1.items] == [i.text.by_lang for i in sq.items]
    assert g1.version == sq.version == 2


# --------------------------------------------------------------------------- the pulse

PULSE_RATINGS = ("pulse_tangibles", "pulse_reliability", "pulse_responsiveness",
                 "pulse_assurance", "pulse_empathy", "pulse_sat_overall",
                 "pulse_sat_compared", "pulse_repurchase", "pulse_share", "pulse_price", "nps")


@pytest.fixture(scope="module")
def pulse():
    return Questionnaire(tuple(load(name) for name in PULSE_WAVE))


@pytest.fixture(scope="module")
def sections(pulse):
    return {inst.id: inst for inst in pulse.instruments}


def test_pulse_is_twelve_answers_in_under_four_minutes(pulse):
    q = pulse
    assert q.numeric_columns == PULSE_RATINGS
    assert q.text_columns == ("pulse_comment",)
    answers = len(q.numeric_columns) + len(q.text_columns)
    assert answers == 12
    # time budget at a slow pace: 300 Chinese characters or 200 English words a minute to
    # read everything shown, plus the 8 seconds per answer the survey page estimates
    shown = [t for inst in pulse.instruments for _where, t in texts(inst)]
    zh_minutes = sum(len(t.get("zh")) for t in shown) / 300
    en_minutes = sum(len(t.get("en").split()) for t in shown) / 200
    assert max(zh_minutes, en_minutes) + answers * 8 / 60 < 4


def test_pulse_ids_are_its_own_except_the_recommend_question(pulse):
    others = Questionnaire(tuple(load(n) for n in SHAPES))
    other_ids = set(others.numeric_columns) | set(others.text_columns)
    own = set(pulse.numeric_columns) | set(pulse.text_columns)
    # `nps` is the id the analysis reads as the 0–10 recommend question
    assert own & other_ids == {"nps"}
    assert all(i.startswith("pulse_") for i in own - {"nps"})


def test_pulse_asks_like_the_full_questionnaire(pulse, sections):
    # the same texts and scale ranges as the full items, so pulse and full waves compare
    full = {i.id: (i, inst) for inst in map(load, CUSTOMER_WAVE) for i in inst.items}
    same = {"pulse_sat_overall": "sat1", "pulse_sat_compared": "sat3",
            "pulse_repurchase": "rep1", "pulse_share": "dep1", "pulse_price": "tol1",
            "nps": "nps"}
    items = {i.id: i for inst in pulse.instruments for i in inst.items}
    for pulse_id, full_id in same.items():
        item, (ref, ref_inst) = items[pulse_id], full[full_id]
        assert item.text.by_lang == ref.text.by_lang, pulse_id
        assert pulse.column_range(pulse_id) == ref_inst.column_range(full_id), pulse_id
        assert item.construct == ref.construct, pulse_id
    servqual = load("servqual")
    for dimension in ("tangibles", "reliability", "responsiveness", "assurance", "empathy"):
        (item,) = sections["pulse"].items_of(dimension)
        assert pulse.column_range(item.id) == servqual.column_range("sq01.p") == (1, 7)
    # the loyalty index averages every construct of the file with the four degrees: that
    # file holds nothing else
    assert [c.id for c in sections["pulse_loyalty"].constructs] == [
        "repurchase", "dependence", "price_tolerance", "advocacy"]
    assert sections["pulse_loyalty"].model is None
    assert set(sections["pulse"].model.paths) == {(d, "SAT") for d in (
        "tangibles", "reliability", "responsiveness", "assurance", "empathy")}


# Six respondents of two accounts. Columns in PULSE_RATINGS order, then the comment.
SMALL = [
    ("R1", "A1", "economic", 6, 5, 6, 6, 5, 9, 8, 10, 8, 7, 10, "交期再快一点"),
    ("R2", "A1", "economic", 5, 4, 5, 6, 4, 7, 6, 7, 5, 5, 9, ""),
    ("R3", "A1", "technical", 4, 3, 4, 5, 4, 5, 4, 9, 10, 3, 8, ""),
    ("R4", "A2", "technical", 3, 2, 3, 4, 3, 3, 2, 4, 3, 2, 6, "Faster quotes"),
    ("R5", "A2", "user", 2, 2, 2, 3, 2, 2, 1, 2, 0, 1, 3, ""),
    ("R6", "A2", "user", 7, 6, 7, 7, 6, 10, 9, 10, 6, 8, 10, ""),
]
COLUMNS = ["response_id", "account_id", "role", *PULSE_RATINGS, "pulse_comment"]


def as_file(rows):
    """Rows as a file reader gives them: every cell text, blank = missing."""
    frame = pd.DataFrame([[str(v) for v in r] for r in rows], columns=COLUMNS, dtype=object)
    return frame.replace("", None)


def test_analyze_scores_a_small_pulse_file(pulse):
    q = pulse
    summary = analyze(q, validate_responses(as_file(SMALL), q)).summary
    # NPS by hand: nps answers 10, 9, 8, 6, 3, 10 → promoters (9–10) 3, detractors (0–6) 2,
    # n = 6; NPS = 100·(3/6 − 2/6); margin 1.96·100·sqrt((p + d − (p − d)²)/n)
    #   = 196·sqrt((5/6 − 1/36)/6) = 196·sqrt(29/216)
    nps = summary["nps"]
    assert (nps["n"], nps["promoters"], nps["passives"], nps["detractors"]) == (6, 3, 1, 2)
    assert nps["nps"] == pytest.approx(100 / 6)
    assert nps["moe"] == pytest.approx(196 * math.sqrt(29 / 216))
    # degree means by hand (index 100·(x − lo)/(hi − lo), then the mean over respondents):
    #   repurchase 1–10: 10, 7, 9, 4, 2, 10 → (9 + 6 + 8 + 3 + 1 + 9)/9·100/6 = 400/6
    #   dependence 0–10: 8, 5, 10, 3, 0, 6 → (80 + 50 + 100 + 30 + 0 + 60)/6 = 320/6
    #   price tolerance 1–10: 7, 5, 3, 2, 1, 8 → (6 + 4 + 2 + 1 + 0 + 7)/9·100/6 = 2000/54
    #   advocacy 0–10: 10, 9, 8, 6, 3, 10 → 460/6
    degrees = summary["loyalty"]["degrees"]
    expected = {"repurchase": 400 / 6, "dependence": 320 / 6, "price_tolerance": 2000 / 54,
                "advocacy": 460 / 6}
    assert degrees == pytest.approx(expected)
    # every respondent has all four degrees, so the mean loyalty index is their mean
    assert summary["loyalty"]["loyalty_index"] == pytest.approx(
        sum(expected.values()) / 4)
    # fewer than 10 complete answers: no path model, satisfaction is the equal-weight mean
    # of the two items, 100·(sat_overall + sat_compared − 2)/18 per respondent:
    #   R1 15, R2 11, R3 7 (× 100/18) | R4 3, R5 1, R6 17 (× 100/18)
    # account = Σ role weight · role mean / Σ weights (economic 0.30, technical 0.25,
    # user 0.15):  A1 = 100·(0.30·13 + 0.25·7)/(18·0.55);  A2 = 100·(0.25·3 + 0.15·9)/(18·0.40)
    assert summary["model"]["note"].startswith("model not estimated")
    accounts = {a["account_id"]: a for a in summary["accounts"]}
    assert accounts["A1"]["satisfaction"] == pytest.approx(100 * (0.30 * 13 + 0.25 * 7)
                                                           / (18 * 0.55))
    assert accounts["A2"]["satisfaction"] == pytest.approx(100 * (0.25 * 3 + 0.15 * 9)
                                                           / (18 * 0.40))
    # account NPS rolls up p − d the same way: A1 economic (+1, +1), technical 0
    assert accounts["A1"]["nps"] == pytest.approx(100 * 0.30 / 0.55)


def test_a_service_item_left_unanswered_is_missing_not_zero(pulse):
    q = pulse
    rows = [list(r) for r in SMALL]
    rows[0][3] = ""  # R1 could not judge tangibles ("not applicable" is stored as blank)
    answers = validate_responses(as_file(rows), q)
    assert "pulse_tangibles" in q.not_applicable_columns
    assert np.isnan(answers.loc[0, "pulse_tangibles"])
    assert analyze(q, answers).summary["nps"]["n"] == 6


def test_analyze_estimates_the_pulse_model_from_ten_complete_answers(pulse):
    rng = np.random.default_rng(6)
    rows = []
    for k in range(24):
        level = rng.normal()

        def answer(lo, hi, level=level):
            return int(np.clip(round((lo + hi) / 2 + (hi - lo) / 4 * (level + rng.normal())),
                               lo, hi))
        rows.append((f"R{k}", f"A{k % 3}", "economic",
                     *(answer(1, 7) for _ in range(5)), answer(1, 10), answer(1, 10),
                     answer(1, 10), answer(0, 10), answer(1, 10), answer(0, 10), ""))
    q = pulse
    summary = analyze(q, validate_responses(as_file(rows), q)).summary
    model = summary["model"]
    assert model["n"] == 24 and "note" not in model
    assert set(model["paths"]) == {f"{d} -> SAT" for d in (
        "tangibles", "reliability", "responsiveness", "assurance", "empathy")}
    drivers = model["drivers"]
    assert drivers["target"] == "SAT" and set(drivers["percent"]) == {
        "tangibles", "reliability", "responsiveness", "assurance", "empathy"}
    assert sum(drivers["percent"].values()) == pytest.approx(100)
    assert drivers["r2"] == pytest.approx(model["r2"]["SAT"])
    # a one-item block's 0–100 index is its item's mean rescaled: 100·(mean − 1)/6
    tangibles = np.mean([r[3] for r in rows])
    assert model["index"]["tangibles"] == pytest.approx(100 * (tangibles - 1) / 6)


def test_a_bad_pulse_file_is_rejected_whole_with_every_cell_named(pulse):
    q = pulse
    rows = [list(r) for r in SMALL]
    rows[1][13] = "11"   # nps is 0–10
    rows[2][11] = "七"   # pulse_share must be a number
    rows[4][3] = "8"     # pulse_tangibles is 1–7
    with pytest.raises(InputFileError) as caught:
        validate_responses(as_file(rows), q)
    found = {(e.row, e.column) for e in caught.value.errors}
    # spreadsheet rows: the header is row 1, so SMALL[1] is row 3
    assert found == {(3, "nps"), (4, "pulse_share"), (6, "pulse_tangibles")}
