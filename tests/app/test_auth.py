"""Manager pages are behind login; passwords are hashed; redirects stay on this site."""

import re

from sqlalchemy import select

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
