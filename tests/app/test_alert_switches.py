"""Alert rules switched off from the environment: ``off``, ``none`` or an empty value turn a
rule off; anything else that is not a number stops the app with the variable's name."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from surveyapp.config import settings_from_environment
from surveyapp.models import Alert, FollowUpTask
from surveyapp.services.alerts import AlertRules, findings
from tests.app.test_alerts import BOTH, owner, servqual_answers, submit, wave  # noqa: F401

RULES = ("ALERT_DETRACTOR_MAX", "ALERT_GAP_THRESHOLD", "ALERT_OVERALL_GAP_THRESHOLD")


@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("raw", ["off", "OFF", " none ", "None", ""])
def test_off_none_or_empty_switch_a_rule_off(name, raw):
    assert settings_from_environment({name: raw}) == {name: None}


@pytest.mark.parametrize("name", RULES)
def test_a_number_is_still_a_threshold(name):
    assert settings_from_environment({name: "-1.5"}) == {name: -1.5}


@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("raw", ["no", "disabled", "-2,5", "nan", "inf", "6 points"])
def test_anything_else_is_a_clear_error_naming_the_variable(name, raw):
    with pytest.raises(ValueError, match=rf"^{name} must be a number, or off / none / empty"):
        settings_from_environment({name: raw})


def test_an_unset_rule_keeps_its_default():
    assert settings_from_environment({}) == {}
    rules = AlertRules.from_config({})
    assert (rules.detractor_max, rules.gap_threshold, rules.overall_gap_threshold) == (
        6.0, -2.0, None)


def test_a_bad_threshold_stops_the_app(monkeypatch, tmp_path):
    from surveyapp import create_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    monkeypatch.setenv("ALERT_GAP_THRESHOLD", "off")
    app = create_app(instance_path=str(tmp_path))  # the environment is read without test_config
    assert app.config["ALERT_GAP_THRESHOLD"] is None
    app.extensions["db_engine"].dispose()
    monkeypatch.setenv("ALERT_DETRACTOR_MAX", "six")
    with pytest.raises(ValueError, match="ALERT_DETRACTOR_MAX must be a number"):
        create_app(instance_path=str(tmp_path))


def test_off_in_an_instance_config_reads_as_in_the_environment():
    rules = AlertRules.from_config({"ALERT_DETRACTOR_MAX": "off", "ALERT_GAP_THRESHOLD": "-1"})
    assert rules.detractor_max is None and rules.gap_threshold == -1.0
    with pytest.raises(ValueError, match="ALERT_GAP_THRESHOLD must be a number"):
        AlertRules.from_config({"ALERT_GAP_THRESHOLD": "low"})


def test_an_off_rule_finds_nothing_the_others_still_do():
    # a 0 recommendation and tangibles P − E = 1 − 7 = −6 break both default rules
    answers = {**servqual_answers(7, 7, tangibles_p=1), "nps": 0.0}
    rules = AlertRules.from_config(settings_from_environment({"ALERT_DETRACTOR_MAX": "off"}))
    assert [f.rule for f in findings(answers, BOTH, rules)] == ["gap.tangibles"]
    rules = AlertRules.from_config(settings_from_environment({
        "ALERT_DETRACTOR_MAX": "off", "ALERT_GAP_THRESHOLD": "none"}))
    assert findings(answers, BOTH, rules) == []


def test_a_detractor_submitted_with_the_rule_off_raises_no_alert(app, session, invite, wave):  # noqa: F811
    app.config.update(settings_from_environment({"ALERT_DETRACTOR_MAX": "off"}))
    submit(app, session, invite, wave, {**servqual_answers(6, 6), "nps": 0})
    assert session.scalar(select(func.count(Alert.id))) == 0
    assert session.scalar(select(func.count(FollowUpTask.id))) == 0
    # the same answer with the rule on raises the alert (the test can fail)
    app.config["ALERT_DETRACTOR_MAX"] = 6
    account, _contact, campaign = wave
    second = (account, _second_contact(session, account), campaign)
    submit(app, session, invite, second, {**servqual_answers(6, 6), "nps": 0})
    assert session.scalars(select(Alert.rule)).all() == ["detractor"]


def _second_contact(session, account):
    from surveyapp.models import Contact

    contact = Contact(code=f"{account.code}-C2", account=account, name="李工", role="technical",
                      lang="zh", email="c2@example.com")
    session.add(contact)
    session.commit()
    return contact
