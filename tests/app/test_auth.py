"""Manager pages are behind login; passwords are hashed; redirects stay on this site."""

import re

import pytest
from sqlalchemy import func, select

from surveyapp.models import User


def test_manager_pages_need_login(client):
    for path in ("/accounts", "/accounts/A001", "/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused(client, manager):
    response = client.post("/login?lang=en", data={"email": "manager@example.com",
                                                    "password": "wrong"})
    assert response.status_code == 200
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_password_is_hashed(session, manager):
    user = session.scalar(select(User))
    assert "correct horse" not in user.password_hash and user.password_hash.startswith(
        ("scrypt:", "pbkdf2:"))


def test_login_redirects_only_to_local_pages(client, manager):
    creds = {"email": "MANAGER@example.com", "password": "correct horse battery"}
    response = client.post("/login?next=https://evil.example/", data=creds)
    assert response.headers["Location"] == "/accounts"
    client.post("/logout")
    response = client.post("/login?next=/accounts/A001", data=creds)
    assert response.headers["Location"] == "/accounts/A001"


def test_logout_needs_post(logged_in):
    assert logged_in.get("/logout").status_code == 405
    assert logged_in.post("/logout").status_code == 302
    assert logged_in.get("/accounts").status_code == 302


def test_reports_do_not_open_a_managers_assessment(logged_in, session):
    from surveyapp.services.instruments import new_campaign

    with logged_in.application.app_context():
        assessment = new_campaign(session, "assessment", ["relationship"], audience="manager")
        session.commit()
    for path in (f"/accounts?campaign={assessment.id}", f"/export.xlsx?campaign={assessment.id}"):
        response = logged_in.get(path + "&lang=en")
        assert response.status_code == 404
        assert "There is nothing at this address" in response.get_data(as_text=True)


def test_odd_query_arguments_do_not_break_pages(logged_in):
    for path in ("/accounts?endpoint=x", "/accounts?_external=1&lang=zh",
                 "/accounts/A001?code=z", "/login?_anchor=x"):
        response = logged_in.get(path)
        assert response.status_code in (200, 404), path
        links = re.findall(r'href="([^"]+)" hreflang', response.get_data(as_text=True))
        assert links and all(link.startswith("/") for link in links), (path, links)


# --------------------------------------------------------------------------- sessions end

def _saved_cookie(client):
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app, cookie_value):
    """A new browser presenting a session cookie saved earlier."""
    other = app.test_client()
    other.set_cookie("session", cookie_value)
    return other


def test_a_saved_cookie_is_refused_after_logout(app, logged_in):
    saved = _saved_cookie(logged_in)
    assert _replay(app, saved).get("/accounts").status_code == 200
    logged_in.post("/logout")
    for path in ("/accounts", "/export.xlsx"):
        response = _replay(app, saved).get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_saved_cookie_is_refused_after_a_password_reset(app, logged_in, session, runner):
    saved = _saved_cookie(logged_in)
    result = runner.invoke(args=["user", "reset-password", "manager@example.com",
                                 "--password", "a new long password"])
    assert result.exit_code == 0, result.output
    assert _replay(app, saved).get("/accounts").status_code == 302
    assert logged_in.get("/accounts").status_code == 302  # this browser too
    response = logged_in.post("/login", data={"email": "manager@example.com",
                                              "password": "a new long password"})
    assert response.status_code == 302


def test_changing_ones_password_ends_the_other_sessions_but_not_this_one(app, client,
                                                                          manager):
    creds = {"email": "manager@example.com", "password": "correct horse battery"}
    other = app.test_client()
    assert other.post("/login", data=creds).status_code == 302
    client.post("/login", data=creds)
    response = client.post("/account/password?lang=en", data={
        "current": "correct horse battery", "new": "battery staple horse",
        "confirm": "battery staple horse"})
    assert response.status_code == 302
    assert client.get("/accounts").status_code == 200
    assert other.get("/accounts").status_code == 302
    assert app.test_client().post("/login", data=creds).status_code == 200  # old one fails


def test_a_wrong_current_password_changes_nothing(client, logged_in, session, manager):
    before = manager.password_hash
    response = logged_in.post("/account/password?lang=en", data={
        "current": "not it at all", "new": "battery staple horse",
        "confirm": "battery staple horse"})
    assert response.status_code == 400
    assert "The current password is wrong." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, manager.id).password_hash == before
    mismatch = logged_in.post("/account/password?lang=en", data={
        "current": "correct horse battery", "new": "battery staple horse",
        "confirm": "something else"})
    assert mismatch.status_code == 400 and "The two new passwords differ." in \
        mismatch.get_data(as_text=True)


def test_deactivation_ends_the_session_and_refuses_the_login(app, logged_in, runner):
    saved = _saved_cookie(logged_in)
    runner.invoke(args=["create-user", "second@example.com", "--role", "admin",
                        "--password", "long enough pw"])
    result = runner.invoke(args=["user", "deactivate", "manager@example.com"])
    assert result.exit_code == 0, result.output
    assert _replay(app, saved).get("/accounts").status_code == 302
    response = app.test_client().post("/login?lang=en", data={
        "email": "manager@example.com", "password": "correct horse battery"})
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_a_cookie_idle_longer_than_the_lifetime_is_refused(tmp_path, manager, app,
                                                           monkeypatch):
    """The cookie is signed with its time; the server refuses one older than
    SESSION_IDLE_HOURS (12 by default), whatever the browser keeps."""
    import itsdangerous.timed

    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 12 * 3600
    client = app.test_client()
    client.post("/login", data={"email": "manager@example.com",
                                "password": "correct horse battery"})
    saved = _saved_cookie(client)
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 11.9 * 3600)
    assert _replay(app, saved).get("/accounts").status_code == 200
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 12.1 * 3600)
    assert _replay(app, saved).get("/accounts").status_code == 302
    # each request signs the cookie anew: a session in use does not expire
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 11 * 3600)
    assert client.get("/accounts").status_code == 200
    refreshed = _saved_cookie(client)
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 22 * 3600)
    assert _replay(app, refreshed).get("/accounts").status_code == 200


def test_a_cookie_from_before_session_versions_is_refused(app, client, manager):
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(manager.id)  # what a login stored before versions
        cookie["_fresh"] = True
    assert client.get("/accounts").status_code == 302


def test_users_from_before_roles_become_administrators(tmp_path):
    """Upgrading a database whose users have no role yet makes them administrators (so
    nobody is locked out); they keep their password and log in as before."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from surveyapp.db import migration_config

    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with engine.begin() as connection:
        command.upgrade(migration_config(connection), "0003")
        connection.execute(text("INSERT INTO users (email, password_hash, created_at) "
                                "VALUES ('old@example.com', 'scrypt:x', '2026-01-01')"))
    with engine.begin() as connection:
        command.upgrade(migration_config(connection), "head")
        row = connection.execute(text("SELECT role, active, session_version, password_hash "
                                      "FROM users")).one()
    assert tuple(row) == ("admin", 1, 0, "scrypt:x")
    engine.dispose()


def test_any_login_form_gets_an_answer_and_changes_no_user(app, session, manager,
                                                           monkeypatch):
    """Whatever is typed (control characters, NUL, very long, missing fields): 200, 400 or
    429 with a page, never a 5xx; no user is added or changed."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from werkzeug.security import generate_password_hash

    from surveyapp.services import users as user_service

    cheap = generate_password_hash("x", "pbkdf2:sha256:1")
    monkeypatch.setattr(user_service, "_dummy_hash", lambda: cheap)
    before = [(u.email, u.password_hash, u.session_version)
              for u in session.scalars(select(User))]
    field = st.one_of(st.none(), st.text(max_size=300), st.text(min_size=1100, max_size=1200),
                      st.just("manager@example.com"), st.just("MANAGER@example.com\x00"))

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(email=field, password=field)
    def attempt(email, password):
        data = {k: v for k, v in (("email", email), ("password", password)) if v is not None}
        response = app.test_client().post("/login?lang=en", data=data)
        assert response.status_code in (200, 400, 429), (data, response.status_code)
        assert "<form" in response.get_data(as_text=True) or response.status_code == 429

    attempt()
    session.expire_all()
    assert [(u.email, u.password_hash, u.session_version)
            for u in session.scalars(select(User))] == before


@pytest.mark.parametrize("length", [255, 200_000])
def test_an_email_too_long_is_refused_with_a_message_and_never_echoed_whole(
        app, client, session, manager, length):
    """RFC 5321: an address has at most 254 characters. A longer one (a 200 KB paste) is a
    400 naming the limit; the page holds at most 254 of its characters; nothing is stored
    (no login, no audit event)."""
    from surveyapp.models import AuditEvent

    events = session.scalar(select(func.count()).select_from(AuditEvent))
    email = "m" * (length - len("@example.com")) + "@example.com"
    assert len(email) == length
    response = client.post("/login?lang=en", data={"email": email,
                                                   "password": "correct horse battery"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "At most 254 characters." in page
    assert email[:254] in page and email[:255] not in page  # the limit's worth, no more
    assert len(page) < 20_000
    assert client.get("/accounts").status_code == 302  # not logged in
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert session.scalar(select(func.count()).select_from(User)) == 1
