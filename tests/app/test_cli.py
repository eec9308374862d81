"""CLI commands: init-db, create-user, demo, export."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from surveyapp.models import Account, Contact, Response, User

# what `surveyapp demo` prints on stdout, small or large: one login per role, then the
# open survey links (scripts, the browser tests and bench/pages.py read these lines)
DEMO_LINES = ["Login (admin)", "Login (manager)", "Login (manager)", "Login (leadership)",
              "Survey link", "Survey link", "Survey link"]


def demo_logins(output: str) -> dict[str, list[tuple[str, str]]]:
    """The (email, password) of each ``Login (<role>): <email> / <password>`` line, by role,
    in the order printed."""
    found: dict[str, list[tuple[str, str]]] = {}
    for role, email, password in re.findall(r"^Login \((\w+)\): (\S+) / (\S+)$", output,
                                            re.M):
        found.setdefault(role, []).append((email, password))
    return found


def demo_lines(stdout: str) -> list[str]:
    """The demo's login and link lines with their emails, passwords and links left out."""
    return [line.split(":", 1)[0] for line in stdout.splitlines()
            if re.match(r"^(Login \(\w+\): \S+ / \S+|Survey link: http://\S+/s/\S+)$", line)]


def test_init_db(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "Database ready" in result.output


def test_create_user_with_and_without_password_option(runner, session):
    result = runner.invoke(args=["create-user", "a@example.com", "--password", "long enough"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-user", "b@example.com"],
                           input="another secret\nanother secret\n")
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(User)) == 2


def test_create_user_errors_store_nothing(runner, session):
    runner.invoke(args=["create-user", "a@example.com", "--password", "long enough"])
    dup = runner.invoke(args=["create-user", "A@example.com", "--password", "long enough"])
    assert dup.exit_code != 0 and "already exists" in dup.output
    short = runner.invoke(args=["create-user", "c@example.com", "--password", "short"])
    assert short.exit_code != 0 and "at least 8" in short.output
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_demo_seeds_once_and_prints_login_and_links(app, runner, client, session):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert demo_lines(result.stdout) == DEMO_LINES
    assert "Manager login" not in result.output  # the old unlabelled line is gone
    links = re.findall(r"^Survey link: (http://\S+/s/(\S+))$", result.output, re.M)
    accounts = session.scalar(select(func.count()).select_from(Account))
    contacts = session.scalar(select(func.count()).select_from(Contact))
    responses = session.scalar(select(func.count()).select_from(Response))
    assert accounts >= 30 and 3 * accounts <= contacts <= 6 * accounts
    assert responses > contacts / 2
    types = set(session.scalars(select(Account.customer_type)))
    assert types == {"price_sensitive", "value_added", "partnership"}
    assert len(set(session.scalars(select(Account.industry)))) >= 4
    for _url, token in links:
        assert client.get(f"/s/{token}").status_code == 200  # open, unanswered
    # every model has data: the wave asks SERVQUAL, satisfaction and loyalty, managers
    # assessed every account, and the accounts spread over every relationship stage
    from surveyapp.services.campaigns import latest_campaign
    from surveyapp.services.figures import wave_figures
    from surveyapp.services.instruments import questionnaire_of

    with app.app_context():
        wave = latest_campaign(session)
        assert [i.id for i in questionnaire_of(wave).instruments] == [
            "servqual", "satisfaction", "loyalty"]
        # the demo command returns with the wave's figures computed and stored
        figures = wave_figures(session, wave)
        assert figures.available and figures.run.response_count == responses - \
            _assessment_rows(session)
    summary = figures.summary
    assert all(n > 0 for n in summary["stages"].values()), summary["stages"]
    assert set(summary["stages"]) == {"pre_kam", "early", "mid", "partnership",
                                      "synergistic", "uncoupling"}
    assert summary["model"]["r2"]["SAT"] > 0.3 and summary["nps"]["n"] > 100
    assert {a["abc"] for a in summary["accounts"]} >= {"A", "B", "C", "D"}
    # account owners answered the Gap 1 questionnaire: they underrate reliability
    gap1 = summary["servqual"]["gap1"]
    assert gap1["reliability"]["manager_n"] >= 3 and gap1["reliability"]["gap1"] > 0

    again = runner.invoke(args=["demo"])
    assert "Seeded" not in again.output
    assert session.scalar(select(func.count()).select_from(Account)) == accounts
    assert demo_lines(again.stdout) == DEMO_LINES
    email, password = demo_logins(again.output)["manager"][0]
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    for _url, token in re.findall(r"^Survey link: (http://\S+/s/(\S+))$", again.output, re.M):
        assert client.get(f"/s/{token}").status_code == 200


def test_demo_prints_one_login_per_role_and_splits_the_accounts_between_two_managers(
        runner, client, session):
    from surveyapp.models import User

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    logins = re.findall(r"^Login \((\w+)\): (\S+) / (\S+)$", result.output, re.M)
    assert [role for role, _e, _p in logins] == ["admin", "manager", "manager", "leadership"]
    managers = [email for role, email, _p in logins if role == "manager"]
    owned = {email: set(session.scalars(select(Account.code).join(
        User, User.id == Account.owner_id).where(User.email == email))) for email in managers}
    every = set(session.scalars(select(Account.code)))
    # the two managers own every demo account between them, none twice
    assert all(owned.values()) and not (owned[managers[0]] & owned[managers[1]])
    assert owned[managers[0]] | owned[managers[1]] == every
    # the owner column reads as an import gives it: the owner's email
    assert set(session.scalars(select(Account.owner))) == set(managers)
    for role, email, password in logins:
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, role
        mine = sorted(owned.get(email, every))
        other = sorted(every - set(mine))
        assert client.get(f"/accounts/{mine[0]}").status_code == 200, role
        if other:  # another manager's account is not found
            assert client.get(f"/accounts/{other[0]}").status_code == 404, role
        client.post("/logout")
    # run again: every login gets a fresh password, the old one no longer works
    again = runner.invoke(args=["demo"])
    fresh = re.findall(r"^Login \((\w+)\): (\S+) / (\S+)$", again.output, re.M)
    assert [e for _r, e, _p in fresh] == [e for _r, e, _p in logins]
    assert all(p1 != p2 for (_r, _e, p1), (_s, _f, p2) in zip(logins, fresh, strict=True))


def test_a_demo_run_that_fails_leaves_the_printed_logins_and_links_working(
        runner, client, monkeypatch):
    """Passwords and links change only after every step that can fail: a second run whose
    figures fail (exit 1) leaves the first run's logins and survey links as they were."""
    from types import SimpleNamespace

    from surveyapp.cli import core

    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    logins = demo_logins(first.output)
    links = re.findall(r"^Survey link: http://\S+/s/(\S+)$", first.output, re.M)
    monkeypatch.setattr(core.scoring, "recompute_now", lambda *_a, **_k: [
        SimpleNamespace(status="failed", error="the database went away")])
    failed = runner.invoke(args=["demo"])
    assert failed.exit_code == 1 and "computing the figures failed" in failed.output
    assert demo_lines(failed.stdout) == []  # no login printed, none changed
    for role, people in logins.items():
        for email, password in people:
            assert client.post("/login", data={"email": email, "password": password}
                               ).status_code == 302, role
            client.post("/logout")
    for token in links:
        assert client.get(f"/s/{token}").status_code == 200  # the printed links still open
    monkeypatch.undo()
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and demo_lines(again.stdout) == DEMO_LINES
    assert demo_logins(again.output)["admin"] != logins["admin"]  # now fresh ones


def _assessment_rows(session):
    """Responses stored for the managers' assessment (not the customers' wave)."""
    from surveyapp.models import Campaign

    return session.scalar(select(func.count()).select_from(Response).join(
        Campaign, Campaign.id == Response.campaign_id).where(Campaign.audience == "manager"))


def test_export_writes_a_workbook(runner, tmp_path):
    runner.invoke(args=["demo"])
    out = tmp_path / "portfolio.xlsx"
    result = runner.invoke(args=["export", "--xlsx", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    ws = load_workbook(io.BytesIO(out.read_bytes()))["Accounts"]
    assert ws.max_row >= 4 + 30  # the demo's 36 accounts below the header
    header = [c.value for c in ws[4]]
    assert "Tangibles" in header and "Weighted SERVQUAL gap" in header


def test_export_without_campaign_is_an_error(runner, tmp_path):
    result = runner.invoke(args=["export", "--xlsx", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and "no campaign" in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_demo_leaves_a_database_with_its_own_data_alone(runner, session, make_account,
                                                       make_contact, make_campaign, invite):
    account = make_account()
    _invitation, token = invite(make_campaign(), make_contact(account))
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0 and "nothing was changed" in result.output
    assert demo_lines(result.stdout) == []  # no login, no link
    from surveyapp.services.invitations import find

    session.expire_all()
    assert find(session, token) is not None  # the real link still works
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_exported_data_analysed_from_files_gives_the_web_figures(app, runner, session,
                                                                 tmp_path):
    """export --responses/--accounts/--instruments, then analyze on those files: the same
    figures the web pages show (the same pipeline, fed once from the database, once from
    files)."""
    import json

    from surveyapp.cli import main
    from surveyapp.services.campaigns import latest_campaign
    from surveyapp.services.figures import wave_figures

    runner.invoke(args=["demo"])
    result = runner.invoke(args=["export", "--responses", str(tmp_path / "r.csv"),
                                 "--accounts", str(tmp_path / "a.csv"),
                                 "--instruments", str(tmp_path / "inst")])
    assert result.exit_code == 0, result.output
    names = ["servqual", "satisfaction", "loyalty", "relationship", "grid25", "servqual_gap1"]
    args = [a for n in names for a in ("--instrument", str(tmp_path / "inst" / f"{n}.toml"))]
    from click.testing import CliRunner

    out = tmp_path / "out.json"
    done = CliRunner().invoke(main, ["analyze", *args, "--responses", str(tmp_path / "r.csv"),
                                     "--accounts", str(tmp_path / "a.csv"), "--json",
                                     str(out)])
    assert done.exit_code == 0, done.output
    from_files = json.loads(out.read_text(encoding="utf-8"))
    with app.app_context():
        web = wave_figures(session, latest_campaign(session)).summary
    for dim, figures in web["servqual"]["dimensions"].items():
        for key, value in figures.items():
            assert from_files["servqual"]["dimensions"][dim][key] == pytest.approx(value), key
    assert from_files["stages"] == web["stages"]
    assert from_files["nps"] == web["nps"]
    by_id = {a["account_id"]: a for a in web["accounts"]}
    for entry in from_files["accounts"]:
        assert entry["stage"] == by_id[entry["account_id"]]["stage"]
        assert entry["nps"] == pytest.approx(by_id[entry["account_id"]]["nps"], nan_ok=True)
    assert from_files["warnings"] == []  # nothing was skipped or weakened


def test_demo_at_a_chosen_size_builds_scores_and_prints_the_same_lines(runner, session,
                                                                      client):
    result = runner.invoke(args=["demo", "--accounts", "40", "--responses", "400"])
    assert result.exit_code == 0, result.output
    assert demo_lines(result.stdout) == DEMO_LINES  # the small demo's lines, in its order
    links = re.findall(r"^Survey link: (http://\S+/s/(\S+))$", result.output, re.M)
    email, password = demo_logins(result.output)["manager"][0]
    assert client.post("/login", data={"email": email, "password": password}
                       ).status_code == 302
    client.post("/logout")
    for _url, token in links:
        assert client.get(f"/s/{token}").status_code == 200  # open, unanswered
    assert session.scalar(select(func.count()).select_from(Account)) == 40
    from surveyapp.models import Campaign

    customers = select(func.count()).select_from(Response).join(
        Campaign, Campaign.id == Response.campaign_id).where(Campaign.audience == "customer")
    assert session.scalar(customers) == 400
    # every account answered at least once, and the figures were computed before returning
    answered = select(func.count(func.distinct(Response.account_id))).join(
        Campaign, Campaign.id == Response.campaign_id).where(Campaign.audience == "customer")
    assert session.scalar(answered) == 40
    status = runner.invoke(args=["wave", "status"])
    assert "responses: 400, scored: 400, as of" in status.output
    bad = runner.invoke(args=["demo", "--accounts", "40"])
    assert bad.exit_code != 0 and "together" in bad.output


def test_export_of_a_wave_id_beyond_any_database_is_a_clear_error(runner, tmp_path):
    out = tmp_path / "x.xlsx"
    result = runner.invoke(args=["export", "--xlsx", str(out), "--wave", "9223372036854775808"])
    assert result.exit_code == 1 and "no such campaign" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()
