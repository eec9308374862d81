"""Backup and restore: a snapshot of the SQLite database restores into an empty one whole."""

import os
import stat

from sqlalchemy import func, select

from surveyapp import create_app
from surveyapp.models import Response
from surveyapp.services import surveys


def _answer_all(session, campaign, contacts, invite):
    for contact in contacts:
        invitation, _token = invite(campaign, contact)
        answers = {column: 5.0 for column in campaign.answer_columns}
        surveys.submit(session, invitation, answers, "zh")


def test_backup_then_restore_into_an_empty_database_keeps_every_response(
        app, runner, session, make_account, make_contact, make_campaign, invite, tmp_path):
    account = make_account()
    campaign = make_campaign()
    _answer_all(session, campaign, [make_contact(account), make_contact(account)], invite)
    target = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "2 responses" in result.output
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    # a second backup to the same name is refused and leaves the first intact
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code == 2 and "exists already" in again.output

    fresh = create_app({"TESTING": True, "SECRET_KEY": "x", "JOBS_IMMEDIATE": True,
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh' / 'new.sqlite'}"},
                       instance_path=str(tmp_path / "fresh"))
    restored = fresh.test_cli_runner().invoke(args=["restore", str(target)])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output and "2 responses" in restored.output
    with fresh.app_context():
        from surveyapp.db import get_session

        assert get_session().scalar(select(func.count()).select_from(Response)) == 2
    # restoring over data is refused unless asked for
    refused = fresh.test_cli_runner().invoke(args=["restore", str(target)])
    assert refused.exit_code == 2 and "holds data" in refused.output
    fresh.extensions["db_engine"].dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(runner, tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["restore", str(junk)])
    assert result.exit_code == 2
    assert "not an SQLite database" in result.output
    missing = runner.invoke(args=["restore", str(tmp_path / "nope.sqlite")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_the_database_file_is_private(app):
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
