"""Two senders at once on a real PostgreSQL server: one email per contact. Runs when
TEST_DATABASE_URL names a PostgreSQL database (`make test` starts one), in a schema of its
own, so it never touches what other tests keep in that database."""

from __future__ import annotations

import os
import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import create_engine, func, make_url, select

from surveyapp import create_app
from surveyapp.db import get_session, upgrade
from surveyapp.models import Account, Contact, Message
from surveyapp.services import outreach, waves

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not PG_URL.startswith("postgresql"),
    reason="TEST_DATABASE_URL is not a PostgreSQL URL (make test starts a local server)")


@pytest.fixture
def pg_app(tmp_path):
    schema = f"waves_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    app = create_app({"TESTING": True, "SECRET_KEY": "pg",
                      "DATABASE_URL": url.render_as_string(hide_password=False),
                      "JOBS_IMMEDIATE": True}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
    yield app
    app.extensions["db_engine"].dispose()
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def test_two_senders_at_once_send_each_email_once(pg_app, tmp_path, monkeypatch):
    monkeypatch.setattr(outreach, "CLAIM_BATCH", 5)  # small batches: the two interleave
    with pg_app.app_context():
        session = get_session()
        accounts = [Account(code=f"A{k}", name=f"客户{k}") for k in range(3)]
        session.add_all(accounts)
        session.add_all([Contact(code=f"{a.code}-C{j}", account=a, name=f"联系人{j}",
                                 email=f"{a.code}.{j}@example.com", role="economic")
                         for a in accounts for j in range(20)])
        session.commit()
        wave, invited = waves.create_wave(session, waves.WaveRequest("PG", ["servqual"]),
                                          "pg", pg_app.config["INSTRUMENTS_DIR"])
    barrier = threading.Barrier(2)
    outcomes: list = []
    errors: list = []

    def send(kind):
        try:
            with pg_app.app_context():
                session = get_session()
                found = waves.find_wave(session, wave.id)
                sender = outreach.Sender.from_app("https://s.example.com")
                barrier.wait()
                action = (outreach.send_invitations if kind == "invitation"
                          else outreach.send_reminders)
                outcomes.append(action(session, found, sender, waves.wave_today()))
        except Exception as exc:  # noqa: BLE001 — reported in the test's thread
            errors.append(exc)

    for kind in ("invitation", "reminder"):
        threads = [threading.Thread(target=send, args=(kind,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert [sum(o.sent for o in outcomes if o.kind == k) for k in ("invitation", "reminder")
            ] == [invited, invited] == [60, 60]
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 120
    with pg_app.app_context():
        counts = Counter(dict(get_session().execute(
            select(Message.kind, func.count()).where(Message.status == "sent")
            .group_by(Message.kind)).all()))
    assert counts == Counter({"invitation": 60, "reminder": 60})
