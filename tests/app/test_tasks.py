"""Follow-up tasks: opened by an alert or by hand, closed with a note, overdue listed;
a manager sees and closes only their own accounts' tasks, leadership only reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from surveyapp.models import AuditEvent, FollowUpTask, Invitation
from surveyapp.services import surveys, tasks, users

PASSWORD = "correct horse battery"


@pytest.fixture
def people(session):
    return {name: users.create_user(session, f"{name}@example.com", PASSWORD, name=name,
                                    role=role, actor=None)
            for name, role in (("owner", "manager"), ("other", "manager"),
                               ("boss", "leadership"), ("root", "admin"))}


@pytest.fixture
def account(make_account, people):
    return make_account(owner_id=people["owner"].id)


def login(client, email):
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def add_task(session, account, due_on, title="致电采购经理"):
    task = FollowUpTask(account_id=account.id, owner_id=account.owner_id, title=title,
                        due_on=due_on)
    session.add(task)
    session.commit()
    return task


def test_a_detractor_opens_a_task_that_the_owner_closes_with_a_note(
        app, session, client, account, make_contact, make_campaign, invite):
    campaign = make_campaign(("servqual", "loyalty"))
    invitation, _token = invite(campaign, make_contact(account))
    with app.test_request_context():
        surveys.submit(session, session.get(Invitation, invitation.id), {"nps": 4}, "zh")
    task = session.scalars(select(FollowUpTask)).one()
    login(client, "owner@example.com")
    page = client.get("/tasks?lang=en").get_data(as_text=True)
    assert "recommendation 4 of 10" in page and "from an alert" in page
    response = client.post(f"/tasks/{task.id}/close", data={"note": "已回访，安排技术支持"})
    assert response.status_code == 302
    session.expire_all()
    task = session.get(FollowUpTask, task.id)
    assert task.closed_at is not None and task.note == "已回访，安排技术支持"
    assert session.scalar(select(func.count(AuditEvent.id))
                          .where(AuditEvent.action == "task.closed")) == 1
    assert tasks.open_for(session, task.owner) == []


def test_closing_needs_a_note_and_happens_once(session, client, account):
    task = add_task(session, account, date.today() + timedelta(days=3))
    login(client, "owner@example.com")
    client.post(f"/tasks/{task.id}/close", data={"note": "   "})
    session.expire_all()
    assert session.get(FollowUpTask, task.id).closed_at is None
    client.post(f"/tasks/{task.id}/close", data={"note": "done"})
    client.post(f"/tasks/{task.id}/close", data={"note": "again"})
    session.expire_all()
    assert session.get(FollowUpTask, task.id).note == "done"


def test_overdue_tasks_are_listed_longest_overdue_first(session, client, account, people):
    today = date(2026, 12, 1)
    late = add_task(session, account, today - timedelta(days=5), "late")
    later = add_task(session, account, today - timedelta(days=1), "later")
    add_task(session, account, today, "due today")  # due today is not overdue yet
    assert [t.title for t in tasks.overdue(session, people["owner"], today)] == [
        late.title, later.title]
    assert tasks.open_counts(session, people["owner"], today) == (3, 2)
    login(client, "owner@example.com")
    page = client.get("/tasks?lang=en").get_data(as_text=True)
    assert page.count("Overdue since") == 3  # by today's real date all three are past
    assert 'class="count"' in client.get("/tasks").get_data(as_text=True)  # the menu count


def test_a_task_opened_by_hand_belongs_to_the_accounts_owner(session, client, account,
                                                            people):
    login(client, "root@example.com")
    response = client.post(f"/accounts/{account.code}/tasks", data={"title": "季度回顾"})
    assert response.status_code == 302
    task = session.scalars(select(FollowUpTask)).one()
    assert task.owner_id == people["owner"].id and task.created_by_id == people["root"].id
    assert (task.due_on - date.today()).days in (6, 7, 8)  # the setting's 7 days


@pytest.mark.parametrize("data", [{"title": ""}, {"title": "x" * 301},
                                  {"title": "ok", "due_on": "2000-01-01"}])
def test_a_bad_task_is_refused_and_nothing_stored(session, client, account, data):
    login(client, "owner@example.com")
    assert client.post(f"/accounts/{account.code}/tasks", data=data).status_code == 400
    assert session.scalar(select(func.count(FollowUpTask.id))) == 0


def test_another_managers_tasks_are_not_found(session, client, account):
    task = add_task(session, account, date.today())
    login(client, "other@example.com")
    assert client.get(f"/accounts/{account.code}/tasks").status_code == 404
    assert client.post(f"/tasks/{task.id}/close", data={"note": "x"}).status_code == 404
    assert client.post(f"/accounts/{account.code}/tasks",
                       data={"title": "x"}).status_code == 404
    assert task.title not in client.get("/tasks").get_data(as_text=True)
    session.expire_all()
    assert session.get(FollowUpTask, task.id).closed_at is None


def test_leadership_reads_every_task_and_closes_none(session, client, account):
    task = add_task(session, account, date.today())
    login(client, "boss@example.com")
    assert task.title in client.get("/tasks").get_data(as_text=True)
    page = client.get(f"/accounts/{account.code}/tasks").get_data(as_text=True)
    assert task.title in page and "/close\"" not in page  # no close form offered
    assert client.post(f"/tasks/{task.id}/close", data={"note": "x"}).status_code == 403
    session.expire_all()
    assert session.get(FollowUpTask, task.id).closed_at is None


def test_the_alert_language_is_kept_per_user(session, client, account, people):
    login(client, "owner@example.com")
    assert client.post("/tasks/language", data={"lang": "en"}).status_code == 302
    assert client.post("/tasks/language", data={"lang": "fr"}).status_code == 400
    from surveyapp.services.alerts import user_language

    assert user_language(session, people["owner"].id, ("zh", "en")) == "en"
    assert user_language(session, people["other"].id, ("zh", "en")) == "zh"


def test_the_scorecard_shows_the_accounts_open_tasks_and_links_the_assessment(
        session, client, account):
    task = add_task(session, account, date.today() + timedelta(days=2))
    login(client, "owner@example.com")
    page = client.get(f"/accounts/{account.code}?lang=en").get_data(as_text=True)
    assert task.title in page and "Open follow-up tasks" in page
    assert f"/accounts/{account.code}/assessment" in page


def test_the_dashboard_can_ask_for_the_first_few_only(session, account, people):
    today = date(2026, 12, 1)
    for days in (9, 5, 2):
        add_task(session, account, today - timedelta(days=days), f"{days} days late")
    assert [t.title for t in tasks.overdue(session, people["owner"], today, limit=2)] == [
        "9 days late", "5 days late"]
