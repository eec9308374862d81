"""Alerts on a submitted response: detractors and large negative gaps raise one alert per
response listing every rule it broke, open one task for the owner and send one email, never
inside the request.

Expected values are worked by hand beside each test: DESIGN.md's NPS (detractors 0–6) and
its respondent gap (P − E per item answered with both, averaged over the dimension).
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from analysis import Questionnaire, load_instrument
from surveyapp.models import Alert, FollowUpTask, Invitation, UserPreference
from surveyapp.services import alerts, surveys, users
from surveyapp.services.alerts import AlertRules, findings
from tests.conftest import REPO

SERVQUAL = load_instrument(REPO / "instruments" / "servqual.toml")
LOYALTY = load_instrument(REPO / "instruments" / "loyalty.toml")
BOTH = Questionnaire((SERVQUAL, LOYALTY))


def servqual_answers(e=6.0, p=6.0, tangibles_p=None):
    answers = {}
    for item in SERVQUAL.items:
        answers[f"{item.id}.e"] = e
        answers[f"{item.id}.p"] = tangibles_p if (
            tangibles_p is not None and item.construct == "tangibles") else p
    return answers


@pytest.fixture
def owner(session):
    return users.create_user(session, "owner@example.com", "correct horse battery",
                             name="Owner", role="manager", actor=None)


@pytest.fixture
def wave(app, session, make_account, make_contact, make_campaign, owner):
    account = make_account(owner_id=owner.id, owner=owner.email)
    contact = make_contact(account, name="王经理", role="economic")
    campaign = make_campaign(("servqual", "loyalty"))
    return account, contact, campaign


def submit(app, session, invite, wave, answers, anonymous=False):
    account, contact, campaign = wave
    if anonymous:
        campaign.anonymous = True
        session.commit()
    invitation, _token = invite(campaign, contact)
    with app.test_request_context():
        invitation = session.get(Invitation, invitation.id)
        return surveys.submit(session, invitation, answers, "zh")


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("alert-*.eml"))]


# --------------------------------------------------------------------------- the rules


def test_recommendation_6_is_a_detractor_and_7_is_not():
    rules = AlertRules()
    assert [f.rule for f in findings({"nps": 6.0}, BOTH, rules)] == ["detractor"]
    assert findings({"nps": 7.0}, BOTH, rules) == []
    assert [f.value for f in findings({"nps": 0.0}, BOTH, rules)] == [0.0]
    assert findings({}, BOTH, rules) == []  # not answered is not a detractor


def test_a_dimension_gap_at_the_threshold_alerts_and_just_above_does_not():
    rules = AlertRules(gap_threshold=-2.0)
    # tangibles: E 6, P 4 on its four items → gap −2.0 exactly (at the threshold)
    found = findings(servqual_answers(6, 6, tangibles_p=4), BOTH, rules)
    assert [(f.rule, f.value) for f in found] == [("gap.tangibles", -2.0)]
    # one tangibles item P 5 instead: (−1 −2 −2 −2)/4 = −1.75 → above the threshold
    answers = servqual_answers(6, 6, tangibles_p=4)
    answers["sq01.p"] = 5.0
    assert findings(answers, BOTH, rules) == []


def test_the_gap_uses_only_items_answered_with_both_parts():
    answers = servqual_answers(6, 6, tangibles_p=3)  # tangibles gap −3 on each item
    answers["sq01.e"] = float("nan")  # sq01 left out: (−3 −3 −3)/3 = −3
    answers["sq02.p"] = 7.0
    # sq02 now +1: (1 − 3 − 3)/3 = −5/3
    found = findings(answers, BOTH, AlertRules(gap_threshold=-1.5))
    assert found[0].rule == "gap.tangibles"
    assert found[0].value == pytest.approx(-5 / 3)


def test_the_overall_gap_rule_is_off_by_default_and_on_by_setting():
    # every dimension −1.0 → mean of the dimension gaps −1.0; per-dimension rule at −2 stays quiet
    answers = servqual_answers(6, 5)
    assert findings(answers, BOTH, AlertRules()) == []
    found = findings(answers, BOTH, AlertRules(overall_gap_threshold=-1.0))
    assert [(f.rule, f.value) for f in found] == [("gap", -1.0)]


def test_thresholds_come_from_the_settings():
    rules = AlertRules.from_config({"ALERT_DETRACTOR_MAX": None, "ALERT_GAP_THRESHOLD": -1,
                                    "TASK_DUE_DAYS": 3})
    assert rules.detractor_max is None and rules.gap_threshold == -1.0
    assert rules.task_due_days == 3
    assert findings({"nps": 0.0}, BOTH, rules) == []


# --------------------------------------------------------------------------- submit → alert


def test_a_detractor_submitted_raises_an_alert_a_task_and_an_email(app, session, invite,
                                                                   wave, owner):
    response = submit(app, session, invite, wave, {**servqual_answers(), "nps": 3})
    alert = session.scalars(select(Alert)).one()
    assert (alert.response_id, alert.rule, alert.value) == (response.id, "detractor", 3.0)
    assert alert.owner_id == owner.id and alert.emailed_at is not None
    task = session.scalars(select(FollowUpTask)).one()
    assert task.alert_id == alert.id and task.owner_id == owner.id
    assert (task.due_on - alert.created_at.date()).days in (7, 8)  # the wave's day vs UTC
    (message,) = outbox(app)
    assert message["To"] == "Owner <owner@example.com>"
    body = message.get_body(("plain",)).get_content()
    assert "测试客户有限公司" in body and "王经理（经济买家）" in body  # a named wave: the person


def test_a_promoter_raises_nothing(app, session, invite, wave):
    submit(app, session, invite, wave, {**servqual_answers(), "nps": 9})
    assert session.scalar(select(func.count(Alert.id))) == 0
    assert session.scalar(select(func.count(FollowUpTask.id))) == 0
    assert outbox(app) == []


def test_an_anonymous_wave_names_the_account_not_the_person(app, session, invite, wave):
    submit(app, session, invite, wave, {**servqual_answers(), "nps": 2}, anonymous=True)
    (message,) = outbox(app)
    body = message.get_body(("plain",)).get_content()
    assert "测试客户有限公司" in body
    assert "王经理" not in body and "经济买家" not in body


def test_the_email_is_in_the_owners_language(app, session, invite, wave, owner):
    session.add(UserPreference(user_id=owner.id, lang="en"))
    session.commit()
    submit(app, session, invite, wave, {**servqual_answers(6, 6, tangibles_p=2), "nps": 8})
    (message,) = outbox(app)
    assert message["Subject"].startswith("Alert on")
    assert "Tangibles" in message["Subject"]


def test_one_answer_breaking_several_rules_raises_one_alert_task_and_email(
        app, session, invite, wave):
    # recommendation 1 (a detractor) and tangibles P 2 − E 6 = −4 on each of its items
    response = submit(app, session, invite, wave, {**servqual_answers(6, 6, tangibles_p=2),
                                                   "nps": 1})
    alert = session.scalars(select(Alert)).one()
    assert (alert.rule, alert.value) == ("detractor", 1.0)  # the headline: the score
    assert [(f.rule, f.value) for f in alerts.findings_of(session, alert, AlertRules())] == [
        ("detractor", 1.0), ("gap.tangibles", -4.0)]
    task = session.scalars(select(FollowUpTask)).one()
    day = response.submitted_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    # the task says who (the role, a named wave), what (score and dimension) and when
    assert task.title == (f"测试客户有限公司：经济买家 · 推荐意愿 1 分（满分 10） · "
                          f"缺口：有形性 −4 · {day}")
    (message,) = outbox(app)
    body = message.get_body(("plain",)).get_content()
    assert "贬损者：推荐意愿评分 0–6：1（阈值 6）" in body
    assert "服务缺口过大（负值）：有形性：−4（阈值 −2）" in body


def test_an_anonymous_waves_task_title_names_neither_person_nor_role(app, session, invite,
                                                                     wave):
    submit(app, session, invite, wave, {**servqual_answers(), "nps": 2}, anonymous=True)
    title = session.scalars(select(FollowUpTask.title)).one()
    assert title.startswith("测试客户有限公司：推荐意愿 2 分（满分 10） · ")
    assert "王经理" not in title and "经济买家" not in title


def test_running_the_job_again_raises_nothing_twice(app, session, invite, wave):
    response = submit(app, session, invite, wave, {**servqual_answers(6, 6, tangibles_p=2),
                                                   "nps": 1})
    assert session.scalar(select(func.count(Alert.id))) == 1
    with app.app_context():
        assert alerts.alert_job.call_local(response.id) == 0  # a retry of the same job
        alerts.alert_job(response.id)
    session.expire_all()
    assert session.scalar(select(func.count(Alert.id))) == 1
    assert session.scalar(select(func.count(FollowUpTask.id))) == 1
    assert len(outbox(app)) == 1  # emailed once


def test_an_owner_without_an_account_owner_gets_the_alert_but_no_email(
        app, session, invite, make_account, make_contact, make_campaign):
    account = make_account(code="B1")
    contact = make_contact(account)
    submit(app, session, invite, (account, contact, make_campaign(("servqual", "loyalty"))),
           {"nps": 0})
    alert = session.scalars(select(Alert)).one()
    assert alert.owner_id is None and alert.emailed_at is None
    assert outbox(app) == []


def test_open_alerts_are_scoped_to_the_managers_accounts(app, session, invite, wave, owner):
    submit(app, session, invite, wave, {"nps": 0})
    other = users.create_user(session, "other@example.com", "correct horse battery",
                              role="manager", actor=None)
    boss = users.create_user(session, "boss@example.com", "correct horse battery",
                             role="leadership", actor=None)
    assert len(alerts.open_for(session, owner)) == 1
    assert alerts.open_for(session, other) == []
    assert len(alerts.open_for(session, boss)) == 1


def test_answers_submitted_through_the_survey_pages_raise_the_alerts(
        app, session, client, invite, make_account, make_contact, make_campaign, owner):
    from tests.app.test_survey_flow import answer_survey, full_answers

    account = make_account(owner_id=owner.id)
    campaign = make_campaign(("servqual",))
    _invitation, token = invite(campaign, make_contact(account))
    # E 7 and P 4 on every item: each dimension's gap is 4 − 7 = −3, below −2
    response = answer_survey(client, token, full_answers(e=7, p=4))
    assert response.status_code == 303 and "/thanks" in response.headers["Location"]
    alert = session.scalars(select(Alert)).one()  # one alert for the five dimensions
    assert [f.rule for f in alerts.findings_of(session, alert, AlertRules())] == [
        f"gap.{c.id}" for c in SERVQUAL.constructs]
    assert {f.value for f in alerts.findings_of(session, alert, AlertRules())} == {-3.0}
    assert session.scalar(select(func.count(FollowUpTask.id))) == 1


def test_a_waves_earlier_answers_can_be_scanned_once_without_emails(
        app, session, wave, owner):
    from datetime import date

    from surveyapp.models import Response
    from surveyapp.services.responses import pack

    account, contact, campaign = wave
    columns = campaign.answer_columns
    for nps in (3, 9, 6):  # two detractors (3 and 6), one promoter
        session.add(Response(campaign_id=campaign.id, account_id=account.id,
                             contact_id=contact.id, values=pack({"nps": nps}, columns)))
    session.commit()
    with app.app_context():
        assert alerts.raise_for_wave(session, campaign.id, AlertRules(), date(2026, 12, 1)) == 2
        assert alerts.raise_for_wave(session, campaign.id, AlertRules(), date(2026, 12, 1)) == 0
    assert sorted(a.value for a in session.scalars(select(Alert))) == [3.0, 6.0]
    assert {t.due_on for t in session.scalars(select(FollowUpTask))} == {date(2026, 12, 8)}
    assert outbox(app) == []
