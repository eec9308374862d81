"""The ``segments``, ``segment_items`` and ``account_roles`` tables of the analysis run.

Each figure is checked against an independent computation on the subset of respondents
it stands for, written out in the test: NPS with ``analysis.nps.nps`` and by the formula
(docs/METHODS.md 5.3), gaps as row means of P − E then means over respondents
(docs/METHODS.md 2.2–2.3), Holm by hand from ``scipy.stats.wilcoxon`` and
``scipy.stats.ttest_1samp`` p-values (Holm 1979), the indices against the account table's
unweighted means and counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import Questionnaire, load_instrument
from analysis.nps import nps
from analysis.pipeline import AnalysisOptions, analyze
from analysis.servqual import ServqualLayout
from analysis.synthetic import simulate_responses
from tests.conftest import REPO

INSTRUMENTS = REPO / "instruments"
ROLES = ["economic", "technical", "user", "financial", "coach", "influencer"]
TYPES = {"A0": "partnership", "A1": "partnership", "A2": "value_added",
         "A3": "price_sensitive", "A4": "value_added", "A5": "partnership"}
INDUSTRY = {"A0": "auto", "A1": "rail", "A2": "auto", "A3": " ", "A4": "rail", "A5": "auto"}
OWNER = {"A0": "li@x.cn", "A1": "li@x.cn", "A2": "wang@x.cn", "A3": "wang@x.cn",
         "A4": None, "A5": "zhao@x.cn"}  # A5 never answers: zhao has no row


def _q() -> Questionnaire:
    return Questionnaire(tuple(load_instrument(INSTRUMENTS / f"{n}.toml")
                               for n in ("servqual", "satisfaction", "loyalty")))


@pytest.fixture(scope="module")
def data():
    q = _q()
    sizes = {"A0": 14, "A1": 9, "A2": 12, "A3": 7, "A4": 10}
    ids = [a for a, k in sizes.items() for _ in range(k)]
    respondents = pd.DataFrame({"response_id": [f"r{i}" for i in range(len(ids))],
                                "account_id": ids,
                                "role": [ROLES[i % 5] for i in range(len(ids))]})
    levels = {"A0": 0.8, "A1": -0.4, "A2": 0.1, "A3": -1.0, "A4": 0.4}
    responses = simulate_responses(q, respondents, levels, seed=7, missing_share=0.15)
    accounts = pd.DataFrame({"account_id": list(TYPES), "customer_type": list(TYPES.values()),
                             "industry": list(INDUSTRY.values()),
                             "owner": pd.array(list(OWNER.values()), dtype="string")})
    result = analyze(q, responses, accounts)
    return q, responses, accounts, result


def _segment_row(result, segment: str, value: str) -> pd.Series:
    table = result.tables["segments"]
    row = table[(table["segment"] == segment) & (table["value"] == value)]
    assert len(row) == 1
    return row.iloc[0]


def _members(responses: pd.DataFrame, accounts: pd.DataFrame, segment: str,
             value: str) -> pd.DataFrame:
    ids = accounts.loc[accounts[segment].astype("string").str.strip() == value, "account_id"]
    return responses[responses["account_id"].isin(set(ids))]


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm (1979) by hand: sorted p times (m − i), running maximum, capped at 1."""
    order = np.argsort(p)
    m = len(p)
    adjusted = np.minimum(np.maximum.accumulate((m - np.arange(m)) * p[order]), 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def _dimension_gaps(frame: pd.DataFrame, layout: ServqualLayout) -> pd.DataFrame:
    """Per respondent and dimension: the mean of P − E over the items with both answers."""
    return pd.DataFrame({d: pd.DataFrame({
        e: frame[p] - frame[e] for e, p in zip(layout.e_columns[d], layout.p_columns[d],
                                               strict=True)}).mean(axis=1)
        for d in layout.dimensions})


def test_segment_values_rows_and_counts(data):
    _, responses, _, result = data
    table = result.tables["segments"]
    got = set(zip(table["segment"], table["value"], strict=True))
    # A3's blank industry and A4's missing owner are no segment; zhao (A5) has no answers
    assert got == {("all", ""), ("customer_type", "partnership"), ("customer_type", "value_added"),
                   ("customer_type", "price_sensitive"), ("industry", "auto"),
                   ("industry", "rail"), ("owner", "li@x.cn"), ("owner", "wang@x.cn")}
    row = _segment_row(result, "customer_type", "partnership")
    assert row["accounts"] == 2 and row["responses"] == 14 + 9  # A5 answered nothing
    assert _segment_row(result, "industry", "auto")["responses"] == 14 + 12
    assert _segment_row(result, "owner", "wang@x.cn")["accounts"] == 2
    every = _segment_row(result, "all", "")
    assert every["accounts"] == 5 and every["responses"] == len(responses) == 52


@pytest.mark.parametrize(("segment", "value"), [("customer_type", "partnership"),
                                                 ("industry", "rail"),
                                                 ("owner", "wang@x.cn")])
def test_segment_nps_is_the_nps_of_its_respondents(data, segment, value):
    _, responses, accounts, result = data
    row = _segment_row(result, segment, value)
    answers = _members(responses, accounts, segment, value)["nps"].dropna().to_numpy()
    expected = nps(answers)
    p, d = (answers >= 9).mean(), (answers <= 6).mean()  # docs/METHODS.md 5.3, by hand
    assert row["nps"] == pytest.approx(100 * (p - d)) == pytest.approx(expected.nps)
    assert row["nps.moe"] == pytest.approx(1.96 * 100 * np.sqrt((p + d - (p - d) ** 2)
                                                                / len(answers)))
    assert row["nps.n"] == len(answers)
    assert (row["nps.promoters"], row["nps.passives"], row["nps.detractors"]) == (
        (answers >= 9).sum(), ((answers >= 7) & (answers <= 8)).sum(), (answers <= 6).sum())


@pytest.mark.parametrize(("segment", "value"), [("customer_type", "value_added"),
                                                 ("owner", "li@x.cn")])
def test_segment_gaps_means_and_holm_by_hand(data, segment, value):
    q, responses, accounts, result = data
    layout = ServqualLayout.of(q.instruments[0])
    row = _segment_row(result, segment, value)
    members = _members(responses, accounts, segment, value)
    gaps = _dimension_gaps(members, layout)
    raw_w, raw_t = [], []
    for d in layout.dimensions:
        g = gaps[d].dropna().to_numpy()
        e = pd.DataFrame({c: members[c] for c in layout.e_columns[d]}).mean(axis=1)
        assert row[f"servqual.{d}.gap"] == pytest.approx(g.mean(), abs=1e-12)
        assert row[f"servqual.{d}.n"] == len(g)
        assert row[f"servqual.{d}.e"] == pytest.approx(e.mean(), abs=1e-12)
        raw_w.append(stats.wilcoxon(g).pvalue)
        raw_t.append(stats.ttest_1samp(g, 0.0).pvalue)
    holm_w, holm_t = _holm(np.array(raw_w)), _holm(np.array(raw_t))
    for j, d in enumerate(layout.dimensions):
        assert row[f"servqual.{d}.p_holm"] == pytest.approx(holm_w[j], rel=1e-9)
        assert row[f"servqual.{d}.p_t_holm"] == pytest.approx(holm_t[j], rel=1e-9)
    # unweighted SERVQUAL: per respondent the mean of its dimension gaps, then the mean
    unweighted = gaps.mean(axis=1).dropna()
    assert row["servqual.unweighted"] == pytest.approx(unweighted.mean(), abs=1e-12)
    assert row["servqual.unweighted.n"] == len(unweighted)
    assert "servqual.weighted" in row.index  # the instrument has its allocation


def test_segment_indices_agree_with_the_account_table(data):
    """Plain means over respondents: Σ over the accounts of (account mean × its n) / Σ n."""
    _, _, accounts, result = data
    table = result.tables["accounts"].set_index("account_id")
    for value in ("partnership", "value_added"):
        row = _segment_row(result, "customer_type", value)
        ids = accounts.loc[accounts["customer_type"] == value, "account_id"]
        for measure in ("satisfaction", "loyalty_index"):
            part = table.loc[table.index.isin(ids), [f"{measure}.mean", f"{measure}.n"]]
            part = part[part[f"{measure}.n"] > 0]
            n = part[f"{measure}.n"].sum()
            assert row[f"{measure}.n"] == n > 0
            assert row[measure] == pytest.approx(
                (part[f"{measure}.mean"] * part[f"{measure}.n"]).sum() / n, abs=1e-9)


def test_satisfaction_by_hand_from_the_index_weights(data):
    """0–100 rescale of each SAT answer, ACSI weights renormalised over the answers given."""
    q, responses, accounts, _ = data
    # mean replacement lets the model fit on these sparse answers: unequal ACSI weights
    result = analyze(q, responses, accounts, AnalysisOptions(model_missing="mean"))
    sat_items = q.instruments[1].single_columns("SAT")
    weights = pd.Series(result.summary["model"]["index_weights"])[sat_items]
    assert weights.sum() == pytest.approx(1.0) and weights.std() > 1e-3
    members = _members(responses, accounts, "industry", "rail")
    x = 100 * (members[sat_items] - 1) / 9  # rate10 is 1–10
    present = x.notna()
    per_respondent = (x.fillna(0) * weights).sum(axis=1) / (present * weights).sum(axis=1)
    per_respondent = per_respondent[present.any(axis=1)]
    row = _segment_row(result, "industry", "rail")
    assert row["satisfaction"] == pytest.approx(per_respondent.mean(), abs=1e-9)
    assert row["satisfaction.n"] == len(per_respondent)


@pytest.mark.parametrize("same_type", [True, False])
def test_one_segment_of_everyone_is_the_portfolio(data, same_type):
    """Every account of one customer type, or the row "all": the portfolio's figures."""
    q, responses, accounts, _ = data
    same = accounts.assign(customer_type="partnership") if same_type else accounts
    result = analyze(q, responses, same)
    row = _segment_row(result, *(("customer_type", "partnership") if same_type
                                 else ("all", "")))
    summary = result.summary
    assert row["nps"] == pytest.approx(summary["nps"]["nps"])
    assert row["nps.moe"] == pytest.approx(summary["nps"]["moe"])
    assert row["nps.n"] == summary["nps"]["n"]
    for d, entry in summary["servqual"]["dimensions"].items():
        for part in ("e", "p", "gap"):
            assert row[f"servqual.{d}.{part}"] == pytest.approx(entry[part], abs=1e-12)
        assert row[f"servqual.{d}.n"] == entry["n"]
        assert row[f"servqual.{d}.p_holm"] == pytest.approx(entry["p_holm"])
        assert row[f"servqual.{d}.p_t_holm"] == pytest.approx(entry["p_t_holm"])
    for score in ("unweighted", "weighted"):
        assert row[f"servqual.{score}"] == pytest.approx(summary["servqual"][score])
    assert row["loyalty_index"] == pytest.approx(summary["loyalty"]["loyalty_index"])
    assert row["loyalty_index.n"] == summary["loyalty"]["n"]
    items = result.tables["segment_items"]
    items = items[items["segment"] == ("customer_type" if same_type else "all")]
    items = items.set_index("item")
    portfolio = result.tables["servqual_items"].set_index("item")
    for column in ("e", "p", "gap", "n"):
        np.testing.assert_allclose(items[column].to_numpy(dtype="float64"),
                                   portfolio.loc[items.index, column].to_numpy(
                                       dtype="float64"), atol=1e-12)


def test_segment_items_by_hand(data):
    q, responses, accounts, result = data
    layout = ServqualLayout.of(q.instruments[0])
    items = result.tables["segment_items"]
    assert list(items.columns) == ["segment", "value", "dimension", "item", "e", "p", "gap",
                                   "n"]
    mine = items[(items["segment"] == "owner") & (items["value"] == "wang@x.cn")]
    assert list(mine["item"]) == [c.rsplit(".", 1)[0] for d in layout.dimensions
                                  for c in layout.e_columns[d]]
    members = _members(responses, accounts, "owner", "wang@x.cn")
    for _, row in mine.iterrows():
        e, p = members[f"{row['item']}.e"], members[f"{row['item']}.p"]
        assert row["e"] == pytest.approx(e.mean()) and row["p"] == pytest.approx(p.mean())
        assert row["gap"] == pytest.approx((p - e).mean())
        assert row["n"] == (p - e).notna().sum()


def test_segments_need_a_segment_column_and_a_value(data):
    q, responses, accounts, _ = data
    bare = analyze(q, responses, accounts[["account_id"]])
    assert list(bare.tables["segments"]["segment"]) == ["all"]  # no segment column
    assert set(bare.tables["segment_items"]["segment"]) == {"all"}
    blank = accounts.assign(customer_type=pd.NA, industry="  ")
    table = analyze(q, responses, blank).tables["segments"]
    assert set(table["segment"]) == {"all", "owner"}  # nothing of the blank columns
    without_accounts = analyze(q, responses)
    assert "segments" not in without_accounts.tables


def test_segments_of_a_questionnaire_without_servqual(data):
    _, responses, accounts, _ = data
    q = Questionnaire((load_instrument(INSTRUMENTS / "loyalty.toml"),))
    keep = ["response_id", "account_id", "role", *q.numeric_columns]
    table = analyze(q, responses[keep], accounts).tables["segments"]
    assert not [c for c in table.columns if c.startswith("servqual.")]
    assert "satisfaction" not in table.columns
    assert {"nps", "nps.n", "loyalty_index"} <= set(table.columns)


# --------------------------------------------------------------------------- roles


def test_each_role_view_by_hand(data):
    q, responses, _, result = data
    layout = ServqualLayout.of(q.instruments[0])
    roles = result.tables["account_roles"]
    assert list(roles.columns[:3]) == ["account_id", "role", "n"]
    expected = responses.groupby(["account_id", "role"]).size()
    assert dict(zip(zip(roles["account_id"], roles["role"], strict=True), roles["n"],
                    strict=True)) == expected.to_dict()
    # A0's roles in the canonical order economic, technical, user, financial, coach
    assert list(roles.loc[roles["account_id"] == "A0", "role"]) == ROLES[:5]
    row = roles[(roles["account_id"] == "A2") & (roles["role"] == "user")].iloc[0]
    mine = responses[(responses["account_id"] == "A2") & (responses["role"] == "user")]
    answers = mine["nps"].dropna().to_numpy()
    assert row["nps"] == pytest.approx(100 * ((answers >= 9).mean() - (answers <= 6).mean()))
    assert row["nps.n"] == len(answers)
    gaps = _dimension_gaps(mine, layout)
    for d in layout.dimensions:
        assert row[f"servqual.{d}.gap"] == pytest.approx(gaps[d].mean(), abs=1e-12)
        assert row[f"servqual.{d}.n"] == gaps[d].notna().sum()
    assert row["servqual.unweighted"] == pytest.approx(gaps.mean(axis=1).mean(), abs=1e-12)
    sat_items = q.instruments[1].single_columns("SAT")
    assert row["satisfaction.n"] == mine[sat_items].notna().any(axis=1).sum()


def test_anonymous_roles_merge_and_small_groups_show_no_figure(data):
    q, responses, accounts, _ = data
    result = analyze(q, responses, accounts, AnalysisOptions(min_role_answers=3))
    roles = result.tables["account_roles"]
    assert (roles.loc[roles["role"] != "other", "n"] >= 3).all()
    # A3: 7 answers over 5 roles (2, 2, 1, 1, 1): every role merges into one "other" of 7
    a3 = roles[roles["account_id"] == "A3"]
    assert list(a3["role"]) == ["other"] and list(a3["n"]) == [7]
    a3_nps = responses.loc[responses["account_id"] == "A3", "nps"].dropna().to_numpy()
    assert a3["nps"].iloc[0] == pytest.approx(
        100 * ((a3_nps >= 9).mean() - (a3_nps <= 6).mean()))
    # a merged group that is still below the minimum keeps its n and shows no figure
    strict = analyze(q, responses, accounts, AnalysisOptions(min_role_answers=8))
    roles = strict.tables["account_roles"]
    small = roles[roles["n"] < 8]
    assert len(small) and small["nps"].isna().all() and small["servqual.unweighted"].isna().all()
    assert small["nps.n"].notna().all()
    assert roles.groupby("account_id")["n"].sum().to_dict() == responses.groupby(
        "account_id").size().to_dict()


# --------------------------------------------------------------------------- inputs


def test_stored_run_shapes_give_the_same_tables(data):
    """A stored run's frame: categorical account ids and float32 answers (as loaded)."""
    q, responses, accounts, result = data
    numeric = list(q.numeric_columns)
    stored = responses.assign(account_id=responses["account_id"].astype("category"))
    stored[numeric] = stored[numeric].astype("float32")
    again = analyze(q, stored, accounts)
    for name in ("segments", "segment_items", "account_roles"):
        pd.testing.assert_frame_equal(again.tables[name], result.tables[name], rtol=1e-12)


def test_no_customer_answers_for_an_account_give_empty_tables(data):
    q, responses, accounts, _ = data
    nobody = responses.assign(account_id=pd.Series(pd.NA, index=responses.index,
                                                   dtype="string"))
    result = analyze(q, nobody, accounts)
    assert result.tables["segments"].empty and result.tables["account_roles"].empty
    assert result.tables["segment_items"].empty
    # responses that name no account at all: no role or segment table, no error
    unnamed = analyze(q, responses.drop(columns=["account_id"]), accounts)
    assert "segments" not in unnamed.tables and "account_roles" not in unnamed.tables


def test_answers_for_accounts_missing_from_the_accounts_frame(data):
    """They count in "all" (every customer's answer with an account), in no segment."""
    q, responses, accounts, _ = data
    result = analyze(q, responses, accounts[accounts["account_id"] != "A0"])
    every = _segment_row(result, "all", "")
    assert every["responses"] == len(responses) and every["accounts"] == 5
    assert _segment_row(result, "customer_type", "partnership")["responses"] == 9  # A1 only


def test_a_wave_without_responses_scores(data):
    """A wave just created: no answers yet, the accounts known; empty tables, no error."""
    q, responses, accounts, _ = data
    result = analyze(q, responses.iloc[0:0], accounts)
    assert result.tables["segments"].empty and result.tables["account_roles"].empty
    assert len(result.tables["accounts"]) == len(accounts)


def test_customers_rows_found_as_rows_answering_finds_them():
    """The column-by-column search on the rows still open against the plain any-answer
    test (analysis.pipeline.common.rows_answering), on random blanks and a never-answered
    column."""
    from analysis.pipeline.accounts import _answering_any
    from analysis.pipeline.common import rows_answering

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.integers(1, 8, (500, 6)).astype("float32"),
                         columns=[f"c{k}" for k in range(6)])
    frame = frame.mask(rng.random(frame.shape) < np.array([0.9, 0.5, 0.95, 0.8, 1.0, 0.97]))
    columns = [*frame.columns, "absent"]
    expected = rows_answering(frame, columns).to_numpy()
    assert 0 < expected.sum() < len(frame)  # some rows answered nothing
    np.testing.assert_array_equal(_answering_any(frame, columns), expected)


# --------------------------------------------------------------------------- the loop


def test_the_run_is_its_steps_in_order(data):
    """analyze = RunContext.start, every model step, then the account steps; a step whose
    instrument is absent adds nothing."""
    from analysis.pipeline import run as run_module
    from analysis.pipeline.context import RunContext

    q, responses, accounts, result = data
    ctx = RunContext.start(q, responses, accounts, AnalysisOptions())
    for step in (*run_module.MODEL_STEPS, *run_module.ACCOUNT_STEPS):
        step(ctx)
    assert set(ctx.tables) == set(result.tables)
    pd.testing.assert_frame_equal(ctx.tables["segments"], result.tables["segments"])
    loyalty_only = Questionnaire((load_instrument(INSTRUMENTS / "loyalty.toml"),))
    bare = RunContext.start(loyalty_only, responses, accounts, AnalysisOptions())
    for step in (run_module.servqual_run.run, run_module.satisfaction_run.run):
        step(bare)
    assert list(bare.summary) == ["n_responses", "instruments"] and not bare.tables
    assert not bare.per_account and bare.figures.servqual is None


def test_an_accounts_file_gives_segments_by_canonical_customer_type(data, tmp_path):
    """From files (surveyapp analyze --accounts): a customer type written as its Chinese name
    is the segment of its id."""
    from analysis import read_accounts

    q, responses, _, _ = data
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,customer_type,owner\nA0,伙伴型,li@x.cn\nA1,partnership,\n"
                    "A2,附加价值型,wang@x.cn\nA3,价格敏感型,wang@x.cn\nA4,Value-added,\n",
                    encoding="utf-8")
    accounts = read_accounts(path)
    table = analyze(q, responses, accounts).tables["segments"]
    types = table[table["segment"] == "customer_type"].set_index("value")
    assert types["responses"].to_dict() == {"partnership": 14 + 9, "price_sensitive": 7,
                                            "value_added": 12 + 10}
    assert set(table.loc[table["segment"] == "owner", "value"]) == {"li@x.cn", "wang@x.cn"}


def test_accounts_with_a_repeated_or_missing_id_are_refused(data):
    q, responses, accounts, _ = data
    twice = pd.concat([accounts, accounts.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"repeated account_id.*'A0'.*argument accounts"):
        analyze(q, responses, twice)
    with pytest.raises(ValueError, match="no column 'account_id'"):
        analyze(q, responses, accounts.drop(columns=["account_id"]))
