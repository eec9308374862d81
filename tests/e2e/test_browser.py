"""In Chromium, as contacts and a manager would: answer a survey page by page on a phone,
resume it on another device, submit it twice and press Back; check the pages with axe-core
on a phone screen; the account's manager reads the scorecard and downloads the workbook."""

import hashlib
import io
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from tests.e2e.conftest import owned_accounts

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
SERIOUS = ("serious", "critical")


def _invitation_sql(select):
    # the invitation of a link: derived tokens store "salt$sha256[:48]", older ones sha256
    return (f"SELECT {select} FROM invitations i WHERE i.token_hash IN "
            "(:plain, :derived)")


def _invitation_rows(database_url, link, select):
    token = link.rsplit("/", 1)[1]
    digest = hashlib.sha256(token.encode()).hexdigest()
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text(_invitation_sql(select)),
                            {"plain": digest, "derived": token[:15] + "$" + digest[:48]}).all()
    engine.dispose()
    return rows


def _account_of(database_url, link):
    rows = _invitation_rows(
        database_url, link,
        "(SELECT a.code FROM contacts c JOIN accounts a ON a.id = c.account_id "
        "WHERE c.id = i.contact_id)")
    return rows[0][0]


def _responses_of(database_url, link):
    rows = _invitation_rows(database_url, link,
                            "(SELECT count(*) FROM responses r WHERE r.invitation_id = i.id)")
    return rows[0][0]


def _answer_page(page, pick=None):
    """Tap a label on every radio group of the page, share the points, write a comment."""
    names = page.eval_on_selector_all(
        "input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    touch = page.evaluate("navigator.maxTouchPoints > 0")
    for name in names:
        radios = page.locator(f'input[name="{name}"]:not([value="na"])')
        choice = pick(name, radios.count()) if pick else radios.count() // 2
        label = page.locator(f'label[for="{radios.nth(choice).get_attribute("id")}"]')
        label.tap() if touch else label.click()
    boxes = page.locator("input.points")
    for k in range(boxes.count()):
        boxes.nth(k).fill(str([40, 20, 20, 10, 10][k] if boxes.count() == 5 else 0))
    for k in range(page.locator("textarea").count()):
        page.locator("textarea").nth(k).fill("交货期需要更稳定。")
    return names


def _progress(page):
    return page.locator("#progress-label").inner_text()


def _next(page):
    with page.expect_navigation():
        page.locator("button[value=next]").click()


def test_contact_fills_survey_on_a_phone_and_manager_sees_it(server, browser, tmp_path):
    link = server["links"][0]
    phone = browser.new_page(**PHONE)
    phone.goto(link)
    assert phone.locator("h1").first.inner_text().startswith(("服务质量调查",
                                                              "Service quality survey"))
    # keyboard: a focused radio group answers to the arrow keys
    first = phone.locator('input[name="sq01-e"]').first
    first.focus()
    phone.keyboard.press("Space")
    phone.keyboard.press("ArrowRight")
    assert phone.locator('input[name="sq01-e"]:checked').get_attribute("value") == "2"
    # switching language mid-page keeps the answers (a copy kept in the browser)
    phone.get_by_role("link", name="English").click()
    phone.wait_for_url("**lang=en**")
    assert phone.locator("h1").first.inner_text().startswith("Service quality survey")
    assert phone.locator('input[name="sq01-e"]:checked').get_attribute("value") == "2"
    # Next with gaps shows the problems beside the fields, with a jump to the first
    _next(phone)
    assert phone.locator(".field-error").count() > 0
    assert phone.evaluate("document.activeElement.className") == "error-summary"
    phone.locator(".error-summary a.jump").click()
    assert phone.evaluate("window.location.hash") == "#first-error"
    seen = []
    for _page in range(10):
        seen += _answer_page(phone, lambda name, n: 5 if name.endswith("-e") else n // 2)
        last = phone.locator("button.submit").count() == 1
        if last:
            phone.screenshot(path=str(server["folder"] / "survey-phone.png"))
        _next(phone)
        if last:
            break
    phone.wait_for_url("**/thanks**")
    assert phone.locator("h1").inner_text() in ("谢谢！", "Thank you!")
    # the demo wave asks SERVQUAL (22 items × E and P), satisfaction (27) and loyalty (10)
    assert len(seen) == 44 + 27 + 10

    # the link now only says the answers were received
    phone.goto(link)
    assert phone.locator("h1").inner_text() in ("您的答卷已收到",
                                                "Your answers were already received")

    # the account's own manager reads it (each demo manager owns half the accounts)
    code = _account_of(server["database_url"], link)
    email, password = next((e, p) for role, e, p in server["logins"] if role == "manager"
                           and code in owned_accounts(server["database_url"], e))
    desk = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    desk.goto(server["base"] + "/accounts?lang=en")
    desk.fill("input[name=email]", email)
    desk.fill("input[name=password]", password)
    desk.locator("button[type=submit]").click()
    desk.wait_for_url("**/accounts**")
    desk.locator(f"a[href*='/accounts/{code}']").click()
    assert desk.locator("h2", has_text="Service gaps").count() == 1
    deadline = time.monotonic() + 60  # the worker scores the new answer in the background
    while True:
        found = desk.locator("td", has_text="交货期需要更稳定").count() + desk.locator(
            "li", has_text="交货期需要更稳定").count()
        if found or time.monotonic() > deadline:
            break
        time.sleep(2)
        desk.reload()
    assert found >= 1
    desk.screenshot(path=str(server["folder"] / "scorecard.png"), full_page=True)

    desk.goto(server["base"] + "/accounts")
    with desk.expect_download() as download_info:
        desk.get_by_role("link", name="Download Excel").click()
    path = tmp_path / "export.xlsx"
    download_info.value.save_as(path)
    book = load_workbook(io.BytesIO(path.read_bytes()))
    assert book.sheetnames[:2] == ["Summary", "Accounts"]  # the page's language: English
    ws = book["Accounts"]
    owned = owned_accounts(server["database_url"], email)
    others = {c for role, e, _p in server["logins"] if role == "manager" and e != email
              for c in owned_accounts(server["database_url"], e)}
    column = [ws.cell(row=r, column=1).value for r in range(5, ws.max_row + 1)]
    # the manager's workbook holds their accounts, every one, and no other manager's
    assert code in column and sorted(column[:len(owned)]) == owned
    assert others and not others & set(column)


def test_half_answered_resumed_on_another_device_submitted_twice_then_back(server, browser):
    link = server["links"][1]
    # the phone answers the first half (two of four pages), then its browser is closed
    phone = browser.new_context(**PHONE)
    tab = phone.new_page()
    tab.goto(link)
    assert _progress(tab) in ("第 1 页，共 4 页", "Page 1 of 4")
    expectations = _answer_page(tab, lambda name, n: 6)
    _next(tab)
    perceptions = _answer_page(tab, lambda name, n: 2)
    _next(tab)
    assert "3" in _progress(tab)
    phone.close()

    # another device, with nothing in its browser: it opens where the phone stopped
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = desk.new_page()
    tab.goto(link + "?lang=en")
    assert _progress(tab) == "Page 3 of 4"
    with tab.expect_navigation():
        tab.locator("button[value=back]").click()
    assert _progress(tab) == "Page 2 of 4"
    for name in perceptions:
        assert tab.locator(f'input[name="{name}"]:checked').get_attribute("value") == "3"
    assert tab.locator("textarea").input_value() == "交货期需要更稳定。"
    assert len(expectations) == 22
    _next(tab)
    _answer_page(tab)
    _next(tab)
    assert _progress(tab) == "Page 4 of 4"
    _answer_page(tab)
    # a second tab holds the last page too, as a forgotten one would
    other = desk.new_page()
    other.goto(link + "?lang=en&page=3")
    _answer_page(other)
    # a double click on submit, then the other tab submits as well
    tab.locator("button.submit").dblclick()
    tab.wait_for_url("**/thanks**")
    assert tab.locator("h1").inner_text() == "Thank you!"
    with other.expect_navigation():
        other.locator("button.submit").click()
    assert other.locator("h1").inner_text() == "Your answers were already received"
    assert _responses_of(server["database_url"], link) == 1
    # Back after submitting: the server answers, and no answer returns to the browser
    tab.go_back(wait_until="load")
    assert tab.locator("h1").inner_text() == "Your answers were already received"
    assert tab.locator("input[type=radio]").count() == 0
    stored = tab.evaluate("Object.keys(window.localStorage).filter(k => k.startsWith("
                          "'survey-draft:'))")
    assert stored == []
    assert _responses_of(server["database_url"], link) == 1
    desk.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_survey_pages_have_no_serious_accessibility_violation_on_a_phone(server, browser,
                                                                         lang):
    from axe_playwright_python.sync_playwright import Axe

    link = server["links"][2]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    axe = Axe()
    problems = {}
    for number in range(4):
        page.goto(f"{link}?lang={lang}&page={number}")
        # no scale may wrap onto a second line, nor the page scroll sideways
        assert page.evaluate("""() => [...document.querySelectorAll('div.points')].every(row => {
            const points = row.querySelectorAll('.point');
            return points[0].getBoundingClientRect().top
                === points[points.length - 1].getBoundingClientRect().top; })""")
        assert page.evaluate("document.documentElement.scrollWidth <= "
                             "document.documentElement.clientWidth")
        violations = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], len(v["nodes"])) for v in violations
                   if v["impact"] in SERIOUS]
        if serious:
            problems[number] = serious
        page.screenshot(path=str(server["folder"] / f"axe-{lang}-{number}.png"))
    assert problems == {}
    context.close()
