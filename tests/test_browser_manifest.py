"""A manifest end to end in a real browser (Debian's Chromium through Playwright), keyboard first: the clerk
opens a manifest for the desk, scans two packages (a scanner types the id and Enter; a wrong check digit is
refused in both languages and the box is cleared and keeps the focus), seals and dispatches it; the desk
officer scans one package in and confirms the receipt: the other is missing and has an incident.

Skipped, saying so, where no Chromium is installed (`.ci/run` installs it)."""

import shutil

import pytest

from accounts.models import Role
from custody.models import Incident, Manifest
from tests.conftest import PASSWORD, make_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: browser tests skipped "
                                                "(apt-get install chromium)"),
]


@pytest.fixture
def page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # test itself are safe here because they do not run concurrently with it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def log_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def scan(page, item_id: str) -> str:
    """Type the id and Enter into the focused scan box, as a scanner does; the answer's text."""
    assert focused_id(page) == "scan_item_id"
    done = page.locator("#scan-log li").count()
    page.keyboard.type(item_id)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#scan-log li').length > {done}")
    return page.inner_text("#scan-feedback")


@pytest.mark.django_db(transaction=True)
def test_manifest_from_counter_to_desk(page, live_server, make_intake, intake_world, ag_postman, tmp_path):
    make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])
    first, second = make_intake(), make_intake()
    a, b = first.outbound_item.item_id, second.outbound_item.item_id
    desk = intake_world["desk"]

    # The clerk opens a manifest for the desk.
    log_in(page, live_server, "an_clerk")
    page.goto(f"{live_server.url}/buu-gui/bang-ke/")
    page.select_option("#id_destination", f"desk:{desk.pk}")
    with page.expect_navigation():
        page.click("#open-manifest button[type=submit]")
    code = page.get_attribute("#manifest", "data-code")
    assert code and "Đang lập" in page.inner_text("#manifest-status")

    # Scan: the box has the focus; each id + Enter adds the package at once.
    assert focused_id(page) == "scan_item_id"
    assert "Đã thêm" in scan(page, a)
    wrong = a[:10] + str((int(a[10]) + 1) % 10) + a[11:]
    answer = scan(page, wrong)
    assert "sai số kiểm tra" in answer and "wrong check digit" in answer
    assert page.get_attribute("#scan-feedback", "role") == "alert"
    assert "flash" in page.get_attribute("#scan-feedback", "class")
    assert page.input_value("#scan_item_id") == "" and focused_id(page) == "scan_item_id"
    assert "Đã thêm" in scan(page, b.lower())
    assert page.inner_text("#count-total") == "2"
    # A fast scanner does not wait for the answers: nothing typed is lost, every scan is answered in the log.
    page.keyboard.type(a)
    page.keyboard.press("Enter")
    page.keyboard.type(b)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#scan-log li').length >= 5")
    log = page.inner_text("#scan-log")
    assert log.count("already on this") == 2, log
    assert page.inner_text("#count-total") == "2" and focused_id(page) == "scan_item_id"
    rows = page.inner_text("#lines")
    assert a in rows and b in rows and first.display_tracking_code in rows
    page.screenshot(path=str(tmp_path / "manifest_scanning.png"), full_page=True)

    # Seal, then dispatch with the postman.
    page.fill("#id_seal_number", "BK-0001")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Đã niêm phong" in page.inner_text("#manifest-status")
    page.select_option("#id_courier", str(ag_postman.pk))
    page.fill("#id_location", "Quầy 1")
    with page.expect_navigation():
        page.click("#dispatch-manifest")
    assert "Đang vận chuyển" in page.inner_text("#manifest-status")
    assert "An_Postman" in page.inner_text("#confirm-courier")

    # The desk officer receives one package by scanning it and confirms: the other is missing.
    log_in(page, live_server, "centre_officer")
    page.goto(f"{live_server.url}/buu-gui/bang-ke/")
    assert code in page.inner_text("#incoming")
    with page.expect_navigation():
        page.click(f"#incoming a:has-text('{code}')")
    assert focused_id(page) == "scan_item_id"
    assert "Đã nhận" in scan(page, a)
    assert page.inner_text("#count-arrived") == "1" and page.inner_text("#count-pending") == "1"
    page.fill("#id_location", "Quầy tiếp nhận")
    with page.expect_navigation():
        page.click("#finish-manifest")
    assert "Đã nhận, có sai lệch" in page.inner_text("#manifest-status")
    assert b in page.inner_text("#missing")
    incidents = page.inner_text("#incidents")
    assert b in incidents and "Thiếu so với bảng kê" in incidents
    assert "Centre_Officer" in page.inner_text("#confirm-receiver") and "An_Clerk" in page.inner_text(
        "#confirm-sender")
    page.screenshot(path=str(tmp_path / "manifest_received.png"), full_page=True)
    assert Manifest.objects.get(code=code).status == "discrepancies"
    assert Incident.objects.get(item__item_id=b).reason == "missing"
