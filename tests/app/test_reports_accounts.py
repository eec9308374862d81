"""The accounts list: "needs attention" flags, filters, the CSV export of the filtered list."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from surveyapp.services import users
from tests.app.test_scoring import answers, submit

PASSWORD = "correct horse battery"


def _client(app, email):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code \
        == 302
    return client


@pytest.fixture
def listed(app, session, make_account, make_contact, make_campaign, invite):
    """K001: promoters, no gap, its economic buyer answered. K002: detractors, a gap of −2,
    its economic buyer invited but silent (only the technical buyer answered)."""
    users.create_user(session, "admin@example.com", PASSWORD, role="admin", actor=None)
    li = users.create_user(session, "li@example.com", PASSWORD, role="manager", actor=None)
    campaign = make_campaign(("servqual", "loyalty"))
    good = make_account("K001", name="=HYPERLINK(1)", revenue=2e6, margin=0.3,
                        cost_to_serve=1e5)
    bad = make_account("K002", name="client two", revenue=1e6, margin=0.1,
                       cost_to_serve=2e5, owner_id=li.id)
    invite(campaign, make_contact(bad, role="economic"))  # never answers
    for account, role, e, p, nps in ((good, "economic", 5, 6, 10), (good, "user", 5, 5, 9),
                                     (bad, "technical", 6, 4, 2)):
        invitation, _token = invite(campaign, make_contact(account, role=role))
        submit(app, session, invitation, {**answers(e, p), "nps": nps})
    return campaign


def _rows(data: bytes) -> list[dict]:
    """The CSV's rows keyed by each header's technical name ("客户名称 (name)" → "name")."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    headers = [h.rsplit(" (", 1)[1].rstrip(")") for h in next(reader)]
    return [dict(zip(headers, row, strict=True)) for row in reader]


def test_needs_attention_flags_say_why(app, listed):
    client = _client(app, "admin@example.com")
    text = client.get("/accounts?lang=en").get_data(as_text=True)
    assert text.count('class="flag">more detractors<') == 1
    assert text.count('class="flag">large negative gap<') == 1
    assert text.count('class="flag warn">economic buyer silent<') == 1
    rows = {r["account_id"]: r for r in _rows(client.get("/accounts.csv").data)}
    # K002: one answer of 2 (DESIGN.md: 0–6 detractors); gap 4 − 6 = −2 ≤ −1; its economic
    # buyer was invited and did not answer. The flags say so in words; the NPS and the gap
    # of one person are not figures: empty cells beside their n
    assert rows["K002"]["flag_more_detractors"] == rows["K002"]["flag_large_negative_gap"] \
        == "yes"
    assert rows["K002"]["flag_economic_buyer_silent"] == "yes"
    assert (rows["K002"]["nps_per_respondent"], rows["K002"]["nps_n"]) == ("", "1")
    assert (rows["K002"]["servqual_gap_role_weighted"], rows["K002"]["servqual_n"]) == ("", "1")
    # K001: answers 10 and 9, no gap ≤ −1: nothing to flag; n = 2, so no NPS or gap either
    assert [rows["K001"][f"flag_{f}"] for f in
            ("more_detractors", "large_negative_gap", "economic_buyer_silent",
             "stage_fell")] == ["no"] * 4
    assert (rows["K001"]["servqual_gap_role_weighted"], rows["K001"]["servqual_n"]) == ("", "2")
    # contribution = revenue · margin − cost to serve (DESIGN.md)
    assert float(rows["K001"]["contribution"]) == pytest.approx(2e6 * 0.3 - 1e5)
    # a name a spreadsheet would run is written as text
    assert rows["K001"]["name"] == "'=HYPERLINK(1)"


def test_the_export_speaks_the_pages_language_with_the_technical_names_kept(app, listed):
    client = _client(app, "admin@example.com")
    client.get("/accounts?lang=zh")
    data = client.get("/accounts.csv").data
    assert data.startswith("\ufeff".encode())  # UTF-8 with BOM: Excel reads the Chinese
    head = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert head[:2] == ["客户 (account_id)", "客户名称 (name)"]
    assert "NPS（按角色加权） (nps_role_weighted)" in head
    client.get("/accounts?lang=en")
    head = next(csv.reader(io.StringIO(client.get("/accounts.csv").data.decode("utf-8-sig"))))
    assert "NPS, each respondent counted once (nps_per_respondent)" in head


def test_the_export_holds_the_filtered_list_and_is_audited(app, session, listed):
    from sqlalchemy import select

    from surveyapp.models import AuditEvent

    client = _client(app, "admin@example.com")
    flagged = _rows(client.get("/accounts.csv?attention=1").data)
    assert [r["account_id"] for r in flagged] == ["K002"]
    cheap = _rows(client.get("/accounts.csv?contribution_below=0").data)
    assert [r["account_id"] for r in cheap] == ["K002"]  # 1e6 · 0.1 − 2e5 = −1e5
    page = client.get("/accounts?attention=1&lang=en").get_data(as_text=True)
    assert "client two" in page and "HYPERLINK" not in page
    session.expire_all()
    assert "accounts.csv" in " ".join(str(e.detail_json) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.action == "export")))


def test_a_managers_export_holds_only_their_accounts(app, listed):
    rows = _rows(_client(app, "li@example.com").get("/accounts.csv").data)
    assert [r["account_id"] for r in rows] == ["K002"]


class _Figures:
    """Stored run tables, as the list reads them."""

    def __init__(self, accounts, order=("pre_kam", "early", "mid", "partnership",
                                        "synergistic", "uncoupling")):
        self.tables = {"accounts": pd.DataFrame(accounts)}
        self.inputs = {"stage_order": list(order)}
        self.key = None
        self.available = True

    def table(self, name):
        return self.tables.get(name, pd.DataFrame())

    def derived(self, _name, build):
        return build()


def test_a_stage_lower_than_in_the_wave_before_is_flagged():
    from surveyapp.services.scorecards import AccountsQuery, export_rows

    base = {"name": "x", "roles": "economic", "nps.unweighted": 50.0,
            "servqual.unweighted": 0.2}
    before = _Figures([{**base, "account_id": a, "stage": s} for a, s in (
        ("A", "mid"), ("B", "early"), ("C", "early"), ("D", "partnership"))])
    now = _Figures([{**base, "account_id": a, "stage": s} for a, s in (
        ("A", "early"), ("B", "mid"), ("C", "uncoupling"), ("D", "partnership"),
        ("E", "early"))])
    rows = export_rows(now, AccountsQuery(), before).set_index("account_id")
    # fell: mid → early, early → uncoupling (below every stage); not: a rise, the same
    # stage, an account new in this wave
    assert rows["flag.stage_fell"].to_dict() == {"A": True, "B": False, "C": True,
                                                 "D": False, "E": False}
    assert rows.loc["A", "previous_stage"] == "mid" and pd.isna(rows.loc["E",
                                                                         "previous_stage"])
    only = export_rows(now, AccountsQuery(attention=True), before)
    assert list(only["account_id"]) == ["A", "C"]


def test_bad_filter_values_are_not_errors_on_the_page(app, listed):
    client = _client(app, "admin@example.com")
    for query in ("nps_below=abc", "contribution_below=x", "page=-3", "sort=nope",
                  "attention=yes"):
        assert client.get(f"/accounts?{query}").status_code == 200, query
    for query in ("page=-3", "sort=nope", "attention=yes"):
        assert client.get(f"/accounts.csv?{query}").status_code == 200, query


def test_the_filters_fold_away_unless_one_is_set(app, listed):
    """On a phone the filters must not push the list below the fold: the panel is served
    closed when nothing is filtered (pages.js opens it on a wide screen), open when a filter
    is active, so what narrows the list is always in view."""
    client = _client(app, "admin@example.com")
    text = client.get("/accounts?lang=en").get_data(as_text=True)
    panel = text.split('<details class="filters-panel"', 1)[1].split(">", 1)[0]
    assert panel.strip() == "data-open-wide"  # closed
    assert 'src="/static/pages.js"' in text and "<script>" not in text
    for query, active in (("gap_below=0", 1), ("type=value_added&attention=1", 2),
                          ("q=K00", 1)):
        text = client.get(f"/accounts?lang=en&{query}").get_data(as_text=True)
        panel = text.split('<details class="filters-panel"', 1)[1].split(">", 1)[0]
        assert panel.split() == ["data-open-wide", "open"], query
        assert f"{active} active" in text and "Clear filters" in text
    with client.get("/static/pages.js") as script:
        assert b"details[data-open-wide]" in script.data


def test_a_number_filter_that_is_not_a_number_is_said_not_ignored(app, listed):
    client = _client(app, "admin@example.com")
    text = client.get("/accounts?lang=en&nps_below=abc").get_data(as_text=True)
    assert "Not a number, so not used as a filter: NPS below." in text
    assert "client two" in text  # the list is not filtered by it
    assert "Not a number" not in client.get("/accounts?lang=en&nps_below=-50").get_data(
        as_text=True)
    response = client.get("/accounts.csv?gap_below=x")
    assert response.status_code == 400  # an export holds what was asked for, or nothing


def test_the_owner_is_shown_by_name_where_the_user_has_one(app, session, listed):
    from surveyapp.models import Account, User
    from surveyapp.services import scoring

    li = session.query(User).filter_by(email="li@example.com").one()
    li.name = "李娜"
    session.query(Account).filter_by(code="K002").one().owner = "li@example.com"
    session.commit()
    with app.app_context():
        scoring.request_recompute(session, None)  # the list reads the owner from the run
    client = _client(app, "admin@example.com")
    text = client.get("/accounts?lang=en").get_data(as_text=True)
    assert "李娜" in text and ">li@example.com<" not in text
    assert "Owner: 李娜" in client.get("/accounts/K002?lang=en").get_data(as_text=True)
