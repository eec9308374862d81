"""The manager's workspace in real Chromium: each demo role logs in, opens the dashboard and
a scorecard; the charts are drawn; nothing overflows a phone's width; another manager's
account is not found. Screenshots at 1280 and 360 px in both languages go to
``$WORKSPACE_SHOTS`` (default: the test's temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import log_in, owned_accounts

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 360)
LANGS = ("en", "zh")


def _charts_drawn(page) -> int:
    """Canvases the chart script drew on, each with pixels that are not blank."""
    return page.evaluate("""() => [...document.querySelectorAll('canvas[data-drawn]')]
        .filter(c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       for (let i = 3; i < d.length; i += 4) { if (d[i]) return true; }
                       return false; }).length""")


@pytest.mark.parametrize("who", [0, 1, 2, 3], ids=["admin", "manager-1", "manager-2",
                                                    "leadership"])
def test_each_role_sees_the_dashboard_and_a_scorecard_with_charts(server, browser,
                                                                  tmp_path, who):
    role, email, password = server["logins"][who]
    shots = Path(os.environ.get("WORKSPACE_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    base = server["base"]
    mine = owned_accounts(server["database_url"], email) if role == "manager" else None
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))  # noqa: B023
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # noqa: B023
        log_in(page, base, email, password)
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


def test_a_manager_cannot_open_the_other_managers_account(server, browser):
    (_r1, email1, password1), (_r2, email2, _p2) = server["logins"][1:3]
    other = owned_accounts(server["database_url"], email2)
    context = browser.new_context()
    page = context.new_page()
    log_in(page, server["base"], email1, password1)
    response = page.goto(f"{server['base']}/accounts/{other[0]}")
    assert response.status == 404
    csv = page.request.get(f"{server['base']}/accounts.csv")
    assert csv.ok and other[0] not in csv.text()
    context.close()
