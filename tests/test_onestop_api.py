"""The one-stop desk through the API (/api/v1/onestop/…): list and read within scope, every step as a POST
(errors named by the API's fields in Vietnamese and English, refusals change nothing, the same Idempotency-Key
twice acts once), scanned documents up and down, and the deadline lists."""

import datetime
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from dossiers.models import Dossier
from network.models import Agency
from onestop import services as onestop
from onestop.models import Attachment, CodeCounter, ProcessingStep
from tests.conftest import make_user
from tests.test_onestop import at_desk, desk_officer, processor  # noqa: F401 - fixtures

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
LINES = [{"name": "Giấy chứng sinh", "kind": "original", "count": 1, "reason": "Chỉ có bản photo"}]


def url(name, dossier, *args):
    code = dossier if isinstance(dossier, str) else dossier.tracking_code
    return reverse(f"api:onestop-dossier-{name}" if name != "attachments" and name != "attachment-download"
                   else f"api:onestop-{name}", args=[code, *args])


def post(client, name, dossier, data=None, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url(name, dossier), data or {}, content_type="application/json", headers=headers)


def fields(response):
    return [e["field"] for e in response.json()["errors"]]


def message(response, field):
    return " ".join(e["message"] for e in response.json()["errors"] if e["field"] == field)


@pytest.fixture
def officer_client(client, desk_officer):  # noqa: F811
    client.force_login(desk_officer)
    return client


# --- Reading ------------------------------------------------------------------------------------------------


def test_detail_within_scope_only(client, at_desk, desk_officer, processor, qn_clerk, intake_world):  # noqa: F811
    dossier = onestop.accept(at_desk(), desk_officer)
    for user in (desk_officer, processor, intake_world["clerk"]):  # desk, deciding agency, taking post office
        client.force_login(user)
        answer = client.get(url("detail", dossier))
        assert answer.status_code == 200, user
    body = answer.json()
    assert body["code"] == dossier.code and body["status"] == "accepted" and body["portal_status"] == 2
    assert body["due_at"] and body["deadline_state"] in ("on_time", "at_risk")
    assert 0 < body["remaining_hours"] <= body["allowed_hours"] and body["allowed_hours"] >= 24
    assert body["items"][0]["status"] == "received_by_agency" and body["result"] is None
    assert body["steps"] == [] and body["supplement_requests"] == [] and body["paused"] is False
    # The one-stop code works in place of the tracking code, and the tracking code with dashes.
    client.force_login(desk_officer)
    assert client.get(url("detail", dossier.code)).json()["tracking_code"] == dossier.tracking_code
    assert client.get(url("detail", dossier.display_tracking_code)).status_code == 200
    # Outside the scope: as if it did not exist.
    other_agency = Agency.objects.create(identifier="000.00.12.H02", name="Sở Xây dựng tỉnh An Giang",
                                         level=Agency.Level.PROVINCIAL_DEPARTMENT, province=intake_world["province"])
    for user in (qn_clerk, make_user("builder", Role.AGENCY_PROCESSOR, agency=other_agency)):
        client.force_login(user)
        answer = client.get(url("detail", dossier))
        assert answer.status_code == 404 and answer.json()["errors"][0]["message"] == "Không tìm thấy. / Not found."
        assert post(client, "accept", dossier).status_code == 404


def test_list_filters_and_scope(client, at_desk, desk_officer, qn_clerk):  # noqa: F811
    waiting = at_desk()
    accepted = onestop.accept(at_desk(), desk_officer)
    client.force_login(desk_officer)
    listing = reverse("api:onestop-dossier-list")
    rows = client.get(listing).json()["results"]
    assert [r["tracking_code"] for r in rows] == [accepted.tracking_code, waiting.tracking_code]  # soonest due first
    assert rows[0]["code"] == accepted.code and rows[1]["code"] is None and rows[1]["deadline_state"] == "none"
    assert [r["tracking_code"] for r in client.get(listing, {"status": "received"}).json()["results"]] == [
        waiting.tracking_code]
    prefix = accepted.code.rsplit("-", 1)[0]
    assert client.get(listing, {"code": prefix.lower()}).json()["count"] == 1
    today = timezone.localdate().isoformat()
    assert client.get(listing, {"accepted_from": today, "accepted_to": today}).json()["count"] == 1
    assert client.get(listing, {"received_from": today}).json()["count"] == 2
    assert client.get(listing, {"deadline": "overdue"}).json()["count"] == 0
    answer = client.get(listing, {"status": "nonsense", "accepted_from": "2025-13-01"})
    assert answer.status_code == 400 and set(fields(answer)) == {"status", "accepted_from"}
    assert " / " in message(answer, "status")
    answer = client.get(listing, {"received_from": "2025-07-10", "received_to": "2025-07-01"})
    assert fields(answer) == ["received_to"]
    client.force_login(qn_clerk)
    assert client.get(listing).json()["count"] == 0


def test_deadlines_and_the_overdue_filter(client, at_desk, desk_officer, processor, qn_clerk):  # noqa: F811
    from workdays.calendar import add_working_hours

    now = timezone.now()
    overdue = onestop.accept(at_desk(), desk_officer, at=now - datetime.timedelta(days=30))
    at_risk = onestop.accept(at_desk(), desk_officer, at=now - datetime.timedelta(days=30))
    Dossier.objects.filter(pk=at_risk.pk).update(due_at=add_working_hours(now, 1))
    fine = onestop.accept(at_desk(), desk_officer)
    client.force_login(desk_officer)
    body = client.get(reverse("api:onestop-deadlines")).json()
    assert [r["tracking_code"] for r in body["overdue"]] == [overdue.tracking_code]
    assert [r["tracking_code"] for r in body["at_risk"]] == [at_risk.tracking_code]
    assert body["overdue"][0]["remaining_hours"] < 0 and body["overdue"][0]["deadline_state"] == "overdue"
    assert body["running"] == 3 and body["agency"]["identifier"] == desk_officer.agency.identifier
    assert body["by_agency"] == [{"identifier": "000.00.12.H01", "name": "Sở Tư pháp tỉnh An Giang", "running": 3,
                                  "at_risk": 1, "overdue": 1}]
    listing = reverse("api:onestop-dossier-list")
    assert [r["tracking_code"] for r in client.get(listing, {"deadline": "overdue"}).json()["results"]] == [
        overdue.tracking_code]
    assert [r["tracking_code"] for r in client.get(listing, {"deadline": "on_time"}).json()["results"]] == [
        fine.tracking_code]
    # The deciding agency's processor sees the same; asking for an agency outside one's scope is refused.
    client.force_login(processor)
    assert client.get(reverse("api:onestop-deadlines"), {"agency": "000.00.12.H01"}).json()["running"] == 3
    answer = client.get(reverse("api:onestop-deadlines"), {"agency": "000.00.01.H01"})
    assert answer.status_code == 400 and fields(answer) == ["agency"]
    client.force_login(qn_clerk)
    assert client.get(reverse("api:onestop-deadlines")).json()["running"] == 0
    # A paused clock keeps the time that was left: a supplement asked for stops "overdue" from growing.
    onestop.request_supplement(fine, desk_officer, [onestop.SupplementLine("Tờ khai", "original", 1, "Sai")],
                               "Tờ khai sai thông tin")
    fine = Dossier.objects.get(pk=fine.pk)
    later = fine.due_at + datetime.timedelta(days=30)
    assert onestop.deadline_state(fine, later) != "overdue"
    assert onestop.remaining(fine, later) == onestop.remaining(fine, fine.pauses.get().started_at)


# --- Steps --------------------------------------------------------------------------------------------------


def test_accept_once_with_idempotency(officer_client, at_desk, intake_world):  # noqa: F811
    dossier = at_desk()
    answer = post(officer_client, "accept", dossier, key="acc-1")
    assert answer.status_code == 200, answer.content
    code = answer.json()["code"]
    assert code.startswith("000.00.12.H01-") and code.endswith("-0001")
    replay = post(officer_client, "accept", dossier, key="acc-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true" and replay.json()["code"] == code
    again = post(officer_client, "accept", dossier)
    assert again.status_code == 400 and fields(again) == ["status"]
    assert "không thể chuyển" in message(again, "status") and "cannot become" in message(again, "status")
    assert CodeCounter.objects.get().last == 1


def test_who_may_take_a_step(client, at_desk, processor, intake_world):  # noqa: F811
    dossier = at_desk()
    for user in (processor, intake_world["clerk"]):  # the processor may not receive; the clerk sees it only
        client.force_login(user)
        answer = post(client, "accept", dossier)
        assert answer.status_code == 403 and " / " in answer.json()["errors"][0]["message"]
        # Refused before the body is read: a bad body still answers 403.
        assert post(client, "refuse", dossier, {"reason": 5}).status_code == 403
    assert Dossier.objects.get(pk=dossier.pk).status == "received"


def test_supplement_refuse_and_withdraw(officer_client, at_desk):  # noqa: F811
    dossier = at_desk()
    answer = post(officer_client, "supplement", dossier, {"lines": [{"name": "", "kind": "copy", "count": 0}],
                                                         "reason": "Thiếu"})
    assert answer.status_code == 400
    assert set(fields(answer)) == {"lines.0.name", "lines.0.kind", "lines.0.count", "lines.0.reason"}
    answer = post(officer_client, "supplement", dossier, {"lines": [], "reason": "Thiếu giấy tờ"})
    assert fields(answer) == ["lines"]
    answer = post(officer_client, "supplement", dossier, {"lines": LINES, "reason": "x"})
    assert fields(answer) == ["reason"] and Dossier.objects.get(pk=dossier.pk).status == "received"
    answer = post(officer_client, "supplement", dossier, {"lines": LINES, "reason": "Thiếu bản chính"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "supplement_requested" and body["portal_status"] == 5
    assert body["supplement_requests"][0]["lines"] == LINES and body["supplement_requests"][0]["status"] == "open"
    answer = post(officer_client, "supplement-received", dossier)
    assert answer.status_code == 200 and answer.json()["supplement_requests"][0]["status"] == "answered"
    answer = post(officer_client, "refuse", dossier, {"reason": "ngắn"})
    assert fields(answer) == ["reason"] and "10" in message(answer, "reason")
    answer = post(officer_client, "refuse", dossier, {"reason": "Không thuộc thẩm quyền giải quyết"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "refused" and body["portal_status"] == 3 and body["notices"][0]["kind"] == "refusal"
    assert body["deadline_state"] == "none" and body["remaining_hours"] is None
    other = at_desk()
    answer = post(officer_client, "withdraw", other, {"reason": "Công dân có đơn xin rút hồ sơ"})
    assert answer.status_code == 200 and answer.json()["portal_status"] == 7


def test_processing_to_result(client, at_desk, desk_officer, processor, intake_world):  # noqa: F811
    dossier = onestop.accept(at_desk(), desk_officer)
    client.force_login(desk_officer)
    answer = post(client, "hand-off", dossier, {"to_username": "nobody", "days": 1})
    assert answer.status_code == 400 and fields(answer) == ["to_username"]
    answer = post(client, "hand-off", dossier, {"task": "Thẩm định"})
    assert fields(answer) == ["to_username"]
    answer = post(client, "hand-off", dossier, {"to_username": "processor", "days": 400})
    assert fields(answer) == ["days"]
    answer = post(client, "hand-off", dossier, {"to_username": "processor", "days": 1, "task": "Thẩm định"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "processing" and body["portal_status"] == 4
    assert body["steps"][0]["to_user"] == "processor" and body["steps"][0]["from_user"] == "centre_officer"
    client.force_login(processor)
    answer = post(client, "financial-obligation", dossier, {"amount": 0, "reason": "Lệ phí trước bạ"})
    assert fields(answer) == ["amount"]
    answer = post(client, "financial-obligation", dossier, {"amount": 500_000, "reason": "Lệ phí trước bạ"})
    body = answer.json()
    assert body["status"] == "financial_obligation" and body["portal_status"] == 6 and body["paused"] is True
    assert body["notices"][0]["amount"] == 500_000
    answer = post(client, "financial-obligation-met", dossier)
    assert answer.json()["status"] == "processing" and answer.json()["pauses"][0]["ended_at"]
    answer = post(client, "hand-off", dossier, {"to_label": "Lãnh đạo Sở", "days": 1, "task": "Ký duyệt"})
    assert [s["position"] for s in answer.json()["steps"]] == [1, 2]
    assert answer.json()["steps"][0]["done_at"] and answer.json()["steps"][0]["on_time"] is True
    answer = post(client, "result", dossier, {"reference": "", "fees_due": -1})
    assert set(fields(answer)) == {"fees_due"}
    answer = post(client, "result", dossier, {"reference": "", "fees_due": 0})
    assert fields(answer) == ["reference"]
    answer = post(client, "result", dossier, {"reference": "123/GKS", "fees_due": 8_000})
    body = answer.json()
    assert body["status"] == "processed" and body["portal_status"] == 9 and body["deadline_state"] == "done_on_time"
    assert body["result"]["reference"] == "123/GKS" and body["result"]["fees_due"] == 8_000
    assert body["result"]["on_time"] is True and body["result"]["item_id"] is None
    assert ProcessingStep.objects.filter(dossier=dossier, done_at__isnull=True).count() == 0
    client.force_login(desk_officer)
    answer = post(client, "hand-result", dossier, {"seal_numbers": ["!"]})
    assert fields(answer) == ["seal_numbers"]
    answer = post(client, "hand-result", dossier, {"seal_numbers": ["KQ-0001"]}, key="hr-1")
    assert answer.status_code == 200
    result_item = answer.json()["result"]["item_id"]
    assert result_item.startswith("EK") and any(i["kind"] == "result" for i in answer.json()["items"])
    assert post(client, "hand-result", dossier, {"seal_numbers": ["KQ-0001"]}, key="hr-1").json()[
        "result"]["item_id"] == result_item


def test_extend_stop_and_return_at_desk(officer_client, at_desk, desk_officer):  # noqa: F811
    from workdays.calendar import get_calendar

    dossier = onestop.accept(at_desk(), desk_officer)
    calendar = get_calendar()
    later = timezone.localtime(dossier.due_at).date() + datetime.timedelta(days=14)
    while not calendar.is_working_day(later):
        later += datetime.timedelta(days=1)
    sunday = later + datetime.timedelta(days=(6 - later.weekday()))
    answer = post(officer_client, "extend", dossier, {"new_due": sunday.isoformat(), "reason": "Cần xác minh thêm"})
    assert fields(answer) == ["new_due"] and "working day" in message(answer, "new_due")
    answer = post(officer_client, "extend", dossier, {"new_due": "soon", "reason": "Cần xác minh thêm"})
    assert fields(answer) == ["new_due"]
    answer = post(officer_client, "extend", dossier, {"new_due": dossier.due_at.isoformat(),
                                                      "reason": "Cần xác minh thêm"})
    assert fields(answer) == ["new_due"]  # not after the current date
    answer = post(officer_client, "extend", dossier, {"new_due": later.isoformat(), "reason": "Cần xác minh thêm"})
    assert answer.status_code == 200
    body = answer.json()
    due = datetime.datetime.fromisoformat(body["due_at"])
    assert timezone.localtime(due).date() == later and timezone.localtime(due).time() == calendar.day_end
    assert body["extensions"][0]["reason"] == "Cần xác minh thêm" and body["original_due_at"] != body["due_at"]
    answer = post(officer_client, "stop", dossier, {"reason": "Công dân không bổ sung đúng hạn"})
    assert answer.json()["status"] == "stopped" and answer.json()["portal_status"] == 8
    assert post(officer_client, "return-at-desk", dossier).status_code == 400
    # A dossier processed: the citizen collects the result at the desk.
    other = onestop.accept(at_desk(), desk_officer)
    onestop.hand_off(other, desk_officer, to_label="Phòng Hộ tịch", days=1)
    onestop.record_result(other, desk_officer, "45/GKS")
    answer = post(officer_client, "return-at-desk", other)
    assert answer.json()["status"] == "result_returned" and answer.json()["portal_status"] == 10


def test_a_refused_step_writes_nothing(officer_client, at_desk):  # noqa: F811
    dossier = at_desk()
    events = AuditEvent.objects.count()
    for name, data in (("stop", {"reason": "Không đủ điều kiện giải quyết"}), ("result", {"reference": "1/KQ"}),
                       ("financial-obligation-met", {}), ("hand-result", {"seal_numbers": ["KQ-0009"]})):
        answer = post(officer_client, name, dossier, data)
        assert answer.status_code == 400, name
        assert answer.json()["errors"][0]["field"] in ("status", "service_choice"), name
    assert AuditEvent.objects.count() == events and Dossier.objects.get(pk=dossier.pk).status == "received"


# --- Scanned documents -----------------------------------------------------------------------------------------


def test_attachments_up_and_down(client, at_desk, desk_officer, qn_clerk, settings):  # noqa: F811
    dossier = at_desk()
    client.force_login(desk_officer)
    upload = url("attachments", dossier)
    answer = client.post(upload, {"file": SimpleUploadedFile("giay-chung-sinh.pdf", PNG, "application/pdf"),
                                  "document_name": "Giấy chứng sinh"}, headers={"Idempotency-Key": "att-1"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["content_type"] == "image/png" and body["size"] == len(PNG)
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest() and body["document_name"] == "Giấy chứng sinh"
    replay = client.post(upload, {"file": SimpleUploadedFile("giay-chung-sinh.pdf", PNG, "application/pdf"),
                                  "document_name": "Giấy chứng sinh"}, headers={"Idempotency-Key": "att-1"})
    assert replay.status_code == 201 and Attachment.objects.count() == 1
    download = client.get(body["download"])
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="giay-chung-sinh.png"'
    assert b"".join(download.streaming_content) == PNG
    pdf = client.post(upload, {"file": SimpleUploadedFile("Tờ khai.pdf", PDF), "kind": "result"})
    assert pdf.status_code == 201 and pdf.json()["kind"] == "result"
    download = client.get(pdf.json()["download"])
    assert download["Content-Type"] == "application/pdf" and "filename*=utf-8''T%E1%BB%9D%20khai.pdf" in download[
        "Content-Disposition"]
    detail = client.get(url("detail", dossier)).json()
    assert [a["content_type"] for a in detail["attachments"]] == ["image/png", "application/pdf"]
    assert len(client.get(upload).json()) == 2
    text = client.post(upload, {"file": SimpleUploadedFile("scan.pdf", b"just some text")})
    assert text.status_code == 400 and fields(text) == ["file"] and "PDF, JPEG" in message(text, "file")
    settings.ATTACHMENT_MAX_BYTES = 16
    big = client.post(upload, {"file": SimpleUploadedFile("big.pdf", PDF)})
    assert big.status_code == 400 and fields(big) == ["file"]
    assert fields(client.post(upload, {"kind": "scan"})) == ["file"]
    assert Attachment.objects.count() == 2
    # Outside the scope: neither the list nor the file, nor another dossier's attachment through this one.
    other = at_desk()
    assert client.get(url("attachment-download", other, body["id"])).status_code == 404
    client.force_login(qn_clerk)
    assert client.get(body["download"]).status_code == 404
    assert client.get(upload).status_code == 404
    assert client.post(upload, {"file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 404


def test_schema_lists_the_onestop_endpoints(client, desk_officer):  # noqa: F811
    client.force_login(desk_officer)
    schema = client.get("/api/schema/?format=json").json()
    operations = {op["operationId"]: op for p in schema["paths"].values() for op in p.values()
                  if isinstance(op, dict) and "operationId" in op}
    for name in ("onestop_dossiers_list", "onestop_dossiers_detail", "onestop_dossiers_accept",
                 "onestop_dossiers_hand_off", "onestop_dossiers_extend", "onestop_attachments_upload",
                 "onestop_attachments_download", "onestop_deadlines", "dossiers_supplement_take_in"):
        assert operations[name]["tags"] == ["onestop"], name
