"""The manager's workspace in real Chromium: each demo role logs in, opens the dashboard and
a scorecard; the charts are drawn; nothing overflows a phone's width; another manager's
account is not found. Screenshots at 1280 and 360 px in both languages go to
``$WORKSPACE_SHOTS`` (default: the test's temporary folder)."""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import SURVEYAPP, _free_port

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 360)
LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workspace")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'ws.sqlite'}",
           "SECRET_KEY": "e2e-secret", "PUBLIC_URL": base,
           "SURVEYAPP_INSTANCE": str(folder / "instance")}
    demo = subprocess.run([SURVEYAPP, "demo"], env=env, capture_output=True, text=True,
                          check=True, timeout=180)
    logins = re.findall(r"^Login \((\w+)\): (\S+) / (\S+)$", demo.stdout, re.M)
    assert [r for r, _e, _p in logins] == ["admin", "manager", "manager", "leadership"]
    log = open(folder / "server.log", "wb")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen([SURVEYAPP, "run", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/login", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                log.close()
                raise RuntimeError((folder / "server.log").read_text()) from None
            time.sleep(0.2)
    yield {"base": base, "logins": logins, "database_url": env["DATABASE_URL"]}
    process.terminate()
    process.wait(timeout=10)
    log.close()


def _owned(database_url: str, email: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        codes = [r[0] for r in connection.execute(text(
            "SELECT a.code FROM accounts a JOIN users u ON u.id = a.owner_id "
            "WHERE u.email = :e ORDER BY a.code"), {"e": email})]
    engine.dispose()
    return codes


def _log_in(page, base, email, password):
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url


def _charts_drawn(page) -> int:
    """Canvases the chart script drew on, each with pixels that are not blank."""
    return page.evaluate("""() => [...document.querySelectorAll('canvas[data-drawn]')]
        .filter(c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       for (let i = 3; i < d.length; i += 4) { if (d[i]) return true; }
                       return false; }).length""")


@pytest.mark.parametrize("who", [0, 1, 2, 3], ids=["admin", "manager-1", "manager-2",
                                                    "leadership"])
def test_each_role_sees_the_dashboard_and_a_scorecard_with_charts(demo_server, browser,
                                                                  tmp_path, who):
    role, email, password = demo_server["logins"][who]
    shots = Path(os.environ.get("WORKSPACE_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    base = demo_server["base"]
    mine = _owned(demo_server["database_url"], email) if role == "manager" else None
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))  # noqa: B023
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # noqa: B023
        _log_in(page, base, email, password)
        for lang in LANGS:
            page.goto(f"{base}/?lang={lang}")
            assert page.locator("h1").first.inner_text()
            assert _charts_drawn(page) >= 6, f"{role} {lang} {width}"
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(shots / f"dashboard-{role}{who}-{lang}-{width}.png"),
                            full_page=True)
            page.goto(f"{base}/accounts?lang={lang}&sort=answered&dir=desc")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            first = page.locator("table.accounts tbody tr td.name a").first
            code = first.get_attribute("href").split("/accounts/")[1].split("?")[0]
            if mine is not None:
                assert code in mine  # a manager's list holds their accounts only
            page.screenshot(path=str(shots / f"accounts-{role}{who}-{lang}-{width}.png"),
                            full_page=True)
            page.goto(f"{base}/accounts/{code}?lang={lang}")
            assert page.locator(".grid25").count() == 1
            assert _charts_drawn(page) >= 1, f"{role} {code}"  # the most answered account
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(shots / f"scorecard-{role}{who}-{lang}-{width}.png"),
                            full_page=True)
        assert errors == [], errors  # nothing refused by the CSP, no script error
        context.close()


def test_a_manager_cannot_open_the_other_managers_account(demo_server, browser):
    (_r1, email1, password1), (_r2, email2, _p2) = demo_server["logins"][1:3]
    other = _owned(demo_server["database_url"], email2)
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, demo_server["base"], email1, password1)
    response = page.goto(f"{demo_server['base']}/accounts/{other[0]}")
    assert response.status == 404
    csv = page.request.get(f"{demo_server['base']}/accounts.csv")
    assert csv.ok and other[0] not in csv.text()
    context.close()
