"""Intake through the API: /api/v1/dossiers/ (take in, list, read, quote, cancel) and /api/v1/items/…/check.

Every field error is named in the API's terms (applicant.phone, return_address_text…), bad input writes
nothing, the same Idempotency-Key twice creates one dossier, and a dossier outside the caller's scope is a 404."""

import pytest
from django.urls import reverse

from accounts.models import Role
from audit.models import AuditEvent
from bcci.models import IdempotencyRecord
from dossiers.models import Charge, ChecklistLine, Dossier
from postal import s10
from postal.models import Item, ItemSeries, Receipt, ReceiptCounter
from tests.conftest import make_user

INTAKE = "/api/v1/dossiers/"
QUOTE = "/api/v1/dossiers/quote"


def body(world, **overrides):
    """A complete, valid intake body: birth registration, choice 3, everything brought."""
    docs = list(world["birth"].documents.all())
    data = {
        "service_choice": 3, "procedure_code": "1.001612",
        "applicant": {"kind": "person", "name": "Nguyễn Thị Lan", "id_number": "089195000123",
                      "phone": "0912345678", "email": "lan@example.vn"},
        "return_address": {"street": "12 Hai Bà Trưng", "commune_code": world["my_hoa"].code},
        "checklist": [{"document_id": d.pk, "brought_count": d.count} for d in docs if d.mandatory],
        "seal_numbers": ["NP0001234"], "weight_grams": 350, "payment": {"method": "cash"},
    }
    data.update(overrides)
    return data


def applicant(**overrides):
    data = {"kind": "person", "name": "Nguyễn Thị Lan", "id_number": "089195000123", "phone": "0912345678",
            "email": "lan@example.vn"}
    data.update(overrides)
    return data


def post(client, data, key=None, url=INTAKE):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, data, content_type="application/json", headers=headers)


def counts():
    return {model.__name__: model.objects.count() for model in
            (Dossier, Item, Receipt, AuditEvent, ChecklistLine, Charge, IdempotencyRecord, ReceiptCounter)} | {
        "next_serials": sorted(ItemSeries.objects.values_list("next_serial", flat=True))}


def fields(response):
    return [e["field"] for e in response.json()["errors"]]


def message(response, field):
    return " ".join(e["message"] for e in response.json()["errors"] if e["field"] == field)


@pytest.fixture
def clerk_client(client, intake_world):
    client.force_login(intake_world["clerk"])
    return client


# --- Happy paths --------------------------------------------------------------------------------------------


def test_intake_both_ways(clerk_client, intake_world):
    response = post(clerk_client, body(intake_world))
    assert response.status_code == 201, response.content
    data = response.json()
    dossier = Dossier.objects.get()
    assert data["tracking_code"] == dossier.tracking_code and len(data["tracking_code"]) == 12
    assert data["tracking_code_display"] == dossier.display_tracking_code
    assert data["status"] == "received" and data["service_choice"] == 3 and data["channel"] == "counter"
    assert data["procedure"] == {"code": "1.001612", "name": "Đăng ký khai sinh", "version": 1}
    assert data["agency"] == {"identifier": "000.00.12.H01", "name": "Sở Tư pháp tỉnh An Giang"}
    assert data["desk"] == {"code": "MC-T91", "name": "Trung tâm PVHCC tỉnh An Giang"}
    assert data["post_office"] == {"code": "880000", "name": "Bưu cục Long Xuyên"}
    assert data["received_at"] and data["expected_arrival"] and data["received_by"] == "an_clerk"
    assert data["applicant"] == {"kind": "person", "name": "Nguyễn Thị Lan", "id_number": "089195000123",
                                 "phone": "0912345678", "email": "lan@example.vn", "street": "",
                                 "commune_code": None}
    assert data["return_address"]["commune_code"] == "30313" and data["return_address"]["street"] == "12 Hai Bà Trưng"
    assert [line["brought_count"] for line in data["checklist"]] == [1, 1, 0]
    assert data["checklist"][0]["document_id"] and data["checklist"][2]["mandatory"] is False
    assert data["seal_numbers"] == ["NP0001234"] and data["weight_grams"] == 350
    [item] = data["items"]
    assert item["item_id"] == s10.make("EH", 10_000_000) and s10.is_valid(item["item_id"])
    assert item["kind"] == "dossier" and item["status"] == "pending" and item["custodian_kind"] == "post_office"
    assert item["custodian"] == {"code": "880000", "name": "Bưu cục Long Xuyên"}
    kinds = {c["kind"]: c["amount"] for c in data["charges"]}
    assert kinds == {"postage_send": 16_000, "agency_fee": 25_000, "postage_return": 22_000}
    assert data["amount_paid"] == 63_000 == data["postage_total"] + data["fee_total"]
    [receipt] = data["receipts"]
    assert receipt["code"] == f"880000-{receipt['issued_at'][:4]}-000001" and receipt["total"] == 63_000
    assert receipt["method"] == "cash" and receipt["number"] == 1
    assert set(data["links"]) == {"slip", "label", "receipt", "api"}
    assert data["links"]["api"].endswith(f"/api/v1/dossiers/{dossier.tracking_code}/")
    assert AuditEvent.objects.filter(action="dossier.received", object_id=str(dossier.pk)).exists()


def test_intake_send_only(clerk_client, intake_world):
    response = post(clerk_client, body(intake_world, service_choice=1, return_address=None))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["service_choice"] == 1 and data["return_address"]["commune_code"] is None
    assert {c["kind"] for c in data["charges"]} == {"postage_send", "agency_fee"}
    assert len(data["items"]) == 1 and data["expected_arrival"]


def test_intake_receive_only(clerk_client, intake_world):
    response = post(clerk_client, body(intake_world, service_choice=2, checklist=[], seal_numbers=[],
                                       external_code="000.00.12.H01-250701-0001"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["service_choice"] == 2 and data["external_code"] == "000.00.12.H01-250701-0001"
    assert data["items"] == [] and data["checklist"] == [] and data["expected_arrival"] is None
    assert [c["kind"] for c in data["charges"]] == ["postage_return"]
    assert data["receipts"][0]["total"] == 22_000


def test_intake_organisation_with_tax_code_and_preprinted_label(clerk_client, intake_world):
    label = "eh 0000 0001 4vn"  # as typed: spaces and lower case
    response = post(clerk_client, body(intake_world, item_id=label, applicant=applicant(
        kind="organisation", name="Công ty TNHH Lan", id_number="0100109106", phone="+84 912 345 678")))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["items"][0]["item_id"] == "EH000000014VN" == s10.make("EH", 1)
    assert data["applicant"]["kind"] == "organisation" and data["applicant"]["id_number"] == "0100109106"
    assert data["applicant"]["phone"] == "0912345678"
    assert ItemSeries.objects.get(indicator="EH").next_serial == 10_000_000  # nothing taken from the range


def test_intake_by_a_national_admin_is_refused(client, intake_world, national_admin):
    client.force_login(national_admin)
    before = counts()
    response = post(client, body(intake_world, post_office_code="880000"))
    assert response.status_code == 403
    assert "tiếp nhận" in response.json()["errors"][0]["message"]
    assert counts() == before


# --- Every field error is named, and nothing is written -------------------------------------------------------


@pytest.mark.parametrize("overrides, field, words", [
    ({"applicant": applicant(id_number="12345")}, "applicant.id_number", "12"),
    ({"applicant": applicant(id_number="999195000123")}, "applicant.id_number", "province code"),
    ({"applicant": applicant(kind="organisation", id_number="0100109107")}, "applicant.id_number", "check digit"),
    ({"applicant": applicant(kind="organisation", id_number="12")}, "applicant.id_number", "tax code"),
    ({"applicant": applicant(phone="0123456789")}, "applicant.phone", "mobile"),
    ({"applicant": applicant(email="lan@")}, "applicant.email", "email"),
    ({"applicant": applicant(name="  ")}, "applicant.name", "name"),
    ({"applicant": applicant(kind="robot")}, "applicant.kind", "valid choice"),
    ({"applicant": applicant(commune_code="99999")}, "applicant.commune_code", "99999"),
    ({"return_address": {"street": "12 Hai Bà Trưng"}}, "return_address.commune_code", "commune"),
    ({"return_address": None}, "return_address.commune_code", "commune"),
    ({"return_address": {"street": "1 A", "commune_code": "77777"}}, "return_address.commune_code", "77777"),
    ({"return_address": {"commune_code": "30313"}}, "return_address.street", "street"),
    ({"seal_numbers": []}, "seal_numbers", "seal"),
    ({"seal_numbers": ["!"]}, "seal_numbers", "Seal number"),
    ({"seal_numbers": ["NP0001", "NP0001"]}, "seal_numbers", "repeat"),
    ({"item_id": "EH000000016VN"}, "item_id", "check digit"),  # EH000000014VN is right
    ({"item_id": "EH12"}, "item_id", "S10"),
    ({"procedure_code": "9.999999"}, "procedure_code", "No procedure"),
    ({"procedure_code": "1.000894"}, "procedure_code", "Legal basis: Quyết định số 2358/QĐ-UBND"),
    ({"service_choice": 7}, "service_choice", "valid choice"),
    ({"payment": {}}, "payment.method", "cash"),
    ({"payment": {"method": "bitcoin"}}, "payment.method", "valid choice"),
    ({"weight_grams": 0}, "weight_grams", "greater than or equal to 1"),
    ({"weight_grams": "heavy"}, "weight_grams", "Invalid"),
    ({"checklist": [{"document_id": 999999, "brought_count": 1}]}, "checklist", "not part"),
    ({"checklist": [{"document_id": 1, "brought_count": 100}]}, "checklist.0.brought_count", "less than or equal"),
    ({"checklist": [{"document_id": 1, "brought_count": 1}, {"document_id": 2, "brought_count": 1,
                                                             "brought_kind": "scan"}]},
     "checklist.1.brought_kind", "valid choice"),
    ({"service_choice": 2, "checklist": [], "seal_numbers": []}, "external_code", "dossier code"),
    ({"post_office_code": "580000"}, "post_office_code", "580000"),
    ({"note": "a\x00b"}, "note", "Null characters"),
])
def test_field_errors_are_named_and_write_nothing(clerk_client, intake_world, qn_post_office, overrides, field,
                                                   words):
    before = counts()
    response = post(clerk_client, body(intake_world, **overrides), key="k-" + field)
    assert response.status_code == 400, response.content
    assert field in fields(response), response.json()
    text = message(response, field)
    assert " / " in text and words in text, text
    for error in response.json()["errors"]:
        assert error["field"] and " / " in error["message"], error
    assert counts() == before


def test_not_by_post_gives_the_reason_and_the_legal_basis(clerk_client, intake_world):
    response = post(clerk_client, body(intake_world, procedure_code="1.000894"))
    assert fields(response) == ["procedure_code"]
    text = message(response, "procedure_code")
    assert "Hai bên nam, nữ phải có mặt" in text and "Quyết định số 2358/QĐ-UBND" in text
    assert "does not allow dossiers of procedure 1.000894 by post" in text


def test_several_errors_at_once(clerk_client, intake_world):
    response = post(clerk_client, body(intake_world, applicant=applicant(phone="12", id_number="1"),
                                       seal_numbers=[]))
    assert response.status_code == 400
    assert {"applicant.phone", "applicant.id_number", "seal_numbers"} <= set(fields(response))


def test_wrong_check_digit_says_which_digit(clerk_client, intake_world):
    response = post(clerk_client, body(intake_world, item_id="EH000000016VN"))
    text = message(response, "item_id")
    assert "sai số kiểm tra" in text and "should be 4, not 6" in text


def test_an_item_id_already_used_is_refused(clerk_client, intake_world):
    assert post(clerk_client, body(intake_world, item_id="EH000000014VN")).status_code == 201
    before = counts()
    response = post(clerk_client, body(intake_world, item_id="EH000000014VN", seal_numbers=["NP0009999"]))
    assert response.status_code == 400 and "already used" in message(response, "item_id")
    assert counts() == before


@pytest.mark.parametrize("payload", [[1, 2], "text", {"applicant": "x"}, {}])
def test_bad_shapes_are_clear_400s(clerk_client, intake_world, payload):
    before = counts()
    response = post(clerk_client, payload)
    assert response.status_code == 400
    for error in response.json()["errors"]:
        assert " / " in error["message"], error
    assert counts() == before


def test_malformed_json(clerk_client, intake_world):
    response = clerk_client.post(INTAKE, "{nope", content_type="application/json")
    assert response.status_code == 400 and "Malformed" in response.json()["errors"][0]["message"]


# --- The checklist ----------------------------------------------------------------------------------------------


def _only_the_form(world):
    form = world["birth"].documents.get(position=1)
    return [{"document_id": form.pk, "brought_count": 1}]


def test_missing_mandatory_document_blocks_with_what_to_bring(clerk_client, intake_world):
    before = counts()
    response = post(clerk_client, body(intake_world, checklist=_only_the_form(intake_world)))
    assert response.status_code == 400 and fields(response) == ["checklist"]
    text = message(response, "checklist")
    assert "Giấy chứng sinh (Bản chính × 1)" in text and "should bring" in text
    assert "Tờ khai" not in text
    assert counts() == before


def test_a_photocopy_does_not_replace_an_original(clerk_client, intake_world):
    docs = [{"document_id": d.pk, "brought_count": 1, "brought_kind": "photocopy"}
            for d in intake_world["birth"].documents.filter(mandatory=True)]
    response = post(clerk_client, body(intake_world, checklist=docs))
    assert response.status_code == 400 and "Giấy chứng sinh" in message(response, "checklist")


def test_a_clerk_cannot_override_the_checklist(clerk_client, intake_world):
    before = counts()
    response = post(clerk_client, body(intake_world, checklist=_only_the_form(intake_world),
                                       override_reason="Công dân bổ sung giấy chứng sinh sau"))
    assert response.status_code == 400 and fields(response) == ["override_reason"]
    assert "allowed" in message(response, "override_reason")
    assert counts() == before


def test_a_manager_overrides_with_a_reason(client, intake_world, ag_manager):
    client.force_login(ag_manager)
    response = post(client, body(intake_world, checklist=_only_the_form(intake_world), override_reason="ngắn"))
    assert response.status_code == 400 and "10" in message(response, "override_reason")
    reason = "Công dân cam kết bổ sung giấy chứng sinh trong 2 ngày"
    response = post(client, body(intake_world, checklist=_only_the_form(intake_world), override_reason=reason))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["checklist_override_reason"] == reason and data["checklist"][1]["brought_count"] == 0
    event = AuditEvent.objects.get(action="dossier.received")
    assert event.after["override_reason"] == reason and "Giấy chứng sinh" in event.after["missing_overridden"][0]


# --- Idempotency ------------------------------------------------------------------------------------------------


def test_same_idempotency_key_twice_creates_one_dossier(clerk_client, intake_world):
    first = post(clerk_client, body(intake_world), key="form-42")
    second = post(clerk_client, body(intake_world), key="form-42")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Dossier.objects.count() == Item.objects.count() == Receipt.objects.count() == 1
    assert Dossier.objects.get().submission_key == f"api:{intake_world['clerk'].pk}:form-42"


def test_same_key_with_another_body_is_422(clerk_client, intake_world):
    assert post(clerk_client, body(intake_world), key="form-43").status_code == 201
    before = counts()
    response = post(clerk_client, body(intake_world, note="changed"), key="form-43")
    assert response.status_code == 422 and fields(response) == ["Idempotency-Key"]
    assert counts() == before


def test_the_submission_key_holds_even_without_the_idempotency_record(clerk_client, intake_world):
    """Second line of defence: take_in's submission key (e.g. a record lost after a crash)."""
    first = post(clerk_client, body(intake_world), key="form-44")
    IdempotencyRecord.objects.all().delete()
    second = post(clerk_client, body(intake_world), key="form-44")
    assert second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert second.json()["tracking_code"] == first.json()["tracking_code"] and Dossier.objects.count() == 1


def test_a_long_idempotency_key_still_fits(clerk_client, intake_world):
    key = "x" * 200
    assert post(clerk_client, body(intake_world), key=key).status_code == 201
    assert len(Dossier.objects.get().submission_key) <= 80
    assert post(clerk_client, body(intake_world), key=key)["Idempotent-Replayed"] == "true"
    assert Dossier.objects.count() == 1


def test_another_users_key_is_another_submission(client, intake_world, ag_manager):
    client.force_login(intake_world["clerk"])
    assert post(client, body(intake_world), key="same").status_code == 201
    client.force_login(ag_manager)
    assert post(client, body(intake_world, seal_numbers=["NP0002"]), key="same").status_code == 201
    assert Dossier.objects.count() == 2


def test_a_refused_request_does_not_burn_the_key(clerk_client, intake_world):
    assert post(clerk_client, body(intake_world, seal_numbers=[]), key="form-45").status_code == 400
    assert post(clerk_client, body(intake_world), key="form-45").status_code == 201


# --- Scope ------------------------------------------------------------------------------------------------------


@pytest.fixture
def ag_dossier(make_intake):
    return make_intake()


def test_scope_detail_and_list(client, ag_dossier, qn_clerk, ag_officer, ag_admin, intake_world):
    detail = reverse("api:dossier-detail", args=[ag_dossier.tracking_code])
    client.force_login(qn_clerk)
    response = client.get(detail)
    assert response.status_code == 404 and response.json()["errors"][0]["message"] == "Không tìm thấy. / Not found."
    assert client.get(INTAKE).json()["count"] == 0
    assert client.post(reverse("api:dossier-cancel", args=[ag_dossier.tracking_code]),
                       {"reason": "Nhầm thủ tục, hủy hồ sơ"}, content_type="application/json").status_code == 404
    for user in (ag_officer, ag_admin, intake_world["clerk"]):
        client.force_login(user)
        assert client.get(detail).status_code == 200, user
        listed = client.get(INTAKE).json()
        assert [d["tracking_code"] for d in listed["results"]] == [ag_dossier.tracking_code]


def test_a_qn_clerk_checking_an_ag_item_learns_nothing(client, ag_dossier, qn_clerk):
    item_id = ag_dossier.items.get().item_id
    client.force_login(qn_clerk)
    data = client.get(reverse("api:item-check", args=[item_id])).json()
    assert data["valid"] is True and data["known"] is False and data["dossier_tracking_code"] is None


def test_a_qn_clerk_cannot_take_in_at_an_ag_post_office(client, intake_world, qn_clerk):
    client.force_login(qn_clerk)
    response = post(client, body(intake_world, post_office_code="880000"))
    assert response.status_code == 400 and fields(response) == ["post_office_code"]


def test_a_clerk_takes_in_only_at_their_own_post_office(client, intake_world, ag_commune_point):
    other = make_user("my_hoa_clerk", Role.COUNTER_CLERK, post_office=ag_commune_point)
    client.force_login(other)
    before = counts()
    response = post(client, body(intake_world, post_office_code="880000"))
    assert response.status_code == 400 and fields(response) == ["post_office_code"]
    # At their own commune point, which has no item-id range yet: named, nothing written.
    response = post(client, body(intake_world, post_office_code="881234"))
    assert response.status_code == 400 and fields(response) == ["item_id"]
    assert "no item-id range" in message(response, "item_id")
    assert counts() == before


def test_anonymous_is_refused(client, ag_dossier, intake_world):
    for response in (
        client.get(INTAKE),
        client.get(reverse("api:dossier-detail", args=[ag_dossier.tracking_code])),
        post(client, body(intake_world)),
        post(client, {"service_choice": 3, "procedure_code": "1.001612"}, url=QUOTE),
        client.get("/api/v1/items/check", {"item_id": "EH000000014VN"}),
    ):
        assert response.status_code in (401, 403)
        assert "Chưa đăng nhập" in response.json()["errors"][0]["message"]


def test_detail_accepts_the_formatted_code(clerk_client, ag_dossier):
    code = ag_dossier.display_tracking_code.lower()
    response = clerk_client.get(reverse("api:dossier-detail", args=[code]))
    assert response.status_code == 200 and response.json()["tracking_code"] == ag_dossier.tracking_code
    assert clerk_client.get(reverse("api:dossier-detail", args=["NOPE"])).status_code == 404


# --- List filters -----------------------------------------------------------------------------------------------


def test_list_filters(clerk_client, intake_world, make_intake):
    import datetime

    from django.utils import timezone

    both = make_intake()
    receive = make_intake(service_choice=2, checklist=[], seal_numbers=[], external_code="X-1")
    today = timezone.localdate()

    def codes(**params):
        response = clerk_client.get(INTAKE, params)
        assert response.status_code == 200, response.content
        return {d["tracking_code"] for d in response.json()["results"]}

    assert codes() == {both.tracking_code, receive.tracking_code}
    assert codes(service_choice=2) == {receive.tracking_code}
    assert codes(status="received", procedure_code="1.001612") == {both.tracking_code, receive.tracking_code}
    assert codes(status="cancelled") == set()
    assert codes(post_office_code="880000", received_from=today.isoformat(), received_to=today.isoformat()) == {
        both.tracking_code, receive.tracking_code}
    assert codes(received_from=(today + datetime.timedelta(days=1)).isoformat()) == set()
    assert codes(post_office_code="580000") == set()
    listed = clerk_client.get(INTAKE).json()
    assert listed["count"] == 2 and listed["results"][0]["procedure_name"] == "Đăng ký khai sinh"


@pytest.mark.parametrize("params, field", [
    ({"received_from": "01/07/2025"}, "received_from"),
    ({"status": "lost"}, "status"),
    ({"service_choice": "9"}, "service_choice"),
    ({"received_from": "2025-07-02", "received_to": "2025-07-01"}, "received_to"),
])
def test_list_bad_filters_are_named(clerk_client, intake_world, params, field):
    response = clerk_client.get(INTAKE, params)
    assert response.status_code == 400 and fields(response) == [field]
    assert " / " in response.json()["errors"][0]["message"]


# --- Old addresses ----------------------------------------------------------------------------------------------


def test_an_old_address_that_resolves_is_used(clerk_client, intake_world):
    text = "12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang"
    response = post(clerk_client, body(intake_world, return_address=None, return_address_text=text))
    assert response.status_code == 201, response.content
    address = response.json()["return_address"]
    assert address == {"street": "12 Trần Hưng Đạo", "commune_code": "30307", "commune_name": "Phường Long Xuyên",
                       "province_name": "Tỉnh An Giang", "as_declared": text}


def test_a_chosen_commune_wins_over_the_text(clerk_client, intake_world):
    text = "Phường Mỹ Bình"  # ambiguous alone; the clerk chose 30307 with the citizen
    response = post(clerk_client, body(intake_world, return_address={"street": "5 Lê Lợi", "commune_code": "30307"},
                                       return_address_text=text))
    assert response.status_code == 201, response.content
    assert response.json()["return_address"]["commune_code"] == "30307"
    assert response.json()["return_address"]["as_declared"] == text


def test_an_ambiguous_old_address_lists_the_candidates_and_guesses_nothing(clerk_client, intake_world):
    before = counts()
    response = post(clerk_client, body(intake_world, return_address=None, return_address_text="Phường Mỹ Bình"))
    assert response.status_code == 400 and fields(response) == ["return_address_text"]
    text = message(response, "return_address_text")
    assert "30307 Phường Long Xuyên (Tỉnh An Giang)" in text and "Khánh Hòa" in text
    assert "return_address.commune_code" in text
    assert counts() == before


def test_a_split_old_ward_is_ambiguous(clerk_client, intake_world):
    response = post(clerk_client, body(intake_world, return_address=None,
                                       return_address_text="Phường Quan Hoa, Quận Cầu Giấy, Thành phố Hà Nội"))
    assert response.status_code == 400 and fields(response) == ["return_address_text"]
    assert "Hà Nội" in message(response, "return_address_text")


@pytest.mark.parametrize("text, words", [
    ("Phường Không Có, Quận Hư Cấu, Tỉnh An Giang", " / "),
    ("45 Nguyễn Thị Minh Khai, P.1, Q.3, TP HCM", "not loaded"),  # resolves, but that unit is not in this database
])
def test_an_old_address_not_found_is_named(clerk_client, intake_world, text, words):
    before = counts()
    response = post(clerk_client, body(intake_world, return_address=None, return_address_text=text))
    assert response.status_code == 400 and fields(response) == ["return_address_text"]
    assert words in message(response, "return_address_text")
    assert counts() == before


# --- Quote ------------------------------------------------------------------------------------------------------


def test_quote(clerk_client, intake_world):
    before = counts()
    response = post(clerk_client, {"service_choice": 3, "procedure_code": "1.001612", "commune_code": "30313",
                                   "weight_grams": 2600}, url=QUOTE)
    assert response.status_code == 200, response.content
    data = response.json()
    assert {c["kind"]: c["amount"] for c in data["charges"]} == {
        "postage_send": 22_000, "agency_fee": 25_000, "postage_return": 28_000}  # 2 steps of 500 g over 2 kg
    assert data["total"] == 75_000 and data["postage"] == 50_000 and data["fees"] == 25_000
    assert data["desk"]["code"] == "MC-T91" and data["expected_arrival"]
    assert data["post_office"]["code"] == "880000" and data["procedure"]["version"] == 1
    assert [(d["name"], d["kind"], d["count"], d["mandatory"]) for d in data["checklist"]] == [
        ("Tờ khai đăng ký khai sinh", "original", 1, True), ("Giấy chứng sinh", "original", 1, True),
        ("Văn bản ủy quyền", "certified_copy", 1, False)]
    assert counts() == before


def test_quote_receive_only_and_unknown_commune(clerk_client, intake_world):
    data = post(clerk_client, {"service_choice": 2, "procedure_code": "1.001612"}, url=QUOTE).json()
    assert data["checklist"] == [] and data["expected_arrival"] is None
    assert data["charges"][0]["zone"] == "other_province" and data["total"] == 32_000


@pytest.mark.parametrize("payload, field, words", [
    ({"service_choice": 1, "procedure_code": "1.000894"}, "procedure_code", "Hai bên nam, nữ phải có mặt"),
    ({"service_choice": 1, "procedure_code": "0.0"}, "procedure_code", "No procedure"),
    ({"service_choice": 5, "procedure_code": "1.001612"}, "service_choice", "valid choice"),
    ({"service_choice": 3, "procedure_code": "1.001612", "commune_code": "1"}, "commune_code", "00001"),
    ({"service_choice": 3, "procedure_code": "1.001612", "post_office_code": "999"}, "post_office_code", "999"),
])
def test_quote_errors(clerk_client, intake_world, payload, field, words):
    response = post(clerk_client, payload, url=QUOTE)
    assert response.status_code == 400 and fields(response) == [field]
    assert words in message(response, field)


def test_quote_without_a_post_office(client, intake_world, ag_admin):
    client.force_login(ag_admin)
    response = post(client, {"service_choice": 1, "procedure_code": "1.001612"}, url=QUOTE)
    assert response.status_code == 400 and fields(response) == ["post_office_code"]
    response = post(client, {"service_choice": 1, "procedure_code": "1.001612", "post_office_code": "880000"},
                    url=QUOTE)
    assert response.status_code == 200 and response.json()["total"] == 41_000


# --- Cancel -----------------------------------------------------------------------------------------------------


def test_cancel(client, ag_dossier, ag_manager, intake_world):
    url = reverse("api:dossier-cancel", args=[ag_dossier.tracking_code])
    client.force_login(intake_world["clerk"])
    response = client.post(url, {"reason": "Nhầm thủ tục, hủy hồ sơ"}, content_type="application/json")
    assert response.status_code == 403 and " / " in response.json()["errors"][0]["message"]
    client.force_login(ag_manager)
    response = client.post(url, {"reason": "ngắn"}, content_type="application/json")
    assert response.status_code == 400 and fields(response) == ["reason"]
    response = client.post(url, {"reason": "Nhầm thủ tục, hủy hồ sơ"}, content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "cancelled" and data["items"][0]["status"] == "cancelled"
    response = client.post(url, {"reason": "Nhầm thủ tục, hủy lần nữa"}, content_type="application/json")
    assert response.status_code == 400 and fields(response) == ["status"]


# --- S10 item id check ------------------------------------------------------------------------------------------


def test_item_check_known_item(clerk_client, ag_dossier):
    item_id = ag_dossier.items.get().item_id
    typed = f"{item_id[:2].lower()} {item_id[2:6]} {item_id[6:]}"
    for response in (clerk_client.get(reverse("api:item-check", args=[typed])),
                     clerk_client.get("/api/v1/items/check", {"item_id": typed})):
        data = response.json()
        assert response.status_code == 200 and data["valid"] is True and data["known"] is True
        assert data["item_id"] == item_id and data["item_status"] == "pending"
        assert data["dossier_tracking_code"] == ag_dossier.tracking_code and data["dossier_status"] == "received"
        assert ag_dossier.display_tracking_code in data["message"] and " / " in data["message"]


@pytest.mark.parametrize("typed, valid, words", [
    ("EH000000014VN", True, "is valid"),
    ("eh000000016vn", False, "the 11th character should be 4, not 6"),
    ("RB123456785GB", False, "not a domestic item"),
    ("hello", False, "not an S10 item id"),
])
def test_item_check(clerk_client, intake_world, typed, valid, words):
    data = clerk_client.get(reverse("api:item-check", args=[typed])).json()
    assert data["valid"] is valid and data["known"] is False and words in data["message"]
    assert data["item_id"] == typed.upper()


def test_item_check_needs_the_id(clerk_client, intake_world):
    response = clerk_client.get("/api/v1/items/check")
    assert response.status_code == 400 and fields(response) == ["item_id"]


def test_links_to_the_printed_documents(clerk_client, ag_dossier):
    data = clerk_client.get(reverse("api:dossier-detail", args=[ag_dossier.tracking_code])).json()
    receipt = ag_dossier.receipts.get()
    assert data["links"]["slip"] == f"http://testserver/ho-so/{ag_dossier.tracking_code}/phieu.pdf"
    assert data["links"]["label"] == f"http://testserver/ho-so/{ag_dossier.tracking_code}/nhan.pdf"
    assert data["links"]["receipt"] == f"http://testserver/ho-so/{ag_dossier.tracking_code}/bien-lai/{receipt.pk}.pdf"
    assert data["receipts"][0]["pdf"] == data["links"]["receipt"]
    response = clerk_client.get(data["links"]["slip"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
