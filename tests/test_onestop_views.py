"""The one-stop desk's screens: the queue with its scan box, one dossier's steps through the views (each a POST
that calls one service: a refusal shows the bilingual message by its form and writes nothing), who may see and
do what (a clerk, another province, a processor, seconded postal staff at a Mode 2 desk), the deadlines page's
buckets, the processor's inbox, and scans uploaded and served within the scope."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from custody import services as custody
from dossiers.models import Dossier
from network.models import Agency
from onestop import services as onestop
from onestop.models import Attachment, Notice, ProcessingStep, SecondedPolicy, SupplementRequest
from tests.conftest import make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


@pytest.fixture
def processor(intake_world):
    return make_user("processor", Role.AGENCY_PROCESSOR, agency=intake_world["agency"])


@pytest.fixture
def at_desk(make_intake, intake_world, ag_postman, desk_officer):
    """make(**intake overrides) -> a dossier whose package has reached the desk."""
    def make(**overrides):
        dossier = make_intake(**overrides)
        clerk = intake_world["clerk"]
        manifest = custody.open_manifest(clerk, intake_world["desk"])
        custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
        custody.close_manifest(manifest, "BK-SEAL-01", clerk)
        custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
        custody.receive_item(manifest, dossier.outbound_item.item_id, desk_officer)
        custody.finish_receipt(manifest, desk_officer)
        return Dossier.objects.get(pk=dossier.pk)
    return make


@pytest.fixture
def in_processing(at_desk, desk_officer, processor):
    """A dossier accepted and assigned to the processor."""
    def make(**overrides):
        dossier = onestop.accept(at_desk(**overrides), desk_officer)
        onestop.hand_off(dossier, desk_officer, to_user=processor, days=2, task="Thẩm định")
        return Dossier.objects.get(pk=dossier.pk)
    return make


@pytest.fixture
def qn_officer(quang_ngai):
    agency = Agency.objects.create(identifier="000.00.01.H55", name="Trung tâm PVHCC tỉnh Quảng Ngãi",
                                   level=Agency.Level.PROVINCIAL_CENTRE, province=quang_ngai)
    return make_user("qn_officer", Role.ONE_STOP_OFFICER, agency=agency)


def url(name, dossier, *args):
    return reverse(f"onestop:{name}", args=[dossier.tracking_code, *args])


def post(client, dossier, action, data=None, **kwargs):
    """POST the action's form; ``data`` keys are given without the form's prefix."""
    payload = {f"{action}-{key}": value for key, value in (data or {}).items()}
    return client.post(url(action, dossier), payload, **kwargs)


def text(response) -> str:
    return response.content.decode()


def state(dossier):
    fresh = Dossier.objects.get(pk=dossier.pk)
    return fresh.status, AuditEvent.objects.count()


# --- The queue --------------------------------------------------------------------------------------------


def test_desk_queue_sections(client, at_desk, make_intake, desk_officer, processor):
    arrived, coming = at_desk(), make_intake()
    waiting = at_desk()
    onestop.request_supplement(waiting, desk_officer, [onestop.SupplementLine("Giấy chứng sinh", "original", 1,
                                                                              "Bản photo")], "Thiếu bản chính")
    accepted = onestop.accept(at_desk(), desk_officer)
    client.force_login(desk_officer)
    response = client.get(reverse("onestop:desk"))
    assert response.status_code == 200
    page = text(response)
    section = lambda name: page.split(f'id="{name}"')[1].split("</section>")[0]  # noqa: E731
    assert arrived.display_tracking_code in section("to-decide")
    assert coming.display_tracking_code in section("coming")
    assert coming.display_tracking_code not in section("to-decide")
    assert waiting.display_tracking_code in section("waiting")
    assert accepted.display_tracking_code in section("to-assign")

    # The supplement came (in person): the dossier waits for acceptance again.
    onestop.receive_supplement(waiting, desk_officer)
    page = text(client.get(reverse("onestop:desk")))
    assert waiting.display_tracking_code in section("to-decide")


def test_results_in_the_queue(client, in_processing, processor, desk_officer):
    by_post = in_processing()
    at_counter = in_processing(service_choice=1, return_street="", return_commune=None)
    for dossier in (by_post, at_counter):
        onestop.record_result(dossier, processor, "12/GKS")
    client.force_login(desk_officer)
    page = text(client.get(reverse("onestop:desk")))
    results = page.split('id="results"')[1].split("</section>")[0]
    assert by_post.display_tracking_code in results and at_counter.display_tracking_code in results
    onestop.hand_result_to_post(by_post, desk_officer, seal_numbers=["KQ0000001"])
    page = text(client.get(reverse("onestop:desk")))
    item = Dossier.objects.get(pk=by_post.pk).items.get(kind="result")
    assert item.item_id in page


def test_scan_box_opens_the_dossier(client, at_desk, desk_officer):
    dossier = onestop.accept(at_desk(), desk_officer)
    client.force_login(desk_officer)
    target = url("dossier", dossier)
    for query in (dossier.outbound_item.item_id, dossier.outbound_item.item_id.lower(), dossier.display_tracking_code,
                  dossier.tracking_code, dossier.code):
        response = client.get(reverse("onestop:desk"), {"q": query})
        assert response.status_code == 302 and response["Location"] == target, query
    response = client.get(reverse("onestop:desk"), {"q": "EH999999999VN"})
    assert response.status_code == 200
    assert "Không tìm thấy hồ sơ" in text(response) and "No dossier" in text(response)


def test_scan_box_stays_in_scope(client, at_desk, qn_officer):
    dossier = at_desk()
    client.force_login(qn_officer)
    response = client.get(reverse("onestop:desk"), {"q": dossier.outbound_item.item_id})
    assert response.status_code == 200 and "Không tìm thấy hồ sơ" in text(response)
    assert dossier.display_tracking_code not in text(client.get(reverse("onestop:desk")))


# --- Who may come -----------------------------------------------------------------------------------------


def test_clerks_and_other_provinces_are_refused(client, at_desk, ag_clerk, qn_clerk, qn_officer):
    dossier = at_desk()
    client.force_login(ag_clerk)
    for name in ("desk", "deadlines", "inbox"):
        assert client.get(reverse(f"onestop:{name}")).status_code == 403
    assert client.get(url("dossier", dossier)).status_code == 403
    before = state(dossier)
    assert post(client, dossier, "accept").status_code == 403
    assert state(dossier) == before
    client.force_login(qn_clerk)
    assert client.get(url("dossier", dossier)).status_code == 404
    assert post(client, dossier, "accept").status_code == 404
    client.force_login(qn_officer)
    assert client.get(url("dossier", dossier)).status_code == 404
    assert post(client, dossier, "refuse", {"reason": "Không đủ điều kiện theo quy định"}).status_code == 404
    assert state(dossier) == before
    client.logout()
    response = client.get(url("dossier", dossier))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_processor_cannot_accept(client, at_desk, processor):
    dossier = at_desk()
    client.force_login(processor)
    page = text(client.get(url("dossier", dossier)))
    assert 'id="act-accept"' not in page and 'id="act-refuse"' not in page
    before = state(dossier)
    response = post(client, dossier, "accept")
    assert response.status_code == 403
    assert "Bạn không có quyền" in text(response) and "You may not" in text(response)
    assert state(dossier) == before


def test_readers_see_without_acting(client, at_desk, national_admin, ag_admin):
    dossier = at_desk()
    for user in (national_admin, ag_admin):
        client.force_login(user)
        response = client.get(url("dossier", dossier))
        assert response.status_code == 200 and 'id="act-' not in text(response)
        assert client.get(reverse("onestop:deadlines")).status_code == 200
        assert client.get(reverse("onestop:desk")).status_code == 403


def test_seconded_staff_only_what_the_province_allows(client, at_desk, intake_world):
    seconded = make_user("seconded", Role.SECONDED_STAFF, agency=intake_world["centre"])
    dossier = at_desk()
    client.force_login(seconded)
    assert 'id="act-accept"' not in text(client.get(url("dossier", dossier)))  # not a Mode 2 desk
    before = state(dossier)
    response = post(client, dossier, "accept")
    assert response.status_code == 403 and "nhân viên bưu điện" in text(response)
    assert state(dossier) == before

    desk = intake_world["desk"]
    desk.mode = "mode2"
    desk.save()
    page = text(client.get(url("dossier", dossier)))
    assert 'id="act-accept"' in page and 'id="act-supplement"' in page
    assert 'id="act-refuse"' not in page and 'id="act-hand_off"' not in page  # not delegated by default
    response = post(client, dossier, "refuse", {"reason": "Không đủ điều kiện theo quy định"})
    assert response.status_code == 403 and "does not let seconded postal staff" in text(response)
    assert Dossier.objects.get(pk=dossier.pk).status == "received"
    assert post(client, dossier, "accept").status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "accepted" and dossier.code
    assert 'id="act-hand_off"' not in text(client.get(url("dossier", dossier)))

    # The province opens refusals to seconded staff: the step appears and works.
    SecondedPolicy.objects.create(province=intake_world["province"], may_refuse=True)
    other = at_desk()
    assert 'id="act-refuse"' in text(client.get(url("dossier", other)))
    assert post(client, other, "refuse", {"reason": "Không đủ điều kiện theo quy định"}).status_code == 302
    assert Dossier.objects.get(pk=other.pk).status == "refused"


# --- Reception --------------------------------------------------------------------------------------------


def test_accept_through_the_page(client, at_desk, desk_officer):
    dossier = at_desk()
    client.force_login(desk_officer)
    page = text(client.get(url("dossier", dossier)))
    assert 'id="act-accept"' in page and "Giấy chứng sinh" in page and 'class="doc-check"' in page
    response = post(client, dossier, "accept", follow=True)
    dossier.refresh_from_db()
    assert dossier.status == "accepted" and dossier.code
    due = timezone.localtime(dossier.due_at).strftime("%d/%m/%Y %H:%M")
    page = text(response)
    assert f"mã {dossier.code}" in page and due in page and 'id="dossier-code"' in page
    assert "mã trạng thái Cổng DVC: 2" in page
    # A second press: refused, with the status message, nothing written.
    before = state(dossier)
    response = post(client, dossier, "accept")
    assert response.status_code == 400 and "không thể chuyển sang" in text(response)
    assert state(dossier) == before


def test_accept_refused_while_the_package_is_on_its_way(client, make_intake, desk_officer):
    dossier = make_intake()
    client.force_login(desk_officer)
    assert "Túi hồ sơ chưa đến Bộ phận Một cửa" in text(client.get(url("dossier", dossier)))
    before = state(dossier)
    response = post(client, dossier, "accept")
    assert response.status_code == 400
    assert "chưa được nhận tại Bộ phận Một cửa" in text(response) and "has not been received" in text(response)
    assert state(dossier) == before and Dossier.objects.get(pk=dossier.pk).code is None


def test_request_and_receive_a_supplement(client, at_desk, desk_officer):
    dossier = at_desk()
    client.force_login(desk_officer)
    before = state(dossier)
    response = post(client, dossier, "supplement", {"reason": "Hồ sơ chưa đầy đủ"})
    assert response.status_code == 400 and "Liệt kê từng giấy tờ" in text(response)
    response = post(client, dossier, "supplement", {
        "reason": "Hồ sơ chưa đầy đủ", "lines-0-name": "Giấy chứng sinh", "lines-0-kind": "original",
        "lines-0-count": "1", "lines-0-reason": ""})
    assert response.status_code == 400 and "Dòng 1: ghi lý do" in text(response)
    response = post(client, dossier, "supplement", {
        "reason": "Hồ sơ chưa đầy đủ", "lines-0-name": "Giấy chứng sinh", "lines-0-kind": "original",
        "lines-0-count": "abc", "lines-0-reason": "Bản photo"})
    assert response.status_code == 400 and "số lượng là số nguyên" in text(response)
    assert state(dossier) == before and not SupplementRequest.objects.exists()

    response = post(client, dossier, "supplement", {
        "reason": "Hồ sơ chưa đầy đủ", "lines-0-name": "Giấy chứng sinh", "lines-0-kind": "original",
        "lines-0-count": "1", "lines-0-reason": "Nộp bản photo, cần bản chính",
        "lines-1-name": "", "lines-1-reason": "",
        "lines-2-name": "Văn bản ủy quyền", "lines-2-kind": "certified_copy", "lines-2-count": "1",
        "lines-2-reason": "Người nộp không phải cha mẹ"}, follow=True)
    assert "phiếu yêu cầu bổ sung lần 1" in text(response)
    request = SupplementRequest.objects.get(dossier=dossier)
    assert [line["name"] for line in request.lines] == ["Giấy chứng sinh", "Văn bản ủy quyền"]
    assert request.lines[1]["kind"] == "certified_copy"
    dossier.refresh_from_db()
    assert dossier.status == "supplement_requested" and dossier.portal_status == 5
    page = text(response)
    assert 'id="act-receive_supplement"' in page and 'id="act-accept"' not in page

    assert post(client, dossier, "receive_supplement").status_code == 302
    request.refresh_from_db()
    assert request.status == "answered"
    assert 'id="act-accept"' in text(client.get(url("dossier", dossier)))
    assert post(client, dossier, "accept").status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status == "accepted"


def test_refuse(client, at_desk, desk_officer):
    dossier = at_desk()
    client.force_login(desk_officer)
    before = state(dossier)
    response = post(client, dossier, "refuse", {"reason": "ngắn"})
    assert response.status_code == 400 and "ít nhất 10 ký tự" in text(response) and "at least 10" in text(response)
    assert state(dossier) == before
    response = post(client, dossier, "refuse", {"reason": "Không thuộc thẩm quyền giải quyết"}, follow=True)
    dossier.refresh_from_db()
    assert dossier.status == "refused" and dossier.outbound_item.returning
    assert Notice.objects.get(dossier=dossier).kind == "refusal"
    assert "Đã từ chối tiếp nhận" in text(response)
    assert re.findall(r'id="act-(\w+)"', text(response)) == ["attach"]  # a scan may still be kept


def test_withdraw(client, at_desk, desk_officer):
    dossier = onestop.accept(at_desk(), desk_officer)
    client.force_login(desk_officer)
    before = state(dossier)
    assert post(client, dossier, "withdraw", {"reason": ""}).status_code == 400
    assert state(dossier) == before
    assert post(client, dossier, "withdraw", {"reason": "Công dân đề nghị rút hồ sơ"}).status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).portal_status == 7


# --- Processing -------------------------------------------------------------------------------------------


def test_assign_then_the_processor_records_the_result(client, at_desk, desk_officer, processor, intake_world):
    dossier = onestop.accept(at_desk(), desk_officer)
    client.force_login(desk_officer)
    page = text(client.get(url("dossier", dossier)))
    assert 'id="act-hand_off"' in page and 'id="act-result"' not in page  # accepted: assign first
    before = state(dossier)
    response = post(client, dossier, "hand_off", {"task": "Thẩm định"})
    assert response.status_code == 400 and "Chọn người hoặc bộ phận nhận" in text(response)
    response = post(client, dossier, "hand_off", {"to_user": processor.pk, "days": "-1"})
    assert response.status_code == 400
    other = make_user("other_processor", Role.AGENCY_PROCESSOR, agency=intake_world["centre"])
    response = post(client, dossier, "hand_off", {"to_user": other.pk})
    assert response.status_code == 400 and "Lựa chọn không hợp lệ" in text(response)
    assert state(dossier) == before
    response = post(client, dossier, "hand_off", {"to_user": processor.pk, "days": "2", "task": "Thẩm định"},
                    follow=True)
    step = ProcessingStep.objects.get(dossier=dossier)
    assert step.to_user == processor and step.due_at and "bước 1" in text(response)
    assert Dossier.objects.get(pk=dossier.pk).status == "processing"

    client.force_login(processor)
    inbox = text(client.get(reverse("onestop:inbox")))
    assert dossier.code in inbox and "Thẩm định" in inbox
    page = text(client.get(url("dossier", dossier)))
    assert 'id="act-result"' in page and 'id="act-accept"' not in page
    before = state(dossier)
    response = post(client, dossier, "result", {"reference": ""})
    assert response.status_code == 400 and "This field is required" in text(response)
    bad = SimpleUploadedFile("ket-qua.pdf", b"not a pdf at all", content_type="application/pdf")
    response = post(client, dossier, "result", {"reference": "123/GKS", "file": bad})
    assert response.status_code == 400 and "không phải PDF, JPEG hay PNG" in text(response)
    assert state(dossier) == before and not Attachment.objects.exists()
    scan = SimpleUploadedFile("ket-qua.pdf", PDF, content_type="application/pdf")
    response = post(client, dossier, "result", {"reference": "123/GKS", "fees_due": "0", "file": scan}, follow=True)
    dossier.refresh_from_db()
    assert dossier.status == "processed" and dossier.result_reference == "123/GKS"
    assert "đúng hạn" in text(response)
    attachment = Attachment.objects.get(dossier=dossier)
    assert attachment.kind == "result" and attachment.content_type == "application/pdf"
    assert dossier.code not in text(client.get(reverse("onestop:inbox")))  # the step is done


def test_hand_the_result_to_the_post(client, in_processing, desk_officer, processor):
    dossier = in_processing()
    onestop.record_result(dossier, processor, "123/GKS")
    client.force_login(desk_officer)
    page = text(client.get(url("dossier", dossier)))
    assert 'id="act-hand_result"' in page and 'id="act-return_at_desk"' in page
    before = state(dossier)
    response = post(client, dossier, "hand_result", {"seal_numbers": ""})
    assert response.status_code == 400 and "bắt buộc" in text(response)
    assert state(dossier) == before
    response = post(client, dossier, "hand_result", {"seal_numbers": "KQ0000123"}, follow=True)
    item = Dossier.objects.get(pk=dossier.pk).items.get(kind="result")
    page = text(response)
    assert item.item_id in page and item.status == "result_ready" and item.custodian_kind == "desk"
    assert 'id="result-item-id"' in page and reverse("custody:manifest_list") in page
    assert 'id="act-hand_result"' not in page


def test_return_at_the_desk(client, in_processing, desk_officer, processor):
    dossier = in_processing(service_choice=1, return_street="", return_commune=None)
    onestop.record_result(dossier, processor, "123/GKS")
    client.force_login(desk_officer)
    page = text(client.get(url("dossier", dossier)))
    assert 'id="act-hand_result"' not in page and 'id="act-return_at_desk"' in page
    before = state(dossier)
    response = post(client, dossier, "hand_result", {"seal_numbers": "KQ0000123"})
    assert response.status_code == 400 and "không đăng ký nhận kết quả qua bưu chính" in text(response)
    assert state(dossier) == before
    assert post(client, dossier, "return_at_desk").status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "result_returned" and dossier.portal_status == 10 and dossier.returned_at


def test_financial_obligation(client, in_processing, processor):
    dossier = in_processing()
    client.force_login(processor)
    before = state(dossier)
    response = post(client, dossier, "obligation", {"amount": "0", "reason": "Lệ phí trước bạ"})
    assert response.status_code == 400 and "lớn hơn 0" in text(response)
    response = post(client, dossier, "obligation", {"amount": "mười", "reason": "Lệ phí trước bạ"})
    assert response.status_code == 400 and "Enter a whole number" in text(response)
    assert state(dossier) == before
    response = post(client, dossier, "obligation", {"amount": "150000", "reason": "Lệ phí trước bạ"}, follow=True)
    dossier.refresh_from_db()
    assert dossier.status == "financial_obligation" and dossier.portal_status == 6
    assert "Tạm dừng tính thời gian" in text(response) and 'id="act-obligation_met"' in text(response)
    assert post(client, dossier, "obligation_met").status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status == "processing"


def test_extension_before_the_due_date_only(client, at_desk, desk_officer):
    dossier = onestop.accept(at_desk(), desk_officer)
    client.force_login(desk_officer)
    new_day = (timezone.localtime(dossier.due_at) + datetime.timedelta(days=7)).date()
    before = state(dossier)
    response = post(client, dossier, "extend", {"new_due": new_day.isoformat(), "reason": "ngắn"})
    assert response.status_code == 400 and "ít nhất 10 ký tự" in text(response)
    old_day = timezone.localtime(dossier.due_at).date() - datetime.timedelta(days=1)
    response = post(client, dossier, "extend", {"new_due": old_day.isoformat(), "reason": "Cần xác minh thêm"})
    assert response.status_code == 400 and "Hạn mới phải sau hạn hiện tại" in text(response)
    assert state(dossier) == before
    response = post(client, dossier, "extend", {"new_due": new_day.isoformat(), "reason": "Cần xác minh thêm"},
                    follow=True)
    dossier.refresh_from_db()
    assert timezone.localtime(dossier.due_at).date() == new_day and dossier.extensions.count() == 1
    assert new_day.strftime("%d/%m/%Y") in text(response)

    late = onestop.accept(at_desk(), desk_officer, at=timezone.now() - datetime.timedelta(days=30))
    before = state(late)
    response = post(client, late, "extend", {"new_due": new_day.isoformat(), "reason": "Cần xác minh thêm"})
    page = text(response)
    assert response.status_code == 400 and "Đã quá hạn" in page and "Too late" in page
    assert state(late) == before and late.extensions.count() == 0


def test_stop(client, in_processing, processor):
    dossier = in_processing()
    client.force_login(processor)
    before = state(dossier)
    assert post(client, dossier, "stop", {"reason": "ngắn"}).status_code == 400
    assert state(dossier) == before
    response = post(client, dossier, "stop", {"reason": "Công dân không bổ sung đúng hạn"}, follow=True)
    dossier.refresh_from_db()
    assert dossier.status == "stopped" and dossier.portal_status == 8
    assert "Dừng giải quyết" in text(response)


# --- Deadlines --------------------------------------------------------------------------------------------


def test_deadline_buckets(client, at_desk, desk_officer, ag_admin):
    now = timezone.now()
    on_time = onestop.accept(at_desk(), desk_officer)
    overdue = onestop.accept(at_desk(), desk_officer, at=now - datetime.timedelta(days=30))
    at_risk = onestop.accept(at_desk(), desk_officer, at=now - datetime.timedelta(days=30))
    # Test set-up only: a due date an hour from now leaves almost none of a month's time.
    Dossier.objects.filter(pk=at_risk.pk).update(due_at=now + datetime.timedelta(hours=1))
    for user in (desk_officer, ag_admin):
        client.force_login(user)
        response = client.get(reverse("onestop:deadlines"))
        assert response.status_code == 200
        page = text(response)
        assert 'id="count-overdue">1<' in page and 'id="count-at-risk">1<' in page
        assert 'id="count-on-time">1<' in page and 'id="count-running">3<' in page
        assert f'data-state="overdue" data-code="{overdue.code}"' in page
        assert f'data-state="at_risk" data-code="{at_risk.code}"' in page
        assert on_time.code not in page
        assert page.index(overdue.code) < page.index(at_risk.code)  # the most urgent first
        assert "quá " in page.split(overdue.code)[2].split("</tr>")[0]
    client.force_login(desk_officer)
    page = text(client.get(url("dossier", overdue)))
    assert "Quá hạn" in page and 'id="remaining"' in page


def test_deadlines_stay_in_scope(client, at_desk, desk_officer, qn_officer):
    onestop.accept(at_desk(), desk_officer, at=timezone.now() - datetime.timedelta(days=30))
    client.force_login(qn_officer)
    page = text(client.get(reverse("onestop:deadlines")))
    assert 'id="count-running">0<' in page


# --- Scans --------------------------------------------------------------------------------------------------


def test_upload_is_what_its_bytes_say(client, at_desk, desk_officer):
    dossier = at_desk()
    client.force_login(desk_officer)
    upload = SimpleUploadedFile("giay-chung-sinh.pdf", PNG, content_type="application/pdf")
    response = post(client, dossier, "attach", {"file": upload, "document_name": "Giấy chứng sinh"}, follow=True)
    attachment = Attachment.objects.get(dossier=dossier)
    assert attachment.content_type == "image/png" and attachment.file.name.endswith(".png")
    assert attachment.document_name == "Giấy chứng sinh" and "image/png" in text(response)

    before = (Attachment.objects.count(), AuditEvent.objects.count())
    fake = SimpleUploadedFile("to-khai.pdf", b"just some text", content_type="application/pdf")
    response = post(client, dossier, "attach", {"file": fake})
    assert response.status_code == 400 and "không phải PDF, JPEG hay PNG" in text(response)
    response = post(client, dossier, "attach", {})
    assert response.status_code == 400 and "Chọn tệp" in text(response)
    with override_settings(ATTACHMENT_MAX_BYTES=64):
        big = SimpleUploadedFile("lon.pdf", PDF + b"0" * 100, content_type="application/pdf")
        response = post(client, dossier, "attach", {"file": big})
        assert response.status_code == 400 and "Tệp quá lớn" in text(response)
    assert (Attachment.objects.count(), AuditEvent.objects.count()) == before


def test_download_checks_the_scope(client, at_desk, desk_officer, processor, ag_clerk, qn_officer):
    dossier, other = at_desk(), at_desk()
    attachment = onestop.attach(dossier, desk_officer, SimpleUploadedFile("scan.pdf", PNG))
    onestop.attach(other, desk_officer, SimpleUploadedFile("other.pdf", PDF))
    link = url("attachment", dossier, attachment.pk)
    client.force_login(desk_officer)
    assert link in text(client.get(url("dossier", dossier)))
    assert attachment.file.url not in text(client.get(url("dossier", dossier)))
    for user in (desk_officer, processor):
        client.force_login(user)
        response = client.get(link)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG
        assert "attachment" in response["Content-Disposition"] and ".png" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(desk_officer)
    assert client.get(url("attachment", other, attachment.pk)).status_code == 404  # not that dossier's
    client.force_login(qn_officer)
    assert client.get(link).status_code == 404
    client.force_login(ag_clerk)
    assert client.get(link).status_code == 403
    client.logout()
    assert client.get(link).status_code == 302


def form_url(name, *args):
    try:
        return reverse(f"onestop:{name}", args=args)
    except NoReverseMatch:  # the PDF views come in their own change
        return None


def test_printable_forms_and_events_on_the_page(client, in_processing, at_desk, desk_officer, processor):
    dossier = in_processing()
    onestop.extend(dossier, processor, dossier.due_at + datetime.timedelta(days=3), "Cần xác minh thêm")
    onestop.stop(dossier, processor, "Công dân không bổ sung đúng hạn")
    refused = at_desk()
    request = onestop.request_supplement(refused, desk_officer, [onestop.SupplementLine(
        "Giấy chứng sinh", "original", 1, "Bản photo")], "Thiếu bản chính")
    onestop.refuse(refused, desk_officer, "Không bổ sung theo yêu cầu, không đủ điều kiện")
    client.force_login(desk_officer)
    page = text(client.get(url("dossier", dossier)))
    assert "onestop.accepted" in page and "onestop.handed_off" in page and "onestop.stopped" in page
    assert "Thẩm định" in page  # the form 06 line
    assert reverse("dossiers:slip", args=[dossier.tracking_code]) in page
    tc = dossier.tracking_code
    expected = [form_url("form_01", tc), form_url("form_04", tc, dossier.extensions.get().pk),
                form_url("form_05", tc, dossier.notices.get(kind="stop").pk), form_url("form_06", tc)]
    refused_page = text(client.get(url("dossier", refused)))
    refused_forms = [form_url("form_02", refused.tracking_code, request.pk),
                     form_url("form_03", refused.tracking_code, refused.notices.get(kind="refusal").pk)]
    assert form_url("form_01", refused.tracking_code) not in refused_page
    for link, body in [(link, page) for link in expected] + [(link, refused_page) for link in refused_forms]:
        if link is None:
            continue
        assert link in body
        response = client.get(link)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", link


# --- The supplement taken in at a post office ---------------------------------------------------------------------


def test_the_clerk_takes_the_supplement_in(client, at_desk, desk_officer, intake_world, qn_clerk, ag_postman):
    dossier = at_desk()
    clerk = intake_world["clerk"]
    client.force_login(clerk)
    assert "Nhận hồ sơ bổ sung qua bưu điện" not in text(client.get(reverse("dossiers:detail",
                                                                             args=[dossier.tracking_code])))
    onestop.request_supplement(dossier, desk_officer, [onestop.SupplementLine(
        "Giấy chứng sinh", "original", 1, "Chỉ có bản photo")], "Thiếu bản chính giấy chứng sinh")
    page = text(client.get(reverse("dossiers:detail", args=[dossier.tracking_code])))
    intake_url = url("supplement_intake", dossier)
    assert "Nhận hồ sơ bổ sung qua bưu điện" in page and intake_url in page
    response = client.get(reverse("onestop:supplement_lookup"), {"tracking_code": dossier.display_tracking_code})
    assert response.status_code == 302 and response["Location"] == intake_url
    page = text(client.get(intake_url))
    assert "Chỉ có bản photo" in page and 'id="postage"' in page

    before = AuditEvent.objects.count()
    response = client.post(intake_url, {"seal_numbers": "", "payment_method": "cash"})
    assert response.status_code == 400 and "bắt buộc" in text(response)
    assert AuditEvent.objects.count() == before
    response = client.post(intake_url, {"seal_numbers": "NP-BS-0001", "payment_method": "cash"}, follow=True)
    request = SupplementRequest.objects.get(dossier=dossier)
    item = request.item
    assert item.kind == "supplement" and item.item_id in text(response) and 'id="act-supplement-intake"' not in \
        text(response)
    assert "Nhận hồ sơ bổ sung qua bưu điện" not in text(client.get(reverse("dossiers:detail",
                                                                             args=[dossier.tracking_code])))
    client.force_login(qn_clerk)
    assert client.get(intake_url).status_code == 404
    client.force_login(desk_officer)
    assert client.get(intake_url).status_code == 403

    # The package travels to the desk; the desk sees it arrived and receives the supplement.
    page = text(client.get(reverse("onestop:desk")))
    assert dossier.display_tracking_code in page.split('id="waiting"')[1].split("</section>")[0]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    custody.add_to_manifest(manifest, item.item_id, clerk)
    custody.close_manifest(manifest, "BK-SEAL-02", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    custody.receive_item(manifest, item.item_id, desk_officer)
    custody.finish_receipt(manifest, desk_officer)
    page = text(client.get(reverse("onestop:desk")))
    to_decide = page.split('id="to-decide"')[1].split("</section>")[0]
    assert dossier.display_tracking_code in to_decide and "hồ sơ bổ sung đã đến" in to_decide
    response = client.get(reverse("onestop:desk"), {"q": item.item_id})
    assert response["Location"] == url("dossier", dossier)
    assert post(client, dossier, "receive_supplement").status_code == 302
    assert post(client, dossier, "accept").status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status == "accepted"


def test_no_hand_off_while_waiting_for_a_supplement(client, in_processing, processor, desk_officer):
    dossier = in_processing()
    onestop.request_supplement(dossier, processor, [onestop.SupplementLine("Tờ khai", "original", 1, "Sai tên")],
                               "Tờ khai sai thông tin")
    client.force_login(desk_officer)
    page = text(client.get(url("dossier", dossier)))
    assert 'id="act-hand_off"' not in page and 'id="act-receive_supplement"' in page
    assert "Tạm dừng tính thời gian" in page
    before = (state(dossier), ProcessingStep.objects.count())
    response = post(client, dossier, "hand_off", {"to_user": processor.pk})
    assert response.status_code == 400 and "chỉ chuyển xử lý hồ sơ đã tiếp nhận" in text(response)
    assert (state(dossier), ProcessingStep.objects.count()) == before
