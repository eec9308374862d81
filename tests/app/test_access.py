"""Roles: who sees which accounts, the users an administrator manages (web and command
line), and the audit log."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from surveyapp.models import Account, AuditEvent, User
from surveyapp.services import access, audit, users, visible
from surveyapp.services.figures import WaveFigures

PASSWORD = "correct horse battery"


@pytest.fixture
def people(session):
    """An administrator, two managers and leadership (the fixture's own session)."""
    made = {role: users.create_user(session, f"{role}@example.com", PASSWORD, role=role,
                                    actor=None)
            for role in ("admin", "leadership")}
    made["li"] = users.create_user(session, "li@example.com", PASSWORD, role="manager",
                                   actor=None)
    made["wang"] = users.create_user(session, "wang@example.com", PASSWORD, role="manager",
                                     actor=None)
    return made


def _client(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def portfolio(session, people, make_account):
    a = make_account("A001", owner_id=people["li"].id)
    b = make_account("A002", owner_id=people["wang"].id)
    c = make_account("A003")  # nobody's yet
    return a, b, c


def test_visible_accounts_by_role(session, people, portfolio):
    codes = {k: access.visible_codes(session, u) for k, u in people.items()}
    assert codes["admin"] is None and codes["leadership"] is None  # every account
    assert codes["li"] == {"A001"} and codes["wang"] == {"A002"}
    for name, user in people.items():
        shown = set(session.scalars(select(Account.code).where(access.account_filter(user))))
        assert shown == ({"A001", "A002", "A003"} if codes[name] is None else codes[name])
        assert [access.can_see_account(user, a) for a in portfolio] == \
            [c is None or a.code in c for a in portfolio for c in [codes[name]]]


def test_rules_by_role():
    def person(role):
        return type("P", (), {"role": role, "id": 1})()

    admin, manager, leadership = (person(r) for r in access.ROLES)
    assert access.may(None, "survey.take", "POST") and access.may(None, "auth.login", "POST")
    assert not access.may(None, "reports.accounts", "GET")
    assert all(access.may(p, "reports.accounts", "GET") for p in (admin, manager, leadership))
    assert access.may(manager, "manage.import_confirm", "POST")
    assert not access.may(leadership, "manage.import_confirm", "POST")
    assert access.may(leadership, "manage.waves_list", "GET")
    assert not access.may(manager, "auth.users_list", "GET")
    assert access.may(admin, "auth.users_list", "GET")
    assert access.may(leadership, "auth.password", "POST")  # everyone keeps their password
    assert not access.may(admin, "nobody.knows", "GET")  # no rule: refused
    assert not access.may(person("intern"), "reports.accounts", "GET")


# --------------------------------------------------------------------------- user pages

def test_administrator_creates_changes_and_deactivates_users(app, session, people):
    admin = _client(app, "admin@example.com")
    page = admin.get("/users?lang=en").get_data(as_text=True)
    assert "li@example.com" in page and "Account manager" in page
    response = admin.post("/users/new", data={"email": "New@Example.com", "name": "Zhao",
                                              "role": "leadership", "password": PASSWORD})
    assert response.status_code == 302
    new = session.scalar(select(User).where(User.email == "new@example.com"))
    assert new.role == "leadership" and new.active
    viewer = _client(app, "new@example.com")
    assert viewer.get("/accounts").status_code == 200
    response = admin.post(f"/users/{new.id}", data={"name": "Zhao", "role": "manager",
                                                    "active": ""})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, new.id).role == "manager" and not session.get(User, new.id).active
    assert viewer.get("/accounts").status_code == 302  # deactivated: logged out at once
    events = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "user.created" in events and "user.changed" in events


def test_new_user_errors_store_nothing(app, session, people):
    admin = _client(app, "admin@example.com")
    count = len(users.list_users(session))
    for data, message in (
            ({"email": "li@example.com", "role": "manager", "password": "long enough"},
             "A user with this email already exists."),
            ({"email": "nope", "role": "manager", "password": "long enough"},
             "Not an email address."),
            ({"email": "x@example.com", "role": "manager", "password": "short"},
             "Between 8 and 1024 characters."),
            ({"email": "x@example.com", "role": "owner", "password": "long enough"},
             "Not a valid choice"),
            ({"email": "x" * 200_000 + "@example.com", "role": "manager",
              "password": "long enough"}, "At most 254 characters.")):
        response = admin.post("/users/new?lang=en", data=data)
        assert response.status_code == 400, data
        page = response.get_data(as_text=True)
        assert message in page, data
        assert "x" * 255 not in page and len(page) < 50_000  # never the whole paste back
    assert len(users.list_users(session)) == count


def test_administrator_resets_a_password(app, session, people):
    admin = _client(app, "admin@example.com")
    li = _client(app, "li@example.com")
    response = admin.post(f"/users/{people['li'].id}/password",
                          data={"password": "brand new secret"})
    assert response.status_code == 302
    assert li.get("/accounts").status_code == 302
    assert app.test_client().post("/login", data={
        "email": "li@example.com", "password": "brand new secret"}).status_code == 302
    assert session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "user.password_reset", AuditEvent.target == "li@example.com"))


def test_the_last_administrator_stays(app, session, people):
    admin = _client(app, "admin@example.com")
    me = people["admin"]
    response = admin.post(f"/users/{me.id}?lang=en", data={"role": "manager", "active": "y"})
    assert response.status_code == 409
    assert "last active administrator" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, me.id).role == "admin"
    with pytest.raises(users.UserError, match="last active administrator"):
        users.update_user(session, session.get(User, me.id), active=False, actor=None)
    # with a second administrator, the first may step down
    users.update_user(session, people["leadership"], role="admin", actor=None)
    users.update_user(session, session.get(User, me.id), role="manager", actor=None)
    assert session.get(User, me.id).role == "manager"


def test_managers_and_leadership_cannot_manage_users(app, people):
    for email in ("li@example.com", "leadership@example.com"):
        client = _client(app, email)
        assert client.get("/users").status_code == 403
        assert client.get("/audit").status_code == 403
        response = client.post(f"/users/{people['admin'].id}/password",
                               data={"password": "taken over now"})
        assert response.status_code == 403
    assert app.test_client().post("/login", data={
        "email": "admin@example.com", "password": PASSWORD}).status_code == 302


# --------------------------------------------------------------------------- command line

def test_create_user_with_a_role_and_the_user_commands(runner, session):
    result = runner.invoke(args=["create-user", "first@example.com", "--password", "long enough"])
    assert result.output.strip() == "Created administrator first@example.com"
    result = runner.invoke(args=["create-user", "second@example.com", "--password",
                                 "long enough"])
    assert result.output.strip() == "Created manager second@example.com"  # least needed
    result = runner.invoke(args=["create-user", "boss@example.com", "--role", "leadership",
                                 "--password", "long enough"])
    assert result.exit_code == 0 and "Created leadership boss@example.com" in result.output
    bad = runner.invoke(args=["create-user", "x@example.com", "--role", "owner",
                              "--password", "long enough"])
    assert bad.exit_code == 2 and "'owner' is not one of" in bad.output
    listing = runner.invoke(args=["user", "list"]).output
    assert "boss@example.com\tleadership\tactive\tlast login never" in listing
    assert runner.invoke(args=["user", "set-role", "second@example.com", "admin"]).exit_code == 0
    assert runner.invoke(args=["user", "deactivate", "boss@example.com"]).exit_code == 0
    session.expire_all()
    roles = {u.email: (u.role, u.active) for u in users.list_users(session)}
    assert roles["second@example.com"] == ("admin", True)
    assert roles["boss@example.com"] == ("leadership", False)
    missing = runner.invoke(args=["user", "deactivate", "ghost@example.com"])
    assert missing.exit_code == 1 and "there is no user ghost@example.com" in missing.output
    short = runner.invoke(args=["user", "reset-password", "boss@example.com", "--password", "x"])
    assert short.exit_code == 1 and "at least 8" in short.output
    actions = list(session.scalars(select(AuditEvent.actor_email)))
    assert actions and set(actions) == {audit.COMMAND_LINE}


def test_create_user_gives_an_imported_owner_a_password_and_role(runner, session):
    owner, _added = users.owner_for_email(session, "owner@example.com")
    session.commit()
    assert owner.role == "manager" and not users.has_password(owner)
    runner.invoke(args=["create-user", "admin@example.com", "--password", "long enough"])
    result = runner.invoke(args=["create-user", "owner@example.com", "--password",
                                 "long enough"])
    assert result.output.strip() == "Created manager owner@example.com"
    session.expire_all()
    assert users.has_password(session.get(User, owner.id))


# --------------------------------------------------------------------------- audit log

def test_logins_are_audited(app, session, people):
    client = app.test_client()
    client.post("/login", data={"email": "li@example.com", "password": "wrong"},
                environ_base={"REMOTE_ADDR": "10.1.2.3"})
    client.post("/login", data={"email": "nobody@example.com", "password": "wrong"})
    client.post("/login", data={"email": "li@example.com", "password": PASSWORD})
    client.post("/logout")
    events = [(e.action, e.actor_email, e.actor_id is not None, e.address)
              for e in session.scalars(select(AuditEvent).where(
                  AuditEvent.action.in_(("login", "login.failed", "logout")))
                  .order_by(AuditEvent.id))]
    assert events == [("login.failed", "li@example.com", False, "10.1.2.3"),
                      ("login.failed", "nobody@example.com", False, "127.0.0.1"),
                      ("login", "li@example.com", True, "127.0.0.1"),
                      ("logout", "li@example.com", True, "127.0.0.1")]
    session.expire_all()
    assert session.get(User, people["li"].id).last_login_at is not None


def test_audit_page_lists_and_filters(app, session, people):
    for k in range(3):
        audit.record(session, "export", f"campaign {k}", {"rows": k}, actor=people["li"],
                     address=None)
    session.commit()
    admin = _client(app, "admin@example.com")
    page = admin.get("/audit?action=export&lang=en").get_data(as_text=True)
    assert page.count("campaign ") == 3 and "rows: 2" in page and "3 events" in page
    page = admin.get("/audit?action=login&lang=en").get_data(as_text=True)
    assert "campaign 0" not in page and "admin@example.com" in page
    page = admin.get("/audit?actor=wang&lang=en").get_data(as_text=True)
    assert "0 events" in page
    assert admin.get("/audit?page=99999999999999999999").status_code == 200


# --------------------------------------------------------------------------- figures

class _Run(WaveFigures):
    """Stored figures without a database: two account tables and a portfolio table."""

    def __init__(self, tables):
        self.session = self.campaign = self.run = None
        self.key = ("test-db", 1, "t")
        self._tables = tables

    def names(self):
        return sorted(self._tables)

    def table(self, name):
        return self._tables.get(name, pd.DataFrame())


def test_visible_figures_keep_only_the_users_accounts():
    accounts = pd.DataFrame({"account_id": ["A001", "A002", "A003", None],
                             "nps": [10.0, -20.0, 5.0, 0.0]})
    items = pd.DataFrame({"account_id": ["A002", "A001", "A002"], "item": ["a", "b", "c"]})
    model = pd.DataFrame({"path": ["IMAG -> SAT"], "estimate": [0.4]})
    base = _Run({"accounts": accounts, "servqual_account_items": items, "model_paths": model})
    mine = visible.restrict(base, frozenset({"A002"}))
    assert list(mine.table("accounts")["account_id"]) == ["A002"]
    assert list(mine.table("servqual_account_items")["item"]) == ["a", "c"]
    assert mine.table("model_paths").equals(model)  # the portfolio's, no account in it
    assert set(mine.tables()) == {"accounts", "servqual_account_items", "model_paths"}
    assert visible.restrict(base, None) is base
    # derived views are kept apart per set of accounts (never another user's list)
    assert base.derived("rows", lambda: len(base.table("accounts"))) == 4
    assert mine.derived("rows", lambda: len(mine.table("accounts"))) == 1
    other = visible.restrict(base, frozenset({"A001", "A003"}))
    assert other.derived("rows", lambda: len(other.table("accounts"))) == 2
    assert visible.restrict(base, frozenset()).table("accounts").empty


# --------------------------------------------------------------------------- pages, exports

@pytest.fixture
def scored_portfolio(app, session, people, make_account, make_contact, make_campaign, invite):
    """Li owns A001, Wang owns A002; each account answered (with a comment); scored."""
    from tests.app.test_scoring import answers, submit

    li = make_account("A001", name="Li's client", owner_id=people["li"].id)
    wang = make_account("A002", name="Wang's client", owner_id=people["wang"].id)
    campaign = make_campaign()
    for account, e, p in ((li, 6, 5), (wang, 5, 6)):
        for role in ("economic", "technical"):
            invitation, _token = invite(campaign, make_contact(account, role=role))
            submit(app, session, invitation, answers(e, p, f"comment of {account.code}"))
    return campaign


def _workbook_text(data: bytes) -> str:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


def test_a_manager_sees_only_their_accounts_in_pages_and_the_export(app, session,
                                                                    scored_portfolio):
    li = _client(app, "li@example.com")
    listing = li.get("/accounts?lang=en").get_data(as_text=True)
    assert "Li&#39;s client" in listing or "Li's client" in listing
    assert "Wang" not in listing and "A002" not in listing
    assert li.get("/accounts/A001").status_code == 200
    other = li.get("/accounts/A002?lang=en")
    missing = li.get("/accounts/NOPE?lang=en")
    assert other.status_code == missing.status_code == 404
    # nothing tells that A002 exists (the pages differ only by the address they name)
    assert other.get_data().replace(b"A002", b"NOPE") == missing.get_data()
    export = li.get(f"/export.xlsx?campaign={scored_portfolio.id}")
    assert export.status_code == 200
    text = _workbook_text(export.data)
    assert "A001" in text and "comment of A001" in text
    assert "A002" not in text and "Wang" not in text and "comment of A002" not in text
    assert session.scalar(select(AuditEvent.target).where(AuditEvent.action == "export")) \
        == f"campaign {scored_portfolio.id}"


@pytest.mark.parametrize("email", ["admin@example.com", "leadership@example.com"])
def test_administrators_and_leadership_see_every_account(app, scored_portfolio, email):
    client = _client(app, email)
    listing = client.get("/accounts").get_data(as_text=True)
    assert "A001" in listing and "A002" in listing
    assert client.get("/accounts/A002").status_code == 200
    text = _workbook_text(client.get("/export.xlsx").data)
    assert "comment of A001" in text and "comment of A002" in text


def test_leadership_changes_nothing(app, session, scored_portfolio):
    boss = _client(app, "leadership@example.com")
    assert boss.post("/recompute", data={"campaign": scored_portfolio.id}).status_code == 403
    assert boss.post("/waves/new", data={"name": "x", "section1": "servqual"}).status_code \
        == 403
    assert boss.get("/waves").status_code == 200  # reading is allowed


def test_leadership_is_offered_no_button_it_may_not_press(app, scored_portfolio):
    boss = _client(app, "leadership@example.com")
    accounts = boss.get("/accounts?lang=en").get_data(as_text=True)
    waves = boss.get("/waves?lang=en").get_data(as_text=True)
    wave = boss.get(f"/waves/{scored_portfolio.id}?lang=en").get_data(as_text=True)
    assert "Compute again" not in accounts and "New wave" not in waves
    scorecard = boss.get("/accounts/A001?lang=en").get_data(as_text=True)
    assert "/accounts/A001/assessment" not in scorecard  # a form leadership may not open
    assert "Send invitations" not in wave and "reminder round" not in wave
    editor = _client(app, "admin@example.com")
    assert "Compute again" in editor.get("/accounts?lang=en").get_data(as_text=True)
    assert "Send invitations" in editor.get(
        f"/waves/{scored_portfolio.id}?lang=en").get_data(as_text=True)
    assert "/accounts/A001/assessment" in editor.get("/accounts/A001?lang=en").get_data(
        as_text=True)


# --------------------------------------------------------------------------- waves

@pytest.fixture
def two_books(session, people, make_account, make_contact):
    """Li's account A001 and Wang's A002, two contacts each."""
    li = make_account("A001", name="Li's client", owner_id=people["li"].id)
    wang = make_account("A002", name="Wang's client", owner_id=people["wang"].id)
    return [make_contact(a, role=r) for a in (li, wang) for r in ("economic", "user")]


WAVE_FORM = {"name": "Spring", "section1": "servqual", "section2": "", "section3": "",
             "section4": "", "accounts": "", "customer_type": "", "owner": "", "role": "",
             "opens": "", "closes": ""}


def test_a_managers_wave_reaches_only_their_accounts(app, session, two_books):
    from surveyapp.models import Campaign, Invitation

    li = _client(app, "li@example.com")
    refused = li.post("/waves/new?lang=en", data={**WAVE_FORM, "accounts": "A001, A002"})
    assert refused.status_code == 400
    assert "unknown account code(s): A002" in refused.get_data(as_text=True)
    assert session.scalar(select(Campaign.id)) is None  # nothing stored
    created = li.post("/waves/new", data=WAVE_FORM)
    assert created.status_code == 302
    invited = session.scalars(select(Invitation.contact_id)).all()
    assert sorted(invited) == sorted(c.id for c in two_books[:2])
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "wave.created"))


def test_a_managers_wave_pages_and_downloads_hold_only_their_contacts(app, session,
                                                                      two_books):
    from surveyapp.models import Invitation

    admin = _client(app, "admin@example.com")
    assert admin.post("/waves/new", data=WAVE_FORM).status_code == 302
    wave_id = session.scalar(select(Invitation.campaign_id))
    li = _client(app, "li@example.com")
    csv = li.get(f"/waves/{wave_id}/links.csv").get_data(as_text=True)
    assert "A001" in csv and "A002" not in csv
    everyone = admin.get(f"/waves/{wave_id}/links.csv").get_data(as_text=True)
    assert "A001" in everyone and "A002" in everyone
    page = li.get(f"/waves/{wave_id}").get_data(as_text=True)
    assert "A001" in page and "A002" not in page
    sheet = li.get(f"/waves/{wave_id}/sheet?account=A002")
    assert sheet.status_code == 404
    wangs = session.scalar(select(Invitation.id).where(Invitation.contact_id
                                                       == two_books[2].id))
    mine = session.scalar(select(Invitation.id).where(Invitation.contact_id == two_books[0].id))
    assert li.get(f"/waves/{wave_id}/qr/{wangs}.png").status_code == 404
    assert li.get(f"/waves/{wave_id}/qr/{mine}.png").status_code == 200
    # the wave reaches Wang's contacts too: Li cannot send it or remind it
    assert li.post(f"/waves/{wave_id}/send").status_code == 404
    assert li.post(f"/waves/{wave_id}/remind", data={"round": 1}).status_code == 404
    assert admin.post(f"/waves/{wave_id}/send").status_code == 302
    assert session.scalar(select(AuditEvent.target).where(AuditEvent.action == "wave.sent")) \
        == f"campaign {wave_id}"


def test_leadership_gets_no_survey_link_no_personal_data_and_no_edit_form(app, session,
                                                                          two_books):
    """A personal survey link works as a password and a contact's data file is personal:
    leadership (read only) gets 403 for them and for every page that only changes data, is
    shown no link to them, and the editors keep them all."""
    from surveyapp.models import Invitation

    admin = _client(app, "admin@example.com")
    assert admin.post("/waves/new", data=WAVE_FORM).status_code == 302
    wave_id = session.scalar(select(Invitation.campaign_id))
    invitation = session.scalar(select(Invitation.id))
    contact = two_books[0].id
    urls = [f"/waves/{wave_id}/links.csv", f"/waves/{wave_id}/links.xlsx",
            f"/waves/{wave_id}/sheet", f"/waves/{wave_id}/sheet?account=A001",
            f"/waves/{wave_id}/qr/{invitation}.png", f"/waves/{wave_id}/qr/{invitation}.svg",
            f"/contacts/{contact}/data.json", f"/contacts/{contact}/edit",
            f"/contacts/{contact}/erase", "/waves/new", "/accounts/A001/assessment"]
    boss = _client(app, "leadership@example.com")
    li = _client(app, "li@example.com")
    for url in urls:
        assert boss.get(url).status_code == 403, url
        assert admin.get(url).status_code == 200, url
        assert li.get(url).status_code == 200, url  # A001 is Li's
    wave = boss.get(f"/waves/{wave_id}?lang=en").get_data(as_text=True)
    contacts = boss.get("/contacts?lang=en").get_data(as_text=True)
    editors_wave = admin.get(f"/waves/{wave_id}?lang=en").get_data(as_text=True)
    for path in ("/links.csv", "/links.xlsx", "/sheet"):
        assert path not in wave and path in editors_wave, path
    assert "/qr/" not in wave
    assert "/edit" not in contacts and "/edit" in admin.get("/contacts").get_data(as_text=True)


def test_a_reminder_is_offered_only_once_invitations_went_out(app, session, two_books):
    from surveyapp.models import Invitation

    admin = _client(app, "admin@example.com")
    assert admin.post("/waves/new", data=WAVE_FORM).status_code == 302
    wave_id = session.scalar(select(Invitation.campaign_id))
    assert "Send reminder round" not in admin.get(f"/waves/{wave_id}?lang=en").get_data(
        as_text=True)
    assert admin.post(f"/waves/{wave_id}/send").status_code == 302  # the job runs at once
    assert "Send reminder round 1" in admin.get(f"/waves/{wave_id}?lang=en").get_data(
        as_text=True)


def test_ensure_login_gives_a_role_and_a_fresh_password(app, session):
    user, first = users.ensure_login(session, "Demo@Example.com", "leadership", "Demo")
    session.commit()
    again, second = users.ensure_login(session, "demo@example.com", "admin")
    session.commit()
    assert again.id == user.id and again.role == "admin" and first != second
    assert users.authenticate(session, "demo@example.com", second) is not None
    assert users.authenticate(session, "demo@example.com", first) is None
    with pytest.raises(users.UserError, match="unknown role"):
        users.ensure_login(session, "x@example.com", "boss")


def test_the_demo_managers_see_their_own_accounts_and_the_administrator_every_one(
        app, runner, client, session):
    from tests.app.test_cli import demo_logins

    logins = demo_logins(runner.invoke(args=["demo"]).output)
    every = session.scalar(select(func.count()).select_from(Account))
    seen = []
    for role, email, password in [("admin", *logins["admin"][0]),
                                  *(("manager", *m) for m in logins["manager"])]:
        assert client.post("/login", data={"email": email, "password": password}
                           ).status_code == 302, role
        owned = every if role == "admin" else session.scalar(
            select(func.count()).select_from(Account).join(User, User.id == Account.owner_id)
            .where(User.email == email))
        page = client.get("/accounts?lang=en").get_data(as_text=True)
        assert f"{owned} accounts" in page, role
        seen.append(owned)
        client.post("/logout")
    assert every == 36 and seen[0] == seen[1] + seen[2]  # the managers split the portfolio
