"""Accounts and contacts in from files on the command line: all or nothing, by id, twice = once.

The expected rows are read off the test files themselves (tests/data/import_files.README.md).
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select, text

from analysis.report import Sheet, workbook_bytes
from surveyapp.models import Account, Campaign, Contact, Response, User
from surveyapp.services import imports, users
from surveyapp.services.responses import unpack
from tests.conftest import DATA

TABLES = ("accounts", "contacts", "users", "campaigns", "responses", "instrument_versions")


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of the tables an import may touch."""
    with app.extensions["db_engine"].connect() as connection:
        return {t: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {t}"))), key=repr)
                for t in TABLES}


@pytest.fixture
def recomputes(monkeypatch):
    calls = []
    monkeypatch.setattr(imports.scoring, "request_recompute",
                        lambda session, ids=None: calls.append(ids))
    return calls


def run(runner, kind, path):
    return runner.invoke(args=[f"import-{kind}", str(path)])


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def test_gbk_accounts_then_chinese_contacts(app, runner, session, recomputes):
    result = run(runner, "accounts", DATA / "import_accounts_gbk.csv")
    assert result.exit_code == 0, result.output
    assert "3 new, 0 updated, 0 unchanged" in result.output
    accounts = {a.code: a for a in session.scalars(select(Account))}
    assert accounts["K001"].name == "鞍山恒远钢铁有限公司"
    assert accounts["K003"].name == "Nordic Water Technologies (Suzhou) Co., Ltd."
    assert [accounts[k].customer_type for k in ("K001", "K002", "K003")] == [
        "price_sensitive", "value_added", "partnership"]
    assert accounts["K001"].revenue == 1250000 and accounts["K002"].margin == 0.27
    assert accounts["K001"].complaints == 3
    # owners are users, by email (case does not matter); two accounts share one
    owner = session.scalar(select(User).where(User.email == "wang.lei@supplier.example.com"))
    assert owner is not None and not users.has_password(owner)
    assert accounts["K001"].owner_id == accounts["K003"].owner_id == owner.id
    assert accounts["K001"].owner == "wang.lei@supplier.example.com"
    assert "cannot log in until a password is set" in result.output
    assert recomputes == [None]

    result = run(runner, "contacts", DATA / "import_contacts.csv")
    assert result.exit_code == 0, result.output
    assert "6 new, 0 updated, 0 unchanged" in result.output
    contacts = {c.code: c for c in session.scalars(select(Contact))}
    assert [(contacts[k].name, contacts[k].role, contacts[k].lang) for k in
            ("K001-1", "K001-2", "K002-1", "K003-1")] == [
        ("王磊", "economic", "zh"), ("张伟", "technical", "zh"), ("李娜", "user", "zh"),
        ("Anna Schmidt", "economic", "en")]
    assert contacts["K003-1"].account_id == accounts["K003"].id
    assert all(c.active for c in contacts.values())


def test_the_same_files_twice_change_nothing(app, runner, recomputes):
    assert run(runner, "accounts", DATA / "import_accounts_gbk.csv").exit_code == 0
    assert run(runner, "contacts", DATA / "import_contacts.csv").exit_code == 0
    before = snapshot(app)
    again = run(runner, "accounts", DATA / "import_accounts_gbk.csv")
    assert again.exit_code == 0 and "0 new, 0 updated, 3 unchanged" in again.output
    again = run(runner, "contacts", DATA / "import_contacts.csv")
    assert again.exit_code == 0 and "0 new, 0 updated, 6 unchanged" in again.output
    assert snapshot(app) == before
    assert recomputes == [None, None]  # no recompute for an import that changed nothing


def test_the_assessment_columns_are_the_managers_assessment(app, runner, session, tmp_path):
    assert run(runner, "accounts", DATA / "import_accounts_gbk.csv").exit_code == 0
    campaign = session.scalar(select(Campaign).where(Campaign.audience == "manager"))
    assert [s.instrument_version.instrument_id for s in campaign.sections] == ["relationship"]
    columns = campaign.answer_columns
    stored = session.scalars(select(Response).where(Response.campaign_id == campaign.id)
                             .order_by(Response.account_id)).all()
    values = unpack([r.values for r in stored], len(columns))
    frame = pd.DataFrame(values, columns=columns)
    assert frame["trust"].tolist() == [3, 4, 5]  # K001–K003 in the file
    assert frame["supplier_status"].tolist() == [1, 2, 3]
    assert frame["joint_planning"].isna().all()  # not in the file: not answered
    assert all(r.contact_id is None for r in stored)

    # a changed assessment is a new, later answer; a blank cell keeps the previous one
    path = write(tmp_path, "a.csv", "account_id,name,trust,supplier_status\n"
                                    "K001,鞍山恒远钢铁有限公司,4,\nK002,江苏金泰化工股份有限公司,4,2\n")
    result = run(runner, "accounts", path)
    assert "0 new, 1 updated, 1 unchanged" in result.output, result.output
    assert "trust: 3 → 4" in result.output
    session.expire_all()
    assert session.scalar(select(Response.id).where(Response.campaign_id == campaign.id)
                          .order_by(Response.id.desc())) == stored[-1].id + 1
    assert len(session.scalars(select(Response)).all()) == 4
    assert run(runner, "accounts", path).output.strip().endswith("0 new, 0 updated, 2 unchanged")


def test_update_by_id_and_columns_left_out_are_kept(app, runner, session, tmp_path):
    assert run(runner, "accounts", DATA / "import_accounts_gbk.csv").exit_code == 0
    path = write(tmp_path, "update.csv", "account_id,name,revenue\n"
                                         "K001,鞍山恒远钢铁有限公司,1300000\n"
                                         "K002,江苏金泰化工股份有限公司,3400000\n"
                                         "K004,新客户有限公司,\n")
    result = run(runner, "accounts", path)
    assert result.exit_code == 0, result.output
    assert "1 new, 1 updated, 1 unchanged" in result.output
    assert "revenue: 1250000 → 1300000" in result.output
    session.expire_all()
    k001 = session.scalar(select(Account).where(Account.code == "K001"))
    assert k001.revenue == 1300000 and k001.margin == 0.18  # margin was not in the file
    assert k001.owner == "wang.lei@supplier.example.com"
    k004 = session.scalar(select(Account).where(Account.code == "K004"))
    assert k004.revenue is None and k004.owner_id is None

    # a blank cell in a column the file has clears the value
    path = write(tmp_path, "clear.csv", "account_id,name,industry\nK001,鞍山恒远钢铁有限公司,\n")
    assert "1 updated" in run(runner, "accounts", path).output
    session.expire_all()
    assert session.scalar(select(Account.industry).where(Account.code == "K001")) is None


def test_contacts_update_by_id(app, runner, session, tmp_path):
    run(runner, "accounts", DATA / "import_accounts_gbk.csv")
    run(runner, "contacts", DATA / "import_contacts.csv")
    path = write(tmp_path, "c.csv", "contact_id,account_id,name,role\n"
                                    "K001-1,K002,王磊,coach\nK001-2,K001,张伟,技术买家\n")
    result = run(runner, "contacts", path)
    assert "0 new, 1 updated, 1 unchanged" in result.output, result.output
    assert "account_id: K001 → K002" in result.output and "role: economic → coach" in result.output
    contact = session.scalar(select(Contact).where(Contact.code == "K001-1"))
    assert contact.role == "coach" and contact.account.code == "K002"
    assert contact.email == "wanglei@hengyuan-steel.example.cn"  # no email column: kept


def test_xlsx_files(app, runner, session, tmp_path):
    accounts = pd.DataFrame({"account_id": ["X1", "X2"], "name": ["上海宏达机械", "天津博创"],
                             "customer_type": ["合作伙伴型", "value_added"],
                             "revenue": [1000.5, 2000], "owner": ["zhang.wei@s.example", None]})
    contacts = pd.DataFrame({"contact_id": ["X1-1"], "account_id": ["X1"], "name": ["黄丽"],
                             "email": ["huangli@hongda.example.cn"], "role": ["影响力买家"],
                             "lang": ["中文"]})
    (tmp_path / "a.xlsx").write_bytes(workbook_bytes([Sheet("Accounts", accounts)]))
    (tmp_path / "c.xlsx").write_bytes(workbook_bytes([Sheet("Contacts", contacts)]))
    result = run(runner, "accounts", tmp_path / "a.xlsx")
    assert "2 new, 0 updated, 0 unchanged" in result.output, result.output
    result = run(runner, "contacts", tmp_path / "c.xlsx")
    assert "1 new, 0 updated, 0 unchanged" in result.output, result.output
    x1 = session.scalar(select(Account).where(Account.code == "X1"))
    assert (x1.name, x1.customer_type, x1.revenue) == ("上海宏达机械", "partnership", 1000.5)
    contact = session.scalar(select(Contact))
    assert (contact.name, contact.role, contact.lang) == ("黄丽", "influencer", "zh")
    assert "0 new, 0 updated, 2 unchanged" in run(runner, "accounts", tmp_path / "a.xlsx").output


GOOD_ACCOUNTS = "account_id,name,revenue,customer_type\nK001,甲公司,100,value_added\n"
GOOD_CONTACT = "K001-1,K001,王磊,wanglei@example.cn,economic,zh"
CONTACT_HEADER = "contact_id,account_id,name,email,role,lang"

BAD_FILES = [
    # kind, file content, encoding, the problem named
    ("accounts", "account_id,name,revenue\nK001,甲,100\nK002,乙,十万\n", "utf-8",
     "row 3, column 'revenue': '十万' is not a number"),
    ("accounts", "account_id,name,customer_type\nK001,甲,value_added\nK002,乙,VIP\n", "utf-8",
     "row 3, column 'customer_type': 'VIP' is not one of"),
    ("accounts", "account_id,name\nK001,甲\nK001,乙\n", "utf-8",
     "row 3, column 'account_id': duplicate account_id 'K001' (first on row 2)"),
    ("accounts", "account_id,name,colour\nK001,甲,red\n", "utf-8",
     "row 1, column 'colour': unknown column"),
    ("accounts", "account_id,name,owner\nK001,甲,王磊\n", "utf-8",
     "row 2, column 'owner': '王磊' is not an email address"),
    ("accounts", "account_id,name,trust\nK001,甲,7\n", "utf-8",
     "row 2, column 'trust': 7 is outside [1, 5]"),
    ("accounts", "account_id,name,share_of_wallet\nK001,甲,0.4\n", "utf-8",
     "row 1, column 'share_of_wallet': a stage indicator the analysis computes itself"),
    ("accounts", "account_id,name\nK001,\n", "utf-8",
     "row 2, column 'name': blank (a value is required)"),
    ("contacts", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\nK001-2,K001,张伟,z@example.cn,boss,zh\n",
     "utf-8", "row 3, column 'role': 'boss' is not a buying role"),
    ("contacts", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\nK009-1,K009,张伟,z@example.cn,user,zh\n",
     "utf-8", "row 3, column 'account_id': account 'K009' does not exist"),
    ("contacts", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\nK001-2,K001,张伟,zhang@,user,zh\n",
     "utf-8", "row 3, column 'email': 'zhang@' is not an email address"),
    ("contacts", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\n{GOOD_CONTACT}\n", "utf-8",
     "row 3, column 'contact_id': duplicate contact_id 'K001-1' (first on row 2)"),
    ("contacts", f"{CONTACT_HEADER},phone\n{GOOD_CONTACT},123\n", "utf-8",
     "row 1, column 'phone': unknown column"),
    ("contacts", f"{CONTACT_HEADER}\n{GOOD_CONTACT}\nK001-2,K001,张伟,z@example.cn,user,ja\n",
     "utf-8", "row 3, column 'lang': 'ja' is not a language of the survey"),
    ("contacts", "contact_id,account_id,name\nK001-1,K001,王磊\n", "utf-16-le",
     "cannot read: the text encoding is not one we can read"),
    ("contacts", "contact_id,account_id\nK001-1,K001\n", "utf-8",
     "row 1, column 'name': required column is missing"),
]


@pytest.mark.parametrize(("kind", "content", "encoding", "problem"), BAD_FILES,
                         ids=[p[3][:40] for p in BAD_FILES])
def test_a_bad_row_rejects_the_whole_file(app, runner, tmp_path, recomputes, kind, content,
                                          encoding, problem):
    assert run(runner, "accounts", write(tmp_path, "good.csv", GOOD_ACCOUNTS)).exit_code == 0
    before = snapshot(app)
    data = content.encode(encoding)
    if encoding == "utf-16-le":  # UTF-16 without its byte-order mark: no encoding fits
        data = data + b"\xff\xfe\x00\xd8"
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    result = run(runner, kind, path)
    assert result.exit_code == 2, result.output
    assert problem in result.output
    assert "nothing was written" in result.output
    assert snapshot(app) == before
    assert recomputes == [None]  # only the good file's


def test_every_bad_contact_row_is_named(app, runner):
    run(runner, "accounts", DATA / "import_accounts_gbk.csv")
    result = run(runner, "contacts", DATA / "import_contacts_bad.csv")
    assert result.exit_code == 2
    assert "3 problem(s); nothing was written" in result.output
    for where in ("row 3, column 'role': '老板'", "row 4, column 'account_id': account 'K009'",
                  "row 5, column 'email'"):
        assert where in result.output
    with app.app_context():
        from surveyapp.db import get_session
        assert get_session().scalar(select(Contact.id)) is None  # the good row 2 neither


def test_dry_run_writes_nothing(app, runner):
    before = snapshot(app)
    result = runner.invoke(args=["import-accounts", "--dry-run",
                                 str(DATA / "import_accounts_gbk.csv")])
    assert result.exit_code == 0 and "would be 3 new, 0 updated, 0 unchanged" in result.output
    assert snapshot(app) == before


def test_an_imported_owner_logs_in_only_after_create_user(app, runner, session, client):
    run(runner, "accounts", DATA / "import_accounts_gbk.csv")
    email = "li.na@supplier.example.com"
    for password in ("", "!", "anything at all"):
        assert users.authenticate(session, email, password) is None
    result = runner.invoke(args=["create-user", email, "--password", "a long password",
                                 "--name", "李娜"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    user = users.authenticate(session, email, "a long password")
    assert user is not None and user.name == "李娜"
    account = session.scalar(select(Account).where(Account.code == "K002"))
    assert account.owner_id == user.id  # the same record: the accounts stay linked
    again = runner.invoke(args=["create-user", email, "--password", "another password"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_unsupported_and_missing_files(app, runner, tmp_path):
    path = write(tmp_path, "accounts.json", "{}")
    result = run(runner, "accounts", path)
    assert result.exit_code == 2 and "unsupported file type '.json'" in result.output
    result = run(runner, "contacts", tmp_path / "nowhere.csv")
    assert result.exit_code == 2 and "cannot read" in result.output


def test_values_are_stored_exactly(app, runner, session, tmp_path):
    path = write(tmp_path, "a.csv", "account_id,name,margin,on_time_delivery,complaints\n"
                                    "K1,甲,0.1,0.333333333333,4\n")
    run(runner, "accounts", path)
    account = session.scalar(select(Account))
    assert account.margin == 0.1 and account.on_time_delivery == 0.333333333333
    assert account.complaints == 4 and isinstance(account.complaints, int)
    assert "0 new, 0 updated, 1 unchanged" in run(runner, "accounts", path).output


def test_an_owner_email_stored_but_not_linked_gets_linked(app, runner, session, make_account,
                                                         tmp_path):
    account = make_account("K1", "甲公司", owner="zhao@supplier.example.com")
    assert account.owner_id is None
    path = write(tmp_path, "a.csv", "account_id,name,owner\nK1,甲公司,zhao@supplier.example.com\n")
    result = run(runner, "accounts", path)
    assert "0 new, 1 updated, 0 unchanged" in result.output, result.output
    session.expire_all()
    owner = session.scalar(select(User).where(User.email == "zhao@supplier.example.com"))
    assert account.owner_id == owner.id
    assert "0 new, 0 updated, 1 unchanged" in run(runner, "accounts", path).output
