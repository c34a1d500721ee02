"""The pages that matter, in a real browser: Debian's Chromium driven by Playwright.

Skipped, saying so, where no Chromium is installed (`.ci/run` installs it)."""

import shutil

import pytest

from tests.conftest import PASSWORD

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
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
        yield context.new_page()
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_clerk_logs_in_and_sees_only_their_post_office(page, live_server, ag_clerk, qn_post_office, tmp_path):
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "an_clerk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert "Xin chào" in page.inner_text("h1")
    page.click("text=Bưu cục")
    page.wait_for_selector("table")
    body = page.inner_text("main")
    assert "Bưu cục Long Xuyên" in body and "Kon Tum" not in body
    page.screenshot(path=str(tmp_path / "post_offices.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_wrong_password_is_explained_in_vietnamese_and_english(page, live_server, ag_clerk):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "an_clerk")
    page.fill("#id_password", "sai-mat-khau")
    page.click("button[type=submit]")
    alert = page.inner_text("[role=alert]")
    assert "không đúng" in alert and "Wrong username or password" in alert


@pytest.mark.django_db(transaction=True)
def test_language_switch_to_english(page, live_server, ag_clerk):
    page.goto(f"{live_server.url}/login/")
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    assert page.get_attribute("html", "lang") == "en"
