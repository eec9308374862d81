"""Headers on every page, no inline script or style, and bodies capped before anything
parses them (one place, ``surveyapp.security``): a login or a survey page takes a few
hundred KB at most, an import its file."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from surveyapp import create_app
from surveyapp.db import get_session, upgrade
from surveyapp.models import Account
from surveyapp.services import users

TEMPLATES = Path(__file__).resolve().parents[2] / "surveyapp" / "templates"
# e-mails are not pages: a mail client applies no CSP, and inline style is all it reads
PAGE_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if "mail" not in p.parts)


def test_every_page_gets_the_security_headers(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "script-src-attr" not in directives and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_error_pages_and_redirects_get_them_too(client):
    for response in (client.get("/no-such-page"), client.get("/accounts")):
        assert response.status_code in (302, 404)
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_or_style(template):
    """The policy forbids inline script: any left would silently stop working."""
    text = template.read_text(encoding="utf-8")
    # a JSON data block is not script: the browser never runs it
    assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>",
                         text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert "<style" not in text, "a <style> element"  # style="width: …" attributes are allowed
    assert "javascript:" not in text


def test_a_huge_login_body_is_refused_before_it_is_parsed(client, manager):
    # 4.9 million fields in 19.6 MB once cost 6 s of CPU and 1 GB; now refused unread
    body = "email=manager%40example.com&password=x&" + "&".join(
        f"f{i}=x" for i in range(200_000))
    response = client.post("/login", data=body,
                           content_type="application/x-www-form-urlencoded")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "shorten" in page or "缩短" in page  # a page that says what to do
    assert "f1999" not in page and len(page) < 20_000  # nothing of the body echoed
    assert response.headers["Content-Security-Policy"]


def test_too_many_form_fields_are_refused(client):
    data = {f"f{i}": "x" for i in range(1200)}
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 413


def test_one_field_far_beyond_any_answer_is_refused(client):
    data = {"email": "a@example.com", "password": "p" * 100_000}
    response = client.post("/login", data=data, content_type="multipart/form-data")
    assert response.status_code == 413


def test_the_cap_applies_before_the_csrf_check_reads_the_form(tmp_path):
    """With CSRF on (as in production), its check parses the form first: the cap must
    already be in force, and an upload route must still take a file of several hundred KB."""
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "JOBS_IMMEDIATE": True,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        users.create_user(get_session(), "m@example.com", "a long password")
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    huge = client.post("/login", data={"email": "m@example.com", "password": "x" * 300_000,
                                       "csrf_token": token})
    assert huge.status_code == 413
    client.post("/login", data={"email": "m@example.com", "password": "a long password",
                                "csrf_token": token})
    page = client.get("/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    rows = b"".join(b"K%06d,%s\n" % (k, "客户有限公司".encode() * 4) for k in range(5000))
    data = b"account_id,name\n" + rows
    assert len(data) > 400_000  # beyond the cap of every other route
    response = client.post("/import/preview", data={
        "kind": "accounts", "csrf_token": token, "file": (io.BytesIO(data), "big.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    with app.app_context():
        assert get_session().scalar(select(func.count(Account.id))) == 0  # only a preview
    app.extensions["db_engine"].dispose()


def test_an_instance_may_raise_the_form_limits(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                      "MAX_FORM_PARTS": 5000, "MAX_FORM_LENGTH": 1024 * 1024},
                     instance_path=str(tmp_path))
    assert app.config["MAX_FORM_PARTS"] == 5000
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 64 * 1024  # Flask's 500 KB replaced
    app.extensions["db_engine"].dispose()


def test_survey_tokens_are_cut_out_of_access_log_lines(app):
    """The records as gunicorn (a dict of atoms) and werkzeug (a tuple) log them."""
    import logging

    from surveyapp.security import SurveyTokenFilter

    token = "Ab3dEfGhIjKlMnOpQrStUvWxYz0123456789_-xyz"
    atoms = {"r": f"POST /s/{token}?lang=en HTTP/1.1", "U": f"/s/{token}/thanks",
             "s": 303, "h": "127.0.0.1"}
    gunicorn = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1,
                                 '%(h)s "%(r)s" %(s)s %(U)s', (atoms,), None)
    werkzeug = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                                 '127.0.0.1 - - [x] "%s" %s %s', (
                                     f"GET /s/{token} HTTP/1.1", "200", "-"), None)
    lines = []
    for record in (gunicorn, werkzeug):
        assert SurveyTokenFilter().filter(record)
        lines.append(record.getMessage())
    assert all(token not in line and token[:8] not in line for line in lines), lines
    assert '"POST /s/Ab3d…?lang=en HTTP/1.1" 303 /s/Ab3d…/thanks' in lines[0]
    assert '"GET /s/Ab3d… HTTP/1.1" 200' in lines[1]
    assert any(isinstance(f, SurveyTokenFilter)  # installed by create_app
               for f in logging.getLogger("gunicorn.access").filters)
    assert any(isinstance(f, SurveyTokenFilter) for f in logging.getLogger("werkzeug").filters)
