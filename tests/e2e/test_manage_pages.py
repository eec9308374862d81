"""The login and the administration pages in real Chromium, at a phone's width and a
desktop's, in both languages: nothing widens the page past the screen (a wide table scrolls
inside its own region, which the keyboard can reach), and a login with an email too long is
answered beside the field without the paste coming back."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

WIDTHS = (360, 1280)
PAGES = ("/import", "/contacts", "/waves", "/waves/1", "/users", "/users/new", "/audit",
         "/account/password", "/accounts/A001/assessment")


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_administration_pages_fit_the_screen(server, browser, width):
    admin = next((e, p) for role, e, p in server["logins"] if role == "admin")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    log_in(page, server["base"], *admin)
    too_wide = {}
    for lang in ("zh", "en"):
        for path in PAGES:
            response = page.goto(f"{server['base']}{path}?lang={lang}")
            assert response.ok, path
            if _page_width(page) > width:
                too_wide[f"{path} {lang}"] = _page_width(page)
            # a region that scrolls sideways takes the keyboard's focus
            unreachable = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
                .filter(w => w.scrollWidth > w.clientWidth && w.tabIndex < 0).length""")
            assert unreachable == 0, f"{path} {lang}"
    context.close()
    assert too_wide == {}


def test_a_phone_login_with_an_overlong_email_is_answered_beside_the_field(server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(server["base"] + "/login?lang=en")
    assert page.locator("h1").inner_text() == "Log in"
    long_email = "m" * 300 + "@example.com"
    # a script, not the keyboard: the field's maxlength stops typing at 254
    page.evaluate("""email => { const f = document.querySelector('input[name=email]');
        f.removeAttribute('maxlength'); f.value = email; }""", long_email)
    page.fill("input[name=password]", "whatever it is")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("#email-error").inner_text() == "At most 254 characters."
    assert len(page.locator("input[name=email]").input_value()) == 254
    assert _page_width(page) <= 360
    context.close()
