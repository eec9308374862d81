"""The import page: upload, a preview of what would change, nothing written until confirmed."""

from __future__ import annotations

import html as html_text
import io
import re

import pytest
from sqlalchemy import select

from surveyapp import create_app
from surveyapp.db import upgrade
from surveyapp.models import Account, Contact
from tests.app.test_imports import snapshot
from tests.conftest import DATA


def upload(client, kind, name, data):
    return client.post("/import/preview", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def token_of(page: str) -> str:
    match = re.search(r'name="upload" value="([^"]+)"', page)
    assert match, "the preview offers no confirmation"
    return match.group(1)


def test_preview_then_confirm(app, logged_in, session):
    before = snapshot(app)
    page = upload(logged_in, "accounts", "客户.csv",
                  (DATA / "import_accounts_gbk.csv").read_bytes())
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "鞍山恒远钢铁有限公司" in html and "wang.lei@supplier.example.com" in html
    assert "Import: 3 new, 0 updated" in html or "导入：新增 3" in html
    assert snapshot(app) == before  # the preview wrote nothing

    done = logged_in.post("/import/confirm", data={"upload": token_of(html)})
    assert done.status_code == 302
    assert session.scalar(select(Account.name).where(Account.code == "K001")) == \
        "鞍山恒远钢铁有限公司"
    after = snapshot(app)

    # confirming the same preview again changes nothing: the plan no longer matches
    again = logged_in.post("/import/confirm", data={"upload": token_of(html)})
    assert again.status_code == 409
    assert "0" in again.get_data(as_text=True)
    assert snapshot(app) == after

    contacts = upload(logged_in, "contacts", "contacts.csv",
                      (DATA / "import_contacts.csv").read_bytes())
    assert contacts.status_code == 200
    logged_in.post("/import/confirm", data={"upload": token_of(contacts.get_data(as_text=True))})
    assert len(session.scalars(select(Contact)).all()) == 6

    # the same file again: nothing to confirm
    same = upload(logged_in, "contacts", "contacts.csv",
                  (DATA / "import_contacts.csv").read_bytes()).get_data(as_text=True)
    assert 'name="upload"' not in same


def test_a_rejected_file_lists_problems_and_cannot_be_confirmed(app, logged_in):
    logged_in.post("/import/confirm", data={"upload": token_of(upload(
        logged_in, "accounts", "a.csv",
        (DATA / "import_accounts_gbk.csv").read_bytes()).get_data(as_text=True))})
    before = snapshot(app)
    page = upload(logged_in, "contacts", "bad.csv", (DATA / "import_contacts_bad.csv").read_bytes())
    assert page.status_code == 422
    html = html_text.unescape(page.get_data(as_text=True))
    # the page is Chinese (the default language), and so are its problems
    assert "“老板”不是采购角色" in html
    assert "客户“K009”不存在" in html
    assert "不是邮箱地址" in html
    assert 'name="upload"' not in html
    assert snapshot(app) == before


def test_a_forged_or_foreign_preview_is_refused(app, logged_in, session):
    html = upload(logged_in, "accounts", "a.csv",
                  (DATA / "import_accounts_gbk.csv").read_bytes()).get_data(as_text=True)
    token = token_of(html)
    before = snapshot(app)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = logged_in.post("/import/confirm", data={"upload": forged})
    assert response.status_code == 302 and response.location.endswith("/import")
    assert snapshot(app) == before
    # another manager cannot confirm it
    from surveyapp.services import users

    users.create_user(session, "other@example.com", "another long password")
    other = app.test_client()
    other.post("/login", data={"email": "other@example.com",
                               "password": "another long password"})
    before = snapshot(app)  # after the login, which notes itself on the user's row
    assert other.post("/import/confirm", data={"upload": token}).status_code == 302
    assert snapshot(app) == before


def test_the_data_changed_since_the_preview(app, logged_in, runner, tmp_path):
    html = upload(logged_in, "accounts", "a.csv",
                  (DATA / "import_accounts_gbk.csv").read_bytes()).get_data(as_text=True)
    path = tmp_path / "one.csv"
    path.write_text("account_id,name\nK001,别的名字\n", encoding="utf-8")
    assert runner.invoke(args=["import-accounts", str(path)]).exit_code == 0
    before = snapshot(app)
    response = logged_in.post("/import/confirm", data={"upload": token_of(html)})
    assert response.status_code == 409  # the new preview, to confirm again
    assert snapshot(app) == before
    assert "name: 别的名字 → 鞍山恒远钢铁有限公司" in response.get_data(as_text=True)


def test_the_size_limit_has_a_message(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                      "JOBS_IMMEDIATE": True, "IMPORT_MAX_BYTES": 1000},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
    from surveyapp.services import users

    with app.app_context():
        from surveyapp.db import get_session
        users.create_user(get_session(), "m@example.com", "a long password")
    client = app.test_client()
    client.post("/login", data={"email": "m@example.com", "password": "a long password"})
    big = b"account_id,name\n" + b"".join(b"K%05d,x\n" % k for k in range(200))
    response = upload(client, "accounts", "big.csv", big)
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True) or "超过" in response.get_data(
        as_text=True)
    with app.app_context():
        from surveyapp.db import get_session
        assert get_session().scalar(select(Account.id)) is None
    app.extensions["db_engine"].dispose()


def test_upload_form_errors(logged_in):
    response = logged_in.post("/import/preview", data={"kind": "accounts"},
                              content_type="multipart/form-data")
    assert response.status_code == 400
    response = upload(logged_in, "people", "a.csv", b"account_id,name\nK1,x\n")
    assert response.status_code == 400


def test_pages_need_a_login(client):
    for url in ("/import", "/contacts"):
        assert client.get(url).status_code == 302
    assert client.post("/import/preview").status_code == 302
    assert client.post("/import/confirm").status_code == 302


@pytest.mark.parametrize("url", ["/import/preview", "/import/confirm"])
def test_csrf_is_required(tmp_path, url):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "JOBS_IMMEDIATE": True,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        from surveyapp.db import get_session
        from surveyapp.services import users
        users.create_user(get_session(), "m@example.com", "a long password")
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": "m@example.com", "password": "a long password",
                                "csrf_token": csrf})
    response = client.post(url, data={"kind": "accounts", "upload": "x",
                                      "file": (io.BytesIO(b"account_id,name\nK1,x\n"), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    with app.app_context():
        from surveyapp.db import get_session
        assert get_session().scalar(select(Account.id)) is None
    app.extensions["db_engine"].dispose()


def test_xlsx_upload(app, logged_in, session):
    import pandas as pd

    from analysis.report import Sheet, workbook_bytes

    data = workbook_bytes([Sheet("Accounts", pd.DataFrame(
        {"account_id": ["W1"], "name": ["无锡半导体"], "customer_type": ["附加价值型"]}))])
    html = upload(logged_in, "accounts", "accounts.xlsx", data).get_data(as_text=True)
    logged_in.post("/import/confirm", data={"upload": token_of(html)})
    assert session.scalar(select(Account.customer_type).where(Account.code == "W1")) == \
        "value_added"


def test_a_large_import_is_written_in_the_background(app, logged_in, session):
    from surveyapp.models import AuditEvent

    app.config["IMPORT_BACKGROUND_ROWS"] = 2  # the file has 3 rows
    html = upload(logged_in, "accounts", "big.csv",
                  (DATA / "import_accounts_gbk.csv").read_bytes()).get_data(as_text=True)
    response = logged_in.post("/import/confirm", data={"upload": token_of(html)})
    assert response.status_code == 302 and response.location.endswith("/import")
    # the tests run jobs at once: the worker's part is done when the request returns
    assert len(session.scalars(select(Account)).all()) == 3
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert event.actor_email == "manager@example.com" and event.target == "big.csv"
    page = logged_in.get("/import").get_data(as_text=True)
    assert "big.csv" in page and "3" in page


def test_a_background_import_whose_preview_no_longer_holds_writes_nothing(app, session):
    from surveyapp.models import AuditEvent
    from surveyapp.services import imports

    before = snapshot(app)
    with app.app_context():
        imports.import_job("accounts", "late.csv", (DATA / "import_accounts_gbk.csv").read_bytes(),
                           "a digest of another preview", None, None)
    after = snapshot(app)
    assert {k: v for k, v in after.items() if k != "audit_events"} == before
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "import.failed"))
    assert "the data changed since the preview" in event.detail_json


# every way a row or column of an accounts or contacts file can be wrong, each once
BAD_FILES = [
    ("accounts", "account_id,name,colour,share_of_wallet\nK1,甲,x,0.3\n"),
    ("accounts", "account_id,name,name\nK1,甲,甲\n"),
    ("contacts", "contact_id,account_id,name\nC1,K1," + "长" * 300 + "\n"),
    ("accounts", "name\n甲\n"),
    ("accounts", "account_id,name,customer_type,owner,revenue,margin,on_time_delivery,"
                 "complaints,trust,ppm\n"
                 "K1,甲,boss,not-an-email,12元,1.5,95%,2.5,9,\"1,234.5\"\n"
                 "K1,,value_added,a@b.cn,-1,0.2,0.9,1,3,x\n"
                 "\"K3\",\"丙\n公司\",partnership,a@b.cn,1e999,0.2,0.9,1,3,0\n"
                 ",丁,partnership,a@b.cn,1,0.2,0.9,1,3,0\n"),
    ("contacts", "contact_id,account_id,name,email,role,lang\n"
                 "C1,K404,王,not-an-email,boss,fr\n"
                 "C1,,,a@b.cn,user,zh\n"),
]


def test_every_import_problem_is_said_in_chinese_on_the_chinese_page(app, session):
    """Each message the checks give (in English, as the command line prints it) has a
    Chinese wording on the page; none is left in English."""
    from flask_babel import force_locale

    from surveyapp.manage.import_problems import in_page_language
    from surveyapp.services import imports

    settings_ = imports.ImportSettings.from_config(app.config)
    with app.test_request_context():
        plans = [imports.plan_import(session, kind, f"{kind}.csv", content.encode(),
                                     settings_) for kind, content in BAD_FILES]
        messages = {e.message for plan in plans for e in plan.errors}
        assert len(messages) >= 15  # the files above do reach the many checks
        with force_locale("zh"):
            untranslated = {m for m in messages if in_page_language(m) == m}
            said = {in_page_language(m) for m in messages}
        with force_locale("en"):
            assert {in_page_language(m) for m in messages} == messages  # English as written
    assert untranslated == set()
    assert any("不是邮箱地址" in m for m in said) and any("为负数" in m for m in said)
    assert in_page_language("a problem of a shape never seen") == \
        "a problem of a shape never seen"


def test_the_chinese_import_page_words_the_problems_and_spots_the_other_kind(logged_in):
    contacts = (DATA / "import_contacts.csv").read_bytes()
    page = upload(logged_in, "accounts", "联系人.csv", contacts)
    text = html_text.unescape(page.get_data(as_text=True))
    assert page.status_code == 422
    assert "这看起来是联系人文件" in text and "未知的列" in text
    logged_in.get("/?lang=en")
    english = html_text.unescape(upload(logged_in, "accounts", "c.csv", contacts)
                                 .get_data(as_text=True))
    assert "This looks like a contacts file" in english and "unknown column" in english
    accounts = (DATA / "import_accounts_gbk.csv").read_bytes()
    wrong_way = html_text.unescape(upload(logged_in, "contacts", "a.csv", accounts)
                                   .get_data(as_text=True))
    assert "This looks like an accounts file" in wrong_way
    right = upload(logged_in, "accounts", "a.csv", accounts).get_data(as_text=True)
    assert "looks like" not in right
