"""The wave pages: create from the web (errors store nothing), the wave page's progress,
the buttons queue the sending job, links downloads, QR codes and the print sheet."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from surveyapp.models import Campaign, Invitation, Message
from surveyapp.services import invitations


@pytest.fixture
def contacts(make_account, make_contact):
    a = make_account("A001", revenue=200.0, customer_type="partnership")
    b = make_account("A002", revenue=800.0, customer_type="value_added")
    return [make_contact(a, "economic"), make_contact(a, "technical", lang="en"),
            make_contact(b, "user")]


def _form(**fields):
    data = {"name": "Spring 2027", "section1": "servqual", "section2": "satisfaction",
            "section3": "loyalty", "section4": "", "accounts": "", "customer_type": "",
            "owner": "", "role": "", "opens": "", "closes": ""}
    data.update(fields)
    return data


def _created(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/waves/(\d+)$", response.headers["Location"]).group(1))


def test_pages_need_a_login(client):
    for path in ("/waves", "/waves/new", "/waves/1", "/waves/1/links.csv", "/waves/1/sheet"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_from_the_web_page(logged_in, session, contacts):
    page = logged_in.get("/waves/new")
    assert page.status_code == 200 and 'name="section1"' in page.get_data(as_text=True)
    response = logged_in.post("/waves/new", data=_form(customer_type="partnership",
                                                       closes="2099-12-31", anonymous="y"))
    wave = session.get(Campaign, _created(response))
    assert wave.anonymous and str(wave.closes_on) == "2099-12-31"
    assert [s.instrument_version.instrument_id for s in wave.sections] == [
        "servqual", "satisfaction", "loyalty"]
    assert session.scalar(select(func.count()).select_from(Invitation)) == 2
    listing = logged_in.get("/waves").get_data(as_text=True)
    assert "Spring 2027" in listing and "0 / 2" in listing


@pytest.mark.parametrize(("fields", "message"), [
    ({"opens": "2027-02-01", "closes": "2027-01-01"}, "before it opens"),
    ({"accounts": "A001, NOPE"}, "unknown account code(s): NOPE"),
    ({"section2": "servqual"}, "answer id"),
    ({"role": "coach"}, "no active contact"),
    ({"name": ""}, "This field is required."),
    ({"section1": "../../etc/passwd"}, "Not a valid choice"),
])
def test_create_errors_show_and_store_nothing(logged_in, session, contacts, fields, message):
    response = logged_in.post("/waves/new?lang=en", data=_form(**fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_wave_page_shows_progress_and_the_buttons_send_in_the_background(
        app, logged_in, session, contacts, tmp_path):
    wave_id = _created(logged_in.post("/waves/new", data=_form()))
    invitation = session.scalars(select(Invitation).where(
        Invitation.contact_id == contacts[2].id)).one()
    invitations.mark_answered(invitation)  # A002 (revenue 800 of 1000) has spoken
    session.commit()
    page = logged_in.get(f"/waves/{wave_id}?lang=en").get_data(as_text=True)
    assert "80 %" in page and "1 of 2 accounts answered" in page
    # the button queues the job, which (immediate in tests) writes the emails
    response = logged_in.post(f"/waves/{wave_id}/send")
    assert response.status_code == 302
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    logged_in.post(f"/waves/{wave_id}/send")  # a second click sends nothing more
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    # reminder round 1, clicked twice: the two contacts who have not answered, once each
    logged_in.post(f"/waves/{wave_id}/remind", data={"round": "1"})
    logged_in.post(f"/waves/{wave_id}/remind", data={"round": "1"})
    assert session.scalar(select(func.count()).select_from(Message).where(
        Message.kind == "reminder")) == 2
    # a round the page did not offer is refused
    page = logged_in.post(f"/waves/{wave_id}/remind", data={"round": "5"},
                          follow_redirects=True).get_data(as_text=True)
    assert "cannot be sent now" in page
    page = logged_in.get(f"/waves/{wave_id}").get_data(as_text=True)
    assert "Send reminder round 2" in page


def test_links_downloads_sheet_and_qr(logged_in, session, contacts):
    wave_id = _created(logged_in.post("/waves/new", data=_form()))
    csv_text = logged_in.get(f"/waves/{wave_id}/links.csv").get_data().decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "contact_id,account_id,email,lang,link,name"
    links = re.findall(r"http://localhost/s/(\S+?),", csv_text)
    assert len(links) == 3 and all(invitations.find(session, t) for t in links)
    response = logged_in.get(f"/waves/{wave_id}/links.xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 4 and sheet["A2"].value == contacts[0].code
    sheet_page = logged_in.get(f"/waves/{wave_id}/sheet?account=A001").get_data(as_text=True)
    assert sheet_page.count('class="card"') == 2 and "data:image/svg+xml" in sheet_page
    assert logged_in.get(f"/waves/{wave_id}/sheet?account=NOPE").status_code == 404
    invitation = session.scalars(select(Invitation)).first()
    png = logged_in.get(f"/waves/{wave_id}/qr/{invitation.id}.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    svg = logged_in.get(f"/waves/{wave_id}/qr/{invitation.id}.svg")
    assert svg.mimetype == "image/svg+xml" and b"http://localhost/s/" in svg.data
    assert logged_in.get(f"/waves/{wave_id}/qr/{invitation.id}.gif").status_code == 404
    assert logged_in.get(f"/waves/{wave_id + 1}/qr/{invitation.id}.png").status_code == 404


def test_a_named_wave_shows_where_each_contact_stands(logged_in, session, contacts):
    wave_id = _created(logged_in.post("/waves/new", data=_form()))
    logged_in.post(f"/waves/{wave_id}/send")
    invitation = session.scalars(select(Invitation).where(
        Invitation.contact_id == contacts[1].id)).one()
    invitations.mark_answered(invitation)
    session.commit()
    page = logged_in.get(f"/waves/{wave_id}?account=A001&lang=en").get_data(as_text=True)
    people = page[page.index('id="people"'):]
    assert contacts[0].name in people and contacts[1].name in people
    assert contacts[2].name not in people  # another account
    assert people.count(">sent<") == 2 and "submitted" in people and "not opened" in people


def test_an_anonymous_wave_shows_no_one(logged_in, session, contacts):
    wave_id = _created(logged_in.post("/waves/new", data=_form(anonymous="y")))
    page = logged_in.get(f"/waves/{wave_id}?account=A001&lang=en").get_data(as_text=True)
    assert 'id="people"' not in page and contacts[0].name not in page


def test_a_manager_sees_no_one_of_another_managers_account(app, session, logged_in,
                                                           make_account, make_contact):
    from surveyapp.services import users

    li = users.create_user(session, "li@example.com", "correct horse battery",
                           role="manager")
    mine = make_contact(make_account("L001", owner_id=li.id), name="Contact of Li")
    theirs = make_contact(make_account("W001"), name="Contact of Wang")
    wave_id = _created(logged_in.post("/waves/new", data=_form()))  # the admin's wave
    client = app.test_client()
    assert client.post("/login", data={"email": "li@example.com",
                                       "password": "correct horse battery"}).status_code == 302
    page = client.get(f"/waves/{wave_id}?account=W001&lang=en").get_data(as_text=True)
    assert 'id="people"' not in page and theirs.name not in page
    page = client.get(f"/waves/{wave_id}?account=L001&lang=en").get_data(as_text=True)
    assert 'id="people"' in page and mine.name in page


def test_invitations_can_wait_for_the_opening_day(app, logged_in, session, contacts, tmp_path):
    from datetime import datetime

    from surveyapp import jobs

    wave_id = _created(logged_in.post("/waves/new", data=_form(opens="2099-03-01")))
    page = logged_in.get(f"/waves/{wave_id}?lang=en").get_data(as_text=True)
    assert "Send them on the opening day (2099-03-01, 08:00)" in page
    try:
        page = logged_in.post(f"/waves/{wave_id}/schedule",
                              follow_redirects=True).get_data(as_text=True)
        assert "will go out on 2099-03-01 at 08:00" in page
        scheduled = jobs.huey.scheduled()
        assert [t.name.rsplit(".", 1)[1] for t in scheduled] == ["send_invitations_job"]
        # 08:00 in Asia/Shanghai (the default SURVEY_TIMEZONE) is 00:00 UTC
        assert scheduled[0].eta == datetime(2099, 3, 1, 0, 0)
        assert scheduled[0].args == (wave_id, "http://localhost/")
    finally:
        jobs.huey.storage.flush_schedule()
    assert not (tmp_path / "outbox").exists()  # nothing sent before the day


def test_a_wave_without_an_open_date_to_come_is_sent_now(logged_in, contacts):
    wave_id = _created(logged_in.post("/waves/new", data=_form()))
    page = logged_in.get(f"/waves/{wave_id}?lang=en").get_data(as_text=True)
    assert "opening day" not in page
    page = logged_in.post(f"/waves/{wave_id}/schedule",
                          follow_redirects=True).get_data(as_text=True)
    assert "no opening day still to come" in page
