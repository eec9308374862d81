"""In Chromium, as a contact and a manager would: fill the survey on a phone, read the
scorecard, download the workbook."""

import hashlib
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.e2e


def _account_of(database_url, link):
    token = link.rsplit("/", 1)[1]
    digest = hashlib.sha256(token.encode()).hexdigest()
    engine = create_engine(database_url)
    with engine.connect() as conn:
        code = conn.execute(text(
            "SELECT a.code FROM invitations i JOIN contacts c ON c.id = i.contact_id "
            "JOIN accounts a ON a.id = c.account_id WHERE i.token_hash = :h"), {"h": digest}
        ).scalar_one()
    engine.dispose()
    return code


def test_contact_fills_survey_on_a_phone_and_manager_sees_it(server, browser, tmp_path):
    link = server["links"][0]
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                             has_touch=True)
    phone.goto(link)
    assert phone.locator("h1").first.inner_text() in ("服务质量调查", "Service quality survey")
    # keyboard: a focused radio group answers to the arrow keys
    first = phone.locator('input[name="sq01-e"]').first
    first.focus()
    phone.keyboard.press("Space")
    phone.keyboard.press("ArrowRight")
    assert phone.locator('input[name="sq01-e"]:checked').get_attribute("value") == "2"
    # switching language mid-survey keeps the answers (a draft kept in the browser)
    phone.get_by_role("link", name="English").click()
    phone.wait_for_url("**lang=en**")
    assert phone.locator("h1").first.inner_text() == "Service quality survey"
    assert phone.locator('input[name="sq01-e"]:checked').get_attribute("value") == "2"
    # submitting with gaps shows the problems beside the fields, with a jump to the first
    phone.locator("button[type=submit]").click()
    assert phone.locator(".field-error").count() > 0
    assert phone.evaluate("document.activeElement.className") == "error-summary"
    phone.locator(".error-summary a.jump").click()
    assert phone.evaluate("window.location.hash") == "#first-error"
    names = phone.eval_on_selector_all(
        "input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    # the demo wave asks SERVQUAL (22 items × E and P), satisfaction (27) and loyalty (10)
    assert len(names) == 44 + 27 + 10
    for name in names:
        radios = phone.locator(f'input[name="{name}"]')
        pick = radios.nth(5) if name.endswith("-e") else radios.nth(radios.count() // 2)
        phone.locator(f'label[for="{pick.get_attribute("id")}"]').tap()
    boxes = phone.locator("input.points")
    for k, points in enumerate([40, 20, 20, 10, 10]):
        boxes.nth(k).fill(str(points))
    assert phone.locator(".points-total output").inner_text() == "100"
    phone.locator("textarea").first.fill("交货期需要更稳定。")
    phone.screenshot(path=str(server["folder"] / "survey-phone.png"))
    phone.locator("button[type=submit]").click()
    phone.wait_for_url("**/thanks**")
    assert phone.locator("h1").inner_text() in ("谢谢！", "Thank you!")

    # the link now only says the answers were received; a resubmission stores nothing
    phone.goto(link)
    assert phone.locator("h1").inner_text() in ("您的答卷已收到",
                                                "Your answers were already received")

    desk = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    desk.goto(server["base"] + "/accounts?lang=en")
    desk.fill("input[name=email]", server["email"])
    desk.fill("input[name=password]", server["password"])
    desk.locator("button[type=submit]").click()
    desk.wait_for_url("**/accounts**")
    code = _account_of(server["database_url"], link)
    desk.locator(f"a[href*='/accounts/{code}']").click()
    assert desk.locator("h2", has_text="Service gaps").count() == 1
    assert desk.locator("td", has_text="交货期需要更稳定").count() + desk.locator(
        "li", has_text="交货期需要更稳定").count() >= 1
    desk.screenshot(path=str(server["folder"] / "scorecard.png"), full_page=True)

    desk.goto(server["base"] + "/accounts")
    with desk.expect_download() as download_info:
        desk.get_by_role("link", name="Download Excel").click()
    path = tmp_path / "export.xlsx"
    download_info.value.save_as(path)
    ws = load_workbook(io.BytesIO(path.read_bytes())).active
    codes = [ws.cell(row=r, column=1).value for r in range(5, ws.max_row + 1)]
    assert code in codes and len(codes) >= 30
