"""The public tracking page on a phone (360 × 740), in headless Chromium: look up, read, check the phone digits.

Skipped, saying so, where no Chromium is installed."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: browser tests skipped "
                                                "(apt-get install chromium)"),
]
PHONE = {"width": 360, "height": 740}


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"tracking-browser-{request.node.nodeid}"}}


@pytest.fixture
def phone_page(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True,
                                      device_scale_factor=2)
        yield context.new_page()
        browser.close()


def fits(page) -> bool:
    """Nothing wider than the screen: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.django_db(transaction=True)
def test_citizen_follows_a_dossier_on_a_phone(phone_page, live_server, make_intake, tmp_path):
    page = phone_page
    dossier = make_intake()
    code = dossier.tracking_code
    page.goto(f"{live_server.url}/tra-cuu/")
    assert page.evaluate("document.activeElement.id") == "trk-code"  # ready to type
    assert page.get_attribute('meta[name="robots"]', "content") == "noindex, nofollow"
    page.keyboard.type(f"{code[:4].lower()} {code[4:8]}-{code[8:]}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    status = page.inner_text("#trk-status-title")
    assert status == "Bưu điện Bưu cục Long Xuyên đã nhận hồ sơ"
    body = page.inner_text("main")
    assert dossier.display_tracking_code in body and "N. T. L." in body and "Đăng ký khai sinh" in body
    assert "Nguyễn Thị Lan" not in body and "Hai Bà Trưng" not in body
    assert fits(page)
    page.screenshot(path=str(tmp_path / "tracking_public.png"), full_page=True)

    page.fill("#trk-phone", "1234")
    with page.expect_navigation():
        page.press("#trk-phone", "Enter")
    assert "không khớp" in page.inner_text("[role=alert]")
    assert "Nguyễn Thị Lan" not in page.inner_text("main")
    page.fill("#trk-phone", "5678")
    with page.expect_navigation():
        page.press("#trk-phone", "Enter")
    body = page.inner_text("main")
    assert "Thông tin đã xác minh" in body and "Nguyễn Thị Lan" in body and "12 Hai Bà Trưng" in body
    assert dossier.outbound_item.item_id in body and "25.000 đ" in body
    assert "0912345678" not in body and "5678" not in page.url  # the digits never go into the address
    assert fits(page)
    page.screenshot(path=str(tmp_path / "tracking_verified.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_mistyped_item_id_is_explained(phone_page, live_server, make_intake):
    page = phone_page
    item_id = make_intake().outbound_item.item_id
    wrong = item_id[:10] + str((int(item_id[10]) + 1) % 10) + "VN"
    page.goto(f"{live_server.url}/tra-cuu/?ma={wrong}")
    alert = page.inner_text("[role=alert]")
    assert "sai số kiểm tra" in alert and "wrong check digit" in alert
    assert page.get_attribute("#trk-code", "aria-invalid") == "true"
    assert fits(page)
