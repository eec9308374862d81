"""Scoring runs: a change reaches the stored figures through the background job, pages only
read them, a failed recompute keeps the last good run, and changes close together cost one
recompute."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from analysis import load_instrument
from surveyapp import create_app, jobs
from surveyapp.db import upgrade
from surveyapp.models import Campaign, Response, ScoringRun, TextAnswer
from surveyapp.services import scoring, surveys
from surveyapp.services.figures import wave_figures
from surveyapp.services.scorecards import AccountsQuery, accounts_page
from surveyapp.services.wave_inputs import ScoringSettings, load_inputs
from tests.conftest import REPO

SERVQUAL = load_instrument(REPO / "instruments" / "servqual.toml")


def answers(e: int, p: int, comment: str | None = None) -> dict:
    data: dict = {}
    for item in SERVQUAL.items:
        data[f"{item.id}.e"] = e
        data[f"{item.id}.p"] = p
    for construct in SERVQUAL.allocations[0].constructs:
        data[f"imp.{construct}"] = 20
    if comment:
        data["comment"] = comment
    return data


def submit(app, session, invitation, values):
    """Submit as the survey page does: inside the app, which queues the recompute."""
    with app.app_context():
        return surveys.submit(session, invitation, values, "zh")


def runs(session, campaign_id):
    session.expire_all()
    return session.scalars(select(ScoringRun).where(ScoringRun.campaign_id == campaign_id)
                           .order_by(ScoringRun.id)).all()


@pytest.fixture
def wave(make_account, make_contact, make_campaign, invite):
    """One account, three contacts invited to a SERVQUAL wave."""
    account = make_account()
    campaign = make_campaign()
    invited = [invite(campaign, make_contact(account, role=role))[0]
               for role in ("economic", "technical", "user")]
    return account, campaign, invited


def test_a_submitted_response_reaches_the_stored_run_through_the_job(app, session, wave):
    account, campaign, invited = wave
    submit(app, session, invited[0], answers(6, 5))
    # immediate mode: the job queued by submit ran at once, in its own app context
    first = runs(session, campaign.id)
    assert [r.status for r in first] == ["ok"] and first[0].response_count == 1
    submit(app, session, invited[1], answers(7, 4))
    latest = runs(session, campaign.id)[-1]
    assert latest.response_count == 2 and latest.last_response_id == session.scalar(
        select(func.max(Response.id)))
    with app.app_context():
        figures = wave_figures(session, campaign)
        row = figures.table("accounts").set_index("account_id").loc[account.code]
    # economic (0.30) gap −1 and technical (0.25) gap −3, role-weighted:
    # (0.30·−1 + 0.25·−3) / 0.55 = −1.909…; unweighted mean (−1 − 3)/2 = −2
    assert row["servqual.tangibles.gap"] == pytest.approx((0.30 * -1 + 0.25 * -3) / 0.55)
    assert row["servqual.tangibles.gap.mean"] == pytest.approx(-2.0)
    assert row["servqual.tangibles.e"] == pytest.approx((0.30 * 6 + 0.25 * 7) / 0.55)
    assert row["servqual.tangibles.gap.n"] == 2


def test_pages_read_the_run_and_never_run_the_analysis(app, session, wave, logged_in,
                                                       monkeypatch, make_contact, invite):
    account, campaign, invited = wave
    # five answers: the fewest a card shows figures for (fewer read "too few answers")
    invited += [invite(campaign, make_contact(account, role=role))[0]
                for role in ("financial", "influencer")]
    submit(app, session, invited[0], answers(6, 5, comment="交货要更准时"))
    for invitation in invited[1:]:
        submit(app, session, invitation, answers(6, 5))

    def refuse(*_args, **_kwargs):
        raise AssertionError("a page ran the analysis")

    monkeypatch.setattr(scoring, "analyze", refuse)
    listing = logged_in.get("/accounts?lang=en")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert account.name in text and "5 responses" in text
    card = logged_in.get(f"/accounts/{account.code}?lang=en").get_data(as_text=True)
    assert "Service gaps" in card and "-1.00" in card and "交货要更准时" in card
    assert "NPS, role-weighted" in card
    download = logged_in.get("/export.xlsx")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")


def test_a_failed_recompute_keeps_the_last_good_run_and_the_page_says_why(
        app, session, wave, logged_in, monkeypatch):
    account, campaign, invited = wave
    submit(app, session, invited[0], answers(6, 5))
    good = runs(session, campaign.id)[-1]

    def broken(*_args, **_kwargs):
        raise ValueError("the stage file has a bad threshold")

    monkeypatch.setattr(scoring, "analyze", broken)
    submit(app, session, invited[1], answers(2, 2))
    after = runs(session, campaign.id)
    assert [r.status for r in after] == ["ok", "failed"]
    assert "bad threshold" in after[-1].error
    with app.app_context():
        figures = wave_figures(session, campaign)
        assert figures.run.id == good.id  # the previous figures stay in use
        fresh = figures.freshness()
    assert fresh.scored == 1 and fresh.stored == 2 and fresh.pending == 1
    page = logged_in.get("/accounts?lang=en").get_data(as_text=True)
    assert "failed" in page and "bad threshold" in page
    assert "1 new answer being included" in page


def test_a_manager_can_ask_for_a_recompute(app, session, wave, logged_in):
    _account, campaign, invited = wave
    submit(app, session, invited[0], answers(6, 5))
    response = logged_in.post("/recompute", data={"campaign": campaign.id,
                                                  "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    # nothing changed: the job finds the run current and computes nothing new
    assert len(runs(session, campaign.id)) == 1
    assert logged_in.post("/recompute", data={"campaign": 999}).status_code == 404


def test_changes_close_together_cost_one_recompute(tmp_path, monkeypatch):
    """With the real queue (not immediate), two changes queue two jobs; the first scores
    both, the second finds the run current and does nothing."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "JOBS_IMMEDIATE": False,
                      "RECOMPUTE_DELAY": 0,  # queued for the worker at once
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
                     instance_path=str(tmp_path))
    computed = []
    real = scoring._compute

    def counting(*args, **kwargs):
        computed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "_compute", counting)
    try:
        with app.app_context():
            upgrade()
            from surveyapp.db import get_session
            from surveyapp.models import Account, Contact
            from surveyapp.services import invitations
            from surveyapp.services.instruments import new_campaign

            session = get_session()
            account = Account(code="A1", name="甲")
            session.add(account)
            contacts = [Contact(code=f"C{k}", account=account, name=f"c{k}", role="user")
                        for k in range(2)]
            session.add_all(contacts)
            campaign = new_campaign(session, "W", ["servqual"])
            session.commit()
            invited = [invitations.invite(session, campaign, c)[0] for c in contacts]
            session.commit()
            for invitation in invited:
                surveys.submit(session, invitation, answers(5, 5), "en")
        jobs.bind(app)
        executed = 0
        while (task := jobs.huey.dequeue()) is not None:
            jobs.huey.execute(task)
            executed += task.name.endswith("recompute_job")  # submit queues alerts too
        assert executed == 2 and len(computed) == 1
        with app.app_context():
            from surveyapp.db import get_session

            run = scoring.newest_run(get_session(), campaign.id)
            assert run.response_count == 2
            assert not scoring.is_stale(get_session(), campaign.id)
    finally:
        app.extensions["db_engine"].dispose()
        jobs.huey._immediate = True  # leave the shared queue as the other tests expect
        jobs.huey.storage = jobs.huey.create_storage()


def test_wave_status_prints_the_line_other_tools_parse(app, runner, session, wave):
    _account, campaign, invited = wave
    out = runner.invoke(args=["wave", "status"])
    assert out.exit_code == 0, out.output
    assert "responses: 0, scored: 0, as of never" in out.output
    submit(app, session, invited[0], answers(6, 5))
    out = runner.invoke(args=["wave", "status", str(campaign.id)])
    line = re.search(r"^responses: (\d+), scored: (\d+), as of (.+)$", out.output, re.M)
    assert line and line.group(1) == "1" and line.group(2) == "1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", line.group(3))
    bad = runner.invoke(args=["wave", "status", "no-such-wave"])
    assert bad.exit_code != 0 and "no customer wave" in bad.output


def test_anonymous_waves_carry_no_contact_and_merge_small_roles(app, session, wave,
                                                                make_contact, invite,
                                                                logged_in):
    account, campaign, invited = wave
    campaign = session.get(Campaign, campaign.id)
    campaign.anonymous = True
    session.commit()
    more = [invite(campaign, make_contact(account, role="user"))[0] for _ in range(2)]
    for k, invitation in enumerate([*invited, *more]):
        submit(app, session, invitation, answers(6, 5, comment=f"意见{k}"))
    with app.app_context():
        inputs = load_inputs(session, campaign, ScoringSettings())
        customers = inputs.responses[inputs.responses["account_id"].notna()]
        assert customers["contact_id"].isna().all()
        roles = wave_figures(session, campaign).table("account_roles")
    # three users answered; the economic and technical buyer (one each) are merged
    assert dict(zip(roles["role"], roles["n"], strict=True)) == {"user": 3, "other": 2}
    assert session.scalar(select(func.count()).select_from(TextAnswer)) == 5
    card = logged_in.get(f"/accounts/{account.code}?lang=en").get_data(as_text=True)
    assert "other roles" in card and "Economic" not in card.split("Comments")[-1]


def test_accounts_list_is_paged_sorted_and_filtered_from_the_run(app, session,
                                                                 make_account):
    for k in range(120):
        make_account(code=f"B{k:03d}", name=f"客户{k}", revenue=1000.0 * (k + 1),
                     margin=0.2, cost_to_serve=100.0,
                     customer_type=("value_added", "partnership")[k % 2])
    from surveyapp.services.instruments import new_campaign

    with app.app_context():
        campaign = new_campaign(session, "W", ["servqual"])
        session.commit()
        scoring.recompute_now(session, [campaign.id], ScoringSettings())
        figures = wave_figures(session, campaign)
        page = accounts_page(figures, AccountsQuery(page=3))
        assert page.total == 120 and page.pages == 3 and len(page.rows) == 20
        assert [r["account_id"] for r in page.rows[:2]] == ["B100", "B101"]
        top = accounts_page(figures, AccountsQuery(sort="contribution", descending=True))
        # contribution = revenue × margin − cost to serve: largest for the largest revenue
        assert top.rows[0]["account_id"] == "B119"
        assert top.rows[0]["contribution"] == pytest.approx(120_000 * 0.2 - 100)
        typed = accounts_page(figures, AccountsQuery(customer_type="partnership"))
        assert typed.total == 60 and {r["customer_type"] for r in typed.rows} == {"partnership"}
        found = accounts_page(figures, AccountsQuery(search="客户11"))
        expected = {"B011", *(f"B{k}" for k in range(110, 120))}
        assert {r["account_id"] for r in found.rows} == expected


def test_result_tables_round_trip_through_parquet():
    table = pd.DataFrame({"account_id": pd.array(["A", "B"], dtype="string"),
                          "x": [1.5, np.nan], "mixed": [1, "two"], "flag": [True, False]})
    back = scoring.read_table(scoring.table_bytes(table))
    assert back["account_id"].tolist() == ["A", "B"] and np.isnan(back.loc[1, "x"])
    assert back["mixed"].tolist() == ["1", "two"] and back["flag"].tolist() == [True, False]


def test_the_raw_read_path_gives_the_frame_the_orm_path_gives(app, runner, session):
    """waves_frame (driver cursor, one array) against campaign_frame per wave, concatenated:
    the same rows, columns and values, independently of how they are read."""
    from surveyapp.services.answer_store import waves_frame
    from surveyapp.services.campaigns import latest_campaign
    from surveyapp.services.responses import campaign_frame

    runner.invoke(args=["demo"])
    with app.app_context():
        waves = [latest_campaign(session), latest_campaign(session, audience="manager")]
        fast = waves_frame(session, waves)
        text = ("response_id", "account_id", "contact_id", "role", "wave", "lang")
        slow = pd.concat([campaign_frame(session, w).astype({c: "string" for c in text})
                          for w in waves], ignore_index=True)
    assert list(fast.columns) == list(slow.columns)
    fast = fast.astype({c: "string" for c in text})  # codes are categorical on the fast path
    pd.testing.assert_frame_equal(fast, slow[fast.columns], check_dtype=False)
    with app.app_context():
        figures = wave_figures(session, waves[0])
        accounts = figures.table("accounts").dropna(subset=["satisfaction", "loyalty_index"])
        cutoffs = figures.summary["quadrant_cutoffs"]
    # the quadrant rests on the role-weighted satisfaction and loyalty indices and the
    # cut-offs the pages show (docs/METHODS.md 5.4), worked here row by row
    expected = [{(True, True): "loyalist", (True, False): "mercenary",
                 (False, True): "hostage", (False, False): "defector"}[
        (sat >= cutoffs["satisfaction"], loy >= cutoffs["loyalty"])]
        for sat, loy in zip(accounts["satisfaction"], accounts["loyalty_index"], strict=True)]
    assert cutoffs == {"satisfaction": 80.0, "loyalty": 70.0, "apostle": 90.0}
    assert accounts["quadrant"].tolist() == expected and len(expected) >= 30
    with app.app_context():
        hidden = waves_frame(session, waves[:1], with_contacts=[False])
        customers = campaign_frame(session, waves[0])
    assert len(hidden) == len(customers) and customers["contact_id"].notna().all()
    assert hidden["contact_id"].isna().all()


def test_the_workbook_shows_the_figures_of_the_stored_run(app, runner, session, tmp_path):
    """export --xlsx writes the run's own numbers: the Accounts sheet row of each account
    carries the run's gaps and both NPS figures (nothing recomputed beside them)."""
    import io

    from openpyxl import load_workbook

    from surveyapp.services.campaigns import latest_campaign

    runner.invoke(args=["demo"])
    out = tmp_path / "book.xlsx"
    result = runner.invoke(args=["export", "--xlsx", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(io.BytesIO(out.read_bytes()))["Accounts"]
    header = [c.value for c in sheet[4]]
    rows = {r[0]: dict(zip(header, r, strict=False))
            for r in sheet.iter_rows(min_row=5, values_only=True)}
    with app.app_context():
        run = wave_figures(session, latest_campaign(session)).table("accounts")
    compared = 0
    for _i, account in run.iterrows():
        row = rows[account["account_id"]]
        for sheet_column, run_column in (("Tangibles", "servqual.tangibles.gap"),
                                         ("Weighted SERVQUAL gap", "servqual.weighted"),
                                         ("NPS (unweighted)", "nps.unweighted"),
                                         ("NPS (role-weighted)", "nps")):
            if pd.isna(account[run_column]):
                assert row[sheet_column] is None
            else:
                assert row[sheet_column] == pytest.approx(account[run_column])
                compared += 1
    assert compared >= 4 * 30


def test_a_change_during_a_recompute_is_scored_when_it_ends(app, session, wave, monkeypatch):
    """A response submitted while a recompute runs: its job finds the wave claimed and
    returns; the running job computes again when it ends, so the run has both answers."""
    _account, campaign, invited = wave
    real = scoring.analyze
    calls = []

    def analyze_while_someone_submits(*args, **kwargs):
        calls.append(len(args[1]))  # the responses this recompute read
        if len(calls) == 1:  # the second survey arrives during the first recompute
            submit(app, session, invited[1], answers(7, 4))
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "analyze", analyze_while_someone_submits)
    submit(app, session, invited[0], answers(6, 5))
    assert calls == [1, 2]  # the second recompute followed the first at once
    latest = runs(session, campaign.id)
    assert [r.response_count for r in latest] == [1, 2]
    assert not scoring.is_stale(session, campaign.id)
