"""Shared fixtures: app, client, runner, factories; and no test reaches the network."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from surveyapp import create_app
from surveyapp.db import upgrade
from surveyapp.models import Account, Contact
from surveyapp.services import invitations, users
from surveyapp.services.instruments import new_campaign

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that opens a connection beyond this machine (mail, web, …)."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")
                                          or host.startswith("/")):
            raise AssertionError(f"a test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


PG_URL = os.environ.get("TEST_DATABASE_URL", "")
requires_postgres = pytest.mark.skipif(
    not PG_URL.startswith("postgresql"),
    reason="TEST_DATABASE_URL is not a PostgreSQL URL (make test starts a local server)")


@pytest.fixture
def pg_app(tmp_path):
    """The app on the PostgreSQL server of TEST_DATABASE_URL, emptied first (no schema yet)."""
    engine = create_engine(PG_URL)
    with engine.begin() as connection:  # start from an empty database every time
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "pg", "DATABASE_URL": PG_URL,
                      "WTF_CSRF_ENABLED": False, "JOBS_IMMEDIATE": True},
                     instance_path=str(tmp_path))
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def app(tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite'}",
        "WTF_CSRF_ENABLED": False,
        "JOBS_IMMEDIATE": True,
    }, instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A session of the test's own, outside any app context, so each request of the test
    client gets a fresh context (and ``g``) as it would in production."""
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def make_account(session):
    def make(code="A001", name="测试客户有限公司", **fields):
        account = Account(code=code, name=name, industry=fields.pop("industry", "钢铁"),
                          customer_type=fields.pop("customer_type", "value_added"), **fields)
        session.add(account)
        session.commit()
        return account
    return make


@pytest.fixture
def make_contact(session):
    counter = {"n": 0}

    def make(account, role="economic", lang="zh", name=None):
        counter["n"] += 1
        contact = Contact(code=f"{account.code}-C{counter['n']}", account=account,
                          name=name or f"联系人{counter['n']}", role=role, lang=lang,
                          email=f"c{counter['n']}@example.com")
        session.add(contact)
        session.commit()
        return contact
    return make


@pytest.fixture
def make_campaign(app, session):
    def make(instruments=("servqual",), name="Wave 1"):
        with app.app_context():  # instruments are found through the app's configuration
            campaign = new_campaign(session, name, list(instruments), wave="W1")
            session.commit()
        return campaign
    return make


@pytest.fixture
def invite(session):
    def make(campaign, contact):
        # the app's test key, so the link can be printed again as in production
        invitation, token = invitations.invite(session, campaign, contact, "test-secret")
        session.commit()
        return invitation, token
    return make


@pytest.fixture
def manager(session):
    return users.create_user(session, "manager@example.com", "correct horse battery")


@pytest.fixture
def logged_in(client, manager):
    response = client.post("/login", data={"email": "manager@example.com",
                                           "password": "correct horse battery"})
    assert response.status_code == 302
    return client
