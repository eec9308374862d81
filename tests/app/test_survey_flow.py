"""The whole path: token → submit → duplicate submit → login → scorecard → xlsx."""

import io
import re

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from analysis import Questionnaire, load_instrument
from surveyapp.models import Draft, Invitation, Response, TextAnswer
from surveyapp.services.responses import campaign_frame
from tests.conftest import REPO

SERVQUAL = load_instrument(REPO / "instruments" / "servqual.toml")


def full_answers(e=6, p=5, points=(30, 25, 20, 15, 10), comment="交货要更准时"):
    data = {}
    for item in SERVQUAL.items:
        data[f"{item.id}-e"] = str(e)
        data[f"{item.id}-p"] = str(p)
    for construct, value in zip(SERVQUAL.allocations[0].constructs, points, strict=True):
        data[f"imp-{construct}"] = str(value)
    data["comment"] = comment
    return data


RADIO = re.compile(r'<input type="radio" id="[^"]+" name="([^"]+)" value="([^"]+)"')
TYPED = re.compile(r'<(?:input type="text"|textarea) id="[^"]+" name="([^"]+)"')


def page_number(html):
    return int(re.search(r'<input type="hidden" name="page" value="(\d+)">', html).group(1))


def page_names(html):
    """The answer fields a survey page asks, in page order."""
    return list(dict.fromkeys([n for n, _v in RADIO.findall(html)] + TYPED.findall(html)))


def post_page(client, token, html, answers, action="next", lang=None):
    """POST one page with the answers (by field name) that this page asks."""
    data = {"page": str(page_number(html)), "action": action}
    data.update({n: answers[n] for n in page_names(html) if n in answers})
    return client.post(f"/s/{token}" + (f"?lang={lang}" if lang else ""), data=data)


def answer_survey(client, token, answers, lang=None):
    """Walk the survey page by page with Next; returns the last POST's response (the
    redirect to the thank-you page when every page was complete)."""
    page = client.get(f"/s/{token}" + (f"?lang={lang}" if lang else ""))
    for _ in range(20):
        html = page.get_data(as_text=True)
        response = post_page(client, token, html, answers, lang=lang)
        if response.status_code != 303 or "/thanks" in response.headers["Location"]:
            return response
        page = client.get(response.headers["Location"])
    raise AssertionError("the survey never ended")


@pytest.fixture
def invited(make_account, make_contact, make_campaign, invite):
    account = make_account()
    contact = make_contact(account, role="technical", lang="zh", name="王工")
    campaign = make_campaign()
    invitation, token = invite(campaign, contact)
    return account, contact, campaign, invitation, token


def count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_survey_page_renders_in_the_contacts_language(client, invited):
    *_, token = invited
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert "服务质量调查" in page and "下一页" in page
    # the expectations page asks every item's expectation, and nothing else
    assert 'name="sq01-e"' in page and 'name="sq01-p"' not in page
    # every radio has a label tied to it; each item is a fieldset with a legend
    radio_ids = re.findall(r'<input type="radio" id="(sq01-e-\d)"', page)
    assert len(radio_ids) == 7
    for rid in radio_ids:
        assert f'<label for="{rid}">' in page
    assert page.count("<fieldset") == 22 and page.count("<legend>") == 22
    english = client.get(f"/s/{token}?lang=en&page=1").get_data(as_text=True)
    assert "Service quality survey" in english and "Submit my answers" in english
    assert 'name="sq01-p"' in english and 'name="imp-tangibles"' in english


def test_unknown_token_is_a_friendly_404(client):
    response = client.get("/s/not-a-real-token")
    assert response.status_code == 404
    assert "链接无效" in response.get_data(as_text=True) or "not valid" in response.get_data(
        as_text=True)


def test_bad_answers_are_shown_beside_the_field_and_nothing_is_stored(client, session,
                                                                       invited):
    *_, token = invited
    data = full_answers(points=(30, 30, 30, 30, 30))
    assert answer_survey(client, token, {**data, "sq06-e": "9"},
                         lang="en").status_code == 400  # stopped on the first page
    first = client.get(f"/s/{token}?lang=en&page=0").get_data(as_text=True)
    assert post_page(client, token, first, data).status_code == 303
    del data["sq05-p"]
    html = client.get(f"/s/{token}?lang=en&page=1").get_data(as_text=True)
    response = post_page(client, token, html, data, lang="en")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The points add up to 150; they must add up to 100." in page
    assert "Please choose an answer." in page
    assert count(session, Response) == 0


def test_zero_points_are_a_valid_answer(client, session, invited):
    *_, token = invited
    response = answer_survey(client, token, full_answers(points=(0, 40, 30, 30, 0)))
    assert response.status_code == 303
    assert count(session, Response) == 1


def test_submit_then_duplicate_then_scorecard_then_workbook(client, session, invited, manager):
    account, contact, campaign, invitation, token = invited
    response = answer_survey(client, token, full_answers(
        comment='=HYPERLINK("http://evil.example","x")'))
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/s/{token}/thanks?lang=zh")
    assert "谢谢" in client.get(response.headers["Location"]).get_data(as_text=True)

    again = client.post(f"/s/{token}", data={"page": "1", **full_answers(e=1, p=1)})
    assert again.status_code == 409
    assert "已收到" in again.get_data(as_text=True)
    assert count(session, Response) == 1
    assert count(session, TextAnswer) == 1

    stored = session.scalar(select(Invitation).where(Invitation.id == invitation.id))
    assert stored.responded_at is not None and token not in stored.token_hash
    frame = campaign_frame(session, campaign)
    assert frame.loc[0, "sq01.e"] == 6 and frame.loc[0, "sq22.p"] == 5
    assert frame.loc[0, "imp.tangibles"] == 30 and frame.loc[0, "role"] == "technical"

    assert client.get(f"/accounts/{account.code}").status_code == 302  # login required
    client.post("/login", data={"email": "manager@example.com",
                                "password": "correct horse battery"})
    card = client.get(f"/accounts/{account.code}?lang=en").get_data(as_text=True)
    # one answer: every gap is 5 − 6 = −1 and SERVPERF 5, but a figure of fewer than 5
    # respondents is not shown as a number (README), only its n
    assert "Service gaps" in card and "too few answers (n = 1)" in card
    assert "-1.00" not in card and "5.00" not in card and "Technical buyer" in card

    download = client.get("/export.xlsx?lang=en")
    assert download.status_code == 200
    assert download.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(download.data))
    comments = book["Comments"]
    cells = [c for row in comments.iter_rows() for c in row
             if c.value == '=HYPERLINK("http://evil.example","x")']
    assert len(cells) == 1 and cells[0].data_type == "s"  # text, never a formula
    ws = book["Accounts"]
    header = [c.value for c in ws[4]]
    row = {h: c.value for h, c in zip(header, ws[5], strict=False)}
    assert row["Account code"] == account.code and row["Responded"] == 1
    for dim in ("Tangibles", "Reliability", "Responsiveness", "Assurance", "Empathy"):
        assert row[dim] == pytest.approx(-1.0)
    assert row["Weighted SERVQUAL gap"] == pytest.approx(-1.0)


def test_packed_answers_round_trip_missing_values(session, invited):
    from surveyapp.services.responses import add_response

    *_, campaign, _inv, _token = invited
    questionnaire = Questionnaire((SERVQUAL,))
    add_response(session, campaign, {"sq01.e": 7, "sq01.p": None}, questionnaire)
    session.commit()
    frame = campaign_frame(session, campaign)
    assert frame.loc[0, "sq01.e"] == 7 and np.isnan(frame.loc[0, "sq01.p"])
    assert frame[list(campaign.answer_columns)].notna().sum().sum() == 1


def test_a_stale_csrf_token_keeps_the_answers_and_stores_nothing(tmp_path, invited, session):
    """With CSRF on (as in production), a submit whose session was lost (cookies cleared,
    another server) re-shows the form with every answer kept and a fresh token."""
    from surveyapp import create_app

    *_, token = invited
    app = create_app({"TESTING": True, "SECRET_KEY": "other-secret",
                      "DATABASE_URL": str(session.get_bind().url), "JOBS_IMMEDIATE": True},
                     instance_path=str(tmp_path))
    client = app.test_client()
    response = client.post(f"/s/{token}?lang=en", data={"page": "0", "action": "next",
                                                        **full_answers(e=7, p=3)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "refreshed for your security" in page
    assert 'name="sq01-e" value="7" aria-describedby="sq01-e-ends" checked>' in page
    assert 'name="csrf_token"' in page
    assert count(session, Response) == 0 and count(session, Draft) == 0
    app.extensions["db_engine"].dispose()


def test_the_first_problem_is_marked_for_a_jump(client, invited):
    *_, token = invited
    data = full_answers()
    del data["sq07-e"]
    page = answer_survey(client, token, data, lang="en").get_data(as_text=True)
    assert "1 answer needs your attention" in page and 'href="#first-error"' in page
    assert page.index('id="first-error"') < page.index('id="q-sq07-e"')
    assert page.index('id="q-sq06-e"') < page.index('id="first-error"')
    assert page.count('id="first-error"') == 1


def test_accounts_without_figures_still_list_and_show(logged_in, session, invited):
    # an account with no revenue, margin or cost has no ABC class: pages show a dash
    account, *_ = invited
    page = logged_in.get("/accounts?lang=en")
    assert page.status_code == 200 and account.name in page.get_data(as_text=True)
    assert logged_in.get(f"/accounts/{account.code}?lang=en").status_code == 200


def test_control_characters_in_comments_are_not_stored(client, session, invited, manager):
    *_, token = invited
    assert answer_survey(client, token, full_answers(
        comment="soft\x0bbreak\x00 and a\ttab\nline")).status_code == 303
    stored = session.scalar(select(TextAnswer.text))
    assert stored == "softbreak and a\ttab\nline"
