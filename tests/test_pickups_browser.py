"""The pickup pages in a real browser (Chromium through Playwright): the public form with its htmx pickers and
the SMS code, and the postman's screens at 360 px wide. Skipped where no Chromium is installed."""

import re
import shutil

import pytest

from notifications.models import Notification
from pickups import services
from pickups.models import PickupRequest
from tests.conftest import PASSWORD
from tests.test_pickups import _outbox_in_tmp, make_pickup, working_day  # noqa: F401 - shared fixtures

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: browser tests skipped "
                                                "(apt-get install chromium)"),
]


@pytest.fixture
def phone(monkeypatch):
    """A page 360 px wide, like the postman's phone."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"])
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", has_touch=True)
        yield context.new_page()
        browser.close()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_citizen_requests_a_pickup_with_the_sms_code(phone, live_server, intake_world, settings, tmp_path):
    settings.NOTIFY_OUTBOX_DIR = tmp_path / "outbox"
    page = phone
    page.goto(f"{live_server.url}/dat-lich-thu-gom/")
    assert fits(page)
    page.fill("#id_contact_name", "Lê Thị Hoa")
    page.fill("#id_phone", "0912345678")
    page.fill("#id_commune_q", "my hoa")
    page.wait_for_selector("#commune-choices input[value='30313']")
    page.check("#commune-choices input[value='30313']")
    page.fill("#id_street", "12 Hai Bà Trưng")
    page.fill("#id_procedure_q", "khai sinh")
    page.wait_for_selector("#procedure-choices input[value='1.001612']")
    page.check("#procedure-choices input[value='1.001612']")
    page.fill("#id_preferred_date", working_day().isoformat())
    page.check("input[name=window][value=afternoon]")
    assert fits(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#id_code")
    assert "/xac-nhan/" in page.url and fits(page)
    body = Notification.objects.get(template_key="pickup_otp").body
    page.fill("#id_code", re.match(r"(\d{6})", body).group(1))
    page.click("button[accesskey=s]")
    page.wait_for_selector(".big-code")
    pickup = PickupRequest.objects.get()
    assert page.inner_text(".big-code") == pickup.display_code
    assert pickup.channel == "web" and pickup.phone_verified_at is not None


@pytest.mark.django_db(transaction=True)
def test_postman_screens_fit_a_360_px_phone(phone, live_server, make_pickup, ag_manager, ag_postman):  # noqa: F811
    pickup = services.assign_pickup(make_pickup(), ag_postman, ag_manager)
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "an_postman")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    page.goto(f"{live_server.url}/thu-gom/cua-toi/")
    assert pickup.display_code in page.inner_text("main") and fits(page)
    assert page.get_attribute("a.call", "href") == f"tel:{pickup.phone}"
    page.click("text=Bắt đầu thu gom")
    page.wait_for_selector("ol.checklist")
    assert fits(page)
    box = page.locator("button[accesskey=s]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["height"] >= 40  # a thumb-sized button
