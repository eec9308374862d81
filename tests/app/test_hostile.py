"""Property tests of hostile requests (hypothesis): whatever is sent, a page a person can
act on and a 4xx (or the usual redirect), never a 5xx; a refused request changes no row; a
refused text is never echoed back beyond the length an answer may have.

Beside these: the survey form's own properties (test_survey_pages.py), the login's
(test_auth.py), every import's bytes (test_imports_hostile.py) and ``analyze``'s readers
(test_analyze_hostile.py).
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from surveyapp.models import Response
from surveyapp.survey.forms import OPEN_TEXT_MAX
from tests.app.test_imports import snapshot
from tests.app.test_survey_flow import full_answers

HYPOTHESIS = settings(max_examples=40, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])
TABLES = ("accounts", "contacts", "invitations", "drafts", "responses", "text_answers",
          "users", "campaigns")


def rows(app) -> dict[str, list[tuple]]:
    with app.extensions["db_engine"].connect() as connection:
        return {t: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {t}"))), key=repr)
                for t in TABLES}


def test_survey_posts_of_any_kind_never_fail_and_refusals_store_nothing(
        app, client, session, make_account, make_contact, make_campaign, invite):
    account = make_account()
    contact = make_contact(account, role="technical", lang="en")
    _invitation, token = invite(make_campaign(), contact)
    answers = full_answers()
    names = [*list(answers)[:6], "comment", "page", "action", "cleared", "csrf_token"]
    value = st.one_of(st.sampled_from(["1", "7", "8", "na", "", "next", "back", "1"]),
                      st.text(max_size=40),
                      st.integers(OPEN_TEXT_MAX - 2, 60_000).map(lambda n: "长" * n))
    upload = st.tuples(st.binary(max_size=200), st.sampled_from(["a.txt", "x.csv", ""]))

    @HYPOTHESIS
    @given(fields=st.dictionaries(st.sampled_from(names), value, max_size=6),
           files=st.dictionaries(st.sampled_from(names + ["file"]), upload, max_size=2))
    def post(fields, files):
        before = rows(app)
        data = dict(fields)
        data.update({k: (io.BytesIO(content), name) for k, (content, name) in files.items()})
        response = client.post(f"/s/{token}?lang=en", data=data,
                               content_type="multipart/form-data")
        page = response.get_data(as_text=True)
        assert response.status_code in (303, 400, 413), (response.status_code, page[:300])
        if response.status_code == 303:
            return
        # a page that says what to do: the form again, or the too-large page
        assert "<form" in page or "shorten" in page, page[:500]
        # a long answer comes back cut to what an answer may hold, never the whole body
        assert len(page) < 200_000 + 3 * OPEN_TEXT_MAX
        assert "长" * (OPEN_TEXT_MAX + 1) not in page
        if files or response.status_code == 413:  # refused outright: no row changed
            assert rows(app) == before

    post()
    session.expire_all()
    assert session.query(Response).count() == 0  # no POST here was a complete last page


def test_any_id_in_a_path_or_query_is_a_page_or_404_never_a_5xx(app, logged_in):
    """Ids beyond any integer the databases hold (2**63 on SQLite, 2**31 on PostgreSQL),
    negative, or not numbers at all."""
    ids = st.one_of(st.integers(-2**70, 2**70), st.sampled_from(
        [2**31, 2**63, 2**64, -1, 0]).map(str), st.text(max_size=12))
    templates = ["/accounts?campaign={}", "/?campaign={}", "/export.xlsx?campaign={}",
                 "/waves/{}", "/waves/{}/sheet", "/waves/{}/links.csv", "/waves/1/qr/{}.png",
                 "/contacts/{}/data.json", "/contacts?page={}", "/audit?page={}",
                 "/accounts/{}?campaign={}", "/tasks?campaign={}"]
    before = rows(app)

    @HYPOTHESIS
    @given(template=st.sampled_from(templates), value=ids)
    def visit(template, value):
        from urllib.parse import quote

        url = template.format(quote(str(value), safe=""), quote(str(value), safe=""))
        response = logged_in.get(url)
        assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
        response.close()

    visit()
    assert rows(app) == before


def test_any_import_upload_or_confirmation_is_refused_cleanly(app, logged_in):
    before = snapshot(app)
    kind = st.sampled_from(["accounts", "contacts", "responses", "", "people"])
    payload = st.one_of(st.binary(max_size=300), st.sampled_from([
        b"account_id,name\nK1,\n", b"PK\x03\x04", b"\xef\xbb\xbf", b"account_id\n" * 50]))

    @HYPOTHESIS
    @given(kind=kind, data=payload, name=st.sampled_from(["a.csv", "a.xlsx", "a.exe", ""]),
           token=st.one_of(st.text(max_size=60), st.just("x" * 5000)))
    def send(kind, data, name, token):
        preview = logged_in.post("/import/preview", data={
            "kind": kind, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data")
        assert preview.status_code in (200, 400, 413, 422), preview.status_code
        assert "<form" in preview.get_data(as_text=True)
        confirm = logged_in.post("/import/confirm", data={"upload": token})
        assert confirm.status_code in (302, 400), confirm.status_code

    send()
    assert snapshot(app) == before  # a preview writes nothing; a forged token confirms nothing
