"""The respondent's side: one section per page, saved on the server as the contact goes,
resumed on another device, "not applicable" stored as missing, one response however often
the last page is sent, and links that may not answer today store nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from surveyapp.models import Contact, Draft, Invitation, Response
from surveyapp.services import drafts, surveys
from surveyapp.services.instruments import new_campaign
from surveyapp.services.responses import campaign_frame
from tests.app.test_survey_flow import (
    SERVQUAL,
    answer_survey,
    full_answers,
    page_names,
    post_page,
)


@pytest.fixture
def invited(make_account, make_contact, make_campaign, invite):
    account = make_account()
    contact = make_contact(account, role="technical", lang="en", name="Wang Gong")
    campaign = make_campaign()
    invitation, token = invite(campaign, contact)
    return contact, campaign, invitation, token


def count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def stored_draft(session, invitation):
    session.expire_all()
    return session.get(Draft, invitation.id)


def page(client, token, number=None):
    query = "" if number is None else f"?page={number}"
    response = client.get(f"/s/{token}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def checked(html):
    """The radio answers a page shows as chosen, by field name."""
    return dict(re.findall(r'name="([^"]+)" value="([^"]+)" aria-describedby="[^"]+" checked>',
                           html))


# --------------------------------------------------------------------------- pages


def test_servqual_asks_expectations_then_perceptions_each_on_its_page(client, invited):
    *_, token = invited
    first = page(client, token)
    assert "Page 1 of 2" in first and '<progress value="1" max="2"' in first
    e, p = SERVQUAL.facets["e"], SERVQUAL.facets["p"]
    assert e.label.get("en") in first and e.prompt.get("en") in first
    assert {n for n in page_names(first)} == {f"{i.id}-e" for i in SERVQUAL.items}
    second = page(client, token, 1)
    assert "Page 2 of 2" in second and p.label.get("en") in second
    assert p.prompt.get("en") in second and e.prompt.get("en") not in second
    assert set(page_names(second)) == {f"{i.id}-p" for i in SERVQUAL.items} | {
        f"imp-{c}" for c in SERVQUAL.allocations[0].constructs} | {"comment"}
    assert "Submit my answers" in second and "Submit my answers" not in first
    assert 'value="back"' in second and 'value="back"' not in first


def test_every_input_is_labelled_and_every_radio_group_is_a_fieldset(client, invited):
    *_, token = invited
    for html in (page(client, token, 0), page(client, token, 1)):
        ids = re.findall(r'<(?:input|textarea) (?:type="(?:radio|text)" )?id="([^"]+)"', html)
        assert ids
        for element_id in ids:
            assert f'<label for="{element_id}">' in html, element_id
        groups = re.findall(r'<fieldset class="question rating[^"]*" id="q-([^"]+)">\s*'
                            r'<legend>[^<]+</legend>', html)
        radio_names = set(re.findall(r'type="radio" id="[^"]+" name="([^"]+)"', html))
        assert set(groups) == radio_names


def test_survey_pages_are_never_cached_and_keep_the_token_out_of_referers(client, invited):
    *_, token = invited
    for response in (client.get(f"/s/{token}"), client.post(f"/s/{token}", data={})):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_first_visit_and_the_first_save_are_stamped_once(client, session, invited):
    _contact, _campaign, invitation, token = invited
    page(client, token)
    session.expire_all()
    opened = session.get(Invitation, invitation.id).opened_at
    assert opened is not None and session.get(Invitation, invitation.id).started_at is None
    page(client, token)
    html = page(client, token)
    assert post_page(client, token, html, {"sq01-e": "4"}, action="back").status_code == 303
    session.expire_all()
    stored = session.get(Invitation, invitation.id)
    assert stored.opened_at == opened and stored.started_at is not None
    started = stored.started_at
    post_page(client, token, html, {"sq02-e": "4"}, action="back")
    session.expire_all()
    assert session.get(Invitation, invitation.id).started_at == started


# --------------------------------------------------------------------------- saving


def test_next_saves_the_page_and_back_keeps_everything(client, session, invited):
    _contact, _campaign, invitation, token = invited
    answers = full_answers(e=6, p=3)
    first = page(client, token)
    response = post_page(client, token, first, answers)
    assert response.status_code == 303 and "page=1" in response.headers["Location"]
    second = client.get(response.headers["Location"]).get_data(as_text=True)
    # half the perceptions, then Back: what was given is kept, nothing is required
    half = {n: v for n, v in answers.items() if n in ("sq01-p", "sq02-p", "comment")}
    back = post_page(client, token, second, half, action="back")
    assert back.status_code == 303 and "page=0" in back.headers["Location"]
    again = client.get(back.headers["Location"]).get_data(as_text=True)
    assert checked(again) == {f"{i.id}-e": "6" for i in SERVQUAL.items}
    shown = page(client, token, 1)
    assert checked(shown) == {"sq01-p": "3", "sq02-p": "3"}
    assert "交货要更准时</textarea>" in shown
    saved = stored_draft(session, invitation)
    assert json.loads(saved.answers_json)["sq01.e"] == 6 and saved.page == 0
    assert count(session, Response) == 0


def test_a_page_with_gaps_is_shown_again_and_its_valid_answers_are_kept(client, session,
                                                                        invited):
    _contact, _campaign, invitation, token = invited
    answers = full_answers()
    del answers["sq03-e"]
    answers["sq04-e"] = "8"  # off the 1–7 scale: not kept
    response = post_page(client, token, page(client, token), answers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "2 answers need your attention" in html and "Please choose an answer." in html
    assert "Not a valid choice" in html
    saved = json.loads(stored_draft(session, invitation).answers_json)
    assert saved["sq01.e"] == 6 and "sq03.e" not in saved and "sq04.e" not in saved
    assert stored_draft(session, invitation).page == 0


def test_another_device_finds_the_answers_and_the_page_to_resume_on(app, client, invited):
    *_, token = invited
    answers = full_answers(e=7, p=2)
    post_page(client, token, page(client, token), answers)
    post_page(client, token, page(client, token, 1), {"sq01-p": "2"}, action="back")
    post_page(client, token, page(client, token, 0), {}, action="next")
    other_device = app.test_client()
    resumed = page(other_device, token)
    assert "Page 2 of 2" in resumed and checked(resumed) == {"sq01-p": "2"}
    assert answer_survey(other_device, token, answers).status_code == 303


def test_two_devices_saving_in_turn_keep_every_answer_either_saved_last(app, session,
                                                                         invited):
    _contact, _campaign, invitation, token = invited
    phone, desk = app.test_client(), app.test_client()
    phone_page, desk_page = page(phone, token), page(desk, token)  # both open, both empty
    post_page(phone, token, phone_page, {"sq01-e": "2", "sq02-e": "2"}, action="back")
    # the desk's page was loaded before the phone saved: its empty sq01-e loses nothing
    post_page(desk, token, desk_page, {"sq02-e": "5", "sq03-e": "5"}, action="back")
    saved = json.loads(stored_draft(session, invitation).answers_json)
    assert saved == {"sq01.e": 2, "sq02.e": 5, "sq03.e": 5}
    # the same merge for the service called directly, text emptied on purpose included
    drafts.save(session, invitation, {"comment": "慢"})
    drafts.save(session, invitation, {"sq04.e": 1}, cleared=["comment"])
    saved = json.loads(stored_draft(session, invitation).answers_json)
    assert saved == {"sq01.e": 2, "sq02.e": 5, "sq03.e": 5, "sq04.e": 1}


def test_saves_racing_on_many_threads_lose_no_answer(app, session, invited):
    """Eight devices save the same draft at once, each its own answers: every answer of
    every save is there at the end (a read-modify-write without the compare-and-swap
    loses some)."""
    import threading

    _contact, _campaign, invitation, _token = invited
    sessions = app.extensions["db_sessionmaker"]
    errors = []

    def device(n):
        own = sessions()
        try:
            mine = own.get(Invitation, invitation.id)
            for k in range(6):
                drafts.save(own, mine, {f"d{n}_{k}": k})
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=device, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    saved = json.loads(stored_draft(session, invitation).answers_json)
    assert saved == {f"d{n}_{k}": k for n in range(8) for k in range(6)}


def test_a_text_emptied_on_purpose_is_removed(client, session, invited):
    _contact, _campaign, invitation, token = invited
    html = page(client, token, 1)
    post_page(client, token, html, {"comment": "first thought"}, action="back")
    html = page(client, token, 1)
    client.post(f"/s/{token}", data={"page": "1", "action": "back", "comment": "",
                                     "cleared": "comment"})
    assert "comment" not in json.loads(stored_draft(session, invitation).answers_json)


def test_a_save_that_loses_every_round_stores_nothing(session, invited, monkeypatch):
    _contact, _campaign, invitation, _token = invited
    drafts.save(session, invitation, {"sq01.e": 3})
    monkeypatch.setattr(drafts, "SAVE_ATTEMPTS", 0)
    with pytest.raises(drafts.DraftConflict):
        drafts.save(session, invitation, {"sq02.e": 3})
    assert json.loads(stored_draft(session, invitation).answers_json) == {"sq01.e": 3}


# --------------------------------------------------------------------------- submitting


def test_submitting_twice_or_going_back_stores_one_response(client, session, invited):
    _contact, campaign, invitation, token = invited
    answers = full_answers(e=6, p=4)
    last_page = None
    first = page(client, token)
    post_page(client, token, first, answers)
    last_page = page(client, token, 1)
    done = post_page(client, token, last_page, answers)
    assert done.status_code == 303 and "/thanks" in done.headers["Location"]
    thanks = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "data-survey-done" in thanks  # the page that clears the browser's copy
    # a double click or a network retry sends the same last page again
    again = post_page(client, token, last_page, answers)
    assert again.status_code == 409 and "already received" in again.get_data(as_text=True)
    # Back after submitting: the page comes from the server, with no answers in it
    for number in (0, 1):
        back = client.get(f"/s/{token}?page={number}")
        html = back.get_data(as_text=True)
        assert back.status_code == 200 and "already received" in html
        assert 'type="radio"' not in html and "<textarea" not in html
    assert count(session, Response) == 1 and stored_draft(session, invitation) is None
    frame = campaign_frame(session, campaign)
    assert frame.loc[0, "sq01.e"] == 6 and frame.loc[0, "sq22.p"] == 4


def test_a_submission_racing_another_stores_nothing(session, invited):
    # the second request read the invitation before the first committed
    _contact, campaign, invitation, _token = invited
    answers = {k.replace("-", "."): v for k, v in full_answers().items()}
    surveys.submit(session, invitation, answers, "en")
    stale = session.get(Invitation, invitation.id)
    stale.responded_at = None  # as that request saw it
    with pytest.raises(surveys.invitations.AlreadyAnswered):
        surveys.submit(session, stale, answers, "en")
    assert count(session, Response) == 1


def test_an_incomplete_earlier_page_sends_the_contact_back_to_it(client, session, invited):
    *_, token = invited
    answers = full_answers()
    response = post_page(client, token, page(client, token, 1), answers)
    assert response.status_code == 303
    assert "page=0" in response.headers["Location"] and "check=1" in response.headers[
        "Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "22 answers need your attention" in html
    assert count(session, Response) == 0


def test_a_file_where_an_answer_belongs_is_a_400_and_nothing_is_stored(client, session,
                                                                        invited):
    _contact, _campaign, invitation, token = invited
    import io

    response = client.post(f"/s/{token}", data={
        "page": "1", "sq01-p": "3", "comment": (io.BytesIO(b"host\n"), "hostname")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "a file cannot be sent" in response.get_data(as_text=True)
    assert stored_draft(session, invitation) is None and count(session, Response) == 0


def test_an_overlong_comment_is_refused_and_not_echoed_in_full(client, session, invited):
    _contact, _campaign, invitation, token = invited
    response = client.post(f"/s/{token}", data={"page": "1", "action": "next",
                                                 "comment": "长" * 5_000})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Please keep this to 4000 characters." in html
    assert "长" * 4000 in html and "长" * 4001 not in html
    saved = stored_draft(session, invitation)
    assert saved is None or "comment" not in json.loads(saved.answers_json)


# --------------------------------------------------------------------------- not applicable

NA_INSTRUMENT = """
id = "delivery"
version = 1
languages = ["zh", "en"]
title = { zh = "交付", en = "Delivery" }
[scales.agree5]
min = 1
max = 5
labels = { zh = ["不同意", "同意"], en = ["Disagree", "Agree"] }
not_applicable = true
[[constructs]]
id = "DEL"
name = { zh = "交付", en = "Delivery" }
[[items]]
id = "d1"
construct = "DEL"
scale = "agree5"
text = { zh = "交货准时。", en = "Deliveries are on time." }
[[items]]
id = "d2"
construct = "DEL"
scale = "agree5"
text = { zh = "现场服务及时。", en = "On-site service comes quickly." }
[[items]]
id = "d3"
construct = "DEL"
scale = "agree5"
required = false
not_applicable = false
text = { zh = "包装完好。", en = "Packaging arrives intact." }
"""


@pytest.fixture
def na_wave(app, session, tmp_path, make_account, make_contact, invite):
    folder = tmp_path / "instruments"
    folder.mkdir()
    (folder / "delivery.toml").write_text(NA_INSTRUMENT, encoding="utf-8")
    with app.app_context():
        campaign = new_campaign(session, "NA wave", ["delivery"], instruments_dir=folder)
        session.commit()
    account = make_account()
    links = [invite(campaign, make_contact(account, lang="zh")) for _ in range(3)]
    return campaign, links


def test_not_applicable_is_offered_where_allowed_stored_as_missing_and_counted(
        client, session, na_wave):
    campaign, links = na_wave
    html = page(client, links[0][1])
    assert html.count('value="na"') == 2 and "不适用" in html  # d1, d2; not d3
    given = [{"d1": "na", "d2": "4", "d3": "2"}, {"d1": "na", "d2": "na"},
             {"d1": "5", "d2": "1"}]  # d3 left blank twice: missing, but not "na"
    for (_invitation, token), answers in zip(links, given, strict=True):
        assert answer_survey(client, token, answers).status_code == 303
    frame = campaign_frame(session, campaign)
    # counted by hand from `given`: d1 two "na", d2 one; d3 none (blank is not a choice)
    assert surveys.not_applicable_counts(session, campaign) == {"d1": 2, "d2": 1}
    assert np.isnan(frame["d1"].iloc[0]) and frame["d2"].iloc[0] == 4
    assert frame["d1"].notna().sum() == 1 and frame["d2"].notna().sum() == 2
    assert frame["d3"].notna().sum() == 1
    assert frame["d1"].mean() == 5  # "na" never counts as a number
    stored = session.scalars(select(Response.not_applicable_json).order_by(Response.id)).all()
    assert [json.loads(s) if s else [] for s in stored] == [["d1"], ["d1", "d2"], []]


def test_not_applicable_where_the_item_does_not_allow_it_is_refused(client, session,
                                                                      na_wave):
    _campaign, links = na_wave
    token = links[0][1]
    response = answer_survey(client, token, {"d1": "3", "d2": "3", "d3": "na"}, lang="en")
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert count(session, Response) == 0


# --------------------------------------------------------------------------- availability


def _today():
    return surveys.today_in("Asia/Shanghai")


@pytest.mark.parametrize("change, status_text", [
    ({"opens_on": +1}, "not open yet"),
    ({"closes_on": -1}, "has closed"),
    ({"active": False}, "no longer active"),
    ({"erased": True}, "no longer active"),
])
def test_a_link_that_may_not_answer_today_shows_why_and_stores_nothing(
        client, session, invited, change, status_text):
    contact, campaign, invitation, token = invited
    contact = session.get(Contact, contact.id)
    campaign = session.get(type(campaign), campaign.id)
    if "opens_on" in change:
        campaign.opens_on = _today() + timedelta(days=change["opens_on"])
    if "closes_on" in change:
        campaign.closes_on = _today() + timedelta(days=change["closes_on"])
    if "active" in change:
        contact.active = False
    if "erased" in change:
        contact.erased_at = datetime.now(UTC)
    session.commit()
    shown = client.get(f"/s/{token}?lang=en")
    posted = client.post(f"/s/{token}?lang=en", data={"page": "1", **full_answers()})
    for response in (shown, posted):
        assert response.status_code == 403
        html = response.get_data(as_text=True)
        assert status_text in html and "Nothing was stored" in html
        assert 'type="radio"' not in html
    session.expire_all()
    stored = session.get(Invitation, invitation.id)
    assert stored.opened_at is None and stored.started_at is None
    assert stored_draft(session, invitation) is None and count(session, Response) == 0


def test_the_open_and_close_days_themselves_take_answers(client, session, invited):
    _contact, campaign, _invitation, token = invited
    campaign = session.get(type(campaign), campaign.id)
    campaign.opens_on = campaign.closes_on = _today()
    session.commit()
    assert client.get(f"/s/{token}").status_code == 200
    assert surveys.unavailable(session.get(Invitation, _invitation.id),
                               date(2000, 1, 1)) == surveys.NOT_OPEN


# --------------------------------------------------------------------------- who asks


def test_the_page_names_the_supplier_and_says_named_or_anonymous(tmp_path, session, invited):
    from surveyapp import create_app

    _contact, campaign, _invitation, token = invited
    instance = tmp_path / "supplier"
    instance.mkdir()
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
           b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe"
           b"\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
    (instance / "logo.png").write_bytes(png)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": str(session.get_bind().url), "JOBS_IMMEDIATE": True,
                      "SUPPLIER_NAME": {"zh": "华东精密机械", "en": "East China Precision"},
                      "SUPPLIER_LOGO": "logo.png"}, instance_path=str(instance))
    client = app.test_client()
    english = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert "East China Precision" in english and 'src="/survey-logo"' in english
    assert "Named survey" in english and "How your answers are used" in english
    assert "Dear Wang Gong" in english
    assert "华东精密机械" in client.get(f"/s/{token}?lang=zh").get_data(as_text=True)
    with client.get("/survey-logo") as logo:
        assert logo.status_code == 200 and logo.data == png and logo.mimetype == "image/png"
    stored = session.get(type(campaign), campaign.id)
    stored.anonymous = True
    session.commit()
    anonymous = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert "Anonymous survey" in anonymous and "Named survey" not in anonymous
    assert "Wang Gong" not in anonymous
    app.extensions["db_engine"].dispose()


def test_without_a_configured_logo_there_is_none(client, invited):
    *_, token = invited
    assert "<img" not in page(client, token)
    assert client.get("/survey-logo").status_code == 404


# --------------------------------------------------------------------------- hostile input


def test_a_body_far_beyond_a_page_of_answers_is_refused_unread(client, session, invited):
    _contact, _campaign, invitation, token = invited
    huge = client.post(f"/s/{token}", data={"page": "1", "comment": "x" * 300_000})
    # url-encoded fields are bounded by the size alone; multipart parts are counted too
    many = client.post(f"/s/{token}", data={f"f{n}": "1" for n in range(2000)},
                       content_type="multipart/form-data")
    assert huge.status_code == 413 and many.status_code == 413
    assert stored_draft(session, invitation) is None and count(session, Response) == 0


def test_a_database_locked_too_long_keeps_the_answers_and_says_to_try_again(
        app, client, session, invited, monkeypatch):
    """Every write fails as SQLite does when another writer holds the lock past the busy
    timeout: the save is retried, then the page says the answers are kept; a later try
    stores them."""
    import sqlite3

    from sqlalchemy import event

    _contact, _campaign, invitation, token = invited
    monkeypatch.setattr(drafts, "BUSY_BACKOFF_S", (0, 0))
    engine = app.extensions["db_engine"]
    tries = {"n": 0}

    def locked(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            tries["n"] += 1
            raise sqlite3.OperationalError("database is locked")

    html = page(client, token)
    event.listen(engine, "before_cursor_execute", locked)
    try:
        response = post_page(client, token, html, {"sq01-e": "4", "sq02-e": "5"},
                             action="back")
    finally:
        event.remove(engine, "before_cursor_execute", locked)
    shown = response.get_data(as_text=True)
    assert response.status_code == 503 and "Your answers are kept" in shown
    assert checked(shown) == {"sq01-e": "4", "sq02-e": "5"}
    assert tries["n"] == 3  # the first try and two retries
    assert stored_draft(session, invitation) is None
    assert post_page(client, token, html, {"sq01-e": "4"}, action="back").status_code == 303
    assert json.loads(stored_draft(session, invitation).answers_json) == {"sq01.e": 4}


def test_any_posted_form_gets_a_page_or_a_redirect_never_an_error(client, session, invited):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    *_, token = invited
    names = ["sq01-e", "sq02-p", "imp-tangibles", "comment", "page", "action", "cleared",
             "csrf_token", "zz"]
    values = st.one_of(st.sampled_from(["1", "7", "0", "8", "na", "-1", "", "back", "next",
                                        "99999999999999999999", "1.5", "٣"]),
                       st.text(max_size=30))

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.dictionaries(st.sampled_from(names), values, max_size=6))
    def post(form):
        response = client.post(f"/s/{token}", data=form)
        assert response.status_code in (303, 400), (form, response.status_code)

    post()
    assert count(session, Response) == 0  # no page but the last submits
