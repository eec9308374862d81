"""The manager's own assessment, edited on the account's page: stored in the managers'
campaign the analysis reads, recorded in the audit log, and the figures marked stale."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.models import AuditEvent, Campaign, Response
from surveyapp.services import assessment, scoring, users
from surveyapp.services.instruments import new_campaign

PASSWORD = "correct horse battery"


@pytest.fixture
def people(session):
    return {name: users.create_user(session, f"{name}@example.com", PASSWORD, role=role,
                                    actor=None)
            for name, role in (("owner", "manager"), ("other", "manager"),
                               ("boss", "leadership"))}


@pytest.fixture
def account(make_account, make_contact, people):
    account = make_account(owner_id=people["owner"].id)
    make_contact(account, role="economic")
    make_contact(account, role="technical")
    return account


@pytest.fixture
def managers_campaign(app, session):
    with app.app_context():
        campaign = new_campaign(session, "评估", list(assessment.SECTIONS), audience="manager")
        session.commit()
    return campaign


@pytest.fixture
def recomputes(monkeypatch):
    calls = []
    monkeypatch.setattr(scoring, "request_recompute",
                        lambda session, ids=None, **kw: calls.append(ids))
    return calls


def login(client, name):
    assert client.post("/login", data={"email": f"{name}@example.com",
                                       "password": PASSWORD}).status_code == 302
    return client


def current(app, session, account):
    with app.app_context():
        session.expire_all()
        return assessment.load(session, account, app.config["INSTRUMENTS_DIR"])


def test_an_edit_is_stored_audited_and_marks_the_figures_stale(
        app, session, client, account, managers_campaign, recomputes):
    economic, technical = account.contacts
    login(client, "owner")
    response = client.post(f"/accounts/{account.code}/assessment", data={
        "a-trust": "4", "a-joint_planning": "3", "a-exec_sponsor": "1", "a-g1_05.e": "6",
        f"g-{economic.id}-grid_step": "3", f"g-{economic.id}-grid_level": "2",
        f"g-{technical.id}-grid_step": ""})
    assert response.status_code == 302
    now = current(app, session, account)
    assert {k: now.account_answers[k] for k in ("trust", "joint_planning", "exec_sponsor",
                                                "g1_05.e")} == {
        "trust": 4.0, "joint_planning": 3.0, "exec_sponsor": 1.0, "g1_05.e": 6.0}
    assert now.grid == {economic.id: {"grid_step": 3.0, "grid_level": 2.0}}
    # one relationship row, one Gap 1 row (role manager), one grid row for the economic buyer
    rows = session.execute(select(Response.contact_id, Response.role)
                           .where(Response.campaign_id == managers_campaign.id)).all()
    assert sorted(rows, key=str) == sorted([(None, None), (None, "manager"),
                                            (economic.id, "economic")], key=str)
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "assessment.edited")).one()
    assert event.target == account.code and event.actor_email == "owner@example.com"
    assert recomputes == [[managers_campaign.id]]


def test_a_blank_keeps_the_answer_and_gap1_is_replaced_not_added(
        app, session, client, account, managers_campaign, recomputes):
    login(client, "owner")
    client.post(f"/accounts/{account.code}/assessment", data={"a-trust": "2",
                                                              "a-g1_01.e": "5"})
    client.post(f"/accounts/{account.code}/assessment", data={"a-trust": "",
                                                              "a-g1_01.e": "7"})
    now = current(app, session, account)
    assert now.account_answers["trust"] == 2.0 and now.account_answers["g1_01.e"] == 7.0
    gap1_rows = session.scalar(select(func.count(Response.id)).where(
        Response.campaign_id == managers_campaign.id, Response.role == "manager"))
    assert gap1_rows == 1  # one estimate for the account, however often it is edited
    # saving the same answers again changes nothing: no row, no event, no recompute
    client.post(f"/accounts/{account.code}/assessment", data={"a-trust": "2"})
    assert len(recomputes) == 2
    assert session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "assessment.edited")) == 2


@pytest.mark.parametrize("data", [{"a-trust": "9"}, {"a-trust": "2.5"},
                                  {"a-trust": "high"}, {"a-unknown": "1"},
                                  {"g-999999-grid_step": "2"}])
def test_a_bad_answer_is_refused_and_nothing_stored(session, client, account,
                                                     managers_campaign, recomputes, data):
    login(client, "owner")
    response = client.post(f"/accounts/{account.code}/assessment", data=data)
    assert response.status_code == 400
    assert "Nothing was saved" in response.get_data(as_text=True) or \
        "没有保存" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Response.id))) == 0
    assert session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "assessment.edited")) == 0
    assert recomputes == []


def test_the_first_edit_creates_the_managers_campaign(app, session, client, account,
                                                      recomputes):
    login(client, "owner")
    page = client.get(f"/accounts/{account.code}/assessment?lang=en").get_data(as_text=True)
    assert "Twenty-five grid" in page and "Gap 1" in page
    client.post(f"/accounts/{account.code}/assessment", data={"a-trust": "3"})
    campaign = session.scalars(select(Campaign).where(Campaign.audience == "manager")).one()
    assert [s.instrument_version.instrument_id for s in campaign.sections] == list(
        assessment.SECTIONS)
    assert current(app, session, account).account_answers == {"trust": 3.0}


def test_another_manager_cannot_see_or_edit_it_and_leadership_only_reads(
        session, client, account, managers_campaign, recomputes):
    login(client, "other")
    assert client.get(f"/accounts/{account.code}/assessment").status_code == 404
    assert client.post(f"/accounts/{account.code}/assessment",
                       data={"a-trust": "1"}).status_code == 404
    client.post("/logout")
    login(client, "boss")  # leadership reads the assessment on the scorecard, not this form
    assert client.get(f"/accounts/{account.code}/assessment").status_code == 403
    assert client.post(f"/accounts/{account.code}/assessment",
                       data={"a-trust": "1"}).status_code == 403
    assert session.scalar(select(func.count(Response.id))) == 0
