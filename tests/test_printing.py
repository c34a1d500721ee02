"""The printed documents of an intake: the PDFs are read back (text with pypdf, codes rasterised with
pypdfium2 and decoded with zxing-cpp), and the download views answer only inside the user's scope."""

import datetime
import io

import pypdf
import pypdfium2
import pytest
import zxingcpp
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dossiers.models import Dossier
from dossiers.printing import (
    amount_in_words,
    format_amount,
    print_queryset,
    render_label,
    render_receipt,
    render_slip,
)

MM = 72 / 25.4


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def page_size_mm(content: bytes) -> tuple[float, float]:
    box = pypdf.PdfReader(io.BytesIO(content)).pages[0].mediabox
    return round(float(box.width) / MM, 1), round(float(box.height) / MM, 1)


def decoded(content: bytes, scale: float = 3) -> dict[str, set[str]]:
    """{"Code128": {...}, "QRCode": {...}} read from the first page."""
    pdf = pypdfium2.PdfDocument(content)
    try:
        image = pdf[0].render(scale=scale).to_pil()
    finally:
        pdf.close()
    found: dict[str, set[str]] = {}
    for barcode in zxingcpp.read_barcodes(image):
        found.setdefault(barcode.format.name, set()).add(barcode.text)
    return found


def loaded(dossier) -> Dossier:
    return print_queryset(Dossier.objects.filter(pk=dossier.pk)).get()


def local(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


# --- Amounts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "words"), [
    (0, "Không đồng"),
    (1_000, "Một nghìn đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (63_000, "Sáu mươi ba nghìn đồng"),
    (105_000, "Một trăm linh năm nghìn đồng"),
    (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (21_000_000, "Hai mươi mốt triệu đồng"),
    (24_000, "Hai mươi tư nghìn đồng"),
    (110_000, "Một trăm mười nghìn đồng"),
    (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
    (2_000_005, "Hai triệu không trăm linh năm đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (3_005_000_000, "Ba tỷ không trăm linh năm triệu đồng"),
])
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


def test_amount_in_words_refuses_negative():
    with pytest.raises(ValueError):
        amount_in_words(-1)


def test_amounts_formatted_vietnamese_style():
    assert format_amount(63_000) == "63.000 đ"
    assert format_amount(0) == "0 đ"
    assert format_amount(1_250_000) == "1.250.000 đ"


# --- The slip -------------------------------------------------------------------------------------------


def test_slip_carries_everything_signed_at_the_counter(make_intake, intake_world):
    dossier = loaded(make_intake(weight_grams=1500, seal_numbers=["NP0001234", "NP0001235"]))
    item = dossier.outbound_item
    content = render_slip(dossier)

    assert content.startswith(b"%PDF")
    assert page_size_mm(content) == (210.0, 297.0)
    assert b"+Roboto-Regular" in content  # the embedded (subset) Unicode font, not a base-14 font
    text = pdf_text(content)
    for expected in [
        "Nguyễn Thị Lan", "089195000123", "0912345678", "lan@example.vn",
        "1.001612", "Đăng ký khai sinh", "phiên bản 1", "Sở Tư pháp tỉnh An Giang", "MC-T91",
        "Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Văn bản ủy quyền", "Bản chính",
        "NP0001234, NP0001235", "1.500 g", item.item_id, dossier.display_tracking_code,
        "16.000 đ", "25.000 đ", "22.000 đ", "63.000 đ", "Thu hộ cơ quan", "Tiền mặt",
        dossier.receipts.get().code, "12 Hai Bà Trưng, Xã Mỹ Hòa Hưng, Tỉnh An Giang",
        local(dossier.expected_arrival), local(dossier.received_at), "Quầy bưu cục", "Bưu cục Long Xuyên",
        "Gửi hồ sơ và nhận kết quả", "Người nộp hồ sơ", "Nhân viên bưu chính",
        intake_world["clerk"].get_full_name(),
    ]:
        assert expected in text, expected

    codes = decoded(content)
    assert codes.get("Code128") == {item.item_id}
    assert codes.get("QRCode") == {item.item_id}


def test_slip_shows_the_override_reason_and_the_missing_document(make_intake, intake_world, ag_manager):
    form, _birth_certificate, _power = intake_world["birth"].documents.all()
    from dossiers.services import ChecklistEntry

    dossier = loaded(make_intake(actor=ag_manager, checklist=[ChecklistEntry(form.pk, 1)],
                                 override_reason="Công dân cam kết bổ sung giấy chứng sinh trong 3 ngày"))
    text = pdf_text(render_slip(dossier))
    assert "Công dân cam kết bổ sung giấy chứng sinh trong 3 ngày" in text
    assert "Có — thiếu" in text
    assert "Tổng số giấy tờ đã nộp: 1" in text


def test_slip_for_receiving_the_result_only_shows_the_tracking_qr(make_intake):
    dossier = loaded(make_intake(service_choice=2, external_code="000.00.12.H01-260105-0007", checklist=[],
                                 seal_numbers=[]))
    assert dossier.outbound_item is None
    content = render_slip(dossier)
    text = pdf_text(content)
    assert "PHIẾU ĐĂNG KÝ NHẬN KẾT QUẢ" in text
    assert "000.00.12.H01-260105-0007" in text
    assert dossier.display_tracking_code in text
    assert "22.000 đ" in text
    assert "Dự kiến hồ sơ đến cơ quan" not in text
    codes = decoded(content)
    assert codes.get("QRCode") == {dossier.tracking_code}
    assert "Code128" not in codes


def test_slip_names_the_free_programme(make_intake, intake_world):
    from postal.models import FreeProgramme

    FreeProgramme.objects.create(name="Miễn cước trả kết quả TTHC An Giang", province=intake_world["province"],
                                 covers=FreeProgramme.Covers.RETURN, basis="Nghị quyết số 12/2025/NQ-HĐND",
                                 valid_from=datetime.date(2025, 7, 1))
    dossier = loaded(make_intake())
    text = pdf_text(render_slip(dossier))
    assert "Miễn cước trả kết quả TTHC An Giang" in text
    assert "Nghị quyết số 12/2025/NQ-HĐND" in text
    assert "41.000 đ" in text  # 16.000 postage + 25.000 fee; the return leg is free
    assert "0 đ" in text


def test_slip_renders_with_a_plain_dossier_too(make_intake):
    """The benchmark and other callers may pass a dossier loaded without print_queryset."""
    dossier = make_intake()
    text = pdf_text(render_slip(Dossier.objects.get(pk=dossier.pk)))
    assert "Nguyễn Thị Lan" in text


def test_slip_escapes_markup_in_free_text(make_intake):
    dossier = loaded(make_intake(applicant_name="Công ty <b>A & B</b>", applicant_kind="organisation",
                                 applicant_id_number="0100109106"))
    text = pdf_text(render_slip(dossier))
    assert "Công ty <b>A & B</b>" in text
    assert "Mã số thuế: 0100109106" in text


# --- The receipt ----------------------------------------------------------------------------------------


def test_receipt_is_a5_with_lines_subtotals_and_words(make_intake):
    dossier = make_intake(payment_method="transfer", payment_reference="FT2611230001")
    receipt = dossier.receipts.get()
    content = render_receipt(receipt)

    assert page_size_mm(content) == (148.0, 210.0)
    text = pdf_text(content)
    for expected in [
        receipt.code, "BIÊN LAI THU TIỀN", "Nguyễn Thị Lan", dossier.display_tracking_code, "Bưu cục Long Xuyên",
        "Cước gửi hồ sơ", "Lệ phí đăng ký khai sinh", "thu hộ", "Cộng cước dịch vụ 38.000 đ",
        "Cộng phí, lệ phí thu hộ 25.000 đ", "Tổng cộng 63.000 đ", "Sáu mươi ba nghìn đồng", "Chuyển khoản",
        "FT2611230001", timezone.localtime(receipt.issued_at).strftime("Ngày %d tháng %m năm %Y"),
    ]:
        assert expected in text, expected
    assert "ĐÃ HỦY" not in text


def test_voided_receipt_is_stamped(make_intake):
    receipt = make_intake().receipts.get()
    receipt.voided = True  # in memory only: printing never writes
    text = pdf_text(render_receipt(receipt))
    assert "ĐÃ HỦY" in text


# --- The label ------------------------------------------------------------------------------------------


def test_label_is_100_by_150_mm_with_codes_and_addresses(make_intake):
    dossier = loaded(make_intake(weight_grams=800))
    item = dossier.outbound_item
    content = render_label(item)

    assert page_size_mm(content) == (100.0, 150.0)
    text = pdf_text(content)
    for expected in [
        item.item_id, "Bưu cục Long Xuyên", "Trung tâm PVHCC tỉnh An Giang (MC-T91)", "Sở Tư pháp tỉnh An Giang",
        "1.001612", dossier.display_tracking_code, "NP0001234", "800 g", local(item.created_at), "HỒ SƠ TTHC",
    ]:
        assert expected in text, expected
    codes = decoded(content, scale=4)
    assert codes.get("Code128") == {item.item_id}
    assert codes.get("QRCode") == {item.item_id}


def test_result_label_goes_to_the_citizen(make_intake, intake_world):
    from postal.services import create_item

    dossier = make_intake()
    with transaction.atomic():
        result = create_item(dossier, "result", "return_result", post_office=intake_world["post_office"],
                             seal_numbers=["KQ0000001"])
    content = render_label(result)
    text = pdf_text(content)
    assert result.item_id.startswith("EK")
    for expected in ["KẾT QUẢ TTHC", "Nguyễn Thị Lan", "12 Hai Bà Trưng, Xã Mỹ Hòa Hưng, Tỉnh An Giang",
                     "0912345678", "KQ0000001", result.item_id]:
        assert expected in text, expected
    assert "MC-T91" not in text
    codes = decoded(content, scale=4)
    assert codes.get("Code128") == {result.item_id}
    assert codes.get("QRCode") == {result.item_id}


# --- The views ------------------------------------------------------------------------------------------


def _urls(dossier):
    return {
        "slip": reverse("dossiers:slip", args=[dossier.tracking_code]),
        "receipt": reverse("dossiers:receipt", args=[dossier.tracking_code, dossier.receipts.get().pk]),
        "label": reverse("dossiers:label", args=[dossier.tracking_code]),
    }


def test_clerk_downloads_the_three_pdfs(client, make_intake, intake_world):
    dossier = make_intake()
    events = AuditEvent.objects.count()
    client.force_login(intake_world["clerk"])
    for name, url in _urls(dossier).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline; filename=")
        assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.count() == events  # printing changes nothing


def test_views_accept_the_displayed_code_and_pick_an_item(client, make_intake, intake_world):
    dossier = make_intake()
    item = dossier.outbound_item
    client.force_login(intake_world["clerk"])
    response = client.get(reverse("dossiers:slip", args=[dossier.display_tracking_code.lower()]))
    assert response.status_code == 200
    assert dossier.display_tracking_code in pdf_text(response.content)
    response = client.get(reverse("dossiers:label", args=[dossier.tracking_code]), {"item": item.item_id})
    assert response.status_code == 200
    assert f'filename="nhan-{item.item_id}.pdf"' in response["Content-Disposition"]
    assert client.get(reverse("dossiers:label", args=[dossier.tracking_code]),
                      {"item": "RB123456785GB"}).status_code == 404


def test_agency_officer_of_the_dossier_may_print(client, make_intake, ag_officer):
    dossier = make_intake()
    client.force_login(ag_officer)
    assert client.get(_urls(dossier)["slip"]).status_code == 200


def test_other_province_clerk_gets_404(client, make_intake, qn_clerk):
    dossier = make_intake()
    client.force_login(qn_clerk)
    for name, url in _urls(dossier).items():
        assert client.get(url).status_code == 404, name


def test_anonymous_is_sent_to_login(client, make_intake):
    dossier = make_intake()
    for url in _urls(dossier).values():
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_unknown_dossier_receipt_or_item_is_404(client, make_intake, intake_world):
    first = make_intake()
    second = make_intake()
    client.force_login(intake_world["clerk"])
    assert client.get(reverse("dossiers:slip", args=["2222-2222-2222"])).status_code == 404
    assert client.get(reverse("dossiers:slip", args=["short"])).status_code == 404
    # A receipt of another dossier is not this dossier's receipt.
    url = reverse("dossiers:receipt", args=[first.tracking_code, second.receipts.get().pk])
    assert client.get(url).status_code == 404
    # A registration to receive the result has no outbound package to label.
    receive_only = make_intake(service_choice=2, external_code="X-1", checklist=[], seal_numbers=[])
    assert client.get(reverse("dossiers:label", args=[receive_only.tracking_code])).status_code == 404
    assert client.get(reverse("dossiers:slip", args=[receive_only.tracking_code])).status_code == 200


def test_views_refuse_post(client, make_intake, intake_world):
    dossier = make_intake()
    client.force_login(intake_world["clerk"])
    assert client.post(_urls(dossier)["slip"]).status_code == 405


def test_long_names_shrink_to_fit_the_label(make_intake, intake_world):
    from postal.services import create_item

    long_name = "Công ty trách nhiệm hữu hạn thương mại dịch vụ xuất nhập khẩu " * 3
    dossier = make_intake(applicant_kind="organisation", applicant_id_number="0100109106",
                          applicant_name=long_name.strip(), return_street="Số 1, " + "đường Trần Hưng Đạo, " * 8)
    with transaction.atomic():
        result = create_item(dossier, "result", "return_result", post_office=intake_world["post_office"])
    content = render_label(result)
    assert page_size_mm(content) == (100.0, 150.0)
    assert len(pypdf.PdfReader(io.BytesIO(content)).pages) == 1
    assert decoded(content, scale=4).get("Code128") == {result.item_id}
    assert "Công ty trách nhiệm hữu hạn" in pdf_text(render_slip(loaded(dossier)))
