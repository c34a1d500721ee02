"""Hand-over manifests through the API (/api/v1/manifests/…) and the staff item view (/api/v1/items/{id}/):
counter → desk and the result back, refusals naming their field (nothing changes), the wrong side is a 403 with
the reason, idempotent POSTs, and scopes (404 outside)."""

import pytest
from django.db import transaction

from accounts.models import Role
from audit.models import AuditEvent
from custody import services as custody
from custody.models import Incident, ItemEvent, Manifest, ManifestLine
from postal import s10
from postal.models import Item
from tests.conftest import make_user

API = "/api/v1/manifests/"


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


def wrong_check_digit(item_id: str) -> str:
    return item_id[:10] + str((int(item_id[10]) + 1) % 10) + item_id[11:]


def state():
    return {
        "manifests": sorted(Manifest.objects.values_list("code", "status", "seal_number", "courier_name")),
        "lines": sorted(ManifestLine.objects.values_list("manifest__code", "item__item_id", "condition")),
        "items": sorted(Item.objects.values_list("item_id", "status", "custodian_kind")),
        "events": ItemEvent.objects.count(), "incidents": Incident.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def post(client, url, data=None, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(url, data or {}, content_type="application/json", headers=headers)


def errors(response) -> dict:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def open_to(client, kind, code):
    response = post(client, API, {"destination": {"kind": kind, "code": code}})
    assert response.status_code == 201, response.json()
    return response.json()


def result_at_desk(dossier, desk, post_office):
    from postal.services import create_item

    with transaction.atomic():
        item = create_item(dossier, "result", "return_result", post_office=post_office, weight_grams=120)
        custody.move(item, "result_ready", "desk", desk, source="system", check_transition=False)
    return item


def test_counter_to_desk_and_back(client, make_intake, intake_world, ag_postman, desk_officer):
    clerk, desk, office = intake_world["clerk"], intake_world["desk"], intake_world["post_office"]
    first, second = make_intake(), make_intake()
    a, b = first.outbound_item.item_id, second.outbound_item.item_id

    client.force_login(clerk)
    body = open_to(client, "desk", desk.code)
    code = body["code"]
    assert body["status"] == "open" and body["origin"] == {"kind": "post_office", "code": office.code,
                                                           "name": office.name}
    assert body["destination"]["code"] == desk.code and body["lines"] == []
    response = post(client, f"{API}{code}/items", {"item_id": a}, key="add-a")
    assert response.status_code == 201
    again = post(client, f"{API}{code}/items", {"item_id": a}, key="add-a")  # the same request again
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    response = post(client, f"{API}{code}/items", {"item_id": b.lower()})
    line = response.json()["lines"][1]
    assert line["item_id"] == b and line["dossier_tracking_code"] == second.tracking_code
    assert line["procedure_code"] == "1.001612" and line["seal_numbers"] == ["NP0001234"]
    assert response.json()["item_count"] == 2
    response = client.delete(f"{API}{code}/items/{b}")
    assert response.status_code == 200 and response.json()["item_count"] == 1
    post(client, f"{API}{code}/items", {"item_id": b})

    listed = client.get(API, {"direction": "outgoing", "status": "open"}).json()
    assert [m["code"] for m in listed["results"]] == [code] and listed["results"][0]["item_count"] == 2
    assert client.get(API, {"direction": "incoming"}).json()["results"] == []

    response = post(client, f"{API}{code}/close", {"seal_number": "bk-0001"})
    assert response.status_code == 200 and response.json()["seal_number"] == "BK-0001"
    assert response.json()["sender"]["closed"]["by"]["username"] == clerk.username
    response = post(client, f"{API}{code}/dispatch", {"courier_username": ag_postman.username, "location": "Quầy 1"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "dispatched" and body["courier"]["username"] == ag_postman.username
    assert body["sender"]["dispatched"]["location"] == "Quầy 1" and body["due_at"]
    assert body["pdf_url"].endswith(f"/buu-gui/bang-ke/{code}/bang-ke.pdf")

    # The desk: incoming, receive one intact, confirm; the other is missing.
    client.force_login(desk_officer)
    incoming = client.get(API, {"direction": "incoming"}).json()["results"]
    assert [m["code"] for m in incoming] == [code]
    response = post(client, f"{API}{code}/receive", {"item_id": a})
    assert response.status_code == 200, response.json()
    assert response.json()["on_manifest"] is True and response.json()["condition"] == "ok"
    assert response.json()["manifest"]["counts"]["ok"] == 1
    response = post(client, f"{API}{code}/finish", {"location": "Quầy tiếp nhận"})
    body = response.json()
    assert response.status_code == 200 and body["status"] == "discrepancies"
    assert body["receiver"]["by"]["username"] == desk_officer.username
    assert body["receiver"]["location"] == "Quầy tiếp nhận" and body["receiver"]["at"]
    assert body["counts"]["missing"] == 1
    assert [(i["item_id"], i["reason"]) for i in body["incidents"]] == [(b, "missing")]
    # Found later: scanning it takes it in and resolves the incident.
    response = post(client, f"{API}{code}/receive", {"item_id": b, "condition": "damaged", "note": "Ướt"})
    assert response.status_code == 200 and response.json()["incident_code"]
    assert Incident.objects.get(item__item_id=b, reason="missing").status == "resolved"

    # The result back to the delivering post office.
    result = result_at_desk(first, desk, office)
    back = open_to(client, "post_office", office.code)
    assert back["origin"]["kind"] == "desk" and back["origin"]["code"] == desk.code
    response = post(client, f"{API}{back['code']}/items", {"item_id": result.item_id})
    assert response.status_code == 201, response.json()
    post(client, f"{API}{back['code']}/close", {"seal_number": "KQ-SEAL-1"})
    response = post(client, f"{API}{back['code']}/dispatch", {"courier_username": ag_postman.username})
    assert response.status_code == 200, response.json()  # a postman of the delivering post office collects it

    client.force_login(clerk)
    response = post(client, f"{API}{back['code']}/receive", {"item_id": result.item_id})
    assert response.status_code == 200
    response = post(client, f"{API}{back['code']}/finish")
    assert response.json()["status"] == "received"
    result.refresh_from_db()
    assert result.status == "pending" and result.custodian_post_office == office
    custody.check_custody(result)

    # The staff item view.
    response = client.get(f"/api/v1/items/{result.item_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending" and body["custodian"]["kind"] == "post_office"
    assert body["custodian"]["code"] == office.code
    assert [e["status"] for e in body["events"]] == ["result_ready", "in_transit", "pending"]
    assert [c["kind"] for c in body["custodians"]] == ["desk", "manifest", "post_office"]
    assert body["custodians"][1]["code"] == back["code"] and body["custodians"][-1]["until"] is None
    assert [m["code"] for m in body["manifests"]] == [back["code"]]
    assert body["dossier"]["tracking_code"] == first.tracking_code
    item_b = client.get(f"/api/v1/items/{b}/").json()
    assert {i["reason"] for i in item_b["incidents"]} == {"missing", "damaged"}
    assert any(not e["applied"] for e in item_b["events"])
    # The intake API's check endpoint still answers beside this one.
    assert client.get(f"/api/v1/items/{a}/check").json()["valid"] is True


def test_extra_package_is_taken_in_with_an_incident(client, make_intake, intake_world, ag_postman, desk_officer):
    clerk, desk = intake_world["clerk"], intake_world["desk"]
    on_list, extra = make_intake().outbound_item.item_id, make_intake().outbound_item.item_id
    manifest = custody.open_manifest(clerk, desk)
    custody.add_to_manifest(manifest, on_list, clerk)
    custody.close_manifest(manifest, "SEAL-1", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    client.force_login(desk_officer)
    response = post(client, f"{API}{manifest.code}/receive", {"item_id": extra})
    body = response.json()
    assert response.status_code == 200 and body["on_manifest"] is False and body["condition"] == "extra"
    assert Incident.objects.get(code=body["incident_code"]).reason == "extra"
    post(client, f"{API}{manifest.code}/receive", {"item_id": on_list})
    assert post(client, f"{API}{manifest.code}/finish").json()["status"] == "discrepancies"


def test_refusals_name_the_field_and_change_nothing(client, make_intake, intake_world, an_giang, long_xuyen,
                                                   ag_postman, desk_officer, qn_clerk):
    from network.models import Agency, OneStopDesk

    clerk, desk = intake_world["clerk"], intake_world["desk"]
    other_agency = Agency.objects.create(identifier="000.99.99.H01", name="Khác", level="provincial_centre",
                                         province=an_giang, commune=long_xuyen)
    other_desk = OneStopDesk.objects.create(code="MC-X", name="Khác", agency=other_agency, level="provincial",
                                            province=an_giang, commune=long_xuyen)
    item_id = make_intake().outbound_item.item_id
    client.force_login(clerk)
    code = open_to(client, "desk", desk.code)["code"]
    wrong_code = open_to(client, "desk", other_desk.code)["code"]

    before = state()
    cases = [
        (f"{API}{code}/items", {"item_id": wrong_check_digit(item_id)}, "item_id", "wrong check digit"),
        (f"{API}{code}/items", {"item_id": "EH12"}, "item_id", "S10"),
        (f"{API}{code}/items", {}, "item_id", "required"),
        (f"{API}{code}/items", {"item_id": s10.make("EH", 77_777_777)}, "item_id", "No item"),
        (f"{API}{wrong_code}/items", {"item_id": item_id}, "item_id", "Wrong destination"),
        (f"{API}{code}/close", {"seal_number": "x"}, "seal_number", "Seal number"),
        (f"{API}{code}/close", {"seal_number": "SEAL-1"}, "manifest", "no items"),
        (f"{API}{code}/dispatch", {"courier_name": "A"}, "manifest", "cannot be done now"),
        (f"{API}{code}/dispatch", {}, "courier_name", "Name the courier"),
        (f"{API}{code}/receive", {"item_id": item_id, "condition": "wet"}, "condition", "Condition"),
        (API, {"destination": {"kind": "desk", "code": "NOPE"}}, "destination.code", "no one-stop desk"),
        (API, {"destination": {"kind": "agency", "code": "X"}}, "destination.kind", "post_office or desk"),
        (API, {"destination": {"kind": "post_office", "code": intake_world["post_office"].code}}, "destination",
         "is the origin"),
        (API, {}, "destination", "required"),
    ]
    for url, data, field, words in cases:
        response = post(client, url, data)
        assert response.status_code == 400, (url, data, response.json())
        assert words in errors(response).get(field, ""), (url, data, response.json())
        assert " / " in errors(response)[field]
    assert state() == before

    response = post(client, f"{API}{code}/items", {"item_id": item_id})
    assert response.status_code == 201
    other = open_to(client, "desk", desk.code)["code"]
    before = state()
    response = post(client, f"{API}{other}/items", {"item_id": item_id})
    assert response.status_code == 400 and code in errors(response)["item_id"]
    assert "another open manifest" in errors(response)["item_id"]
    response = post(client, f"{API}{code}/items", {"item_id": item_id})
    assert "already on this" in errors(response)["item_id"]
    response = post(client, f"{API}{code}/finish")
    assert response.status_code == 400 and "manifest" in errors(response)
    response = post(client, f"{API}{code}/dispatch", {"courier_username": qn_clerk.username})
    assert response.status_code == 400 and "courier_username" in errors(response)
    response = client.get(API, {"status": "lost", "direction": "sideways"})
    assert response.status_code == 400 and set(errors(response)) == {"status", "direction"}
    response = client.get(f"/api/v1/items/{wrong_check_digit(item_id)}/")
    assert response.status_code == 400 and "check digit" in errors(response)["item_id"]
    assert state() == before

    # The wrong side: the desk sees the manifest coming but may not add, seal, dispatch or cancel.
    client.force_login(desk_officer)
    assert client.get(f"{API}{code}/").status_code == 200
    for url, data in ((f"{API}{code}/items", {"item_id": item_id}), (f"{API}{code}/close", {"seal_number": "S-123"}),
                      (f"{API}{code}/cancel", {})):
        response = post(client, url, data)
        assert response.status_code == 403, (url, response.json())
        assert "Only staff at the origin" in response.json()["errors"][0]["message"]
    assert client.delete(f"{API}{code}/items/{item_id}").status_code == 403
    assert state() == before
    # …and the origin may not receive: seal and dispatch, then the clerk tries.
    client.force_login(clerk)
    post(client, f"{API}{other}/cancel")
    post(client, f"{API}{code}/close", {"seal_number": "SEAL-5"})
    post(client, f"{API}{code}/dispatch", {"courier_username": ag_postman.username})
    before = state()
    response = post(client, f"{API}{code}/receive", {"item_id": item_id})
    assert response.status_code == 403 and "destination" in response.json()["errors"][0]["message"]
    response = post(client, f"{API}{code}/finish")
    assert response.status_code == 403
    response = post(client, f"{API}{code}/cancel")  # dispatched: too late to cancel
    assert response.status_code == 400 and "manifest" in errors(response)
    # Not held by this unit: it travels on the manifest now.
    third = open_to(client, "desk", desk.code)["code"]
    before = state()
    response = post(client, f"{API}{third}/items", {"item_id": item_id})
    assert response.status_code == 400 and "is not held by" in errors(response)["item_id"]
    assert state() == before


def test_scopes(client, make_intake, intake_world, qn_clerk, ag_admin):
    clerk, desk = intake_world["clerk"], intake_world["desk"]
    item_id = make_intake().outbound_item.item_id
    manifest = custody.open_manifest(clerk, desk)
    custody.add_to_manifest(manifest, item_id, clerk)
    client.force_login(qn_clerk)
    before = state()
    assert client.get(f"{API}{manifest.code}/").status_code == 404
    assert client.get(API).json()["results"] == []
    for action in ("items", "close", "dispatch", "receive", "finish", "cancel"):
        response = post(client, f"{API}{manifest.code}/{action}", {"item_id": item_id, "seal_number": "SEAL-1",
                                                                  "courier_name": "X"})
        assert response.status_code == 404, action
        assert response.json()["errors"][0]["message"] == "Không tìm thấy. / Not found."
    assert client.delete(f"{API}{manifest.code}/items/{item_id}").status_code == 404
    assert client.get(f"/api/v1/items/{item_id}/").status_code == 404
    assert state() == before
    # The province's administrator sees it; anonymous callers are refused.
    client.force_login(ag_admin)
    assert [m["code"] for m in client.get(API).json()["results"]] == [manifest.code]
    assert client.get(f"/api/v1/items/{item_id}/").status_code == 200
    response = post(client, API, {"destination": {"kind": "desk", "code": desk.code}})
    assert response.status_code == 403 and " / " in response.json()["errors"][0]["message"]
    client.logout()
    assert client.get(API).status_code in (401, 403)
