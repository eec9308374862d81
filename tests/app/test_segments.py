"""Figures per segment on the dashboard and the scorecard, and each buying role's view.

The run stores NPS and gaps per customer type, industry and owner (``segments``,
``segment_items``) and per account and buying role (``account_roles``). Every expected value
here is computed in the test from the answers it submits (DESIGN.md: NPS = 100·(p − d), margin
1.96·100·sqrt((p + d − (p − d)²)/n); a respondent's gap = mean of P − E over the items;
Wilcoxon signed-rank of the gaps against 0, scipy defaults, Holm across the five dimensions).
The stored tables are checked against that computation, then the pages against the tables.
"""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import select

from surveyapp.models import ScoringTable
from surveyapp.reports.roles import role_views
from surveyapp.services import users
from surveyapp.services.scoring import newest_run, read_table
from tests.app.test_scoring import answers, submit

PASSWORD = "correct horse battery"
DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
LI, ZHAO = "li@example.com", "zhao@example.com"
# code: (customer type, industry, owner, [(role, E, P, recommend)]); each respondent answers
# every item with the same E and P, so each dimension's gap is P − E for that respondent
ACCOUNTS = {
    "P1": ("partnership", "钢铁", LI, [("economic", 5, 6, 10), ("technical", 4, 6, 9),
                                      ("user", 6, 6, 8)]),
    "P2": ("partnership", "汽车", ZHAO, [("economic", 6, 4, 3), ("technical", 6, 5, 10),
                                        ("user", 7, 4, 0)]),
    "S1": ("price_sensitive", "钢铁", LI, [("economic", 6, 5, 7), ("technical", 4, 7, 9)]),
    "Q1": ("value_added", "汽车", ZHAO, [("technical", 5, 6, 9), ("technical", 5, 6, 10),
                                        ("technical", 5, 5, 9), ("technical", 6, 5, 6),
                                        ("technical", 4, 6, 8)]),
}


def nps(scores):
    n = len(scores)
    p = sum(s >= 9 for s in scores) / n
    d = sum(s <= 6 for s in scores) / n
    return {"nps": 100 * (p - d), "nps.moe": 1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / n),
            "nps.n": n, "nps.promoters": sum(s >= 9 for s in scores),
            "nps.passives": sum(7 <= s <= 8 for s in scores),
            "nps.detractors": sum(s <= 6 for s in scores)}


def group(answered):
    """One segment's (or role's) figures from its respondents' (E, P, recommend)."""
    gaps = [p - e for _role, e, p, _s in answered]
    row = nps([s for *_rest, s in answered])
    p_value = stats.wilcoxon(gaps).pvalue if any(gaps) else 1.0
    for dim in DIMENSIONS:  # the five dimensions are alike: Holm of five equal p = 5p
        row.update({f"servqual.{dim}.e": sum(e for _r, e, _p, _s in answered) / len(gaps),
                    f"servqual.{dim}.p": sum(p for _r, _e, p, _s in answered) / len(gaps),
                    f"servqual.{dim}.gap": sum(gaps) / len(gaps),
                    f"servqual.{dim}.n": len(gaps),
                    f"servqual.{dim}.p_holm": min(1.0, 5 * p_value)})
    row["servqual.unweighted"] = sum(gaps) / len(gaps)
    row["responses"] = len(gaps)
    return row


def expected_segments() -> pd.DataFrame:
    rows = []
    for kind, position in (("customer_type", 0), ("industry", 1), ("owner", 2)):
        for value in sorted({spec[position] for spec in ACCOUNTS.values()}):
            members = [c for c, spec in ACCOUNTS.items() if spec[position] == value]
            answered = [a for c in members for a in ACCOUNTS[c][3]]
            rows.append({"segment": kind, "value": value, "accounts": len(members),
                         **group(answered)})
    return pd.DataFrame(rows)


def expected_items(segment_table: pd.DataFrame) -> pd.DataFrame:
    from tests.app.test_scoring import SERVQUAL

    return pd.DataFrame([
        {"segment": r["segment"], "value": r["value"], "dimension": item.construct,
         "item": item.id, "e": r[f"servqual.{item.construct}.e"],
         "p": r[f"servqual.{item.construct}.p"], "gap": r[f"servqual.{item.construct}.gap"],
         "n": r[f"servqual.{item.construct}.n"]}
        for r in segment_table.to_dict(orient="records") for item in SERVQUAL.items])


def expected_roles() -> pd.DataFrame:
    rows = []
    for code, (*_spec, answered) in ACCOUNTS.items():
        for role in dict.fromkeys(r for r, *_rest in answered):
            mine = [a for a in answered if a[0] == role]
            figures = group(mine)
            rows.append({"account_id": code, "role": role, "n": len(mine),
                         **{k: v for k, v in figures.items()
                            if k in ("nps", "nps.n", "servqual.unweighted")
                            or k.endswith((".gap", ".n")) and k.startswith("servqual.")}})
    return pd.DataFrame(rows)


def _stored(session, campaign) -> dict[str, pd.DataFrame]:
    """The run's segment and role tables, as the pipeline wrote them."""
    run = newest_run(session, campaign.id)
    tables = {}
    for name in ("segments", "segment_items", "account_roles"):
        data = session.scalar(select(ScoringTable.data).where(
            ScoringTable.run_id == run.id, ScoringTable.name == name))
        assert data is not None, f"the run has no {name} table"
        tables[name] = read_table(data)
    return tables


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app and one scored wave for the whole module (thirteen answers, each scored as it
    comes, take a while): the tests only read it."""
    from surveyapp import create_app
    from surveyapp.db import upgrade
    from surveyapp.models import Account, Contact
    from surveyapp.services import invitations
    from surveyapp.services.instruments import new_campaign

    folder = tmp_path_factory.mktemp("segments")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "DATABASE_URL": f"sqlite:///{folder / 'test.sqlite'}",
                      "WTF_CSRF_ENABLED": False, "JOBS_IMMEDIATE": True},
                     instance_path=str(folder))
    with app.app_context():
        upgrade()
    session = app.extensions["db_sessionmaker"]()
    people = {email: users.create_user(session, email, PASSWORD, role=role, actor=None)
              for email, role in (("admin@example.com", "admin"),
                                  ("boss@example.com", "leadership"),
                                  (LI, "manager"), (ZHAO, "manager"))}
    with app.app_context():
        campaign = new_campaign(session, "Wave 1", ["servqual", "loyalty"], wave="W1")
        session.commit()
    contacts = 0
    for code, (ctype, industry, owner, answered) in ACCOUNTS.items():
        account = Account(code=code, name=f"client {code}", customer_type=ctype,
                          industry=industry, owner=owner, owner_id=people[owner].id,
                          revenue=1_000_000.0, margin=0.2, cost_to_serve=10_000.0)
        session.add(account)
        for role, e, p, score in answered:
            contacts += 1
            contact = Contact(code=f"{code}-C{contacts}", account=account, role=role,
                              name=f"联系人{contacts}", lang="zh",
                              email=f"c{contacts}@example.com")
            session.add(contact)
            session.commit()
            invitation, _token = invitations.invite(session, campaign, contact, "test-secret")
            session.commit()
            submit(app, session, invitation, {**answers(e, p), "nps": score})
    yield app, campaign, _stored(session, campaign)
    session.close()
    app.extensions["db_engine"].dispose()


@pytest.fixture
def app(world):
    return world[0]


@pytest.fixture
def wave(world):
    return world[1], world[2]


def _client(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code \
        == 302
    return client


def _charts(page: str) -> dict[str, dict]:
    blocks = re.findall(r'<script type="application/json" id="chart-(\w+)">(.*?)</script>',
                        page, re.S)
    return {name: json.loads(data) for name, data in blocks}


def _row(table, segment, value):
    rows = table[(table["segment"] == segment) & (table["value"] == value)]
    assert len(rows) == 1
    return rows.iloc[0]


def _role_views(text):
    return text.split('<div class="role-views', 1)[1].split("\n</div>", 1)[0]


def _nps_card(text):
    return re.search(r'<p class="big">(-?\d+) <small class="muted">± (\d+)</small>', text)


def test_the_stored_segments_are_those_of_the_answers(wave):
    _campaign, stored = wave
    table = stored["segments"]
    # partnership: recommend 10, 9, 8, 3, 10, 0 → p = 3/6, d = 2/6: NPS 16.7 ± 71.8, n = 6;
    # gaps 1, 2, 0, −2, −1, −3 → −0.5
    row = _row(table, "customer_type", "partnership")
    assert row["nps"] == pytest.approx(100 / 6) and row["nps.moe"] == pytest.approx(71.82, abs=.01)
    assert row["nps.n"] == 6 and row["servqual.reliability.gap"] == pytest.approx(-0.5)
    expected = expected_segments()
    for segment, value in (("owner", LI), ("industry", "汽车"), ("customer_type", "value_added")):
        mine, theirs = _row(expected, segment, value), _row(table, segment, value)
        for column in ("nps", "nps.moe", "nps.n", "servqual.empathy.gap", "servqual.empathy.n",
                       "servqual.empathy.p_holm"):
            assert theirs[column] == pytest.approx(mine[column]), (segment, value, column)
    keys = ["segment", "value", "dimension", "item"]
    items = stored["segment_items"].merge(expected_items(expected), on=keys,
                                          suffixes=("", "_mine"))
    assert len(items) == len(expected) * 22
    for column in ("e", "p", "gap", "n"):
        assert items[column].to_numpy(dtype=float) == pytest.approx(
            items[f"{column}_mine"].to_numpy(dtype=float))
    roles = stored["account_roles"].merge(expected_roles(), on=["account_id", "role"],
                                          suffixes=("", "_mine"))
    assert len(roles) == len(stored["account_roles"]) == 9  # P1 3, P2 3, S1 2, Q1 1 roles
    for column in ("n", "nps", "nps.n", "servqual.unweighted", "servqual.tangibles.gap",
                   "servqual.tangibles.n"):
        assert roles[column].to_numpy(dtype=float) == pytest.approx(
            roles[f"{column}_mine"].to_numpy(dtype=float)), column


def test_one_filter_shows_that_segments_nps_and_gaps_beside_the_wave(app, wave):
    _campaign, stored = wave
    row = _row(stored["segments"], "customer_type", "partnership")
    text = _client(app, "admin@example.com").get("/?lang=en&type=partnership").get_data(
        as_text=True)
    card = _nps_card(text)
    assert (int(card[1]), int(card[2])) == (round(row["nps"]), round(row["nps.moe"]))  # 17 ± 72
    assert f"n = {int(row['nps.n'])};" in text and "Partnership" in text
    # the whole wave beside it: 13 answers, 7 promoters, 3 detractors → NPS 30.8
    wave_nps = nps([s for spec in ACCOUNTS.values() for *_r, s in spec[3]])
    assert round(wave_nps["nps"]) == 31
    assert re.search(rf"Whole wave: {round(wave_nps['nps'])} ± {round(wave_nps['nps.moe'])}",
                     text)
    gaps = _charts(text)["gaps"]["series"]
    assert gaps[0]["data"] == pytest.approx([row["servqual.tangibles.gap"]] * 5)  # −0.5
    assert gaps[1]["label"] == "Whole wave"
    p_holm = row["servqual.tangibles.p_holm"]
    shown = "< 0.001" if p_holm < 0.001 else f"= {p_holm:.3f}"
    assert f"p {shown}" in text
    assert "the whole wave's" in text and "from its own answers" in text


def test_a_segment_under_the_minimum_says_too_few_answers(app, wave):
    text = _client(app, "admin@example.com").get("/?lang=en&type=price_sensitive").get_data(
        as_text=True)
    assert "Too few answers (n = 2) for an NPS." in text  # S1's two answers
    assert _nps_card(text) is None and "gaps" not in _charts(text)


def test_combined_filters_say_the_figures_are_the_whole_waves(app, wave):
    text = _client(app, "admin@example.com").get(
        "/?lang=en&type=partnership&industry=%E9%92%A2%E9%93%81").get_data(as_text=True)
    assert "More than one filter is set" in text
    wave_nps = nps([s for spec in ACCOUNTS.values() for *_r, s in spec[3]])
    card = _nps_card(text)
    assert int(card[1]) == round(wave_nps["nps"]) and "Whole wave:" not in text


def test_a_manager_sees_their_own_accounts_figures_beside_the_portfolios(app, wave):
    _campaign, stored = wave
    row = _row(stored["segments"], "owner", LI)
    # Li owns P1 and S1: recommend 10, 9, 8, 7, 9 → p = 3/5, d = 0: NPS 60 ± 42.9, n = 5
    assert round(row["nps"]) == 60 and round(row["nps.moe"]) == 43
    client = _client(app, LI)
    text = client.get("/?lang=en").get_data(as_text=True)
    card = _nps_card(text)
    assert (int(card[1]), int(card[2])) == (60, 43)
    assert "your own accounts (owner li@example.com)" in text and "Whole wave: 31" in text
    # a filter on top: still all of Li's accounts, and the page says so
    text = client.get("/?lang=en&type=partnership").get_data(as_text=True)
    assert int(_nps_card(text)[1]) == 60 and "not only the filtered ones" in text
    # another manager's account stays not found
    assert client.get("/accounts/P2").status_code == 404
    assert client.get("/accounts/P1").status_code == 200


def test_the_scorecard_shows_the_customer_types_gaps(app, wave):
    _campaign, stored = wave
    row = _row(stored["segments"], "customer_type", "partnership")
    items = stored["segment_items"]
    item = items[(items["segment"] == "customer_type") & (items["value"] == "partnership")
                 & (items["item"] == "sq01")].iloc[0]
    text = _client(app, LI).get("/accounts/P1?lang=en").get_data(as_text=True)
    assert "Same customer type" in text
    compare = text.split("Against the portfolio", 1)[1]
    # P1: gaps 1, 2, 0 → +1.00; the portfolio (13 answers) and partnership's −0.50 beside it
    assert f">{row['servqual.tangibles.gap']:.2f}<" in compare.split("</table>")[0] or \
        f">−{abs(row['servqual.tangibles.gap']):.2f}<" in compare.split("</table>")[0]
    assert item["gap"] == pytest.approx(-0.5)
    assert 'data-chart="chart-gaps"' not in text  # three answers: no chart of P1's gaps
    # Q1 (five answers) is the only value-added account: its type's bars equal its own
    text = _client(app, "boss@example.com").get("/accounts/Q1?lang=en").get_data(as_text=True)
    series = _charts(text)["gaps"]["series"]
    value_added = _row(stored["segments"], "customer_type", "value_added")
    assert series[2]["label"] == "Same customer type"
    assert series[2]["data"] == pytest.approx([value_added["servqual.tangibles.gap"]] * 5)
    assert value_added["servqual.tangibles.gap"] == pytest.approx(0.6)  # (1 + 1 + 0 − 1 + 2)/5


def test_each_roles_view_shows_figures_only_from_enough_answers(app, wave):
    _campaign, stored = wave
    roles = stored["account_roles"]
    technical = roles[(roles["account_id"] == "Q1") & (roles["role"] == "technical")].iloc[0]
    # Q1's five technical buyers: recommend 9, 10, 9, 6, 8 → p = 3/5, d = 1/5: NPS 40
    assert technical["n"] == 5 and technical["nps"] == pytest.approx(40.0)
    text = _client(app, "admin@example.com").get("/accounts/Q1?lang=en").get_data(
        as_text=True)
    view = _role_views(text)
    assert re.search(r"<dt>NPS</dt><dd>40 <small", view)
    assert "n = 5" in view and 'class="muted role-few"' not in text  # Q1's only role
    # P1: one answer per role → nothing but "too few answers"
    text = _client(app, LI).get("/accounts/P1?lang=en").get_data(as_text=True)
    assert "<dt>NPS</dt>" not in _role_views(text)
    few = text.split('<p class="muted role-few">', 1)[1].split("</p>", 1)[0]
    assert few.startswith("Too few answers to show these roles' own figures (5 are needed)")
    assert few.count("n = 1") == 3


def test_role_views_drop_values_under_the_minimum():
    rows = [{"role": "economic", "n": 6, "nps": 50.0, "nps.n": 6, "satisfaction": 70.0,
             "satisfaction.n": 4, "servqual.tangibles.gap": -1.25, "servqual.tangibles.n": 6,
             "servqual.unweighted": -1.0},
            {"role": "user", "n": 2, "nps": -100.0, "nps.n": 2,
             "servqual.tangibles.gap": -3.0, "servqual.tangibles.n": 2}]
    economic, user = role_views(rows, ["tangibles", "empathy"], {"tangibles": "Tangibles"})
    assert economic["nps"] == {"value": 50.0, "n": 6, "enough": True}
    assert economic["satisfaction"] == {"value": None, "n": 4, "enough": False}
    assert economic["gap"]["value"] == -1.0 and economic["gap"]["n"] == 6  # the role's n
    assert [g["name"] for g in economic["gaps"]] == ["Tangibles"]  # empathy not in the run
    assert not user["enough"] and user["nps"]["value"] is None
    assert user["gaps"][0]["value"] is None


@pytest.mark.parametrize(("filters", "own", "expected"), [
    ({}, None, ("wave", None, None, False)),
    ({"industry": "钢铁"}, None, ("segment", "industry", "钢铁", False)),
    ({"owner": LI}, None, ("segment", "owner", LI, False)),
    ({"customer_type": "partnership", "industry": "钢铁"}, None,
     ("combined", None, None, False)),
    ({}, LI, ("own", "owner", LI, False)),
    ({"owner": LI}, LI, ("own", "owner", LI, False)),  # their own owner filter narrows nothing
    ({"customer_type": "partnership"}, LI, ("own", "owner", LI, True)),
])
def test_whose_figures_a_dashboard_shows(filters, own, expected):
    from surveyapp.reports.segments import scope_of

    scope = scope_of({"customer_type": None, "industry": None, "owner": None, **filters}, own)
    assert (scope.kind, scope.segment, scope.value, scope.narrower) == expected
