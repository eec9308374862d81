"""Segment figures, each role's view and the folding filters in real Chromium: a filtered
dashboard draws the segment's gaps beside the wave's, a manager's shows their own accounts',
the accounts list shows accounts above the fold on a phone, and nothing is wider than it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, owned_accounts

pytestmark = pytest.mark.e2e


def _page(browser, server, who: int, width: int):
    _role, email, password = server["logins"][who]
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, server["base"], email, password)
    return context, page, errors


def _datasets(page, chart: str) -> int:
    return page.evaluate(f"""() => {{ const c = document.querySelector(
        'canvas[data-chart="chart-{chart}"]'); return c && c.chart ?
        c.chart.data.datasets.length : 0; }}""")


@pytest.mark.parametrize("width", [360, 1280])
def test_the_accounts_filters_fold_on_a_phone_and_open_on_a_desktop(server, browser, width):
    context, page, errors = _page(browser, server, 0, width)
    page.goto(f"{server['base']}/accounts?lang=zh")
    is_open = page.evaluate("document.querySelector('details.filters-panel').open")
    first = page.locator("table.accounts tbody tr").first.bounding_box()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == 360:
        assert not is_open and first is not None and first["y"] < 800  # the list in view
        page.click("details.filters-panel > summary")
        assert page.locator("select[name=stage]").is_visible()
    else:
        assert is_open and page.locator("select[name=stage]").is_visible()
    # a filter set: the panel stays open on a phone too, so what narrows the list shows
    page.goto(f"{server['base']}/accounts?lang=zh&attention=1")
    assert page.evaluate("document.querySelector('details.filters-panel').open")
    assert errors == [], errors
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_a_segment_and_a_managers_own_figures_are_drawn_beside_the_waves(server, browser,
                                                                         width):
    context, page, errors = _page(browser, server, 0, width)
    page.goto(f"{server['base']}/?lang=en&type=value_added")
    assert "Whole wave" in page.locator(".cards").inner_text()
    assert _datasets(page, "gaps") == 2  # the segment's bars and the wave's
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
    context, page, manager_errors = _page(browser, server, 1, width)
    page.goto(f"{server['base']}/?lang=zh")
    assert "您自己负责的客户" in page.locator("p.scope-note").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert errors == manager_errors == [], errors + manager_errors
    context.close()


def test_each_roles_view_fits_a_phone(server, browser):
    _role, email, _password = server["logins"][1]
    code = owned_accounts(server["database_url"], email)[0]
    context, page, errors = _page(browser, server, 1, 360)
    for lang in ("zh", "en"):
        page.goto(f"{server['base']}/accounts/{code}?lang={lang}")
        assert page.locator(".role-views").count() == 1
        assert page.locator(".role-view").count() + page.locator(".role-few").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        widest = page.evaluate("""() => Math.max(0, ...[...document.querySelectorAll(
            '.role-view, .role-few')].map(e => e.getBoundingClientRect().right))""")
        assert widest <= 360
    assert errors == [], errors
    context.close()


WIDER_THAN_VIEWPORT = """() => { const vw = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('main *')].filter(el => {
    if (el.closest('details:not([open])')) { return false; }
    return el.getBoundingClientRect().right > vw + 1; }).map(el => el.tagName + '.' + el.className);
  const scrolling = [...document.querySelectorAll('.table-wrap')]
    .filter(w => w.scrollWidth > w.clientWidth + 1).map(w => w.querySelector('table').className);
  return wide.concat(scrolling); }"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_scorecard_reads_on_a_phone_without_sideways_scrolling(server, browser, lang):
    _role, email, _password = server["logins"][1]
    context, page, errors = _page(browser, server, 1, 360)
    shown = 0
    for code in owned_accounts(server["database_url"], email)[:6]:
        page.goto(f"{server['base']}/accounts/{code}?lang={lang}")
        assert page.evaluate(WIDER_THAN_VIEWPORT) == [], code
        gap = page.locator("td.phone-first").first  # a dimension's gap, first on a phone
        if gap.count():
            box = gap.bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 360, code
            shown += 1
    assert shown, "no owned account with enough answers to show its gaps"
    assert errors == [], errors
    context.close()


def test_the_accounts_list_fits_a_desktop_without_sideways_scrolling(server, browser):
    context, page, errors = _page(browser, server, 0, 1280)
    for lang in ("zh", "en"):
        page.goto(f"{server['base']}/accounts?lang={lang}")
        assert page.evaluate(WIDER_THAN_VIEWPORT) == [], lang
    assert errors == [], errors
    context.close()
