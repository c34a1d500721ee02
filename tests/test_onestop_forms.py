"""The one-stop forms 01–06 and the form 07 register: the PDFs are read back (text with pypdf, the dossier
code's Code128 with pypdfium2 + zxing-cpp), the .xlsx with openpyxl; filters, query counts and scopes."""

import datetime
import io
import re

import openpyxl
import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from custody import services as custody
from dossiers.models import Dossier
from onestop import forms_pdf
from onestop import services as onestop
from onestop.register import register_rows, render_register, render_register_xlsx
from tests.conftest import make_user
from tests.test_printing import decoded, page_size_mm

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SLOGAN = "Độc lập - Tự do - Hạnh phúc"
DATE_WORDS = re.compile(r"An Giang, ngày \d{2} tháng \d{1,2} năm \d{4}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def pages(content: bytes, wanted=None) -> tuple[int, dict[int, str]]:
    """(number of pages, {page index: text}) for the ``wanted`` indexes (all by default)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    count = len(reader.pages)
    indexes = range(count) if wanted is None else sorted({i % count for i in wanted})
    return count, {i: " ".join(reader.pages[i].extract_text().split()) for i in indexes}


def assert_official(text: str, number: str, title: str):
    assert MOTTO in text
    assert SLOGAN in text
    assert f"Mẫu số {number}" in text
    assert title in text
    assert DATE_WORDS.search(text), text[:400]
    assert "Số: " in text


# --- Fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


@pytest.fixture
def processor(intake_world):
    user = make_user("processor", Role.AGENCY_PROCESSOR, agency=intake_world["agency"])
    user.first_name, user.last_name = "Trần", "Văn Bình"
    user.save()
    return user


@pytest.fixture
def at_desk(make_intake, intake_world, ag_postman, desk_officer):
    """make(**intake overrides) -> a dossier whose package has reached the desk (on a manifest)."""
    def make(**overrides):
        dossier = make_intake(**overrides)
        clerk = intake_world["clerk"]
        manifest = custody.open_manifest(clerk, intake_world["desk"])
        custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
        custody.close_manifest(manifest, "BK-SEAL-01", clerk)
        custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
        custody.receive_item(manifest, dossier.outbound_item.item_id, desk_officer)
        custody.finish_receipt(manifest, desk_officer)
        dossier = Dossier.objects.get(pk=dossier.pk)
        dossier.test_manifest = manifest
        return dossier
    return make


@pytest.fixture
def accepted(at_desk, desk_officer):
    def make(**kwargs):
        dossier = at_desk()
        manifest = dossier.test_manifest
        dossier = onestop.accept(dossier, desk_officer, **kwargs)
        dossier.test_manifest = manifest
        return dossier
    return make


# --- Dates in words -------------------------------------------------------------------------------------


def test_dates_in_vietnamese_words():
    assert forms_pdf.vn_date(datetime.date(2026, 11, 23)) == "ngày 23 tháng 11 năm 2026"
    assert forms_pdf.vn_date(datetime.date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert forms_pdf.vn_date(datetime.date(2026, 4, 5)) == "ngày 05 tháng 4 năm 2026"
    moment = timezone.make_aware(datetime.datetime(2026, 11, 23, 9, 5))
    assert forms_pdf.vn_moment(moment) == "09 giờ 05 phút, ngày 23 tháng 11 năm 2026"


# --- Form 01 -------------------------------------------------------------------------------------------------


def test_form_01_receipt_and_appointment(accepted, desk_officer, intake_world):
    dossier = forms_pdf.load(accepted())
    item = dossier.outbound_item
    content = forms_pdf.render_form_01(dossier)
    assert content.startswith(b"%PDF") and page_size_mm(content) == (210.0, 297.0)
    assert b"+Roboto-Regular" in content
    text = pdf_text(content)
    assert_official(text, "01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    for expected in [
        "TRUNG TÂM PVHCC TỈNH AN GIANG", dossier.code, f"Số: {dossier.code}/TNHS",
        f"An Giang, {forms_pdf.vn_date(dossier.accepted_at)}",
        "Nguyễn Thị Lan", "089195000123", "Đăng ký khai sinh", "1.001612", "Sở Tư pháp tỉnh An Giang",
        "Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "Bản chính", "3 ngày làm việc",
        forms_pdf.vn_moment(dossier.accepted_at), forms_pdf.vn_moment(dossier.due_at),
        "qua dịch vụ bưu chính công ích", "12 Hai Bà Trưng, Xã Mỹ Hòa Hưng, Tỉnh An Giang",
        item.item_id, "thay cho chữ ký", "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN", desk_officer.get_full_name(),
        dossier.display_tracking_code,
    ]:
        assert expected in text, expected
    assert "Văn bản ủy quyền" not in text  # optional, not brought
    assert decoded(content).get("Code128") == {dossier.code}


def test_form_01_needs_a_code(at_desk):
    with pytest.raises(ValueError):
        forms_pdf.render_form_01(forms_pdf.load(at_desk()))


def test_form_01_result_at_the_desk(at_desk, desk_officer):
    dossier = onestop.accept(at_desk(service_choice=1, return_street="", return_commune=None), desk_officer)
    text = pdf_text(forms_pdf.render_form_01(forms_pdf.load(dossier)))
    assert "trực tiếp tại Trung tâm PVHCC tỉnh An Giang" in text


# --- Form 02 -------------------------------------------------------------------------------------------------


def test_form_02_request_to_supplement(at_desk, desk_officer):
    dossier = at_desk()
    request = onestop.request_supplement(dossier, desk_officer, [
        onestop.SupplementLine("Giấy chứng sinh", "original", 1, "Bản photo không hợp lệ"),
        onestop.SupplementLine("Văn bản ủy quyền", "certified_copy", 2, "Thiếu chứng thực"),
    ], "Hồ sơ chưa đầy đủ theo quy định")
    text = pdf_text(forms_pdf.render_form_02(request))
    assert_official(text, "02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")
    for expected in [
        "(Lần 1)", "Giấy chứng sinh", "Bản chính", "Bản photo không hợp lệ", "Văn bản ủy quyền",
        "Bản sao chứng thực", "02", "Thiếu chứng thực", "Hồ sơ chưa đầy đủ theo quy định",
        dossier.display_tracking_code, "bưu chính công ích", "NGƯỜI HƯỚNG DẪN", "Nguyễn Thị Lan",
        f"Số: {dossier.display_tracking_code}/YCBS-01", "được tính từ khi hồ sơ",
    ]:
        assert expected in text, expected


def test_form_02_after_acceptance_pauses_the_clock(accepted, processor, desk_officer):
    dossier = accepted()
    onestop.hand_off(dossier, desk_officer, to_user=processor, days=2)
    request = onestop.request_supplement(dossier, processor, [
        onestop.SupplementLine("Tờ khai", "original", 1, "Sai thông tin")], "Tờ khai sai thông tin")
    text = pdf_text(forms_pdf.render_form_02(request))
    assert "tạm dừng" in text and dossier.code in text
    assert "SỞ TƯ PHÁP TỈNH AN GIANG" in text  # issued by the processor's agency


# --- Form 03 -------------------------------------------------------------------------------------------------


def test_form_03_refusal(at_desk, desk_officer):
    dossier = at_desk()
    notice = onestop.refuse(dossier, desk_officer, "Không thuộc thẩm quyền giải quyết của cơ quan")
    text = pdf_text(forms_pdf.render_form_03(notice))
    assert_official(text, "03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ")
    for expected in ["Không thuộc thẩm quyền giải quyết của cơ quan", dossier.display_tracking_code,
                     dossier.outbound_item.item_id, "trả lại", "NGƯỜI TIẾP NHẬN", "Nguyễn Thị Lan"]:
        assert expected in text, expected
    with pytest.raises(ValueError):
        forms_pdf.render_form_05(notice)


# --- Form 04 -------------------------------------------------------------------------------------------------


def test_form_04_apology_and_new_date(accepted, desk_officer):
    dossier = accepted()
    previous = dossier.due_at
    new_due = previous + datetime.timedelta(days=7)
    extension = onestop.extend(dossier, desk_officer, new_due, "Cần xác minh thêm thông tin tại địa phương")
    text = pdf_text(forms_pdf.render_form_04(extension))
    assert_official(text, "04", "VĂN BẢN XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
    for expected in ["Kính gửi: Ông/Bà Nguyễn Thị Lan", dossier.code, forms_pdf.vn_moment(previous),
                     forms_pdf.vn_moment(new_due), "Cần xác minh thêm thông tin tại địa phương", "xin lỗi",
                     "SỞ TƯ PHÁP TỈNH AN GIANG", "Nơi nhận", f"Số: {dossier.code}/XLHL-01"]:
        assert expected in text, expected
    # Form 01 printed afterwards keeps the first appointment and mentions the new one.
    text01 = pdf_text(forms_pdf.render_form_01(forms_pdf.load(dossier)))
    assert forms_pdf.vn_moment(previous) in text01 and forms_pdf.vn_moment(new_due) in text01


# --- Form 05 -------------------------------------------------------------------------------------------------


def test_form_05_stop(accepted, desk_officer):
    dossier = accepted()
    notice = onestop.stop(dossier, desk_officer, "Công dân không bổ sung hồ sơ đúng hạn")
    text = pdf_text(forms_pdf.render_form_05(notice))
    assert_official(text, "05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ")
    for expected in ["Công dân không bổ sung hồ sơ đúng hạn", dossier.code, "dừng giải quyết hồ sơ",
                     "Kính gửi: Ông/Bà Nguyễn Thị Lan"]:
        assert expected in text, expected


# --- Form 06 -------------------------------------------------------------------------------------------------


def test_form_06_process_control_slip(accepted, desk_officer, processor):
    dossier = accepted()
    manifest = dossier.test_manifest
    t0 = dossier.accepted_at
    onestop.hand_off(dossier, desk_officer, to_user=processor, days=0, task="Thẩm định hồ sơ", at=t0)
    onestop.hand_off(dossier, processor, to_label="Lãnh đạo Sở", days=1, task="Ký duyệt",
                     at=t0 + datetime.timedelta(days=2))
    dossier = onestop.record_result(dossier, processor, "123/GKS", at=t0 + datetime.timedelta(days=2, hours=1))
    item = onestop.hand_result_to_post(dossier, desk_officer, seal_numbers=["KQ-0001"])
    content = forms_pdf.render_form_06(forms_pdf.load(dossier))
    text = pdf_text(content)
    assert_official(text, "06", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ")
    for expected in [dossier.code, "Tiếp nhận, kiểm tra hồ sơ", "Thẩm định hồ sơ", "Trần Văn Bình", "Lãnh đạo Sở",
                     "Ký duyệt", "Trễ hạn", "Đúng hạn", "Trả kết quả qua bưu chính", item.item_id, "123/GKS",
                     manifest.code, dossier.outbound_item.item_id, "thay cho chữ ký", "Giao nhận qua bưu chính"]:
        assert expected in text, expected
    # first row the reception, last the result
    assert text.index("Tiếp nhận, kiểm tra hồ sơ") < text.index("Thẩm định hồ sơ") < text.index("Ký duyệt") \
        < text.index("Trả kết quả qua bưu chính")


def test_form_06_without_steps_or_manifests(at_desk, make_intake, desk_officer):
    dossier = onestop.accept(at_desk(), desk_officer)
    text = pdf_text(forms_pdf.render_form_06(forms_pdf.load(dossier)))
    assert "Đang xử lý" in text and dossier.code in text


# --- Form 07: the register ----------------------------------------------------------------------------------


@pytest.fixture
def register_world(at_desk, accepted, desk_officer, processor, intake_world):
    """Four dossiers at desk MC-T91: processed on time, in progress, refused, accepted 40 days ago."""
    done = accepted()
    onestop.hand_off(done, desk_officer, to_user=processor, days=1)
    done = onestop.record_result(done, processor, "1/GKS")
    running = accepted()
    refused = at_desk()
    onestop.refuse(refused, desk_officer, "Không đủ điều kiện theo quy định")
    old = accepted(at=timezone.now() - datetime.timedelta(days=40))
    return {"done": done, "running": running, "refused": Dossier.objects.get(pk=refused.pk), "old": old,
            "desk": intake_world["desk"]}


def test_register_rows_filters(register_world):
    desk = register_world["desk"]
    today = timezone.localdate()
    rows = register_rows(desk, today - datetime.timedelta(days=5), today)
    by_id = {row.dossier_id: row for row in rows}
    assert set(by_id) == {register_world[k].pk for k in ("done", "running", "refused")}
    assert [row.number for row in rows] == [1, 2, 3]
    done = by_id[register_world["done"].pk]
    assert done.code == register_world["done"].code and done.status_label == "Đã có kết quả"
    assert done.progress == "done_on_time" and done.progress_label == "Đúng hạn"
    assert done.decided_at and done.applicant == "Nguyễn Thị Lan" and done.procedure_code == "1.001612"
    running = by_id[register_world["running"].pk]
    assert running.progress in ("on_time", "at_risk") and running.progress_label.startswith("Đang giải quyết")
    refused = by_id[register_world["refused"].pk]
    assert refused.code == "" and refused.status_label == "Từ chối tiếp nhận" and refused.received_at

    assert [r.dossier_id for r in register_rows(desk, today - datetime.timedelta(days=5), today,
                                                status="processed")] == [register_world["done"].pk]
    both = register_rows(desk, today - datetime.timedelta(days=5), today, status="processed,refused")
    assert {r.dossier_id for r in both} == {register_world["done"].pk, register_world["refused"].pk}
    old = register_rows(desk, today - datetime.timedelta(days=60), today - datetime.timedelta(days=30))
    assert [r.dossier_id for r in old] == [register_world["old"].pk]
    assert len(register_rows(desk, today - datetime.timedelta(days=60), today)) == 4


def test_register_rejects_bad_filters(register_world):
    from django.core.exceptions import ValidationError

    today = timezone.localdate()
    with pytest.raises(ValidationError) as err:
        register_rows(register_world["desk"], today, today, status="nonsense")
    assert "status" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        register_rows(register_world["desk"], today, today - datetime.timedelta(days=1))
    assert "to" in err.value.message_dict


def test_register_not_yet_at_the_desk_is_not_listed(make_intake, intake_world):
    make_intake()  # still at the post office
    today = timezone.localdate()
    assert register_rows(intake_world["desk"], today, today) == []


def test_register_pdf(register_world):
    desk = register_world["desk"]
    today = timezone.localdate()
    rows = register_rows(desk, today - datetime.timedelta(days=5), today)
    content = render_register(desk, rows)
    assert page_size_mm(content) == (297.0, 210.0)  # A4 landscape
    text = pdf_text(content)
    assert_official(text, "07", "SỔ THEO DÕI HỒ SƠ")
    for expected in ["MC-T91", "Trung tâm PVHCC tỉnh An Giang", register_world["done"].code,
                     register_world["running"].code, "Từ chối tiếp nhận", "Đúng hạn", "Đã có kết quả",
                     f"Từ ngày {today - datetime.timedelta(days=5):%d/%m/%Y} đến ngày {today:%d/%m/%Y}",
                     "Trang 1/1", "Tổng số: 3 hồ sơ", "Nguyễn Thị Lan", "Ngày nhận", "Hẹn trả",
                     f"(mã tra cứu {register_world['refused'].display_tracking_code})"]:
        assert expected in text, expected


def test_register_xlsx(register_world):
    desk = register_world["desk"]
    today = timezone.localdate()
    rows = register_rows(desk, today - datetime.timedelta(days=5), today, status="processed")
    book = openpyxl.load_workbook(io.BytesIO(render_register_xlsx(desk, rows)))
    sheet = book.active
    assert "SỔ THEO DÕI HỒ SƠ" in sheet["A1"].value and sheet["A1"].font.bold
    assert "MC-T91" in sheet["A2"].value and "Trung tâm PVHCC tỉnh An Giang" in sheet["A2"].value
    assert f"Từ ngày {today - datetime.timedelta(days=5):%d/%m/%Y}" in sheet["A3"].value
    assert "Đã có kết quả" in sheet["A3"].value
    headers = [c.value for c in sheet[5]]
    assert headers[:4] == ["STT", "Mã hồ sơ", "Mã tra cứu", "Người nộp hồ sơ"]
    assert "Ngày nhận" in headers and "Hẹn trả kết quả" in headers and "Tiến độ" in headers
    assert all(c.font.bold for c in sheet[5])
    assert sheet.freeze_panes == "A6"
    assert sheet.auto_filter.ref == "A5:L6"
    assert sheet.column_dimensions["F"].width == 45
    row = {h: c for h, c in zip(headers, sheet[6], strict=True)}
    done = register_world["done"]
    assert row["Mã hồ sơ"].value == done.code and row["Người nộp hồ sơ"].value == "Nguyễn Thị Lan"
    assert row["Trạng thái"].value == "Đã có kết quả" and row["Tiến độ"].value == "Đúng hạn"
    for name in ("Ngày nhận", "Hẹn trả kết quả", "Ngày có kết quả"):
        assert row[name].is_date and isinstance(row[name].value, datetime.datetime), name
    local_accepted = timezone.localtime(done.accepted_at).replace(tzinfo=None)
    assert abs(row["Ngày nhận"].value - local_accepted) < datetime.timedelta(seconds=1)
    assert row["Ngày trả kết quả"].value is None


def _clone(base: Dossier, n: int, start: datetime.datetime) -> None:
    """n copies of an accepted dossier at the same desk (bulk, for volume)."""
    from dossiers.models import new_tracking_code

    fields = {f.attname: getattr(base, f.attname) for f in Dossier._meta.concrete_fields
              if f.attname not in ("id", "tracking_code", "submission_key", "code")}
    copies = []
    for i in range(n):
        copy = Dossier(**fields)
        copy.tracking_code = new_tracking_code()
        copy.code = f"{base.code}-{i:05d}"
        copy.accepted_at = start + datetime.timedelta(minutes=i)
        copy.applicant_name = f"Công dân {i}"
        copies.append(copy)
    Dossier.objects.bulk_create(copies, batch_size=500)


def test_register_thousands_of_rows_in_a_few_queries(accepted, intake_world, django_assert_max_num_queries):
    base = accepted()
    start = timezone.now() - datetime.timedelta(days=3)
    _clone(base, 1999, start)
    today = timezone.localdate()
    with django_assert_max_num_queries(9):
        rows = register_rows(intake_world["desk"], today - datetime.timedelta(days=10), today)
    assert len(rows) == 2000
    with django_assert_max_num_queries(2):
        data = render_register_xlsx(intake_world["desk"], rows)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.max_row >= 2005 and sheet.auto_filter.ref == "A5:L2005"
    with django_assert_max_num_queries(2):
        content = render_register(intake_world["desk"], rows)
    count, texts = pages(content, wanted=(0, 1, 17, -1))
    assert count > 20
    assert all("Mã hồ sơ" in t and "Ngày nhận" in t and "Tiến độ" in t for t in texts.values())  # header row
    assert f"Trang 2/{count}" in texts[1] and f"Trang {count}/{count}" in texts[count - 1]
    assert "Công dân 1998" in texts[count - 1] and "Tổng số: 2000 hồ sơ" in texts[count - 1]


def test_register_xlsx_keeps_names_as_text(accepted, intake_world):
    dossier = accepted()
    Dossier.objects.filter(pk=dossier.pk).update(applicant_name='=HYPERLINK("http://x","y")')
    today = timezone.localdate()
    rows = register_rows(intake_world["desk"], today, today)
    sheet = openpyxl.load_workbook(io.BytesIO(render_register_xlsx(intake_world["desk"], rows))).active
    cell = sheet.cell(row=6, column=4)
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"


# --- Views --------------------------------------------------------------------------------------------------


def test_form_views_answer_pdfs_in_scope(client, accepted, desk_officer, processor, qn_clerk, ag_clerk):
    dossier = accepted()
    request = onestop.request_supplement(dossier, desk_officer, [
        onestop.SupplementLine("Tờ khai", "original", 1, "Sai thông tin")], "Tờ khai sai thông tin")
    onestop.receive_supplement(dossier, desk_officer)
    extension = onestop.extend(dossier, desk_officer, dossier.due_at + datetime.timedelta(days=9),
                               "Cần xác minh thêm thông tin")
    notice = onestop.stop(dossier, desk_officer, "Công dân không bổ sung đúng hạn")
    tc = dossier.tracking_code
    urls = {
        "01": reverse("onestop:form_01", args=[tc]),
        "02": reverse("onestop:form_02", args=[tc, request.pk]),
        "04": reverse("onestop:form_04", args=[tc, extension.pk]),
        "05": reverse("onestop:form_05", args=[tc, notice.pk]),
        "06": reverse("onestop:form_06", args=[tc]),
    }
    for user in (desk_officer, processor):
        client.force_login(user)
        for number, url in urls.items():
            response = client.get(url)
            assert response.status_code == 200, (user, number)
            assert response["Content-Type"] == "application/pdf"
            assert f"Mẫu số {number}" in pdf_text(response.content)
    # by the dossier code, dashes in the tracking code
    client.force_login(desk_officer)
    assert client.get(reverse("onestop:form_01", args=[dossier.code])).status_code == 200
    assert client.get(reverse("onestop:form_01", args=[dossier.display_tracking_code])).status_code == 200
    # form 03 with a stop notice's id, a foreign id: 404
    assert client.get(reverse("onestop:form_03", args=[tc, notice.pk])).status_code == 404
    assert client.get(reverse("onestop:form_02", args=[tc, request.pk + 1000])).status_code == 404
    for user in (qn_clerk,):
        client.force_login(user)
        for url in urls.values():
            assert client.get(url).status_code == 404
    client.logout()
    assert client.get(urls["01"]).status_code == 302


def test_form_views_404_before_the_form_exists(client, at_desk, desk_officer):
    dossier = at_desk()
    client.force_login(desk_officer)
    assert client.get(reverse("onestop:form_01", args=[dossier.tracking_code])).status_code == 404
    assert client.get(reverse("onestop:form_06", args=[dossier.tracking_code])).status_code == 404
    notice = onestop.refuse(dossier, desk_officer, "Không đủ điều kiện theo quy định")
    response = client.get(reverse("onestop:form_03", args=[dossier.tracking_code, notice.pk]))
    assert response.status_code == 200 and "Mẫu số 03" in pdf_text(response.content)


def test_form_02_of_another_dossier_is_404(client, at_desk, desk_officer):
    first, second = at_desk(), at_desk()
    request = onestop.request_supplement(first, desk_officer, [
        onestop.SupplementLine("Tờ khai", "original", 1, "Sai thông tin")], "Tờ khai sai thông tin")
    client.force_login(desk_officer)
    assert client.get(reverse("onestop:form_02", args=[second.tracking_code, request.pk])).status_code == 404
    assert client.get(reverse("onestop:form_02", args=[first.tracking_code, request.pk])).status_code == 200


def test_register_views(client, register_world, desk_officer, processor, qn_clerk, ag_clerk, ag_admin,
                        national_admin):
    url = reverse("onestop:register", args=["MC-T91"])
    today = timezone.localdate()
    period = {"from": (today - datetime.timedelta(days=5)).isoformat(), "to": today.isoformat()}
    for user in (desk_officer, ag_admin, national_admin):
        client.force_login(user)
        response = client.get(url, period)
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert register_world["done"].code in pdf_text(response.content)
    client.force_login(desk_officer)
    response = client.get(url, {**period, "format": "xlsx", "status": "processed"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=6, column=2).value == register_world["done"].code and sheet.cell(row=7, column=2).value is None
    # bad filters: 400 naming the field
    bad = client.get(url, {"from": "2026-13-45"})
    assert bad.status_code == 400 and "from" in bad.content.decode()
    bad = client.get(url, {**period, "status": "nonsense"})
    assert bad.status_code == 400 and "status" in bad.content.decode()
    assert client.get(url, {**period, "format": "docx"}).status_code == 400
    assert client.get(reverse("onestop:register", args=["NO-SUCH"])).status_code == 404
    # others: 404 (another province, post office staff, the deciding agency's staff: not this desk's agency)
    for user in (qn_clerk, ag_clerk, processor):
        client.force_login(user)
        assert client.get(url, period).status_code == 404, user
        assert client.get(reverse("onestop:register")).status_code == 404, user


def test_register_page(client, register_world, desk_officer):
    client.force_login(desk_officer)
    today = timezone.localdate()
    url = reverse("onestop:register")
    response = client.get(url, {"from": (today - datetime.timedelta(days=5)).isoformat(), "to": today.isoformat()})
    assert response.status_code == 200
    page = response.content.decode()
    assert register_world["done"].code in page and "Sổ theo dõi hồ sơ" in page and 'name="format"' in page
    response = client.get(url, {"desk": "MC-T91", "from": today.isoformat(), "to": today.isoformat(),
                                "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert client.get(url, {"from": today.isoformat(), "to": "2000-01-01"}).status_code == 400
