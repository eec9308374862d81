"""The scorecard: evidence in a manager's words, next steps from the stage file, the grid."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from analysis import load_stage_model
from surveyapp.reports.evidence import evidence, grid_rows, in_words
from surveyapp.services import users
from tests.app.test_scoring import answers, submit

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(("value", "unit", "words"), [
    (0.456, "share", "46 %"), (-0.5, "change", "-50 %"), (0.12, "change", "+12 %"),
    (3.0, "count", "3"), (1.0, "yes_no", "yes"), (0.0, "yes_no", "no"),
    (4.0, "rating", "4 of 5"), (61.6, "index", "62 of 100"), (None, "share", "unknown"),
    (float("nan"), "count", "unknown"), (2.25, "number", "2.2"),
])
def test_values_read_as_a_manager_says_them(app, value, unit, words):
    with app.test_request_context("/?lang=en"):
        assert in_words(value, unit) == words


def test_a_rating_is_said_out_of_its_own_scale(app):
    with app.test_request_context("/?lang=en"):
        # supplier status is rated 1–3 in the stage file: "2 of 3", never "2 of 5"
        assert in_words(2.0, "rating", 3.0) == "2 of 3"
        assert in_words(4.0, "rating", None) == "4 of 5"


def test_each_unmet_criterion_of_the_next_stage_gets_its_next_step(app):
    model = load_stage_model("instruments/stages.toml")
    rows = [  # an account at mid KAM: partnership needs 50 % of wallet and a sponsor
        {"stage": "mid", "part": "current", "indicator": "share_of_wallet", "op": ">=",
         "threshold": 0.30, "value": 0.41, "status": "met", "met": True},
        {"stage": "partnership", "part": "next", "indicator": "share_of_wallet", "op": ">=",
         "threshold": 0.50, "value": 0.41, "status": "not met", "met": False},
        {"stage": "partnership", "part": "next", "indicator": "exec_sponsor", "op": ">=",
         "threshold": 1.0, "value": 0.0, "status": "not met", "met": False},
        {"stage": "partnership", "part": "next", "indicator": "trust", "op": ">=",
         "threshold": 4.0, "value": 4.0, "status": "met", "met": True},
    ]
    with app.test_request_context("/?lang=en"):
        lines = evidence(rows, model, "en")
    assert [line.next_step is not None for line in lines] == [False, True, True, False]
    assert lines[1].actual == "41 %" and lines[1].threshold == "≥ 50 %"
    assert lines[1].next_step.startswith("Raise our share of the account's spend to 50 %")
    assert lines[2].actual == "no" and lines[2].threshold == "yes"
    assert lines[2].next_step == model.indicators["exec_sponsor"].next_step["en"]
    assert lines[3].actual == "4 of 5" and lines[0].stage == "Mid KAM"
    with app.test_request_context("/?lang=zh"):
        chinese = evidence(rows, model, "zh")
    assert chinese[1].next_step.startswith("把钱包份额提高到 50 % 以上")


def test_the_grid_places_each_rated_contact_in_its_cell(app):
    contacts = [SimpleNamespace(id=1, name="王磊"), SimpleNamespace(id=2, name="李娜"),
                SimpleNamespace(id=3, name="张伟")]
    ratings = {1: {"grid_step": 5.0, "grid_level": 5.0},  # values, strategy: top right
               2: {"grid_step": 1.0, "grid_level": 1.0}}  # greeting, preference: bottom left
    rows = grid_rows(contacts, ratings, "en")
    assert [r["level"] for r in rows] == ["A Strategy", "B Loyalty", "C Value", "D Trust",
                                          "E Preference"]
    assert rows[0]["cells"][4] == ["王磊"] and rows[4]["cells"][0] == ["李娜"]
    assert sum(len(c) for r in rows for c in r["cells"]) == 2  # 张伟 is not rated


def test_the_scorecard_page_says_too_few_answers_and_shows_comments_with_their_question(
        app, session, make_account, make_contact, make_campaign, invite):
    users.create_user(session, "admin@example.com", PASSWORD, role="admin", actor=None)
    campaign = make_campaign(("servqual", "loyalty"))
    account = make_account("K001")
    invitation, _token = invite(campaign, make_contact(account, role="economic"))
    submit(app, session, invitation, {**answers(5, 6, "faster quotes please"), "nps": 10})
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    page = client.get("/accounts/K001?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "too few answers (n = 1)" in text  # one answer: no NPS of 100
    assert "NPS 100" not in text and "NPS, role-weighted: 100" not in text
    assert "faster quotes please" in text and "Question: " in text
    assert 'data-chart="chart-gaps"' not in text  # no chart of one respondent's gaps
    assert "Twenty-five grid" in text and " style=" not in text and "<script>" not in text


def test_a_figure_of_fewer_than_5_answers_is_withheld_with_its_n():
    import pandas as pd

    from surveyapp.services.figures import withhold_thin, withhold_thin_row

    row = {"nps": 50.0, "nps.unweighted": 40.0, "nps.n": 4, "loyalty_index": 70.0,
           "loyalty_index.mean": 71.0, "loyalty_index.n": 4, "satisfaction": 80.0,
           "satisfaction.n": 9, "quadrant": "loyalist", "servqual.tangibles.gap": -1.0,
           "servqual.tangibles.gap.n": 5, "contribution": 1000.0}
    kept = withhold_thin_row(row)
    # n = 4: both NPS, the loyalty index and its mean, and the quadrant (it rests on the
    # loyalty index too) are gone; the n stay; n = 5 and 9 and a non-survey figure stay
    assert [kept[k] for k in ("nps", "nps.unweighted", "loyalty_index",
                              "loyalty_index.mean", "quadrant")] == [None] * 5
    assert (kept["nps.n"], kept["loyalty_index.n"]) == (4, 4)
    assert (kept["satisfaction"], kept["servqual.tangibles.gap"], kept["contribution"]) \
        == (80.0, -1.0, 1000.0)
    table = withhold_thin(pd.DataFrame([row, {**row, "nps.n": 5, "loyalty_index.n": 5}]))
    assert table["nps"].isna().tolist() == [True, False]
    assert table["quadrant"].tolist() == [None, "loyalist"]


def test_a_scorecard_of_four_answers_shows_no_survey_figure(
        app, session, make_account, make_contact, make_campaign, invite):
    users.create_user(session, "admin@example.com", PASSWORD, role="admin", actor=None)
    campaign = make_campaign(("servqual", "loyalty"))
    account = make_account("K001")
    for role in ("economic", "technical", "user", "coach"):
        invitation, _token = invite(campaign, make_contact(account, role=role))
        submit(app, session, invitation, {**answers(5, 6), "nps": 10})
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    text = client.get("/accounts/K001?lang=en").get_data(as_text=True)
    # every answer E 5, P 6: a gap of +1.00 everywhere, which must not show for n = 4
    assert "1.00" not in text and "6.00" not in text and "5.00" not in text
    assert "too few answers (n = 4)" in text
    assert text.count("too few answers") >= 10  # NPS ×2, indices, four degrees, gaps, totals
    text = client.get("/accounts?lang=en").get_data(as_text=True)
    assert "1.00" not in text and ">100<" not in text


def test_an_erased_contact_reads_erased_in_the_buying_centre(
        app, session, make_account, make_contact, make_campaign, invite):
    from datetime import UTC, datetime

    users.create_user(session, "admin@example.com", PASSWORD, role="admin", actor=None)
    campaign = make_campaign(("servqual", "loyalty"))
    account = make_account("K001")
    contact = make_contact(account, role="economic")
    invitation, _token = invite(campaign, contact)
    submit(app, session, invitation, {**answers(5, 6), "nps": 9})
    contact.name, contact.erased_at = "", datetime.now(UTC)  # as erasure leaves it
    session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    text = client.get("/accounts/K001?lang=en").get_data(as_text=True)
    assert '<td class="row-head">(erased)</td>' in text
    assert "（已删除）" in client.get("/accounts/K001?lang=zh").get_data(as_text=True)
