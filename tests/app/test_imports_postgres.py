"""Imports, the import page and erasure on a real PostgreSQL server (`make test` starts one and
sets TEST_DATABASE_URL): the same all-or-nothing behaviour, the same rows twice = once."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from surveyapp.db import get_session, upgrade
from surveyapp.models import Account, Contact, Response, User
from surveyapp.services import contacts as contact_service
from surveyapp.services import users
from tests.conftest import DATA, requires_postgres

pytestmark = requires_postgres


@pytest.fixture
def pg_app(pg_app):
    """The shared PostgreSQL app with the newest schema."""
    with pg_app.app_context():
        upgrade()
    return pg_app


def counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        session = get_session()
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Account, Contact, User, Response))  # type: ignore[return-value]


def test_imports_on_postgresql(pg_app, tmp_path):
    runner = pg_app.test_cli_runner()
    result = runner.invoke(args=["import-accounts", str(DATA / "import_accounts_gbk.csv")])
    assert result.exit_code == 0 and "3 new, 0 updated, 0 unchanged" in result.output, \
        result.output
    result = runner.invoke(args=["import-contacts", str(DATA / "import_contacts.csv")])
    assert result.exit_code == 0 and "6 new, 0 updated, 0 unchanged" in result.output
    state = counts(pg_app)
    assert state == (3, 6, 2, 3)  # two owners; three assessments
    for kind, path in (("accounts", "import_accounts_gbk.csv"),
                       ("contacts", "import_contacts.csv")):
        again = runner.invoke(args=[f"import-{kind}", str(DATA / path)])
        assert "0 new, 0 updated" in again.output
    bad = runner.invoke(args=["import-contacts", str(DATA / "import_contacts_bad.csv")])
    assert bad.exit_code == 2 and "nothing was written" in bad.output
    # a name longer than the column: a row problem here, not a database error later
    long = tmp_path / "long.csv"
    long.write_text("contact_id,account_id,name\nK001-9,K001," + "名" * 201 + "\n",
                    encoding="utf-8")
    result = runner.invoke(args=["import-contacts", str(long)])
    assert result.exit_code == 2 and "at most 200" in result.output
    assert counts(pg_app) == state
    with pg_app.app_context():
        session = get_session()
        contact = session.scalar(select(Contact).where(Contact.code == "K001-1"))
        assert contact.name == "王磊" and contact.role == "economic"
        contact_service.erase(session, contact)
        assert contact_service.list_contacts(session, search="王磊").total == 0


def test_the_import_page_on_postgresql(pg_app):
    with pg_app.app_context():
        users.create_user(get_session(), "pg@example.com", "a long password")
    client = pg_app.test_client()
    client.post("/login", data={"email": "pg@example.com", "password": "a long password"})
    page = client.post("/import/preview", data={"kind": "accounts", "file": (
        io.BytesIO((DATA / "import_accounts_gbk.csv").read_bytes()), "a.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="upload" value="([^"]+)"', page).group(1)
    assert counts(pg_app)[0] == 0
    assert client.post("/import/confirm", data={"upload": token}).status_code == 302
    assert counts(pg_app)[0] == 3
