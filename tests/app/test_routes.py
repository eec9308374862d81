"""Every route of the URL map has its rule: public ones are listed here, every other one
needs a login and a role; every POST route needs the CSRF token; ids too big for the
database are 404 before the database sees them.

The routes come from ``app.url_map`` itself, so a new route is covered the day it lands: a
route without a rule is refused to everyone (and fails the first test until it has one).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from surveyapp import create_app
from surveyapp.db import upgrade
from surveyapp.models import Account, Contact, Draft, Response
from surveyapp.services import access, invitations, users
from surveyapp.services.instruments import new_campaign

# the only routes anyone may open without logging in
PUBLIC_ENDPOINTS = {"static", "auth.login", "survey.take", "survey.thanks", "survey.logo"}
HUGE_IDS = ("9223372036854775808", "2147483648", "99999999999999999999999999")


def _routes(app):
    """(endpoint, method, url) for every route and method, arguments filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            values[name] = 1 if type(converter).__name__ == "IntegerConverter" else "x"
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values) if rule.endpoint != "static" \
                else "/static/style.css"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def _login(client, email, role):
    with client.application.app_context():
        session = client.application.extensions["db_sessionmaker"]()
        users.create_user(session, email, "correct horse battery", role=role, actor=None)
        session.close()
    response = client.post("/login", data={"email": email, "password": "correct horse battery"})
    assert response.status_code == 302
    return client


def test_every_route_has_a_rule_and_the_public_ones_are_listed(app):
    endpoints = {endpoint for endpoint, _m, _u in _routes(app)}
    without_rule = sorted(e for e in endpoints if access.rule_for(e) is None)
    assert without_rule == [], f"routes without an access rule: {without_rule}"
    public = {e for e in endpoints if access.rule_for(e).public}
    assert public == PUBLIC_ENDPOINTS
    # enough routes that the enumeration itself is not broken
    assert {"reports.accounts", "manage.import_preview", "auth.users_list"} <= endpoints


def test_a_route_without_a_rule_is_refused(app, client, monkeypatch):
    monkeypatch.delitem(access.BLUEPRINT_RULES, "manage")
    assert client.get("/waves").status_code == 403


def test_every_non_public_route_needs_a_login(app, client):
    checked = 0
    for endpoint, method, url in _routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].startswith("/login"), (method, url)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("role", ["leadership", "manager", "admin"])
def test_each_role_reaches_exactly_what_its_rule_allows(app, client, role):
    """Leadership changes nothing (403 on every POST), managers do not manage users,
    administrators are refused nothing; a refusal happens before the view runs."""
    _login(client, f"{role}@example.com", role)
    allowed = refused = 0
    for endpoint, method, url in _routes(app):
        if endpoint in PUBLIC_ENDPOINTS or endpoint == "auth.logout":
            continue
        status = client.open(url, method=method).status_code
        user = type("U", (), {"role": role, "id": 0})()
        if access.may(user, endpoint, method):
            assert status != 403, (role, method, url)
            allowed += 1
        else:
            assert status == 403, (role, method, url, status)
            refused += 1
    if role == "admin":
        assert refused == 0 and allowed >= 20
    else:
        assert refused >= 4  # at least the user pages
    if role == "leadership":
        posts = [(m, u) for e, m, u in _routes(app) if m != "GET"
                 and e not in PUBLIC_ENDPOINTS and e not in access.ENDPOINT_RULES]
        assert posts and all(client.open(u, method=m).status_code == 403 for m, u in posts)


@pytest.fixture
def csrf_app(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "JOBS_IMMEDIATE": True,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'csrf.sqlite'}"},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
    yield app
    app.extensions["db_engine"].dispose()


def test_every_post_route_needs_the_csrf_token(csrf_app):
    """With CSRF on (as in production), a POST without the token is refused (400) on every
    route — the public ones (login, the survey) and, logged in as an administrator, all
    the others."""
    client = csrf_app.test_client()
    with csrf_app.app_context():
        session = csrf_app.extensions["db_sessionmaker"]()
        users.create_user(session, "admin@example.com", "correct horse battery", actor=None)
        session.close()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": "admin@example.com", "csrf_token": token,
                                           "password": "correct horse battery"})
    assert response.status_code == 302
    posts = [(e, u) for e, m, u in _routes(csrf_app) if m == "POST"]
    assert len(posts) >= 8
    token_url = _survey_link(csrf_app)
    for endpoint, url in posts:
        if endpoint == "survey.take":  # checks its own token, for a link that exists
            url = token_url
        response = client.post(url, data={"x": "1"})
        assert response.status_code == 400, (endpoint, url, response.status_code)
    assert client.get("/accounts").status_code == 200  # still logged in: nothing was done
    with csrf_app.app_context():
        session = csrf_app.extensions["db_sessionmaker"]()
        assert session.scalar(select(func.count()).select_from(Draft)) == 0
        assert session.scalar(select(func.count()).select_from(Response)) == 0
        session.close()


def _survey_link(app) -> str:
    with app.app_context():
        session = app.extensions["db_sessionmaker"]()
        account = Account(code="A001", name="Client")
        contact = Contact(code="C1", account=account, name="Li", role="economic", lang="en")
        session.add_all([account, contact])
        campaign = new_campaign(session, "Wave", ["servqual"], wave="W1")
        session.commit()
        _invitation, token = invitations.invite(session, campaign, contact)
        session.commit()
        session.close()
    return f"/s/{token}"


def test_csrf_token_rotates_at_login(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        session = csrf_app.extensions["db_sessionmaker"]()
        users.create_user(session, "admin@example.com", "correct horse battery", actor=None)
        session.close()

    def token_of(page):
        return page.get_data(as_text=True).split(
            'name="csrf_token" type="hidden" value="')[1].split('"')[0]

    before = token_of(client.get("/login"))
    client.post("/login", data={"email": "admin@example.com", "csrf_token": before,
                                "password": "correct horse battery"})
    after = token_of(client.get("/account/password"))
    with client.session_transaction() as cookie:
        raw_after = cookie["csrf_token"]
    assert before != after
    # the token of the page before the login is no longer accepted
    response = client.post("/account/password", data={"csrf_token": before, "current": "x",
                                                       "new": "y" * 9, "confirm": "y" * 9})
    assert response.status_code == 400 and "CSRF tokens do not match" in \
        response.get_data(as_text=True)
    assert raw_after


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_huge_ids_in_query_strings_are_404(logged_in, huge):
    for path in (f"/accounts?campaign={huge}", f"/export.xlsx?campaign={huge}",
                 f"/accounts/A001?campaign={huge}"):
        assert logged_in.get(path).status_code == 404, path


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_huge_ids_in_paths_are_404_on_every_route(app, logged_in, huge):
    checked = 0
    for rule in app.url_map.iter_rules():
        ints = [n for n in rule.arguments
                if type(rule._converters[n]).__name__ == "IntegerConverter"]
        if not ints:
            continue
        values = {n: (int(huge) if n in ints else "x") for n in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = logged_in.open(url, method=method)
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 5


PG_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.mark.skipif(not PG_URL.startswith("postgresql"),
                    reason="TEST_DATABASE_URL is not a PostgreSQL URL")
def test_huge_ids_are_404_on_postgresql(tmp_path):
    """PostgreSQL's integer ids stop at 2³¹ − 1: 2147483648 would fail in the query."""
    from sqlalchemy import create_engine

    engine = create_engine(PG_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "pg", "DATABASE_URL": PG_URL,
                      "WTF_CSRF_ENABLED": False, "JOBS_IMMEDIATE": True},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
    client = _login(app.test_client(), "admin@example.com", "admin")
    for path in ("/accounts?campaign=2147483648", "/export.xlsx?campaign=2147483648",
                 "/waves/2147483648", "/contacts/2147483648/edit", "/users/2147483648",
                 "/accounts?campaign=2147483647"):
        assert client.get(path).status_code == 404, path
    app.extensions["db_engine"].dispose()
