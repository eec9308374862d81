"""The portfolio dashboard: figures from the stored run, filters, roles, chart data."""

from __future__ import annotations

import json
import math
import re

import pytest

from surveyapp.services import users
from tests.app.test_scoring import answers, submit

PASSWORD = "correct horse battery"
# (code, customer type, revenue, [(role, E, P, recommend score)])
PORTFOLIO = [  # the one who did not answer first: the run after the last answer counts it
    ("K003", "value_added", 500_000.0, []),  # invited, did not answer
    ("K001", "partnership", 4_000_000.0, [("economic", 5, 6, 10), ("technical", 5, 6, 9),
                                          ("user", 6, 6, 8)]),
    ("K002", "price_sensitive", 1_000_000.0, [("economic", 6, 4, 3), ("technical", 6, 5, 6)]),
]


def _client(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code \
        == 302
    return client


@pytest.fixture
def board(app, session, make_account, make_contact, make_campaign, invite):
    people = {role: users.create_user(session, f"{role}@example.com", PASSWORD, role=role,
                                      actor=None) for role in ("admin", "leadership")}
    people["li"] = users.create_user(session, "li@example.com", PASSWORD, role="manager",
                                     actor=None)
    campaign = make_campaign(("servqual", "loyalty"))
    for code, ctype, revenue, people_answers in PORTFOLIO:
        account = make_account(code, name=f"client {code}", customer_type=ctype,
                               revenue=revenue, margin=0.2, cost_to_serve=10_000.0,
                               owner="li@example.com" if code == "K002" else None,
                               owner_id=people["li"].id if code == "K002" else None)
        if not people_answers:
            invite(campaign, make_contact(account, role="economic"))
        for role, e, p, nps in people_answers:
            invitation, _token = invite(campaign, make_contact(account, role=role))
            submit(app, session, invitation, {**answers(e, p), "nps": nps})
    return campaign


def _charts(page: str) -> dict[str, dict]:
    blocks = re.findall(r'<script type="application/json" id="chart-(\w+)">(.*?)</script>',
                        page, re.S)
    return {name: json.loads(data) for name, data in blocks}


def test_the_dashboard_is_the_landing_page_with_the_runs_figures(app, board):
    page = _client(app, "admin@example.com").get("/?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # NPS by hand (DESIGN.md: promoters 9–10, detractors 0–6): answers 10, 9, 8, 3, 6 →
    # p = 2/5, d = 2/5, NPS = 0; margin 1.96·100·sqrt((p + d − (p − d)²)/n) = 78.4
    p, d, n = 2 / 5, 2 / 5, 5
    moe = 1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert round(moe) == 78
    assert re.search(r'<p class="big">0 <small class="muted">± 78</small>', text)
    charts = _charts(text)
    # every respondent answered E and P the same on every item: the wave's gap per
    # dimension is the mean of P − E over respondents = (1 + 1 + 0 − 2 − 1) / 5 = −0.2
    assert charts["gaps"]["series"][0]["data"] == pytest.approx([-0.2] * 5)
    assert charts["ep"]["series"][0]["data"] == pytest.approx([5.6] * 5)  # (5+5+6+6+6)/5
    # stages: every account of the run is counted once over the ladder and uncoupling
    assert sum(charts["stages"]["series"][0]["data"]) == 3
    assert "not placed" not in text
    # coverage weighted by revenue: K001 and K002 answered, K003 did not
    share = (4_000_000 + 1_000_000) / 5_500_000
    assert f"{100 * share:.0f} %" in text  # 91 %
    assert "2 of 3 accounts answered" in text and "5 of 6 invited contacts" in text
    # contribution Pareto: the largest contributor first, each with its class
    assert charts["pareto"]["labels"][0] == "K001"
    assert {"stages", "gaps", "ep", "pareto", "trend"} <= set(charts)


def test_filters_narrow_the_account_counts_and_say_what_stays_whole(app, board):
    client = _client(app, "admin@example.com")
    text = client.get("/?lang=en&type=price_sensitive").get_data(as_text=True)
    assert "Filtered" in text and "the 1 accounts shown" in text
    charts = _charts(text)
    assert sum(charts["stages"]["series"][0]["data"]) == 1
    assert charts["pareto"]["labels"] == ["K002"]
    assert "1 of 1 accounts answered" in text


def test_a_manager_sees_only_their_accounts_on_the_dashboard(app, board):
    text = _client(app, "li@example.com").get("/?lang=en").get_data(as_text=True)
    charts = _charts(text)
    assert charts["pareto"]["labels"] == ["K002"]  # Li owns K002 only
    assert "K001" not in text and "client K001" not in text


@pytest.mark.parametrize("email", ["admin@example.com", "leadership@example.com",
                                   "li@example.com"])
def test_every_role_gets_the_dashboard_and_its_chart_script(app, board, email):
    client = _client(app, email)
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'src="/static/vendor/chart.umd.min.js"' in text
    assert "<script>" not in text and " style=" not in text  # nothing the CSP refuses
    for script in ("/static/vendor/chart.umd.min.js", "/static/charts.js"):
        with client.get(script) as served:  # served from the project: works offline
            assert served.status_code == 200 and served.data


def test_too_few_answers_show_no_nps(app, session, make_account, make_contact,
                                     make_campaign, invite):
    users.create_user(session, "admin@example.com", PASSWORD, role="admin", actor=None)
    campaign = make_campaign(("servqual", "loyalty"))
    account = make_account("K009")
    invitation, _token = invite(campaign, make_contact(account))
    submit(app, session, invitation, {**answers(5, 5), "nps": 10})
    text = _client(app, "admin@example.com").get("/?lang=en").get_data(as_text=True)
    assert "Too few answers (n = 1) for an NPS." in text
    assert "gaps" not in _charts(text)  # no bar for a gap resting on one answer


def test_no_wave_yet_says_so(app, session):
    users.create_user(session, "admin@example.com", PASSWORD, role="admin", actor=None)
    text = _client(app, "admin@example.com").get("/?lang=en").get_data(as_text=True)
    assert "There is no survey campaign yet." in text


def test_an_unknown_wave_is_not_found(app, board):
    client = _client(app, "admin@example.com")
    assert client.get("/?campaign=999").status_code == 404


def test_a_wave_just_created_does_not_replace_the_answered_one(app, board, make_campaign):
    # a wave created but not yet sent has no answers: the pages keep showing the newest
    # wave that has them, and the new one is a click away
    fresh = make_campaign(("servqual", "loyalty"), name="Wave 2")
    client = _client(app, "admin@example.com")
    text = client.get("/?lang=en").get_data(as_text=True)
    assert re.search(r'<p class="big">0 <small class="muted">± 78</small>', text)
    assert client.get(f"/?campaign={fresh.id}&lang=en").status_code == 200
    assert client.get(f"/accounts?campaign={fresh.id}&lang=en").status_code == 200


def test_open_alerts_are_counted_in_full_and_follow_the_filters(app, board, monkeypatch):
    from surveyapp.reports import views

    # K002's two answers are detractors (3 and 6): one alert and one task each
    monkeypatch.setattr(views, "DASHBOARD_LIST", 1)  # the list shows one, the count says 2
    client = _client(app, "admin@example.com")
    text = client.get("/?lang=en").get_data(as_text=True)
    assert "2 open alerts, 2 open tasks." in text and "The newest 1 of 2." in text
    text = client.get("/?lang=en&type=partnership").get_data(as_text=True)  # K001 only
    assert "0 open alerts, 0 open tasks." in text
    text = client.get("/?lang=en&type=price_sensitive").get_data(as_text=True)
    assert "2 open alerts, 2 open tasks." in text
    text = _client(app, "li@example.com").get("/?lang=en").get_data(as_text=True)
    assert "2 open alerts, 2 open tasks." in text  # K002 is Li's


def test_the_stage_chart_counts_in_whole_numbers_and_importance_carries_its_n(app, board):
    text = _client(app, "admin@example.com").get("/?lang=en").get_data(as_text=True)
    assert _charts(text)["stages"]["counts"] is True  # charts.js: integer ticks
    # five respondents answered the importance allocation (the fixture's five answers)
    table = text.split(">Importance and performance<", 1)[1].split("</table>", 1)[0]
    assert '<th scope="col" class="num">n</th>' in table
    assert table.count('data-label="n">5</td>') == 5
