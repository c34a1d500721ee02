"""The one-stop desk end to end in a real browser (Debian's Chromium through Playwright), keyboard first: the
officer scans the package that reached the desk, ticks the documents, accepts the dossier (its code and due date
appear, with form 01 to print) and assigns it; the processor finds it in their inbox and records the result; the
officer hands the result to the post (a result package with its S10 id, to put on a manifest).

Skipped, saying so, where no Chromium is installed (`.ci/run` installs it)."""

import shutil

import pytest
from django.utils import timezone

from accounts.models import Role
from custody import services as custody
from dossiers.models import Dossier
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


@pytest.mark.django_db(transaction=True)
def test_package_to_result_at_the_desk(page, live_server, make_intake, intake_world, ag_postman, tmp_path):
    officer = make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])
    processor = make_user("processor", Role.AGENCY_PROCESSOR, agency=intake_world["agency"])
    dossier = make_intake()
    item_id = dossier.outbound_item.item_id
    clerk = intake_world["clerk"]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    custody.add_to_manifest(manifest, item_id, clerk)
    custody.close_manifest(manifest, "BK-SEAL-01", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    custody.receive_item(manifest, item_id, officer)
    custody.finish_receipt(manifest, officer)

    # The officer's queue lists the package; the scanner types its id and Enter into the focused box.
    log_in(page, live_server, "centre_officer")
    page.goto(f"{live_server.url}/mot-cua/")
    assert dossier.display_tracking_code in page.inner_text("#to-decide")
    page.screenshot(path=str(tmp_path / "onestop_desk.png"), full_page=True)
    assert focused_id(page) == "id_q"
    page.keyboard.type(item_id)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"/mot-cua/{dossier.tracking_code}/" in page.url
    assert page.inner_text("#package-id") == item_id
    assert page.evaluate("document.activeElement.closest('#act-accept') !== null")  # Enter would accept

    # The officer's own check: a tick per document.
    boxes = page.locator("input.doc-check").all()
    assert len(boxes) == dossier.checklist.count() == 3
    assert "0/3" in page.inner_text("#check-summary")
    for box in boxes:
        box.check()
    assert "3/3" in page.inner_text("#check-summary")

    # Accept: the code and the appointment appear, with form 01 to print.
    with page.expect_navigation():
        page.click("#act-accept button[type=submit]")
    fresh = Dossier.objects.get(pk=dossier.pk)
    due = timezone.localtime(fresh.due_at).strftime("%d/%m/%Y %H:%M")
    assert fresh.status == "accepted" and fresh.code
    assert page.inner_text("#dossier-code") == fresh.code and page.inner_text("#due-at") == due
    messages = page.inner_text(".messages")
    assert fresh.code in messages and due in messages
    assert page.inner_text("#status") == "Đã tiếp nhận, hẹn trả kết quả"
    if page.locator('a[data-form="onestop:form_01"]').count():
        href = page.get_attribute('a[data-form="onestop:form_01"]', "href")
        assert page.request.get(f"{live_server.url}{href}").headers["content-type"] == "application/pdf"

    # Assign it to the processor for two working days (the focus waits on the receiver).
    assert focused_id(page) == "id_hand_off-to_user"
    page.select_option("#id_hand_off-to_user", str(processor.pk))
    page.fill("#id_hand_off-task", "Thẩm định hồ sơ")
    page.fill("#id_hand_off-days", "2")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Đang giải quyết" in page.inner_text("#status")
    assert "Thẩm định hồ sơ" in page.inner_text("#steps")
    page.screenshot(path=str(tmp_path / "onestop_dossier.png"), full_page=True)

    # The processor finds it in their inbox and records the result.
    log_in(page, live_server, "processor")
    page.goto(f"{live_server.url}/mot-cua/cua-toi/")
    with page.expect_navigation():
        page.click(f"#inbox a:has-text('{fresh.code}')")
    assert page.locator("#act-accept").count() == 0
    assert focused_id(page) == "id_result-reference"
    page.keyboard.type("123/2025/GKS")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "123/2025/GKS" in page.inner_text("#result-reference")
    assert page.inner_text("#status") == "Đã có kết quả"
    assert "Đúng hạn" in page.inner_text(".statusline")

    # The officer hands the result to the post: a sealed result package with its S10 id.
    log_in(page, live_server, "centre_officer")
    page.goto(f"{live_server.url}/mot-cua/")
    assert fresh.code in page.inner_text("#results")
    page.goto(f"{live_server.url}/mot-cua/{dossier.tracking_code}/")
    page.fill("#id_hand_result-seal_numbers", "KQ0000123")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    result = Dossier.objects.get(pk=dossier.pk).items.get(kind="result")
    assert page.inner_text("#result-item-id") == result.item_id and result.item_id.startswith("EK")
    assert result.item_id in page.inner_text(".messages")
    assert page.inner_text("#dossier-code") == fresh.code and page.inner_text("#due-at") == due
    page.screenshot(path=str(tmp_path / "onestop_result.png"), full_page=True)
    if page.locator("#open-manifest-link").count():
        with page.expect_navigation():
            page.click("#open-manifest-link")
        assert "/buu-gui/bang-ke/" in page.url


@pytest.mark.django_db(transaction=True)
def test_a_refusal_is_explained_next_to_its_form(page, live_server, make_intake, intake_world, ag_postman):
    officer = make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])
    dossier = make_intake()
    log_in(page, live_server, "centre_officer")
    page.goto(f"{live_server.url}/mot-cua/{dossier.tracking_code}/")
    # The package is still at the post office: accepting is refused in both languages, nothing changes.
    with page.expect_navigation():
        page.click("#act-accept button[type=submit]")
    error = page.inner_text("#act-accept .form-errors")
    assert "chưa được nhận tại Bộ phận Một cửa" in error and "has not been received" in error
    assert Dossier.objects.get(pk=dossier.pk).status == "received"
    # A refusal needs a reason of ten characters: the message stands by the reason and keeps the focus.
    page.fill("#id_refuse-reason", "ngắn")
    with page.expect_navigation():
        page.click("#act-refuse button[type=submit]")
    assert "ít nhất 10 ký tự" in page.inner_text("#act-refuse")
    assert focused_id(page) == "id_refuse-reason"
    assert Dossier.objects.get(pk=dossier.pk).status == "received" and officer.pk
