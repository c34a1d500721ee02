"""The counter clerk's screens: the intake page (POST, errors, refusals, missing documents, override),
its htmx partials, the dossier page (print links, cancel, audit), the list (filters, scope)."""

import datetime
import re
import uuid

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from dossiers.models import ChecklistLine, Dossier
from postal import s10
from postal.models import FreeProgramme, Item, Receipt
from tests.conftest import make_user

INTAKE = "/ho-so/tiep-nhan/"


def counts():
    return (Dossier.objects.count(), Item.objects.count(), Receipt.objects.count(), ChecklistLine.objects.count(),
            AuditEvent.objects.count())


def post_data(world, **overrides):
    """A complete, valid intake form (birth registration, choice 3, everything counted)."""
    data = {
        "submission_key": uuid.uuid4().hex, "service_choice": "3", "procedure_code": "1.001612",
        "applicant_kind": "person", "applicant_name": "Nguyễn Thị Lan", "applicant_id_number": "089195000123",
        "applicant_phone": "0912345678", "applicant_email": "lan@example.vn", "return_street": "12 Hai Bà Trưng",
        "return_commune": str(world["my_hoa"].pk), "seal_numbers": "NP0001234", "weight_grams": "",
        "item_id": "", "payment_method": "cash", "payment_reference": "",
    }
    for doc in world["birth"].documents.all():
        data[f"doc_{doc.pk}_count"] = str(doc.count if doc.mandatory else 0)
        data[f"doc_{doc.pk}_kind"] = doc.kind
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def docs(world):
    return list(world["birth"].documents.all())


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def clerk_client(client, intake_world):
    client.force_login(intake_world["clerk"])
    return client


# --- Access ---------------------------------------------------------------------------------------------


def test_anonymous_goes_to_login(client, intake_world):
    response = client.get(INTAKE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = client.get(reverse("dossiers:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("url_name", ["dossiers:intake", "dossiers:procedure_search", "dossiers:procedure_panel",
                                      "dossiers:quote", "dossiers:item_id_check", "dossiers:address_resolve"])
def test_one_stop_officer_has_no_intake(client, intake_world, ag_officer, url_name):
    client.force_login(ag_officer)
    response = client.get(reverse(url_name))
    assert response.status_code == 403
    assert "không tiếp nhận hồ sơ" in text_of(response)
    before = counts()
    response = client.post(INTAKE, post_data(intake_world))
    assert response.status_code == 403 and counts() == before


def test_provincial_admin_and_call_centre_have_no_intake(client, intake_world, ag_admin, ag_call_centre):
    for user in (ag_admin, ag_call_centre):
        client.force_login(user)
        assert client.get(INTAKE).status_code == 403


def test_intake_page_is_keyboard_ready(clerk_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = clerk_client.get(INTAKE)
    assert response.status_code == 200
    html = text_of(response)
    # The procedure search has the focus; submit has Alt+S; the service choices are 1/2/3 (3 preselected).
    assert re.search(r'<input id="procedure-q"[^>]*autofocus', html, re.S)
    assert 'accesskey="s"' in html and 'accesskey="p"' in html
    assert re.search(r'name="service_choice" value="3" checked', html)
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"', html)
    assert key, "a fresh submission key is in the form"
    assert 'name="submission_key" value="' + key.group(1) not in text_of(clerk_client.get(INTAKE))
    assert "htmx" in html and "dossiers/intake.js" in html


# --- Taking a dossier in ------------------------------------------------------------------------------------


def test_full_post_creates_one_dossier_and_redirects(clerk_client, intake_world):
    response = clerk_client.post(INTAKE, post_data(intake_world, weight_grams="350", payment_method="transfer",
                                                   payment_reference="FT2607"))
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert response["Location"] == reverse("dossiers:detail", args=[dossier.tracking_code])
    assert dossier.service_choice == 3 and dossier.applicant_name == "Nguyễn Thị Lan"
    assert dossier.return_commune == intake_world["my_hoa"] and dossier.weight_grams == 350
    assert dossier.received_by == intake_world["clerk"] and dossier.post_office == intake_world["post_office"]
    assert [line.brought_count for line in dossier.checklist.all()] == [1, 1, 0]
    item = dossier.outbound_item
    assert item.seal_numbers == ["NP0001234"] and s10.is_valid(item.item_id)
    receipt = dossier.receipts.get()
    assert receipt.method == "transfer" and receipt.payment_reference == "FT2607"

    page = clerk_client.get(response["Location"])
    html = text_of(page)
    assert page.status_code == 200 and dossier.display_tracking_code in html
    assert "Đã tiếp nhận hồ sơ" in html and item.item_id in html and "NP0001234" in html


def test_double_post_with_the_same_key_creates_one_dossier(clerk_client, intake_world):
    data = post_data(intake_world)
    first = clerk_client.post(INTAKE, data)
    second = clerk_client.post(INTAKE, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Dossier.objects.count() == 1 and Item.objects.count() == 1 and Receipt.objects.count() == 1
    assert "đã được gửi" in text_of(clerk_client.get(second["Location"]))
    # A new form (new key) is a new dossier.
    assert clerk_client.post(INTAKE, post_data(intake_world)).status_code == 302
    assert Dossier.objects.count() == 2


def test_receive_only_needs_external_code_no_checklist_or_seal(clerk_client, intake_world):
    data = post_data(intake_world, service_choice="2", seal_numbers="", external_code="")
    response = clerk_client.post(INTAKE, data)
    assert response.status_code == 200 and Dossier.objects.count() == 0
    assert "Nhập mã hồ sơ đã nộp tại cơ quan" in text_of(response)
    data["external_code"] = "000.00.12.H01-250801-0001"
    response = clerk_client.post(INTAKE, data)
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.external_code == "000.00.12.H01-250801-0001" and not dossier.items.exists()


def test_organisation_applicant_with_tax_code(clerk_client, intake_world):
    response = clerk_client.post(INTAKE, post_data(intake_world, applicant_kind="organisation",
                                                   applicant_name="Công ty TNHH An Phú",
                                                   applicant_id_number="0100109106"))
    assert response.status_code == 302
    assert Dossier.objects.get().applicant_kind == "organisation"


def _error_near(html: str, field_id: str, message: str) -> bool:
    """The message is shown in the field's own block (between its input and the next field)."""
    start = html.find(f'id="{field_id}"')
    if start < 0:
        return False
    return message in html[start:start + 3000]


@pytest.mark.parametrize(("overrides", "field_id", "message"), [
    ({"applicant_id_number": "12345"}, "id_applicant_id_number", "12 chữ số"),
    ({"applicant_kind": "organisation", "applicant_id_number": "0100109107"}, "id_applicant_id_number",
     "Mã số thuế sai chữ số kiểm tra"),
    ({"applicant_phone": "0212345678"}, "id_applicant_phone", "Số di động gồm 10 chữ số"),
    ({"applicant_email": "lan@"}, "id_applicant_email", "Email không hợp lệ"),
    ({"applicant_name": "  "}, "id_applicant_name", "Nhập họ tên người nộp"),
    ({"return_street": ""}, "id_return_street", "Nhập số nhà, đường"),
    ({"return_commune": ""}, "id_return_commune", "Chọn xã/phường nhận kết quả"),
    ({"return_commune": "999999"}, "id_return_commune", "không tồn tại"),
    ({"seal_numbers": ""}, "id_seal_numbers", "Nhập số niêm phong"),
    ({"seal_numbers": "NP1\nx"}, "id_seal_numbers", "không hợp lệ"),
    ({"weight_grams": "abc"}, "id_weight_grams", "số gam"),
    ({"weight_grams": "50000"}, "id_weight_grams", "Khối lượng từ 1 đến 30 000 g"),
    ({"item_id": "RB123456786VN"}, "id_item_id", "sai số kiểm tra"),
    ({"payment_method": ""}, "payment-method", "Chọn hình thức thanh toán"),
    ({"service_choice": "7"}, "service-choice", "Chọn dịch vụ 1"),
    ({"procedure_code": "9.999999"}, "id_procedure_code", "Không có thủ tục mã"),
])
def test_each_bad_field_shows_its_error_and_writes_nothing(clerk_client, intake_world, overrides, field_id, message):
    before = counts()
    response = clerk_client.post(INTAKE, post_data(intake_world, **overrides))
    assert response.status_code == 200
    assert counts() == before
    html = text_of(response)
    assert 'id="error-summary"' in html and message in html
    assert _error_near(html, field_id, message), f"{message!r} is not shown next to {field_id}"
    # The form keeps what was typed and its submission key.
    assert 'value="Nguyễn Thị Lan"' in html or overrides.get("applicant_name") is not None or field_id in (
        "id_procedure_code", "service-choice")


def test_every_error_at_once(clerk_client, intake_world):
    first = docs(intake_world)[0]
    response = clerk_client.post(INTAKE, post_data(intake_world, applicant_id_number="1", applicant_phone="1",
                                                   seal_numbers="", weight_grams="x",
                                                   **{f"doc_{first.pk}_count": "abc"}))
    html = text_of(response)
    assert Dossier.objects.count() == 0
    for message in ("12 chữ số", "Số di động gồm 10 chữ số", "Nhập số niêm phong", "số gam", "Số bản là số nguyên"):
        assert message in html, message


def test_a_count_that_is_not_a_number_is_named(clerk_client, intake_world):
    first = docs(intake_world)[0]
    response = clerk_client.post(INTAKE, post_data(intake_world, **{f"doc_{first.pk}_count": "x"}))
    html = text_of(response)
    assert Dossier.objects.count() == 0
    assert _error_near(html, f"id_doc_{first.pk}_count", "Số bản là số nguyên từ 0 đến 99")


def test_used_item_id_is_refused(clerk_client, intake_world, make_intake):
    used = make_intake().outbound_item.item_id
    before = counts()
    response = clerk_client.post(INTAKE, post_data(intake_world, item_id=used))
    assert counts() == before and _error_near(text_of(response), "id_item_id", "đã được dùng")


def test_pre_printed_item_id_is_used(clerk_client, intake_world):
    item_id = s10.make("EH", 55_000_001)
    assert clerk_client.post(INTAKE, post_data(intake_world, item_id=item_id.lower())).status_code == 302
    assert Item.objects.get().item_id == item_id


def test_not_by_post_is_refused_with_reason_and_basis(clerk_client, intake_world):
    response = clerk_client.get(reverse("dossiers:procedure_panel"),
                                {"procedure_code": "1.000894", "service_choice": "3"})
    html = text_of(response)
    assert response.status_code == 200
    assert 'class="refusal" data-block-submit' in html
    assert "Hai bên nam, nữ phải có mặt" in html and "Quyết định số 2358/QĐ-UBND" in html
    before = counts()
    response = clerk_client.post(INTAKE, post_data(intake_world, procedure_code="1.000894"))
    html = text_of(response)
    assert response.status_code == 200 and counts() == before
    assert "không cho phép tiếp nhận hồ sơ thủ tục 1.000894" in html
    assert re.search(r'<button type="submit" id="intake-submit" accesskey="s" disabled', html)


def test_missing_document_blocks_a_clerk(clerk_client, intake_world):
    first = docs(intake_world)[0]
    data = post_data(intake_world, **{f"doc_{first.pk}_count": "0"}, override_reason="Công dân bổ sung sau")
    response = clerk_client.post(INTAKE, data)
    html = text_of(response)
    assert Dossier.objects.count() == 0
    assert "Còn thiếu — hướng dẫn công dân bổ sung:" in html and "Tờ khai đăng ký khai sinh (Bản chính × 1)" in html
    assert "Chỉ quản lý bưu cục" in html and 'name="override_reason"' not in html
    assert "Chỉ người được phân quyền" in html
    assert re.search(r'id="intake-submit" accesskey="s" disabled', html)


def test_a_photocopy_does_not_replace_an_original(clerk_client, intake_world):
    first = docs(intake_world)[0]
    response = clerk_client.get(reverse("dossiers:checklist_missing"), {
        "procedure_code": "1.001612", "service_choice": "3", f"doc_{first.pk}_count": "1",
        f"doc_{first.pk}_kind": "photocopy"})
    assert "Tờ khai đăng ký khai sinh (Bản chính × 1)" in text_of(response)


def test_manager_may_override_with_a_reason(client, intake_world, ag_manager):
    client.force_login(ag_manager)
    first = docs(intake_world)[0]
    data = post_data(intake_world, **{f"doc_{first.pk}_count": "0"})
    # The manager sees the reason field instead of the block.
    html = text_of(client.get(reverse("dossiers:checklist_missing"), data))
    assert 'name="override_reason"' in html and "data-block-submit" not in html
    # Without a reason: the checklist error; with a short one: the reason's error; nothing saved.
    response = client.post(INTAKE, data)
    assert Dossier.objects.count() == 0 and "Còn thiếu giấy tờ bắt buộc" in text_of(response)
    response = client.post(INTAKE, {**data, "override_reason": "gấp"})
    assert Dossier.objects.count() == 0 and _error_near(text_of(response), "id_override_reason", "ít nhất 10 ký tự")
    response = client.post(INTAKE, {**data, "override_reason": "Công dân ở xa, bổ sung tờ khai qua bưu điện"})
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.checklist_override_reason.startswith("Công dân ở xa") and dossier.checklist_override_by == ag_manager
    assert "Công dân ở xa" in text_of(client.get(response["Location"]))


# --- htmx partials --------------------------------------------------------------------------------------------


def test_procedure_search_by_code_and_name(clerk_client, intake_world, quang_ngai):
    url = reverse("dossiers:procedure_search")
    html = text_of(clerk_client.get(url, {"procedure_q": "1.0016"}, HTTP_HX_REQUEST="true"))
    assert 'data-value="1.001612"' in html and 'role="option"' in html and "1.000894" not in html
    html = text_of(clerk_client.get(url, {"procedure_q": "ket hon"}))
    assert 'data-value="1.000894"' in html and "không qua bưu chính" in html
    assert "Không tìm thấy thủ tục" in text_of(clerk_client.get(url, {"procedure_q": "xyz khong co"}))
    assert text_of(clerk_client.get(url, {"procedure_q": ""})).strip() == ""


def test_procedure_search_is_limited_to_the_province(clerk_client, intake_world, quang_ngai, qn_agency):
    from catalog.services import DocumentData, VersionData, save_version

    save_version(VersionData(code="2.000001", name="Thủ tục riêng Quảng Ngãi", field_code="HT", field_name="Hộ tịch",
                             level="provincial", agency_id=qn_agency.pk, processing_time=3, processing_unit="days",
                             receive_by_post=True, return_by_post=True,
                             documents=[DocumentData("Tờ khai", "original")]), quang_ngai)
    html = text_of(clerk_client.get(reverse("dossiers:procedure_search"), {"procedure_q": "2.000001"}))
    assert "data-value=\"2.000001\"" not in html and "Không tìm thấy" in html


def test_procedure_panel_shows_agency_desk_time_checklist_and_quote(clerk_client, intake_world,
                                                                    django_assert_max_num_queries):
    with django_assert_max_num_queries(18):
        response = clerk_client.get(reverse("dossiers:procedure_panel"),
                                    {"procedure_code": "1.001612", "service_choice": "3"}, HTTP_HX_REQUEST="true")
    html = text_of(response)
    assert response.status_code == 200
    assert "Sở Tư pháp tỉnh An Giang" in html and "MC-T91" in html and "3 ngày làm việc" in html
    for doc in docs(intake_world):
        assert doc.name in html and f'name="doc_{doc.pk}_count" value="0"' in html
    assert "Còn thiếu — hướng dẫn công dân bổ sung:" in html and "data-block-submit" in html
    assert 'id="quote" hx-swap-oob="innerHTML"' in html and "Lệ phí đăng ký khai sinh" in html
    # Counts already typed survive a refresh (e.g. the service choice changed).
    first = docs(intake_world)[0]
    html = text_of(clerk_client.get(reverse("dossiers:procedure_panel"), {
        "procedure_code": "1.001612", "service_choice": "1", f"doc_{first.pk}_count": "2"}))
    assert f'name="doc_{first.pk}_count" value="2"' in html
    assert "Không có thủ tục mã" in text_of(clerk_client.get(reverse("dossiers:procedure_panel"),
                                                              {"procedure_code": "9.9"}))


def test_receive_only_refused_when_return_not_by_post(clerk_client, intake_world):
    html = text_of(clerk_client.get(reverse("dossiers:procedure_panel"),
                                    {"procedure_code": "1.000894", "service_choice": "2"}))
    assert "không cho phép trả kết quả" in html and "data-block-submit" in html


def test_missing_box_clears_when_counted(clerk_client, intake_world):
    data = {"procedure_code": "1.001612", "service_choice": "3"}
    for doc in docs(intake_world):
        data[f"doc_{doc.pk}_count"] = "1" if doc.mandatory else "0"
    html = text_of(clerk_client.get(reverse("dossiers:checklist_missing"), data))
    assert "Đủ giấy tờ bắt buộc" in html and "data-block-submit" not in html
    # Receive only: nothing to count.
    html = text_of(clerk_client.get(reverse("dossiers:checklist_missing"), {**data, "service_choice": "2",
                                                                           **{k: "0" for k in data if k[:4] == "doc_"}}))
    assert "Còn thiếu" not in html


def test_quote_partial_zones_fees_total_and_free_programme(clerk_client, intake_world):
    url = reverse("dossiers:quote")
    html = text_of(clerk_client.get(url, {"procedure_code": "1.001612", "service_choice": "3",
                                          "return_commune": str(intake_world["my_hoa"].pk)}))
    assert "Nội xã/phường" in html and "16.000 ₫" in html and "Nội tỉnh" in html and "22.000 ₫" in html
    assert "25.000 ₫" in html and "thu hộ cơ quan" in html and "63.000 ₫" in html
    assert "tạm tính" not in html
    # Without the return commune the return leg is provisional.
    assert "tạm tính" in text_of(clerk_client.get(url, {"procedure_code": "1.001612", "service_choice": "3"}))
    FreeProgramme.objects.create(name="Miễn cước trả kết quả TTHC", province=intake_world["province"],
                                 covers="return", valid_from=datetime.date(2025, 1, 1))
    html = text_of(clerk_client.get(url, {"procedure_code": "1.001612", "service_choice": "3",
                                          "return_commune": str(intake_world["my_hoa"].pk), "weight_grams": "100"}))
    assert "Miễn cước trả kết quả TTHC" in html and "miễn phí" in html and "<s>22.000 ₫</s>" in html
    assert "41.000 ₫" in html
    # Send only: no return leg.
    html = text_of(clerk_client.get(url, {"procedure_code": "1.001612", "service_choice": "1"}))
    assert "Cước trả kết quả" not in html and "41.000 ₫" in html
    assert "Chọn thủ tục" in text_of(clerk_client.get(url))


def test_commune_search(clerk_client, intake_world):
    html = text_of(clerk_client.get(reverse("dossiers:commune_search"), {"commune_q": "my hoa"}))
    assert f'data-value="{intake_world["my_hoa"].pk}"' in html and "Xã Mỹ Hòa Hưng, Tỉnh An Giang" in html


def test_address_resolve_offers_candidates_to_confirm(clerk_client, intake_world):
    url = reverse("dossiers:address_resolve")
    html = text_of(clerk_client.get(url, {"return_address_input": "12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, "
                                                                  "An Giang"}))
    long_xuyen = intake_world["long_xuyen"]
    assert f'data-pick-commune="{long_xuyen.pk}"' in html and "12 Trần Hưng Đạo" in html
    assert 'data-street="12 Trần Hưng Đạo"' in html
    # Ambiguous: every candidate listed, none chosen; one not in the database cannot be chosen.
    html = text_of(clerk_client.get(url, {"return_address_input": "Phường Mỹ Bình"}))
    assert "Có nhiều khả năng" in html and html.count("data-pick-commune=") == 1 and "chưa có trong dữ liệu" in html
    html = text_of(clerk_client.get(url, {"return_address_input": "Phường Không Có, Tỉnh An Giang"}))
    assert 'class="error"' in html and "data-pick-commune" not in html


def test_item_id_check(clerk_client, intake_world, make_intake):
    url = reverse("dossiers:item_id_check")
    html = text_of(clerk_client.get(url, {"item_id": "RB123456786VN"}))
    assert "sai số kiểm tra" in html and "phải là 5" in html and 'role="alert"' in html
    assert "Số hiệu hợp lệ: RB123456785VN" in text_of(clerk_client.get(url, {"item_id": "rb 123456785 vn"}))
    assert "không đúng dạng" in text_of(clerk_client.get(url, {"item_id": "ABC"}))
    used = make_intake().outbound_item.item_id
    assert "đã được dùng" in text_of(clerk_client.get(url, {"item_id": used}))
    assert text_of(clerk_client.get(url, {"item_id": ""})).strip() == ""


# --- The dossier page --------------------------------------------------------------------------------------------


def _print_urls_installed() -> bool:
    try:
        reverse("dossiers:slip", args=["X"])
    except NoReverseMatch:
        return False
    return True


def test_detail_shows_everything(clerk_client, intake_world, make_intake, django_assert_max_num_queries):
    dossier = make_intake()
    url = reverse("dossiers:detail", args=[dossier.tracking_code])
    with django_assert_max_num_queries(16):
        response = clerk_client.get(url)
    html = text_of(response)
    assert response.status_code == 200
    assert dossier.display_tracking_code in html and "Bưu chính đã tiếp nhận" in html
    assert "Nguyễn Thị Lan" in html and "089195000123" in html and "0912345678" in html
    assert "1.001612" in html and "Sở Tư pháp tỉnh An Giang" in html and "MC-T91" in html
    assert "Giấy chứng sinh" in html and "NP0001234" in html and dossier.outbound_item.item_id in html
    assert "Bưu cục: 880000 — Bưu cục Long Xuyên" in html  # custodian
    assert "63.000 ₫" in html and dossier.receipts.get().code in html
    assert "Nội xã/phường" in html and "Nội tỉnh" in html  # the zone of each postage leg
    assert timezone.localtime(dossier.expected_arrival).strftime("%d/%m/%Y") in html
    assert "dossier.received" in html and "postal.item_created" in html and "postal.receipt_issued" in html
    if _print_urls_installed():
        slip = reverse("dossiers:slip", args=[dossier.tracking_code])
        assert re.search(f'id="print-slip" href="{slip}"[^>]*autofocus', html), "Enter prints the slip"
        assert reverse("dossiers:label", args=[dossier.tracking_code]) in html
        assert reverse("dossiers:receipt", args=[dossier.tracking_code, dossier.receipts.get().pk]) in html
    else:
        assert "Chức năng in chưa được cài đặt" in html
    # The formatted code (dashes, lower case) finds it too.
    assert clerk_client.get(f"/ho-so/{dossier.display_tracking_code.lower()}/").status_code == 200
    # A clerk may not cancel: no form.
    assert 'action="' + reverse("dossiers:cancel", args=[dossier.tracking_code]) not in html


def test_detail_is_scoped(client, intake_world, make_intake, qn_clerk, ag_officer, qn_agency, ag_auditor):
    dossier = make_intake()
    url = reverse("dossiers:detail", args=[dossier.tracking_code])
    client.force_login(qn_clerk)
    assert client.get(url).status_code == 404
    assert client.post(reverse("dossiers:cancel", args=[dossier.tracking_code]),
                       {"reason": "Nhập nhầm hồ sơ của bưu cục khác"}).status_code == 404
    client.force_login(make_user("qn_officer", Role.ONE_STOP_OFFICER, agency=qn_agency))
    assert client.get(url).status_code == 404
    client.force_login(ag_officer)  # the agency that decides it sees it
    assert client.get(url).status_code == 200
    client.force_login(ag_auditor)
    assert client.get(url).status_code == 200
    assert client.get("/ho-so/AAAAAAAAAAAA/").status_code == 404


def test_cancel_by_manager_with_a_reason(client, intake_world, make_intake, ag_manager):
    dossier = make_intake()
    client.force_login(ag_manager)
    url = reverse("dossiers:detail", args=[dossier.tracking_code])
    cancel_url = reverse("dossiers:cancel", args=[dossier.tracking_code])
    assert f'action="{cancel_url}"' in text_of(client.get(url))
    response = client.post(cancel_url, {"reason": "nhầm"})
    assert response.status_code == 200 and "ít nhất 10 ký tự" in text_of(response)
    dossier.refresh_from_db()
    assert dossier.status == "received"
    response = client.post(cancel_url, {"reason": "Tiếp nhận nhầm thủ tục, công dân nộp lại"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "cancelled" and dossier.outbound_item.status == "cancelled"
    html = text_of(client.get(url))
    assert "Đã hủy" in html and "dossier.cancelled" in html and f'action="{cancel_url}"' not in html


def test_clerk_cannot_cancel(clerk_client, intake_world, make_intake):
    dossier = make_intake()
    response = clerk_client.post(reverse("dossiers:cancel", args=[dossier.tracking_code]),
                                 {"reason": "Tiếp nhận nhầm thủ tục, công dân nộp lại"})
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.status == "received"


# --- The list ------------------------------------------------------------------------------------------------------


def test_list_is_scoped_newest_first(client, intake_world, make_intake, qn_clerk):
    older = make_intake(applicant_name="Trần Văn Bình", applicant_phone="0987654321")
    newer = make_intake()
    client.force_login(intake_world["clerk"])
    html = text_of(client.get(reverse("dossiers:list")))
    assert html.index(newer.display_tracking_code) < html.index(older.display_tracking_code)
    client.force_login(qn_clerk)
    html = text_of(client.get(reverse("dossiers:list")))
    assert older.display_tracking_code not in html and newer.display_tracking_code not in html
    assert "Chưa có hồ sơ nào" in html


def test_list_filters_and_search(clerk_client, intake_world, make_intake):
    lan = make_intake()
    binh = make_intake(applicant_name="Trần Văn Bình", applicant_phone="0987654321", service_choice=1,
                       return_commune=None, return_street="")
    url = reverse("dossiers:list")

    def shown(**params):
        html = text_of(clerk_client.get(url, params))
        return {d.tracking_code for d in (lan, binh) if d.display_tracking_code in html}

    assert shown() == {lan.tracking_code, binh.tracking_code}
    assert shown(q=binh.display_tracking_code) == {binh.tracking_code}
    assert shown(q=binh.tracking_code.lower()) == {binh.tracking_code}
    assert shown(q=lan.outbound_item.item_id) == {lan.tracking_code}
    assert shown(q="0987 654 321") == {binh.tracking_code}
    assert shown(q="Bình") == {binh.tracking_code}
    assert shown(service_choice="1") == {binh.tracking_code}
    assert shown(status="cancelled") == set()
    today = timezone.localdate()
    assert shown(date_from=today.isoformat(), date_to=today.isoformat()) == {lan.tracking_code, binh.tracking_code}
    assert shown(date_from=(today + datetime.timedelta(days=1)).isoformat()) == set()
    assert shown(date_from="not-a-date") == {lan.tracking_code, binh.tracking_code}  # ignored, never fails


def test_list_has_no_n_plus_one(clerk_client, intake_world, make_intake, django_assert_max_num_queries):
    for _ in range(6):
        make_intake()
    with django_assert_max_num_queries(8):
        response = clerk_client.get(reverse("dossiers:list"))
    assert response.status_code == 200 and text_of(response).count("<code>EH") == 6


def test_list_paginates(clerk_client, intake_world, make_intake, monkeypatch):
    import dossiers.views

    monkeypatch.setattr(dossiers.views, "PAGE_SIZE", 2)
    for _ in range(3):
        make_intake()
    html = text_of(clerk_client.get(reverse("dossiers:list")))
    assert "Trang 1/2" in html and 'rel="next"' in html
    assert "Trang 2/2" in text_of(clerk_client.get(reverse("dossiers:list"), {"page": "2"}))
