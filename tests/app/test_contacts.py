"""Contact pages: list and filter, edit, deactivate and reactivate, erase on request."""

from __future__ import annotations

import html

import numpy as np
import pytest
from sqlalchemy import select

from surveyapp.models import Contact, Draft, Invitation, Response
from surveyapp.services import contacts as contact_service
from surveyapp.services import invitations
from surveyapp.services.instruments import new_campaign
from surveyapp.services.responses import pack, unpack
from tests.app.test_imports import snapshot


@pytest.fixture
def people(make_account, make_contact):
    a1 = make_account("A001", "鞍山齿轮有限公司")
    a2 = make_account("A002", "Nordic Water")
    return [make_contact(a1, "economic", name="王磊"), make_contact(a1, "technical", name="李娜"),
            make_contact(a2, "user", lang="en", name="Anna 100% Schmidt")]


def page(client, url):
    return html.unescape(client.get(url).get_data(as_text=True))


def test_list_filter_and_search(logged_in, people, session):
    text = page(logged_in, "/contacts")
    assert all(name in text for name in ("王磊", "李娜", "Anna 100% Schmidt"))
    text = page(logged_in, "/contacts?account=A001")
    assert "王磊" in text and "Anna" not in text
    text = page(logged_in, "/contacts?q=100%25")  # a literal %, not a wildcard
    assert "Anna" in text and "王磊" not in text
    assert "王磊" not in page(logged_in, "/contacts?q=_")
    contact_service.set_active(session, people[1], False)
    text = page(logged_in, "/contacts?status=inactive")
    assert "李娜" in text and "王磊" not in text
    # odd arguments give a page, not an error
    for url in ("/contacts?page=99999999999999999999", "/contacts?page=-3",
                "/contacts?status=nonsense", "/contacts?account=" + "x" * 500):
        assert logged_in.get(url).status_code == 200


def test_edit_a_contact(logged_in, people, session):
    contact = people[0]
    response = logged_in.post(f"/contacts/{contact.id}/edit", data={
        "name": " 王磊磊 ", "email": "WangLei@Customer.CN", "role": "coach", "lang": "en"})
    assert response.status_code == 302
    session.expire_all()
    assert (contact.name, contact.email, contact.role, contact.lang) == (
        "王磊磊", "WangLei@customer.cn", "coach", "en")


@pytest.mark.parametrize(("field", "value"), [
    ("email", "not an email"), ("name", ""), ("role", "boss"), ("lang", "fr"),
    ("name", "x" * 201)])
def test_a_bad_edit_changes_nothing(app, logged_in, people, field, value):
    contact = people[0]
    data = {"name": "王磊", "email": "w@example.cn", "role": "economic", "lang": "zh",
            field: value}
    before = snapshot(app)
    response = logged_in.post(f"/contacts/{contact.id}/edit", data=data)
    assert response.status_code == 400
    assert snapshot(app) == before


def test_deactivate_and_reactivate(logged_in, people, session):
    contact = people[2]
    assert logged_in.post(f"/contacts/{contact.id}/active", data={"active": "0"}).status_code \
        == 302
    session.expire_all()
    assert contact.active is False
    logged_in.post(f"/contacts/{contact.id}/active", data={"active": "1"})
    session.expire_all()
    assert contact.active is True
    assert logged_in.post(f"/contacts/{contact.id}/active", data={"active": "x"}).status_code \
        == 400


def test_unknown_and_huge_ids_are_not_found(logged_in):
    for url in ("/contacts/999/edit", "/contacts/9223372036854775808/edit",
                "/contacts/99999999999999999999999/erase"):
        assert logged_in.get(url).status_code == 404


@pytest.fixture
def answered(app, session, people, make_campaign):
    """王磊 answered a wave (and saved a draft in another); the manager rated him too."""
    wave = make_campaign(name="Wave 1")
    other = make_campaign(name="Wave 2")
    contact = people[0]
    invitation, token = invitations.invite(session, wave, contact)
    pending, pending_token = invitations.invite(session, other, contact)
    session.flush()
    columns = wave.answer_columns
    values = {c: 5.0 for c in columns[:10]}
    response = Response(campaign_id=wave.id, invitation_id=invitation.id,
                        account_id=contact.account_id, contact_id=contact.id,
                        role="economic", lang="zh", values=pack(values, columns))
    session.add(response)
    session.add(Draft(invitation_id=pending.id, answers_json='{"sq01.e": 4}', page=1))
    with app.app_context():
        ratings = new_campaign(session, "Assessment", ["grid25"], audience="manager")
        session.flush()
    session.add(Response(campaign_id=ratings.id, account_id=contact.account_id,
                         contact_id=contact.id, values=pack({"grid_step": 3.0},
                                                            ratings.answer_columns)))
    session.commit()
    return contact, response, token, pending_token, values


def test_erase_keeps_the_answers_without_who_gave_them(app, logged_in, session, answered,
                                                       monkeypatch):
    contact, response, token, pending_token, values = answered
    recomputed = []
    monkeypatch.setattr(contact_service.scoring, "request_recompute",
                        lambda s, ids=None: recomputed.append(ids))
    confirm_page = page(logged_in, f"/contacts/{contact.id}/erase")
    assert "王磊" in confirm_page and 'name="confirm"' in confirm_page
    # without the confirmation box nothing happens
    assert logged_in.post(f"/contacts/{contact.id}/erase", data={}).status_code == 400
    session.expire_all()
    assert contact.erased_at is None and contact.name == "王磊"

    assert logged_in.post(f"/contacts/{contact.id}/erase",
                          data={"confirm": "y"}).status_code == 302
    session.expire_all()
    assert contact.erased_at is not None
    assert (contact.name, contact.email, contact.active) == ("", None, False)
    kept = session.get(Response, response.id)
    assert kept.contact_id is None and kept.invitation_id is None
    assert (kept.account_id, kept.role) == (contact.account_id, "economic")
    columns = session.get(Invitation, session.scalar(select(Invitation.id).where(
        Invitation.contact_id == contact.id).limit(1))).campaign.answer_columns
    answers = unpack([kept.values], len(columns))[0]
    assert np.array_equal(answers[:10], np.full(10, 5.0))  # the answers are unchanged
    assert session.scalar(select(Draft)) is None  # the unsubmitted answers are gone
    # no link of theirs opens anything any more
    assert invitations.find(session, token) is None
    assert invitations.find(session, pending_token) is None
    # the manager's rating of the person is about them, not by them: it is gone
    assert session.scalars(select(Response.id)).all() == [response.id]
    assert len(recomputed) == 1 and response.campaign_id in recomputed[0]
    # nothing on the pages tells who it was
    listing = page(logged_in, "/contacts?status=erased")
    assert "王磊" not in listing and "c1@example.com" not in listing
    assert logged_in.get(f"/contacts/{contact.id}/edit").status_code == 302


def test_an_erased_contact_is_not_imported_again(app, logged_in, runner, session, answered,
                                                 tmp_path):
    contact, *_ = answered
    contact_service.erase(session, contact)
    path = tmp_path / "contacts.csv"
    path.write_text(f"contact_id,account_id,name,email\n{contact.code},A001,王磊,wl@example.cn\n"
                    "NEW-1,A001,新人,new@example.cn\n", encoding="utf-8")
    result = runner.invoke(args=["import-contacts", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new, 0 updated, 0 unchanged, 1 skipped (erased on request)" in result.output
    session.expire_all()
    assert contact.name == "" and contact.email is None and contact.erased_at is not None
    assert session.scalar(select(Contact.name).where(Contact.code == "NEW-1")) == "新人"
    # erasing twice changes nothing, and an erased contact stays inactive
    assert contact_service.erase(session, contact) == 0
    with pytest.raises(contact_service.ContactError):
        contact_service.set_active(session, contact, True)


@pytest.fixture
def own_manager(app, session, people):
    """A manager who owns A001 (王磊, 李娜) but not A002 (Anna)."""
    from surveyapp.services import users

    user = users.create_user(session, "wang@supplier.example.com", "a long password",
                             role="manager")
    people[0].account.owner_id = user.id
    session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": "wang@supplier.example.com",
                                       "password": "a long password"}).status_code == 302
    return client


def test_a_manager_sees_and_changes_only_their_own_contacts(app, own_manager, people):
    text = page(own_manager, "/contacts")
    assert "王磊" in text and "李娜" in text and "Anna" not in text
    assert "A002" not in text  # nor in the account filter
    assert "Anna" not in page(own_manager, "/contacts?account=A002")
    before = snapshot(app)
    other = people[2]
    assert own_manager.get(f"/contacts/{other.id}/edit").status_code == 404
    assert own_manager.post(f"/contacts/{other.id}/edit", data={
        "name": "x", "role": "", "lang": "en"}).status_code == 404
    assert own_manager.post(f"/contacts/{other.id}/active", data={"active": "0"}).status_code \
        == 404
    assert own_manager.post(f"/contacts/{other.id}/erase", data={"confirm": "y"}).status_code \
        == 404
    assert snapshot(app) == before


def test_a_manager_imports_only_into_their_own_accounts(app, own_manager, people):
    import io

    files = [
        ("contacts", "contact_id,account_id,name\nN1,A002,新人\n",
         "account 'A002' belongs to another account manager"),  # as the accounts import says
        ("contacts", f"contact_id,account_id,name\n{people[2].code},A001,Anna\n",
         "belongs to an account of another account manager"),
        ("accounts", "account_id,name\nA002,改名\n", "belongs to another account manager"),
    ]
    before = snapshot(app)
    for kind, content, problem in files:
        response = own_manager.post("/import/preview?lang=en", data={
            "kind": kind, "file": (io.BytesIO(content.encode()), "f.csv")},
            content_type="multipart/form-data")
        assert response.status_code == 422
        assert problem in html.unescape(response.get_data(as_text=True))
    assert snapshot(app) == before
    ok = own_manager.post("/import/preview", data={"kind": "contacts", "file": (io.BytesIO(
        "contact_id,account_id,name\nN1,A001,新人\n".encode()), "f.csv")},
        content_type="multipart/form-data")
    assert ok.status_code == 200 and 'name="upload"' in ok.get_data(as_text=True)


def test_imports_and_erasures_are_in_the_audit_log(app, runner, session, answered, tmp_path):
    from surveyapp.models import AuditEvent

    contact, *_ = answered
    contact_service.erase(session, contact)
    path = tmp_path / "c.csv"
    path.write_text("contact_id,account_id,name\nNEW-1,A001,新人\n", encoding="utf-8")
    assert runner.invoke(args=["import-contacts", str(path)]).exit_code == 0
    events = {e.action: e for e in session.scalars(select(AuditEvent))}
    erased = events["contact.erased"]
    assert erased.target == contact.code
    assert "王磊" not in (erased.detail_json or "") and "c1@example.com" not in (
        erased.detail_json or "")
    assert events["import"].target == str(path) and '"new": 1' in events["import"].detail_json
    assert events["import"].actor_email == "command line"


def test_leadership_reads_but_cannot_import_or_edit(app, session, people):
    import io

    from surveyapp.services import users

    users.create_user(session, "ceo@supplier.example.com", "a long password", role="leadership")
    client = app.test_client()
    client.post("/login", data={"email": "ceo@supplier.example.com",
                                "password": "a long password"})
    listing = page(client, "/contacts")
    assert "王磊" in listing and f"/contacts/{people[0].id}/edit" not in listing
    assert 'type="file"' not in client.get("/import").get_data(as_text=True)
    before = snapshot(app)
    response = client.post("/import/preview", data={"kind": "accounts", "file": (
        io.BytesIO(b"account_id,name\nZ1,x\n"), "a.csv")}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert client.post(f"/contacts/{people[0].id}/erase", data={"confirm": "y"}).status_code \
        == 403
    assert snapshot(app) == before


def test_a_contact_gets_their_data_on_request(app, logged_in, session, answered, own_manager):
    import json

    from surveyapp.models import AuditEvent

    contact, response, _token, _pending, values = answered
    download = logged_in.get(f"/contacts/{contact.id}/data.json")
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.get_data(as_text=True))
    assert data["contact"]["name"] == "王磊" and data["contact"]["account_id"] == "A001"
    assert [i["wave"] for i in data["invitations"]] == ["Wave 1", "Wave 2"]
    assert data["responses"][0]["answers"] == values  # every answer given, nothing else
    assert data["managers_ratings"][0]["answers"] == {"grid_step": 3.0}
    assert data["saved_not_submitted"][0]["answers"] == {"sq01.e": 4}
    assert session.scalar(select(AuditEvent.target).where(
        AuditEvent.action == "contact.exported")) == contact.code
    # another manager's contact is not found
    assert own_manager.get(f"/contacts/{answered[0].id}/data.json").status_code == 200
    other = session.scalar(select(Contact).where(Contact.name == "Anna 100% Schmidt"))
    assert own_manager.get(f"/contacts/{other.id}/data.json").status_code == 404
