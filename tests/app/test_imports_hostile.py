"""Hostile import files: whatever the bytes, a plan or a clear rejection — never a crash, and
a rejected file changes no row."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.models import Account
from surveyapp.services import imports
from tests.app.test_imports import snapshot

HYPOTHESIS = settings(max_examples=60, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])

COLUMNS = ["account_id", "contact_id", "name", "email", "role", "lang", "revenue", "margin",
           "customer_type", "owner", "trust", "complaints", "colour", "share_of_wallet"]
CELLS = st.one_of(
    st.sampled_from(["K001", "K002", "A001", "王磊", "economic", "经济买家", "boss", "zh", "fr",
                     "a@b.cn", "not-an-email", "1e309", "-1", "0.25", "25%", "NaN", "inf",
                     "=cmd|' /C calc'!A0", "价格敏感型", "x" * 300, ""]),
    st.text(max_size=12))


@st.composite
def tables(draw):
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header)),
                         max_size=6))
    separator = draw(st.sampled_from([",", ";", "\t"]))
    def line(cells):
        return separator.join('"' + c.replace('"', '""') + '"' for c in cells)
    text = "\n".join([line(header), *map(line, rows)]) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return text.encode(encoding, errors="replace")


@HYPOTHESIS
@given(kind=st.sampled_from(imports.KINDS), data=tables())
def test_any_table_is_planned_or_rejected_cleanly(app, session, make_account, kind, data):
    if session.get(Account, 1) is None:
        make_account("K001", "甲公司")
    settings_ = imports.ImportSettings.from_config(app.config)
    before = snapshot(app)
    with app.app_context():
        plan = imports.plan_import(session, kind, "hostile.csv", data, settings_)
        assert snapshot(app) == before  # planning writes nothing
        if plan.ok:
            imports.apply_plan(session, plan)
            return
        try:
            imports.apply_plan(session, plan)
        except imports.ImportRejected as exc:
            assert "nothing was written" in str(exc)
        else:
            raise AssertionError("a plan with problems was applied")
    assert snapshot(app) == before
    assert all(e.message for e in plan.errors)


@HYPOTHESIS
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".xlsx", ".txt", ".xls"]))
def test_any_bytes_get_a_message_not_a_crash(app, session, data, suffix):
    settings_ = imports.ImportSettings.from_config(app.config)
    before = snapshot(app)
    with app.app_context():
        plan = imports.plan_import(session, "contacts", "f" + suffix, data, settings_)
    if not plan.ok:
        assert plan.problem_text().count("nothing was written") == 1
    assert snapshot(app) == before


def test_hostile_uploads_through_the_page(app, logged_in):
    before = snapshot(app)
    cases = [(b"PK\x03\x04garbage", "a.xlsx"), (b"\x00" * 100, "a.csv"),
             (b"contact_id\n" + b"x" * 70_000 + b"\n", "a.csv"), (b"", "a.csv"),
             (b"account_id,name\nK1,x\n", "../../etc/passwd"),
             (b"account_id,name\r" * 50, "cr-only.csv")]
    for data, name in cases:
        response = logged_in.post("/import/preview", data={
            "kind": "contacts", "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data")
        assert response.status_code in (200, 422), (name, response.status_code)
        assert 'name="upload"' not in response.get_data(as_text=True) or data.startswith(
            b"account_id")
    assert snapshot(app) == before
